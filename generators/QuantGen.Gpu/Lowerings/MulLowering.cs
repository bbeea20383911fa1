using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Mul: one thread per output element, the exact int64 product, one dyadic, clamp.</summary>
    public sealed class MulLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Mul;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            Dyadic d = ((MulLayer)node.Layer).Integers.Requant;
            (string ea, string eb) = BinaryOperands.Declare(em, kern, node);
            kern.What = "one thread per output element: (a - za)(b - zb) in int64, one dyadic S_a S_b / S_out, clamp";
            kern.Body.Line($"long p = ((long){ea} - {GpuEmitter.L(a.Quant!.ZeroPoint)}) * ((long){eb} - {GpuEmitter.L(b.Quant!.ZeroPoint)});");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})QuantGenGpuKernels.Clamp({GpuEmitter.L(y.Quant!.ZeroPoint)} + {GpuEmitter.Requant("p", d)}, {GpuEmitter.L(y.Type.MinValue)}, {GpuEmitter.L(y.Type.MaxValue)});");
        }
    }
}
