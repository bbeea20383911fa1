using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Conv2d and MaxPool2d for the CPU path (docs/generator.md, "Conv2d"). Same integer semantics as the reference
    /// interpreter: acc = bias[o] + sum (x - zx) * w over the window (padding contributes 0), then the Dense
    /// requantization zo + RoundShift(acc * m[o], s[o]) and the layer's clamp.
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        internal void EmitConv2d(SourceWriter w, GraphNode node, ConvPlan plan)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo x = node.Inputs[0], wt = node.Weight!, y = node.Output;
            int[] s = x.Shape, ws = wt.Shape, os = y.Shape;
            int batch = s[0], c = s[1], h = s[2], wd = s[3];
            int outC = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], groups = cv.Group, og = outC / groups;
            int oh = os[2], ow = os[3], positions = oh * ow, taps = cg * kh * kw;
            int sh = cv.Strides[0], sw = cv.Strides[1], pt = cv.Pads[0], pl = cv.Pads[1];
            int[] weights = wt.IntData!;
            int[] bias = node.Bias?.IntData ?? new int[outC];
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string ty = CType(y.Type), lo = I(cv.Integers.Clamp.Lo), hi = I(cv.Integers.Clamp.Hi);
            long dMin = plan.DMin, dMax = plan.DMax;
            IntRange? acc = plan.Accumulator;
            Static("int", $"{id}_Bias", bias, v => I(v));
            Static("int", $"{id}_Mul", cv.Integers.Requant.Select(r => r.Multiplier), v => I(v));
            Static("byte", $"{id}_Shift", cv.Integers.Requant.Select(r => r.Shift), v => I(v));
            string requant = $"({ty})QuantGenKernels.Clamp({I(zo)} + QuantGenKernels.RoundShift(acc[p] * m, sft), {lo}, {hi})";
            w.Line($"// Conv2d: {groups} group(s) of {cg} input x {og} output channels, kernel {kh}x{kw}, strides [{sh}, {sw}], pads [{string.Join(", ", cv.Pads)}];");
            w.Line($"// acc = bias + sum (x - zx) * w over the window (padding adds 0), zx = {I(zx)}; then zo + RoundShift(acc * m[o], s[o]) clamped to [{lo}, {hi}], zo = {I(zo)}.");
            if (plan.Kernel == Conv2dLowering.Im2ColKernel)
            {
                int pairs = (taps + 1) / 2, pp = (positions + 15) / 16 * 16;
                var packed = new int[outC * pairs];
                for (int o = 0; o < outC; o++)
                {
                    for (int q = 0; q < pairs; q++)
                    {
                        int k0 = 2 * q, k1 = k0 + 1;
                        int w0 = weights[o * taps + k0], w1 = k1 < taps ? weights[o * taps + k1] : 0;
                        packed[o * pairs + q] = (int)((uint)(ushort)(short)w0 | ((uint)(ushort)(short)w1 << 16));
                    }
                }

                int offset = AddInts(packed);
                fields.Add($"private readonly short[] _col_{id} = new short[{pairs * pp * 2}]; // layer \"{node.Layer.Name}\": im2col of one group, [{pairs}][{pp}][2] int16");
                fields.Add($"private readonly int[] _acc_{id} = new int[{pp}]; // layer \"{node.Layer.Name}\": int32 accumulators of one output channel");
                int ph = ((oh - 1) * sh) + kh, pw = ((ow - 1) * sw) + kw;
                fields.Add($"private readonly short[] _plane_{id} = new short[{ph * pw}]; // layer \"{node.Layer.Name}\": one input channel, zero-padded, [{ph}][{pw}] int16");
                w.Line($"// Kernel int16-im2col-pmaddwd: per image and group, x - zx (proven in [{dMin}, {dMax}], fits int16) as [{pairs}][{pp}][2] int16 pairs of taps");
                w.Line("// (each input channel copied once into a zero-padded plane, then one strided copy per tap),");
                w.Line($"// then per output channel one vpmaddwd per pair of taps for 16/8/4 positions; weights packed as int16 pairs at blob offset {offset}.");
                w.Line($"// Exact: int16 x int16 products, and every partial sum lies in the proven accumulator range {(acc.HasValue ? acc.Value.ToString() : "(none)")} (int32).");
                w.Line($"Span<short> col = _col_{id};");
                w.Line($"Span<int> acc = _acc_{id};");
                w.Line($"ref int wp = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {offset}));");
                w.Line($"ReadOnlySpan<int> bias = {id}_Bias;");
                w.Line($"ReadOnlySpan<int> mul = {id}_Mul;");
                w.Line($"ReadOnlySpan<byte> shift = {id}_Shift;");
                w.Open($"for (int b = 0; b < {batch}; b++)");
                w.Line($"ReadOnlySpan<{CType(x.Type)}> image = x.Slice(b * {c * h * wd}, {c * h * wd});");
                w.Open($"for (int g = 0; g < {groups}; g++)");
                w.Line(Conv("Im2ColPairs", "image", $"g * {cg}", I(cg), I(h), I(wd), I(kh), I(kw), I(sh), I(sw), I(pt), I(pl), I(oh), I(ow), I(zx), "col", I(pp), $"_plane_{id}") + ";");
                w.Open($"for (int o = g * {og}; o < (g + 1) * {og}; o++)");
                w.Line(Conv("ConvRow", "ref MemoryMarshal.GetReference(col)", I(pp), I(pairs), $"ref Unsafe.Add(ref wp, o * {pairs})", "bias[o]", "ref MemoryMarshal.GetReference(acc)") + ";");
                if (ty == "sbyte")
                {
                    w.Line(Conv("RequantRowS8", "ref MemoryMarshal.GetReference(acc)", I(positions), "mul[o]", "shift[o]", I(zo), lo, hi, $"ref y[(b * {outC} + o) * {positions}]") + ";");
                }
                else
                {
                    w.Line("long m = mul[o];");
                    w.Line("int sft = shift[o];");
                    w.Line($"Span<{ty}> yo = y.Slice((b * {outC} + o) * {positions}, {positions});");
                    w.Open($"for (int p = 0; p < {positions}; p++)");
                    w.Line($"yo[p] = {requant};");
                    w.Close();
                }
                w.Close();
                w.Close();
                w.Close();
                return;
            }

            int wOffset = AddInts(weights);
            w.Line($"// Kernel scalar-int64: x - zx in [{dMin}, {dMax}] with {wt.Type} weights does not fit int16 lanes; direct convolution, exact int64 accumulation.");
            w.Line($"ReadOnlySpan<int> wt = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {wOffset}, {weights.Length * 4}));");
            w.Line($"ReadOnlySpan<int> bias = {id}_Bias;");
            w.Line($"ReadOnlySpan<int> mul = {id}_Mul;");
            w.Line($"ReadOnlySpan<byte> shift = {id}_Shift;");
            w.Open($"for (int b = 0; b < {batch}; b++)");
            w.Open($"for (int o = 0; o < {outC}; o++)");
            w.Line(groups == 1 ? $"int xc = b * {c * h * wd};" : $"int xc = (b * {c} + (o / {og}) * {cg}) * {h * wd};");
            w.Open($"for (int y0 = 0; y0 < {oh}; y0++)");
            w.Open($"for (int x0 = 0; x0 < {ow}; x0++)");
            w.Line("long a = bias[o];");
            w.Open($"for (int ci = 0; ci < {cg}; ci++)");
            w.Open($"for (int i = 0; i < {kh}; i++)");
            w.Line($"int ih = {Window("y0", sh, pt)} + i;");
            w.Line($"if ((uint)ih >= {h}u) continue;");
            w.Open($"for (int j = 0; j < {kw}; j++)");
            w.Line($"int iw = {Window("x0", sw, pl)} + j;");
            w.Line($"if ((uint)iw >= {wd}u) continue;");
            w.Line($"a += {Minus($"(long)x[xc + (ci * {h} + ih) * {wd} + iw]", zx)} * wt[((o * {cg} + ci) * {kh} + i) * {kw} + j];");
            w.Close();
            w.Close();
            w.Close();
            w.Line($"y[((b * {outC} + o) * {oh} + y0) * {ow} + x0] = ({ty})QuantGenKernels.Clamp({I(zo)} + QuantGenKernels.RoundShift(a * mul[o], shift[o]), {lo}, {hi});");
            w.Close();
            w.Close();
            w.Close();
            w.Close();
        }

        private static string Conv(string method, params string[] args) => KernelLibrary.Call("QuantGenConvKernels", method, args);

        /// <summary>The first input row (column) of output position v: v * stride - pad, without the no-op terms.</summary>
        internal static string Window(string v, int stride, int pad) => (stride == 1 ? v : $"{v} * {stride}") + (pad == 0 ? string.Empty : $" - {pad}");

        /// <summary>(expr - z) written without a double minus; parenthesized.</summary>
        internal static string Minus(string expr, long z) => z == 0 ? expr : z < 0 ? $"({expr} + {I(-z)})" : $"({expr} - {I(z)})";

        internal static void EmitMaxPool2d(SourceWriter w, GraphNode node, MaxPool2dLayer mp)
        {
            TensorInfo x = node.Inputs[0], y = node.Output;
            int[] s = x.Shape, os = y.Shape;
            int planes = s[0] * s[1], h = s[2], wd = s[3], oh = os[2], ow = os[3];
            int kh = mp.Kernel[0], kw = mp.Kernel[1], sh = mp.Strides[0], sw = mp.Strides[1], pt = mp.Pads[0], pl = mp.Pads[1];
            string ty = CType(y.Type);
            w.Line($"// MaxPool2d: kernel {kh}x{kw}, strides [{sh}, {sw}], pads [{string.Join(", ", mp.Pads)}]; the window is clipped to the input, so padding never wins");
            w.Line("// (every window holds an input position: pads are smaller than the kernel). Same quantization in and out.");
            w.Open($"for (int plane = 0; plane < {planes}; plane++)");
            w.Line($"ReadOnlySpan<{CType(x.Type)}> xp = x.Slice(plane * {h * wd}, {h * wd});");
            w.Line($"Span<{ty}> yp = y.Slice(plane * {oh * ow}, {oh * ow});");
            if (mp.Pads.All(p => p == 0) && kh * kw <= 16)
            {
                // No padding: every window lies inside the input, so it is unrolled at constant offsets.
                w.Open($"for (int y0 = 0; y0 < {oh}; y0++)");
                w.Open($"for (int x0 = 0; x0 < {ow}; x0++)");
                w.Line($"int o0 = {Window("y0", sh, 0)} * {wd} + {Window("x0", sw, 0)};");
                w.Line($"{ty} best = xp[o0], v;");
                for (int t = 1; t < kh * kw; t++)
                {
                    w.Line($"v = xp[o0 + {(t / kw * wd) + (t % kw)}];");
                    w.Line("if (v > best) best = v;");
                }

                w.Line($"yp[y0 * {ow} + x0] = best;");
                w.Close();
                w.Close();
                w.Close();
                return;
            }

            w.Open($"for (int y0 = 0; y0 < {oh}; y0++)");
            w.Line($"int h0 = {Window("y0", sh, pt)};");
            w.Line($"int hs = h0 < 0 ? 0 : h0, he = h0 + {kh} > {h} ? {h} : h0 + {kh};");
            w.Open($"for (int x0 = 0; x0 < {ow}; x0++)");
            w.Line($"int w0 = {Window("x0", sw, pl)};");
            w.Line($"int ws = w0 < 0 ? 0 : w0, we = w0 + {kw} > {wd} ? {wd} : w0 + {kw};");
            w.Line($"{ty} best = xp[hs * {wd} + ws];");
            w.Open("for (int i = hs; i < he; i++)");
            w.Open("for (int j = ws; j < we; j++)");
            w.Line($"{ty} v = xp[i * {wd} + j];");
            w.Line("if (v > best) best = v;");
            w.Close();
            w.Close();
            w.Line($"yp[y0 * {ow} + x0] = best;");
            w.Close();
            w.Close();
            w.Close();
        }
    }
}
