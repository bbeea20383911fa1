using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Concat along any axis: one thread per output element, requantized where an input's quantization differs from the output's. Printed from the core's DataMovement.Plan.</summary>
    public sealed class ConcatLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Concat;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node) => StridedCopyKernel.Emit(em, kern, node);
    }
}
