using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>2-D average pooling with a window: one thread per output element, the dyadic of its divisor from the int32 constants.</summary>
    public sealed class AvgPool2dLowering : GpuLowering
    {
        public override OpKind Op => OpKind.AvgPool2d;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var p = (AvgPool2dLayer)node.Layer;
            int[] xs = node.Inputs[0].Shape, ys = node.Output.Shape;
            TensorInfo y = node.Output;
            int taps = p.Kernel[0] * p.Kernel[1];
            kern.UseC32 = true;
            int mOff = em.AddC32(p.Integers.Requant.Select(d => d.Multiplier)), sOff = em.AddC32(p.Integers.Requant.Select(d => d.Shift));
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per output element: the sum of the window's taps inside the input, then the dyadic S_in / (S_out c) of its divisor (count_include_pad = {(p.CountIncludePad ? 1 : 0)})";
            SourceWriter b = kern.Body;
            b.Line("int o = index;");
            b.Line($"int ow = o % {ys[3]};");
            b.Line($"int oh = (o / {ys[3]}) % {ys[2]};");
            b.Line($"int plane = o / {ys[3] * ys[2]};");
            b.Line("long sum = 0;");
            if (!p.CountIncludePad)
            {
                b.Line("int count = 0;");
            }


            b.Open($"for (int i = 0; i < {p.Kernel[0]}; i++)");
            b.Line($"int h = oh * {p.Strides[0]} - {p.Pads[0]} + i;");
            b.Open($"for (int j = 0; j < {p.Kernel[1]}; j++)");
            b.Line($"int c = ow * {p.Strides[1]} - {p.Pads[1]} + j;");
            b.Open($"if (h >= 0 && h < {xs[2]} && c >= 0 && c < {xs[3]})");
            b.Line($"sum += (long)x[(plane * {xs[2]} + h) * {xs[3]} + c] - {GpuEmitter.L(node.Inputs[0].Quant!.ZeroPoint)};");
            if (!p.CountIncludePad)
            {
                b.Line("count++;");
            }


            b.Close();
            b.Close();
            b.Close();
            b.Line($"int k = {(p.CountIncludePad ? GpuEmitter.I(taps) : "count")} - 1;");
            b.Line($"long m = c32[{mOff} + k];");
            b.Line($"int s = c32[{sOff} + k];");
            b.Line("long r = s == 0 ? sum * m : ((sum * m + (1L << (s - 1))) >> s);");
            b.Line($"y[o] = ({GpuEmitter.CType(y.Type)})QuantGenGpuKernels.Clamp({GpuEmitter.L(y.Quant!.ZeroPoint)} + r, {GpuEmitter.L(y.Type.MinValue)}, {GpuEmitter.L(y.Type.MaxValue)});");
        }
    }
}
