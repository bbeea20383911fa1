using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Concat along any axis: one box per input (block copies where contiguous), requantized per element when an input's quantization differs from the output's. Printed from the core's DataMovement.Plan.</summary>
    public sealed class ConcatLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Concat;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Copy() };

        private sealed class Copy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => StridedCopyWriter.Plan(node);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => StridedCopyWriter.Emit(e, w, node);
        }
    }
}
