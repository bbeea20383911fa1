using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Element-wise Sub with Add's one rounding, the second branch subtracted: two int8 activations on int32 lanes (QuantGenKernels.AddS8 with -M_b), else one int64 loop.</summary>
    public sealed class SubLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Sub;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new SubInt8(), new Loop() };

        private sealed class SubInt8 : CpuStrategy<AddS8Plan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => AddInt8.Plan(node, -1);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, AddS8Plan plan) => AddInt8.EmitKernel(w, node, plan, "Difference", "-");
        }

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => AddScalar.EmitLoop(e, w, node, ((SubLayer)node.Layer).Integers, "-");
        }
    }
}
