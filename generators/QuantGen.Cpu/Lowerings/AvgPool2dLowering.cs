using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>2-D average pooling with a window: per output, the sum of the shifted taps inside the input, then the dyadic of its divisor.</summary>
    public sealed class AvgPool2dLowering : CpuLowering
    {
        public override OpKind Op => OpKind.AvgPool2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var p = (AvgPool2dLayer)node.Layer;
                int[] xs = node.Inputs[0].Shape, ys = node.Output.Shape;
                TensorInfo y = node.Output;
                int taps = p.Kernel[0] * p.Kernel[1];
                int mOff = e.AddInts(p.Integers.Requant.Select(d => d.Multiplier).ToArray()), sOff = e.AddInts(p.Integers.Requant.Select(d => d.Shift).ToArray());
                w.Line($"// Dyadics S_in / (S_out c) for the divisors c = 1..{taps} (blob offsets {mOff}, {sOff}); count_include_pad = {(p.CountIncludePad ? 1 : 0)}.");
                w.Line($"ReadOnlySpan<int> mult = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, {mOff}, {taps * 4}));");
                w.Line($"ReadOnlySpan<int> shift = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, {sOff}, {taps * 4}));");
                w.Open($"for (int plane = 0; plane < {xs[0] * xs[1]}; plane++)");
                w.Open($"for (int oh = 0; oh < {ys[2]}; oh++)");
                w.Open($"for (int ow = 0; ow < {ys[3]}; ow++)");
                w.Line("long sum = 0;");
                if (!p.CountIncludePad)
            {
                w.Line("int count = 0;");
            }


                w.Open($"for (int i = 0; i < {p.Kernel[0]}; i++)");
                w.Line($"int h = oh * {p.Strides[0]} - {p.Pads[0]} + i;");
                w.Open($"if ((uint)h >= {xs[2]}u)");
                w.Line("continue;");
                w.Close();
                w.Open($"for (int j = 0; j < {p.Kernel[1]}; j++)");
                w.Line($"int c = ow * {p.Strides[1]} - {p.Pads[1]} + j;");
                w.Open($"if ((uint)c >= {xs[3]}u)");
                w.Line("continue;");
                w.Close();
                w.Line($"sum += (long)x[(plane * {xs[2]} + h) * {xs[3]} + c] - {CSharp.I(node.Inputs[0].Quant!.ZeroPoint)};");
                if (!p.CountIncludePad)
            {
                w.Line("count++;");
            }


                w.Close();
                w.Close();
                w.Line($"int k = {(p.CountIncludePad ? CSharp.I(taps) : "count")} - 1;");
                w.Line($"y[(plane * {ys[2]} + oh) * {ys[3]} + ow] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(sum * mult[k], shift[k]), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
                w.Close();
                w.Close();
                w.Close();
            }
        }
    }
}
