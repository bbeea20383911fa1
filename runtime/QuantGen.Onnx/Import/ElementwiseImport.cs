using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>ONNX Sigmoid -> Sigmoid (a table of the input's 256 integers).</summary>
    public sealed class SigmoidImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Sigmoid;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Sigmoid" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c) => ElementwiseImport.Unary(c, new SigmoidLayer());
    }

    /// <summary>ONNX HardSigmoid (alpha, beta; torch's nn.Hardsigmoid: alpha 1/6) -> HardSigmoid.</summary>
    public sealed class HardSigmoidImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.HardSigmoid;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "HardSigmoid" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c) =>
            // ONNX's attributes are float32: the default alpha is 0.2f (0.20000000298...), the value ONNX Runtime computes with.
            ElementwiseImport.Unary(c, new HardSigmoidLayer { Alpha = c.Node.Attribute("alpha")?.F ?? (double)0.2f, Beta = c.Node.Attribute("beta")?.F ?? HardSigmoidLayer.DefaultBeta });
    }

    /// <summary>ONNX HardSwish (torch's nn.Hardswish) -> HardSwish.</summary>
    public sealed class HardSwishImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.HardSwish;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "HardSwish" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c) => ElementwiseImport.Unary(c, new HardSwishLayer());
    }

    /// <summary>ONNX Tanh that is not part of a GELU written out element by element -> Tanh (BERT's pooler); the importer's Tanh case calls <see cref="ElementwiseImport.TryLower"/>.</summary>
    public sealed class TanhImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Tanh;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Tanh" };
    }

    /// <summary>ONNX Mul of two activations, or of an activation and a constant that no other pattern absorbs -> Mul.</summary>
    public sealed class MulImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Mul;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Mul" };
    }

    /// <summary>ONNX Sub of two activations, or with a constant (BERT's 1 - mask) that no other pattern absorbs -> Sub.</summary>
    public sealed class SubImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Sub;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Sub" };
    }

    /// <summary>The element-wise fallbacks of the importer's Tanh/Mul/Sub case (after the GELU, LayerNorm and scalar-factor patterns).</summary>
    internal static class ElementwiseImport
    {
        public static void Unary(OnnxImportContext c, LayerSpec layer)
        {
            string x = c.Inputs[0];
            if (c.Constant(x) != null)
            {
                throw c.Fail(OnnxErrors.GraphStructure, $"{c.Node.OpType} of a constant should have been folded");
            }

            c.Add(layer, new[] { x }, new[] { c.Node.Outputs[0] }, new[] { c.Shape(x) });
        }

        /// <summary>Tanh, Mul or Sub as the element-wise operator; false for other op types.</summary>
        public static bool TryLower(OnnxImportContext c)
        {
            switch (c.Node.OpType)
            {
                case "Tanh":
                    Unary(c, new TanhLayer());
                    return true;
                case "Mul":
                    Binary(c, new MulLayer());
                    return true;
                case "Sub":
                    Binary(c, new SubLayer());
                    return true;
                default:
                    return false;
            }
        }

        private static void Binary(OnnxImportContext c, LayerSpec layer)
        {
            if (c.Inputs.Count != 2 || !c.Has(0) || !c.Has(1))
            {
                throw c.Fail(OnnxErrors.GraphStructure, $"{c.Node.OpType} needs two inputs");
            }

            string a = c.Inputs[0], b = c.Inputs[1];
            if (c.Constant(a) != null && c.Constant(b) != null)
            {
                throw c.Fail(OnnxErrors.GraphStructure, $"{c.Node.OpType} of two constants should have been folded");
            }

            int[] sa = c.Shape(a), sb = c.Shape(b);
            int[]? y = Numpy(sa, sb);
            long na = sa.Aggregate(1L, (p, d) => p * d), nb = sb.Aggregate(1L, (p, d) => p * d), ny = y?.Aggregate(1L, (p, d) => p * d) ?? 0;
            if (y == null || (na != ny && nb != ny) || !Suffix(na >= nb ? sb : sa, y))
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"{c.Node.OpType} of {OnnxImportContext.Dims(sa)} and {OnnxImportContext.Dims(sb)}: QuantGen broadcasts one operand whose shape, without leading 1s, equals the trailing axes of the other (same shape, scalar, trailing vector); reshape the operands before export");
            }

            var inputs = new[] { a, b }.Select(t => c.Constant(t) != null ? c.Initializer(t) : t).ToList();
            c.Add(layer, inputs, new[] { c.Node.Outputs[0] }, new[] { y });
        }

        private static int[]? Numpy(int[] a, int[] b)
        {
            int r = Math.Max(a.Length, b.Length);
            var y = new int[r];
            for (int i = 0; i < r; i++)
            {
                int da = i < r - a.Length ? 1 : a[i - (r - a.Length)], db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
                if (da != db && da != 1 && db != 1)
                {
                    return null;
                }

                y[i] = Math.Max(da, db);
            }

            return y;
        }

        private static bool Suffix(int[] small, int[] large)
        {
            int[] s = small.SkipWhile(d => d == 1).ToArray();
            return s.Length <= large.Length && s.Select((d, i) => d == large[large.Length - s.Length + i]).All(v => v);
        }
    }
}
