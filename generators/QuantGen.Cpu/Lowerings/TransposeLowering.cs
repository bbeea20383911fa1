using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Transpose: row moves when the innermost axis stays innermost, else a gather; skipped where a VNNI MatMul packs through it.</summary>
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
                return new TransposePlan(into?.Layer.Name);
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

                CpuEmitter.EmitTranspose(w, node.Inputs[0].Shape, ((TransposeLayer)node.Layer).Perm);
            }
        }
    }

    /// <summary>A transpose; <see cref="FusedInto"/>: the MatMul whose VNNI packing reads through it (it then runs only without VNNI).</summary>
    public sealed record TransposePlan(string? FusedInto) : CpuKernelPlan(ScalarStrategy.Kernel);
}
