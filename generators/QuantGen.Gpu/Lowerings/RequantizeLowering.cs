using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Requantize: one box, every element clamp(z_out + RoundShift((x - z_in) * m, s)): one thread per output element. Printed from the core's DataMovement.Plan.</summary>
    public sealed class RequantizeLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Requantize;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node) => StridedCopyKernel.Emit(em, kern, node);
    }
}
