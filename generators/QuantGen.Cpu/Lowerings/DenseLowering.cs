using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Dense on the CPU: packed int8 GEMM (AVX-VNNI, int16 pairs where VNNI is missing) -> vpmaddubsw -> sign-extending dot -> scalar int64.</summary>
    public sealed class DenseLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Dense;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new DenseGemvHigh(), new DenseVnniGemm(), new DenseMaddubs(), new DenseWiden(), new DenseScalar() };

        /// <summary>Signed int8 (or narrower) input and weights.</summary>
        internal static bool Int8(GraphNode node) => node.Inputs[0].Type.IsSigned && node.Inputs[0].Type.Bits <= 8 && node.Weight!.Type.Bits <= 8;

        internal static (int N, int K, int Rows) Dims(GraphNode node)
        {
            int n = node.Weight!.Shape[0], k = node.Weight.Shape[1];
            return (n, k, node.Inputs[0].ElementCount / k);
        }
    }

    /// <summary>A Dense layer on the packed int8 GEMM.</summary>
    public sealed record DenseGemmPlan(int N, int K, int RowsPerSample) : CpuKernelPlan(DenseVnniGemm.Kernel)
    {
        /// <summary>
        /// Token rows (more than one row per sample: a transformer's Linear layers) whose every channel passes
        /// Conv2dLowering.MulHighApplies: the AVX-VNNI branch stores through the int32 multiply-high requantization
        /// (QuantGenPointwiseKernels.GemmVnniHigh), equal to the reference's int64 one for every int32 accumulator.
        /// One-row layers (MLPs, their batched row chains) keep GemmVnni.
        /// </summary>
        public bool MulHigh { get; init; }

        /// <summary>
        /// DenseGemvHigh only: at least 64 channels and <see cref="DenseGemvHigh.WideMinK"/> inputs, so the one-row kernel reads
        /// the weights in 64-channel blocks with two accumulator chains of 8 (QuantGenKernels.GemvVnniHigh's wide form).
        /// </summary>
        public bool GemvWide { get; init; }

        public int KQuads => (K + 3) / 4;

        public int KPairs => (K + 1) / 2;
    }

    /// <summary>A Dense layer as per-output dot products over rows padded to <see cref="KPadded"/> bytes.</summary>
    public sealed record DenseDotPlan(string Name, int N, int K, int Rows, int KPadded, bool Fast) : CpuKernelPlan(Name);

    /// <summary>int8 in, int8 out: the AVX-VNNI GEMM (exact for every int8 value), fused requantization.</summary>
    public sealed class DenseVnniGemm : CpuStrategy<DenseGemmPlan>
    {
        public const string Kernel = "int8-gemm-vnni";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            if (!DenseLowering.Int8(node) || CSharp.Type(node.Output.Type) != "sbyte")
            {
                return null;
            }

            (int n, int k, int rows) = DenseLowering.Dims(node);
            var d = (DenseLayer)node.Layer;
            long zo = node.Output.Quant!.ZeroPoint;
            bool high = rows > 1 && Enumerable.Range(0, n).All(o => Conv2dLowering.MulHighApplies(d.Integers.Requant[o], zo));
            var plan = new DenseGemmPlan(n, k, rows) { MulHigh = high };
            return plan with
            {
                Library = KernelFiles.Kernels | (high ? KernelFiles.PointwiseKernels : KernelFiles.None),
                Scratch = new CpuScratch(GemmA: rows * plan.KPairs * 2, GemmU: k % 4 != 0 ? rows * plan.KQuads * 4 : 0),
            };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, DenseGemmPlan plan) => e.EmitDenseGemm(w, node, plan);
    }

    /// <summary>int8 with every weight in [-127, 127]: vpmaddubsw on |x| and sign-transferred weights cannot saturate.</summary>
    public sealed class DenseMaddubs : CpuStrategy<DenseDotPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => DenseDot(node, fast: true);

        internal static CpuKernelPlan? DenseDot(GraphNode node, bool fast)
        {
            (int n, int k, int rows) = DenseLowering.Dims(node);
            int kp = (k + 63) / 64 * 64;
            if (!DenseLowering.Int8(node) || 128L * 128 * kp >= int.MaxValue || (fast && !node.Weight!.IntData!.All(v => v >= -127 && v <= 127)))
            {
                return null;
            }

            return new DenseDotPlan(fast ? "int8-maddubs" : "int8-widen", n, k, rows, kp, fast) { Library = KernelFiles.Kernels, Scratch = new CpuScratch(PadBytes: kp) };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, DenseDotPlan plan) => e.EmitDenseDot(w, node, plan);
    }

    /// <summary>int8 with a -128 weight: the saturation-free sign-extending dot product.</summary>
    public sealed class DenseWiden : CpuStrategy<DenseDotPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => DenseMaddubs.DenseDot(node, fast: false);

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, DenseDotPlan plan) => e.EmitDenseDot(w, node, plan);
    }

    /// <summary>Any widths: exact int64 accumulation.</summary>
    public sealed class DenseScalar : CpuStrategy<CpuKernelPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => new CpuKernelPlan("scalar-int64");

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => e.EmitDenseScalar(w, node);
    }
}
