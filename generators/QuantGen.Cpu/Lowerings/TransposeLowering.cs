using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Transpose: row moves when the innermost axis stays innermost; one-byte elements whose last two axes swap (a
    /// transformer's patch embedding, [C][H * W] -> [H * W][C]) in 16 x 16 register blocks (<c>QuantGenKernels.Transpose2D</c>,
    /// kernel int8-transpose-blocks); else a gather; skipped where a VNNI MatMul packs through it.
    /// </summary>
    public sealed class TransposeLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Transpose;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Gather() };

        private sealed class Gather : CpuStrategy<TransposePlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                GraphNode? into = context.Model.Consumers(node.Output.Name)
                    .FirstOrDefault(m => m.Layer is MatMulLayer && MatMulLowering.Vnni(context, m) && ReferenceEquals(MatMulLowering.FusableTranspose(context, m), node));
                int[] perm = ((TransposeLayer)node.Layer).Perm, shape = node.Inputs[0].Shape;
                int rank = perm.Length;
                bool blocks = CSharp.Type(node.Inputs[0].Type) == "sbyte" && rank >= 2 && perm[rank - 1] == rank - 2 && perm[rank - 2] == rank - 1
                    && Enumerable.Range(0, rank - 2).All(a => perm[a] == a) && shape[rank - 1] >= 16 && shape[rank - 2] >= 16;
                return new TransposePlan(into?.Layer.Name, blocks) { Library = blocks ? KernelFiles.Kernels : KernelFiles.None };
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, TransposePlan plan)
            {
                if (plan.FusedInto != null)
                {
                    w.Line($"// With AVX-VNNI, {plan.FusedInto} packs its right operand straight from this layer's input (the transpose is fused into the packing).");
                    w.Open("if (QuantGenKernels.UseVnni)");
                    w.Line("return;");
                    w.Close();
                    w.Line();
                }

                int[] shape = node.Inputs[0].Shape;
                if (plan.Blocks)
                {
                    int rank = shape.Length, rows = shape[rank - 2], cols = shape[rank - 1], outer = shape.Take(rank - 2).Aggregate(1, (a, b) => a * b);
                    w.Line($"// The last two axes swap ({rows} x {cols} -> {cols} x {rows}{(outer > 1 ? $", {outer} times" : string.Empty)}): 16 x 16 byte blocks in registers.");
                    w.Open($"for (int b = 0; b < {CpuEmitter.I(outer)}; b++)");
                    w.Line(CpuEmitter.K("Transpose2D", $"x.Slice(b * {CpuEmitter.I(rows * cols)}, {CpuEmitter.I(rows * cols)})", CpuEmitter.I(rows), CpuEmitter.I(cols), $"y.Slice(b * {CpuEmitter.I(rows * cols)}, {CpuEmitter.I(rows * cols)})") + ";");
                    w.Close();
                    return;
                }

                CpuEmitter.EmitTranspose(w, shape, ((TransposeLayer)node.Layer).Perm, CSharp.Type(node.Inputs[0].Type));
            }
        }
    }

    /// <summary>
    /// A transpose; <see cref="FusedInto"/>: the MatMul whose VNNI packing reads through it (it then runs only without VNNI);
    /// <see cref="Blocks"/>: one-byte elements whose last two axes swap, moved in 16 x 16 register blocks.
    /// </summary>
    public sealed record TransposePlan(string? FusedInto, bool Blocks) : CpuKernelPlan(Blocks ? BlocksKernel : ScalarStrategy.Kernel)
    {
        /// <summary>The kernel name of <see cref="Blocks"/>.</summary>
        public const string BlocksKernel = "int8-transpose-blocks";
    }
}
