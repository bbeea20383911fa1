using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Requantize: int8 rows on int32 lanes (<see cref="RequantizeRows"/>), else one box, every element clamp(z_out + RoundShift((x - z_in) * m, s)). Printed from the core's DataMovement.Plan.</summary>
    public sealed class RequantizeLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Requantize;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new RequantizeRows(), new Copy() };

        private sealed class Copy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => StridedCopyWriter.Plan(node);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => StridedCopyWriter.Emit(e, w, node);
        }
    }
}
