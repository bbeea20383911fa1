using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Conv2d: im2col into int16 tap pairs + vpmaddwd -> direct convolution with int64 accumulators.</summary>
    public sealed class Conv2dLowering : CpuLowering
    {
        public const string Im2ColKernel = "int16-im2col-pmaddwd";

        public override OpKind Op => OpKind.Conv2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Im2Col(), new Direct() };

        internal static ConvPlan Plan(CpuPlanContext c, GraphNode node, string kernel)
        {
            TensorInfo x = node.Inputs[0];
            IntRange xr = c.Ranges.Tensors[x.Name];
            long zx = x.Quant!.ZeroPoint;
            return new ConvPlan(kernel, xr.Min - zx, xr.Max - zx, c.RangesOf(node).Find("acc"))
            {
                Library = kernel == Im2ColKernel ? KernelFiles.Kernels | KernelFiles.ConvKernels : KernelFiles.Kernels,
            };
        }

        /// <summary>x - zx proven to fit int16 and weights of at most 16 bits: int16 x int16 products are exact in int32 lanes.</summary>
        private sealed class Im2Col : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                ConvPlan p = Plan(context, node, Im2ColKernel);
                return node.Inputs[0].Type.Bits <= 16 && p.DMin >= short.MinValue && p.DMax <= short.MaxValue && node.Weight!.Type.Bits <= 16 ? p : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
        }

        private sealed class Direct : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => Plan(context, node, "scalar-int64");

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
        }
    }

    /// <summary>A convolution's kernel with the proven range of x - zx ([<see cref="DMin"/>, <see cref="DMax"/>]) and of its accumulator.</summary>
    public sealed record ConvPlan(string Name, long DMin, long DMax, IntRange? Accumulator) : CpuKernelPlan(Name);
}
