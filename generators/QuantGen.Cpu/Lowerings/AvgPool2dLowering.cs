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

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Int8(), new Loop() };

        /// <summary>
        /// int8 in and out, 4-D: QuantGenDepthwiseKernels.AvgPool, either layout in and out as the plan says (a channels-last
        /// input sums 16 channels per vector; a 1x1 output, the global pools, is the same bytes in both layouts).
        /// </summary>
        private sealed class Int8 : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
                CSharp.Type(node.Inputs[0].Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && node.Inputs[0].Shape.Length == 4
                    ? new CpuKernelPlan("int8-avgpool") { Library = KernelFiles.Kernels | KernelFiles.DepthwiseKernels, Layout = CpuLayout.Convertible }
                    : null;

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var p = (AvgPool2dLayer)node.Layer;
                TensorInfo x = node.Inputs[0], y = node.Output;
                int[] s = x.Shape, os = y.Shape;
                int taps = p.Kernel[0] * p.Kernel[1], inLen = s[1] * s[2] * s[3], outLen = os[1] * os[2] * os[3];
                bool inLast = e.Plan.IsChannelsLast(x), outLast = e.Plan.IsChannelsLast(y);
                int mOff = e.AddInts(p.Integers.Requant.Select(d => d.Multiplier).ToArray()), sOff = e.AddInts(p.Integers.Requant.Select(d => d.Shift).ToArray());
                w.Line($"// Kernel int8-avgpool: {(inLast ? "channels-last" : "NCHW")} in, {(outLast ? "channels-last" : "NCHW")} out; per output the sum of x - zx over the window clipped to the input{(inLast ? " (16 channels per vector)" : string.Empty)},");
                w.Line($"// then the dyadic S_in / (S_out c) of its divisor c = 1..{taps} (blob offsets {mOff}, {sOff}; count_include_pad = {(p.CountIncludePad ? 1 : 0)}).");
                w.Open($"for (int b = 0; b < {s[0]}; b++)");
                w.Line(KernelLibrary.Call("QuantGenDepthwiseKernels", "AvgPool", $"x.Slice(b * {inLen}, {inLen})", inLast ? "true" : "false", outLast ? "true" : "false", CSharp.I(s[1]), CSharp.I(s[2]), CSharp.I(s[3]),
                    CSharp.I(p.Kernel[0]), CSharp.I(p.Kernel[1]), CSharp.I(p.Strides[0]), CSharp.I(p.Strides[1]), CSharp.I(p.Pads[0]), CSharp.I(p.Pads[1]), CSharp.I(os[2]), CSharp.I(os[3]),
                    CSharp.I(x.Quant!.ZeroPoint), p.CountIncludePad ? "true" : "false", $"ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {mOff}))",
                    $"ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {sOff}))", CSharp.I(y.Quant!.ZeroPoint), $"y.Slice(b * {outLen}, {outLen})") + ";");
                w.Close();
            }
        }

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
                w.Line($"ReadOnlySpan<int> mult = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {mOff}, {taps * 4}));");
                w.Line($"ReadOnlySpan<int> shift = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {sOff}, {taps * 4}));");
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
