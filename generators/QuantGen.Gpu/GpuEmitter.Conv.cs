using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Cpu;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>
    /// Conv2d and MaxPool2d kernels for the GPU session (docs/gpu.md): one thread per output element, the reference
    /// interpreter's loop order and integer widths, per-channel requantization as in Dense.
    /// </summary>
    internal sealed partial class GpuEmitter
    {
        internal void EmitConv2d(GpuKernel k, GraphNode node, Conv2dLayer cv)
        {
            SourceWriter body = k.Body;
            TensorInfo x = node.Inputs[0], wt = node.Weight!, y = node.Output;
            int[] s = x.Shape, ws = wt.Shape, os = y.Shape;
            int c = s[1], h = s[2], wd = s[3];
            int outC = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], og = outC / cv.Group;
            int oh = os[2], ow = os[3], taps = cg * kh * kw;
            int sh = cv.Strides[0], sw = cv.Strides[1], pt = cv.Pads[0], pl = cv.Pads[1];
            int[] weights = wt.IntData!;
            int[] bias = node.Bias?.IntData ?? new int[outC];
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string ty = CType(y.Type);

            // int32 arithmetic where the range analysis proved both every product and every partial sum (bias first, then any
            // subset of the products) fit int32; int64 otherwise.
            LayerRanges lr = plan.Model.Layer(node).Ranges;
            IntRange? product = lr.Find("product"), acc = lr.Find("acc");
            bool int32 = product.HasValue && acc.HasValue && Fits32(product.Value) && Fits32(acc.Value);
            bool narrow = wt.Type.IsSigned && wt.Type.Bits <= 8;
            int wOff = narrow ? AddW8(weights) : AddC32(weights);
            int bOff = AddC32(bias);
            int mOff = AddC32(cv.Integers.Requant.Select(r => r.Multiplier));
            int sOff = AddC32(cv.Integers.Requant.Select(r => r.Shift));
            k.UseW8 = narrow;
            k.UseC32 = true;
            string wv = narrow ? "w8" : "c32", a = int32 ? "int" : "long";
            body.Line("int i = index;");
            body.Line($"int x0 = i % {ow};");
            body.Line($"int t = i / {ow};");
            body.Line($"int y0 = t % {oh};");
            body.Line($"t /= {oh};");
            body.Line($"int o = t % {outC};");
            body.Line(cv.Group == 1 ? $"int xc = (t / {outC}) * {c * h * wd};" : $"int xc = ((t / {outC}) * {c} + (o / {og}) * {cg}) * {h * wd};");
            body.Line(wOff == 0 ? $"int wo = o * {taps};" : $"int wo = {wOff} + o * {taps};");
            body.Line($"{a} acc = c32[{bOff} + o];");
            body.Open($"for (int ci = 0; ci < {cg}; ci++)");
            body.Open($"for (int ki = 0; ki < {kh}; ki++)");
            body.Line($"int ih = {CpuEmitter.Window("y0", sh, pt)} + ki;");
            body.Open($"if (ih >= 0 && ih < {h})");
            body.Open($"for (int kj = 0; kj < {kw}; kj++)");
            body.Line($"int iw = {CpuEmitter.Window("x0", sw, pl)} + kj;");
            body.Open($"if (iw >= 0 && iw < {wd})");
            body.Line(int32
                ? $"acc += {CpuEmitter.Minus($"x[xc + (ci * {h} + ih) * {wd} + iw]", zx)} * {wv}[wo + (ci * {kh} + ki) * {kw} + kj];"
                : $"acc += {CpuEmitter.Minus($"(long)x[xc + (ci * {h} + ih) * {wd} + iw]", zx)} * {wv}[wo + (ci * {kh} + ki) * {kw} + kj];");
            body.Close();
            body.Close();
            body.Close();
            body.Close();
            body.Close();
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({L(zo)} + QuantGenGpuKernels.RoundShift((long)acc * c32[{mOff} + o], c32[{sOff} + o]), {L(cv.Integers.Clamp.Lo)}, {L(cv.Integers.Clamp.Hi)});");
            string what = $"one thread per output element: {cv.Group} group(s), kernel {kh}x{kw}, strides [{sh}, {sw}], pads [{string.Join(", ", cv.Pads)}], " +
                          $"positions in the padding skipped (they add 0); {(int32 ? $"int32 accumulation (products {product} and accumulator {acc} proven to fit)" : "int64 accumulation (the proven ranges need more than 31 bits)")}; " +
                          "per-channel requantization and clamp fused";
            k.Threads = I(y.ElementCount);
            k.What = what;
            return;
        }

        private static bool Fits32(IntRange r) => r.Min >= int.MinValue && r.Max <= int.MaxValue;

        internal static void EmitMaxPool2d(GpuKernel k, GraphNode node, MaxPool2dLayer mp)
        {
            SourceWriter body = k.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            int h = x.Shape[2], wd = x.Shape[3], oh = y.Shape[2], ow = y.Shape[3];
            int kh = mp.Kernel[0], kw = mp.Kernel[1], sh = mp.Strides[0], sw = mp.Strides[1], pt = mp.Pads[0], pl = mp.Pads[1];
            string ty = CType(y.Type);
            body.Line("int i = index;");
            body.Line($"int x0 = i % {ow};");
            body.Line($"int t = i / {ow};");
            body.Line($"int y0 = t % {oh};");
            body.Line($"int xp = (t / {oh}) * {h * wd};");
            body.Line($"int h0 = {CpuEmitter.Window("y0", sh, pt)};");
            body.Line($"int w0 = {CpuEmitter.Window("x0", sw, pl)};");
            body.Line($"int hs = h0 < 0 ? 0 : h0;");
            body.Line($"int he = h0 + {kh} > {h} ? {h} : h0 + {kh};");
            body.Line($"int ws = w0 < 0 ? 0 : w0;");
            body.Line($"int we = w0 + {kw} > {wd} ? {wd} : w0 + {kw};");
            body.Line($"{ty} best = x[xp + hs * {wd} + ws];");
            body.Open("for (int r = hs; r < he; r++)");
            body.Open("for (int q = ws; q < we; q++)");
            body.Line($"{ty} v = x[xp + r * {wd} + q];");
            body.Line("if (v > best) best = v;");
            body.Close();
            body.Close();
            body.Line("y[i] = best;");
            string what = $"one thread per output element: maximum over the {kh}x{kw} window (strides [{sh}, {sw}], pads [{string.Join(", ", mp.Pads)}]) clipped to the input, so padding never wins";
            k.Threads = I(y.ElementCount);
            k.What = what;
            return;
        }
    }
}
