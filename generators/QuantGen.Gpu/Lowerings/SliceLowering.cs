using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Slice with static starts, ends and steps: one thread per output element. Printed from the core's DataMovement.Plan.</summary>
    public sealed class SliceLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Slice;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node) => StridedCopyKernel.Emit(em, kern, node);
    }
}
