using QuantGen.Graph;
using QuantGen.Operators;

namespace QuantGen.Gpu
{
    /// <summary>
    /// HardSigmoid/HardSwish on an input wider than 8 bits: one thread per element computing the exact integer form
    /// (<see cref="PiecewiseLinear"/>) in int64, as the reference interpreter does.
    /// </summary>
    internal static class PiecewiseLinearLowering
    {
        internal static void Emit(GpuKernel kern, GraphNode node, PiecewiseLinear p)
        {
            TensorInfo x = node.Inputs[0], y = node.Output;
            string product = p.Product ? "d * g" : "g";
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per element: the exact {node.Layer.Op}, d = x - z_x, g = clamp(d M + B, 0, C), y = clamp(z_y + round({product} / 2^{p.Shift})); {p}";
            kern.Body.Line("int i = index;");
            kern.Body.Line($"long d = x[i] - ({GpuEmitter.I(x.Quant!.ZeroPoint)});");
            kern.Body.Line($"long g = (d * {GpuEmitter.L(p.Multiplier)}) + ({GpuEmitter.L(p.Offset)});");
            kern.Body.Line($"g = g < 0 ? 0 : (g > {GpuEmitter.L(p.Ceiling)} ? {GpuEmitter.L(p.Ceiling)} : g);");
            kern.Body.Line($"long v = ({GpuEmitter.I(y.Quant!.ZeroPoint)}) + ((({product}) + {GpuEmitter.L(1L << (p.Shift - 1))}) >> {p.Shift});");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})(v < ({GpuEmitter.I(y.Type.MinValue)}) ? ({GpuEmitter.I(y.Type.MinValue)}) : (v > {GpuEmitter.I(y.Type.MaxValue)} ? {GpuEmitter.I(y.Type.MaxValue)} : v));");
        }
    }
}
