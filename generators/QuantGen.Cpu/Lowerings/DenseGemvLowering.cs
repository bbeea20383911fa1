using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>
    /// An int8 Dense layer at one row per sample (the jet tagger's 16-64-32-32-5 MLP, the autoencoder's 640-128-...-640, the
    /// final classifier of a CNN or a transformer) where the int32 multiply-high requantization is proven exact for every output
    /// channel (<see cref="Conv2dLowering.MulHighApplies"/>): the single-input call runs <c>QuantGenKernels.GemvVnniHigh</c> (even
    /// and odd quad chains, the bias as the accumulators' start, 16 outputs per zmm requantization instead of the GEMM's int64
    /// lanes). The plan is the GEMM's own record, so the batched Dense chain (RunRows) and the paths without AVX-VNNI stay the
    /// GEMM's. Any K and N: `gemv-probe` (samples/Benchmarks) measured it 1.04-1.23x faster than the GEMM's one-row tile on the
    /// autoencoder's 640 x 128, 128 x 128 and 128 x 640 layers and 1.8x on its 8 x 128 one (docs/performance.md).
    /// </summary>
    public sealed class DenseGemvHigh : CpuStrategy<DenseGemmPlan>
    {
        /// <summary>
        /// Layers from this many channels and inputs (K) take the kernel's wide form: 64-channel blocks, two chains of 8
        /// accumulators over the even and odd quads, 256 contiguous weight bytes per quad row. `gemv-probe` (2026-12-06 18:21
        /// UTC, load 9.8, interleaved in one process) against the wide form with one chain of 8: 640 x 128 1.04x, 128 x 128 1.24x,
        /// 128 x 640 1.07x; the one chain had been 1.03-1.15x over the 32-channel blocks above 32 KiB and level on 128 x 128, so
        /// a byte threshold is no longer needed. Below 64 inputs (the jet tagger's 16 x 64) the two-chain loop has too few quads.
        /// </summary>
        public const int WideMinK = 64;

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var d = (DenseLayer)node.Layer;
            if (!DenseLowering.Int8(node) || CSharp.Type(node.Output.Type) != "sbyte")
            {
                return null;
            }

            (int n, int k, int rows) = DenseLowering.Dims(node);
            long zo = node.Output.Quant!.ZeroPoint;
            bool accFits = context.RangesOf(node).Find("acc") is not IntRange a || (a.Min >= int.MinValue && a.Max <= int.MaxValue);
            bool lohi = d.Integers.Clamp.Lo >= sbyte.MinValue && d.Integers.Clamp.Hi <= sbyte.MaxValue;
            if (rows != 1 || k % 4 != 0 || !accFits || !lohi || !Enumerable.Range(0, n).All(o => Conv2dLowering.MulHighApplies(d.Integers.Requant[o], zo)))
            {
                return null;
            }

            var plan = new DenseGemmPlan(n, k, rows) { GemvWide = n >= 64 && k >= WideMinK };
            return plan with
            {
                Library = KernelFiles.Kernels,
                Scratch = new CpuScratch(GemmA: rows * plan.KPairs * 2),
            };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, DenseGemmPlan plan) => e.EmitDenseGemm(w, node, plan, gemv: true);
    }
}
