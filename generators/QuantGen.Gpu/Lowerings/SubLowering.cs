using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>Sub: one thread per output element, each branch rescaled to the output scale, the second subtracted, clamp.</summary>
    public sealed class SubLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Sub;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var sub = (SubLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            (string ea, string eb) = BinaryOperands.Declare(em, kern, node);
            kern.What = "one thread per output element: each branch rescaled to the output scale separately, subtracted, clamped";
            kern.Body.Line($"long va = {GpuEmitter.Requant($"(long){ea} - {GpuEmitter.L(a.Quant!.ZeroPoint)}", sub.Integers.RequantA)};");
            kern.Body.Line($"long vb = {GpuEmitter.Requant($"(long){eb} - {GpuEmitter.L(b.Quant!.ZeroPoint)}", sub.Integers.RequantB)};");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})QuantGenGpuKernels.Clamp({GpuEmitter.L(y.Quant!.ZeroPoint)} + va - vb, {GpuEmitter.L(y.Type.MinValue)}, {GpuEmitter.L(y.Type.MaxValue)});");
        }
    }
}
