using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Reshape: an alias of the input's device buffer (the emitter launches nothing for it).</summary>
    public sealed class ReshapeLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Reshape;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            kern.Threads = "0";
            kern.What = "no kernel: the output aliases the input buffer";
        }
    }
}
