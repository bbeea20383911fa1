using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Gather with static indices: one box per index, block copies of contiguous slabs. Printed from the core's DataMovement.Plan.</summary>
    public sealed class GatherLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Gather;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Copy() };

        private sealed class Copy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => StridedCopyWriter.Plan(node);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => StridedCopyWriter.Emit(e, w, node);
        }
    }
}
