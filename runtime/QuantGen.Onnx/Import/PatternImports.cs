using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    // The operators the importer's built-in pattern lowering maps (OnnxLowering.cs, .Affine, .Patterns: fusions of
    // bias, activation, BatchNormalization and QDQ into one layer need the whole chain, not one node). Each declares the
    // ONNX op types it comes from, so the registry test enumerates every operator.

    /// <summary>Gemm, MatMul by a constant (+ Add bias, + Relu/Clip, + BatchNormalization folded) -> Dense.</summary>
    public sealed class DenseImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Dense;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Gemm", "MatMul" };
    }

    /// <summary>MatMul of two activations (+ a scalar Mul/Div folded into alpha) -> MatMul.</summary>
    public sealed class MatMulImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.MatMul;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "MatMul" };
    }

    /// <summary>Add of two activations, or of an activation and a constant -> Add.</summary>
    public sealed class AddImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Add;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Add" };
    }

    /// <summary>Relu not fused into the layer before -> Relu.</summary>
    public sealed class ReluImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Relu;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Relu" };
    }

    /// <summary>Clip with constant bounds not fused into the layer before -> Clip.</summary>
    public sealed class ClipImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Clip;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Clip" };
    }

    /// <summary>Softmax on the last axis -> Softmax (Shiftmax).</summary>
    public sealed class SoftmaxImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Softmax;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Softmax" };
    }

    /// <summary>Gelu, or the exact-erf / tanh GELU chains (Div, Erf, Add, Mul, Pow, Tanh) -> Gelu (ShiftGELU).</summary>
    public sealed class GeluImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Gelu;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Gelu", "Div", "Erf", "Mul", "Add", "Pow", "Tanh" };
    }

    /// <summary>LayerNormalization, or its opset-13 decomposition (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) -> LayerNorm.</summary>
    public sealed class LayerNormImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.LayerNorm;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "LayerNormalization", "ReduceMean" };
    }

    /// <summary>ReduceMean over adjacent axes, GlobalAveragePool, AveragePool over the whole map (after an all-zero Pad) -> (Reshape +) AvgPool.</summary>
    public sealed class AvgPoolImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.AvgPool;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "ReduceMean", "GlobalAveragePool", "AveragePool" };
    }

    /// <summary>Reshape, Flatten, Squeeze, Unsqueeze -> Reshape.</summary>
    public sealed class ReshapeImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Reshape;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze" };
    }

    /// <summary>Transpose -> Transpose.</summary>
    public sealed class TransposeImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Transpose;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Transpose" };
    }

    /// <summary>Conv (2-D, any group; + bias, BatchNormalization, Relu/Clip fused) -> Conv2d.</summary>
    public sealed class Conv2dImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Conv2d;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Conv" };
    }

    /// <summary>MaxPool (2-D) -> MaxPool2d.</summary>
    public sealed class MaxPool2dImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.MaxPool2d;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "MaxPool" };
    }

    /// <summary>ArgMax is added by QuantGen (the classifier's label output), never imported.</summary>
    public sealed class ArgMaxImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.ArgMax;

        public override IReadOnlyList<string> OnnxOps { get; } = System.Array.Empty<string>();

        public override string? NotImportable => "QuantGen appends ArgMax itself for a classifier's label output; an ONNX ArgMax (an int64 output) is not mapped: export the logits";
    }
}
