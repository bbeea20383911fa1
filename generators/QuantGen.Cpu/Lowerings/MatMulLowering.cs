using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>MatMul of two activations: AVX-VNNI GEMM -> int16-pair GEMM -> int16 dot products -> scalar int64.</summary>
    public sealed class MatMulLowering : CpuLowering
    {
        public const string VnniKernel = "int8-gemm-vnni";
        public const string GemmKernel = "int16-gemm-pmaddwd";
        public const string DotKernel = "int16-pmaddwd";
        public const string ScalarKernel = "scalar-int64";

        public override OpKind Op => OpKind.MatMul;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new MatMulVnni(), new MatMulGemm(), new MatMulDot(), new MatMulScalar() };

        /// <summary>The proven bounds of |a - za| and |b - zb| (range analysis) and K padded to 32.</summary>
        internal static (long AMax, long BMax, int KPadded) Bounds(CpuPlanContext c, GraphNode node)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            int k = a.Shape[a.Shape.Length - 1];
            long za = a.Quant!.ZeroPoint, zb = b.Quant!.ZeroPoint;
            IntRange ra = c.Ranges.Tensors[a.Name], rb = c.Ranges.Tensors[b.Name];
            return (Math.Max(Math.Abs(ra.Min - za), Math.Abs(ra.Max - za)), Math.Max(Math.Abs(rb.Min - zb), Math.Abs(rb.Max - zb)), (k + 31) / 32 * 32);
        }

        /// <summary>int16 lanes are exact: both operands fit int16 and every pair sum fits int32.</summary>
        internal static bool Int16Exact(CpuPlanContext c, GraphNode node)
        {
            (long amax, long bmax, int kp) = Bounds(c, node);
            return amax <= 32767 && bmax <= 32767 && amax * bmax * kp < int.MaxValue;
        }

        internal static bool Gemm(CpuPlanContext c, GraphNode node)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            return Int16Exact(c, node) && CSharp.Type(node.Output.Type) == "sbyte" && a.Type.Bits <= 16 && b.Type.Bits <= 16 && a.Type.IsSigned && b.Type.IsSigned;
        }

        /// <summary>
        /// Two int8 operands of the same rank (3 or more: attention's [B, H, T, D] heads too) with the same leading (batch)
        /// axes: the AVX-VNNI GEMM takes them, one GEMM per flattened batch index. K not a multiple of 4 (probs x V over 197
        /// tokens) packs b with zero bytes up to whole quads and runs a's last row from a zero-padded copy (MatMulPlan.PadK).
        /// </summary>
        internal static bool Vnni(CpuPlanContext c, GraphNode node)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            int rank = a.Shape.Length;
            int k = a.Shape[rank - 1];
            bool sameBatch = rank >= 3 && b.Shape.Length == rank && a.Shape.Take(rank - 2).SequenceEqual(b.Shape.Take(rank - 2)) && b.Shape[rank - 2] == k;
            // K > 4 when it is not a multiple of 4: a row's straddling quad then ends inside the next row (4 ceil(K / 4) <= 2 K).
            return Gemm(c, node) && a.Type.Bits <= 8 && b.Type.Bits <= 8 && sameBatch && (k % 4 == 0 || k > 4)
                && a.Kind != TensorKind.Initializer && b.Kind != TensorKind.Initializer;
        }

        /// <summary>
        /// The transpose that produces the right operand [B, K, C] from a rank-3 tensor whose innermost axis becomes K (or
        /// [.., K, C] from [.., C, K] of a higher rank, the leading axes in place: attention's per-head k^T), when nothing else
        /// reads its output and its input is an intermediate buffer: the VNNI packing reads that input directly.
        /// </summary>
        internal static GraphNode? FusableTranspose(CpuPlanContext c, GraphNode matmul)
        {
            TensorInfo b = matmul.Inputs[1];
            GraphNode? t = c.Model.Producer(b.Name);
            if (t == null || !(t.Layer is TransposeLayer tl) || !KInnermost(tl.Perm) || t.Inputs[0].Kind != TensorKind.Activation
                || c.Model.Consumers(b.Name).Count != 1 || b.Name == c.Model.Graph.Output.Name)
            {
                return null;
            }

            return t;
        }

        /// <summary>Rank 3 with the input's innermost axis as K, or a higher rank that only swaps the last two axes.</summary>
        private static bool KInnermost(int[] perm)
        {
            int r = perm.Length;
            if (r == 3)
            {
                return perm[1] == 2;
            }

            return r > 3 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2 && Enumerable.Range(0, r - 2).All(i => perm[i] == i);
        }

        internal static MatMulPlan Plan(CpuPlanContext c, GraphNode node, string kernel)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            (long amax, long bmax, int kp) = Bounds(c, node);
            int rowsA = a.Shape[a.Shape.Length - 2], k = a.Shape[a.Shape.Length - 1], cols = b.Shape[b.Shape.Length - 1];
            int kPairs = (k + 1) / 2, np = (cols + 15) / 16 * 16, kQuads = (k + 3) / 4, np8 = (cols + 7) / 8 * 8;
            bool padK = kernel == VnniKernel && k % 4 != 0;
            bool high = kernel == VnniKernel && Conv2dLowering.MulHighApplies(((MatMulLayer)node.Layer).Integers.Requant, node.Output.Quant!.ZeroPoint);
            CpuScratch scratch = kernel switch
            {
                // MulHigh: a as u = a + 128 rows of whole quads (QuantGenAttentionKernels.RowsU); otherwise a's last row padded.
                VnniKernel => new CpuScratch(GemmA: rowsA * kPairs * 2, GemmB: kPairs * np * 2, MmQuads: kQuads * np8 * 4, MmColBias: np, MmRowBias: rowsA,
                    GemmU: high ? rowsA * kQuads * 4 : padK ? kQuads * 4 : 0),
                GemmKernel => new CpuScratch(GemmA: rowsA * kPairs * 2, GemmB: kPairs * np * 2),
                DotKernel => new CpuScratch(MmShorts: Math.Max(rowsA, cols) * kp),
                _ => CpuScratch.None,
            };
            string? fused = kernel == VnniKernel ? FusableTranspose(c, node)?.Layer.Name : null;
            return new MatMulPlan(kernel, amax, bmax, kp, fused)
            {
                Scratch = scratch,
                Library = KernelFiles.Kernels | (high ? KernelFiles.AttentionKernels : KernelFiles.None)
                    | ((high ? padK : padK || fused != null) ? KernelFiles.TransformerKernels : KernelFiles.None),
                PadK = padK,
                MulHigh = high,
            };
        }
    }

    /// <summary>
    /// A MatMul's kernel with the proven operand bounds it relies on; <see cref="FusedTranspose"/>: the transpose its VNNI packing
    /// reads through; <see cref="PadK"/>: K is not a multiple of 4, so the VNNI packing fills the last quad with zeros
    /// (QuantGenTransformerKernels.PackQuadsK) and a's last row runs from a zero-padded copy (PadLastRow; with MulHigh every row
    /// of a is copied padded by QuantGenAttentionKernels.RowsU instead). PackQuadsK also packs through a fused transpose (its
    /// rows are contiguous in K: column sums on vectors); with MulHigh and K a multiple of 4, QuantGenAttentionKernels.PackKT does.
    /// </summary>
    public sealed record MatMulPlan(string Name, long AMax, long BMax, int KPadded, string? FusedTranspose) : CpuKernelPlan(Name)
    {
        public bool PadK { get; init; }

        /// <summary>
        /// The VNNI GEMM stores through the int32 multiply-high requantization (QuantGenAttentionKernels.GemmHighU on u = a + 128
        /// rows written by RowsU; a fused k^T packed by PackKT): the requantization passes Conv2dLowering.MulHighApplies, so it
        /// equals the reference's int64 one for every int32 accumulator (attention's q x k^T and probs x V: shifts 37 to 46).
        /// </summary>
        public bool MulHigh { get; init; }
    }

    /// <summary>int8 x int8: vpdpbusd on raw a and b, the zero points folded into per-call row and column biases.</summary>
    public sealed class MatMulVnni : CpuStrategy<MatMulPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            MatMulLowering.Vnni(context, node) ? MatMulLowering.Plan(context, node, MatMulLowering.VnniKernel) : null;

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, MatMulPlan plan) => e.EmitMatMul(w, node, plan);
    }

    /// <summary>Operands proven to fit int16 lanes, int8 output: the register-blocked vpmaddwd GEMM with fused requantization.</summary>
    public sealed class MatMulGemm : CpuStrategy<MatMulPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            MatMulLowering.Gemm(context, node) ? MatMulLowering.Plan(context, node, MatMulLowering.GemmKernel) : null;

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, MatMulPlan plan) => e.EmitMatMul(w, node, plan);
    }

    /// <summary>Operands proven to fit int16 lanes, wider output: one vpmaddwd dot product per output.</summary>
    public sealed class MatMulDot : CpuStrategy<MatMulPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            MatMulLowering.Int16Exact(context, node) ? MatMulLowering.Plan(context, node, MatMulLowering.DotKernel) : null;

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, MatMulPlan plan) => e.EmitMatMul(w, node, plan);
    }

    /// <summary>Operands too wide for int16 lanes: exact int64 accumulation.</summary>
    public sealed class MatMulScalar : CpuStrategy<MatMulPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => MatMulLowering.Plan(context, node, MatMulLowering.ScalarKernel);

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, MatMulPlan plan) => e.EmitMatMul(w, node, plan);
    }
}
