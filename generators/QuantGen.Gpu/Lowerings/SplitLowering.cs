using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Split along any axis: one kernel writing every output buffer, one thread per element. Printed from the core's DataMovement.Plan.</summary>
    public sealed class SplitLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Split;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node) => StridedCopyKernel.Emit(em, kern, node);
    }
}
