using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Slice with static starts, ends and steps (negative steps too): one box, block copies of contiguous runs. Printed from the core's DataMovement.Plan.</summary>
    public sealed class SliceLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Slice;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Copy() };

        private sealed class Copy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => StridedCopyWriter.Plan(node);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => StridedCopyWriter.Emit(e, w, node);
        }
    }
}
