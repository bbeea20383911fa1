using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Gather with static indices: one box per index, block copies of contiguous slabs: one thread per output element. Printed from the core's DataMovement.Plan.</summary>
    public sealed class GatherLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Gather;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node) => StridedCopyKernel.Emit(em, kern, node);
    }
}
