using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Conv2d: AVX-VNNI GEMM on u8 quads (int8) -> im2col into int16 tap pairs + vpmaddwd -> direct convolution with int64 accumulators.</summary>
    public sealed class Conv2dLowering : CpuLowering
    {
        public const string Im2ColKernel = "int16-im2col-pmaddwd";

        public const string VnniKernel = "int8-conv-vnni";

        public const string DepthwiseKernel = "int8-depthwise-rows";

        public override OpKind Op => OpKind.Conv2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new VnniGemm(), new Depthwise(), new Im2Col(), new Direct() };

        internal static ConvPlan Plan(CpuPlanContext c, GraphNode node, string kernel)
        {
            TensorInfo x = node.Inputs[0];
            IntRange xr = c.Ranges.Tensors[x.Name];
            long zx = x.Quant!.ZeroPoint;
            return new ConvPlan(kernel, xr.Min - zx, xr.Max - zx, c.RangesOf(node).Find("acc"))
            {
                Library = kernel != "scalar-int64" ? KernelFiles.Kernels | KernelFiles.ConvKernels : KernelFiles.Kernels,
            };
        }

        /// <summary>
        /// int8 input, int8 weights, int8 output, one group with at least 4 output channels: the AVX-VNNI GEMM on u8 quads
        /// (x + 128, -(zx + 128) * sum(w) folded into the bias), exact for every int8 value. Machines without AVX-VNNI run the
        /// int16 pair kernel of the same layer (emitted beside it), so the layer is exact on every path.
        /// </summary>
        private sealed class VnniGemm : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                var cv = (Conv2dLayer)node.Layer;
                TensorInfo x = node.Inputs[0], wt = node.Weight!;
                bool int8 = CSharp.Type(x.Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && wt.Type.IsSigned && wt.Type.Bits <= 8;
                ConvPlan p = Plan(context, node, VnniKernel);
                bool accFits = p.Accumulator is not IntRange a || (a.Min >= int.MinValue && a.Max <= int.MaxValue);
                return int8 && accFits && cv.Group == 1 && wt.Shape[0] >= 4 && x.Shape.Length == 4 ? p : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
        }

        /// <summary>
        /// int8 depthwise (groups == input channels == output channels): int32 lanes along each output row over a
        /// phase-split int16 plane of x - zx; generic vectors, so every SIMD path computes the same integers.
        /// </summary>
        private sealed class Depthwise : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                var cv = (Conv2dLayer)node.Layer;
                TensorInfo x = node.Inputs[0], wt = node.Weight!;
                bool int8 = CSharp.Type(x.Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && wt.Type.IsSigned && wt.Type.Bits <= 8;
                ConvPlan p = Plan(context, node, DepthwiseKernel);
                bool accFits = p.Accumulator is not IntRange a || (a.Min >= int.MinValue && a.Max <= int.MaxValue);
                bool depthwise = x.Shape.Length == 4 && cv.Group == x.Shape[1] && wt.Shape[0] == cv.Group && wt.Shape[1] == 1;
                return int8 && accFits && depthwise ? p : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
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
