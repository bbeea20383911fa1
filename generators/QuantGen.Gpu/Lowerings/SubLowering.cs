using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Sub: one thread per output element, both branches at one shift, the second subtracted, one rounding, clamp.</summary>
    public sealed class SubLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Sub;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var sub = (SubLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            (string ea, string eb) = BinaryOperands.Declare(em, kern, node);
            kern.What = "one thread per output element: both branches rescaled to the output scale at one shift, subtracted, rounded once, clamped";
            AddLowering.SingleRounding(kern.Body, sub.Integers, ea, a.Quant!.ZeroPoint, eb, b.Quant!.ZeroPoint, "-", y);
        }
    }
}
