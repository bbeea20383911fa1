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
        /// Weights larger than this (bytes; the L1 data cache of the smaller cores QuantGen targets) take the kernel's wide
        /// form: they stream from L2 on every call, and 64-channel blocks with one chain read 256 contiguous bytes per quad row.
        /// `gemv-probe` (load 10-13, interleaved pairs): 1.03-1.15x on 640 x 128 and 1.01-1.14x on 128 x 640 (80 KB); on
        /// 128 x 128 (16 KB, L1-resident) between 0.92x and 1.18x from run to run, so the smaller layers keep two chains.
        /// </summary>
        public const int WideBytes = 32 * 1024;

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

            var plan = new DenseGemmPlan(n, k, rows) { GemvWide = n >= 64 && (long)n * k > WideBytes };
            return plan with
            {
                Library = KernelFiles.Kernels,
                Scratch = new CpuScratch(GemmA: rows * plan.KPairs * 2),
            };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, DenseGemmPlan plan) => e.EmitDenseGemm(w, node, plan, gemv: true);
    }
}
