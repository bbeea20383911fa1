using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Integer LayerNorm: vectorized int8 rows with fused requantization -> row loops.</summary>
    public sealed class LayerNormLowering : CpuLowering
    {
        public override OpKind Op => OpKind.LayerNorm;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new LayerNormRows(), new LayerNormScalar() };
    }

    /// <summary>int8 in and out, at most 4096 channels (the int32 sum-of-squares lanes are exact): QuantGenTransformerKernels.LayerNormRowsFast.</summary>
    public sealed class LayerNormRows : CpuStrategy<CpuKernelPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            TensorInfo x = node.Inputs[0], y = node.Output;
            int c = x.Shape[x.Shape.Length - 1];
            return x.Type.Bits <= 8 && x.Type.IsSigned && CSharp.Type(y.Type) == "sbyte" && c <= IntLayerNorm.MaxChannels
                ? new CpuKernelPlan("int8-layernorm-rows") { Library = KernelFiles.Kernels | KernelFiles.TransformerKernels }
                : null;
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => e.EmitLayerNormRows(w, node);
    }

    public sealed class LayerNormScalar : ScalarStrategy
    {
        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => e.EmitLayerNormScalar(w, node);
    }
}
