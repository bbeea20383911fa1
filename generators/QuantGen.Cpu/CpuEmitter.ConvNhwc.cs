using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The channels-last int8 convolutions (docs/performance.md, "Convolutions channels-last"): the plan says which
    /// activations are NHWC; these layers read and write either layout, transposing only at the graph's edges.
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        /// <summary>
        /// An int8 one-group Conv2d as a GEMM on the Dense kernels: rows = output positions, K = kh * kw * C taps in the order
        /// (row, column, channel), weights packed at build time in that order. acc = bias + sum (x - zx) w =
        /// [bias - zx sum w] + sum x w: padding holds x = zx (the padded image), so it adds nothing and nothing tests a position.
        /// </summary>
        internal void EmitConvGemm(SourceWriter w, GraphNode node, ConvPlan plan)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo x = node.Inputs[0], wt = node.Weight!, y = node.Output;
            int[] s = x.Shape, ws = wt.Shape, os = y.Shape;
            int batch = s[0], c = s[1], h = s[2], wd = s[3];
            int n = ws[0], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3], positions = oh * ow;
            int sh = cv.Strides[0], sw = cv.Strides[1], pt = cv.Pads[0], pl = cv.Pads[1];
            (int ph, int pw) = Conv2dLowering.Window(node);
            long zx = x.Quant!.ZeroPoint;
            bool inLast = Plan.IsChannelsLast(x), outLast = Plan.IsChannelsLast(y);
            ResidualFusion? fused = Plan.FusedAdd(node);
            bool padded = !inLast || cv.Pads.Any(v => v != 0);
            bool oneByOne = !padded && kh == 1 && kw == 1 && sh == 1 && sw == 1;
            PaddedImage? padOut = Plan.PaddedImageOf(y);

            // The padded image of a 3-channel input (the RGB stems) gets a 4th channel (padding value, zero weights), so that a
            // kernel row is whole quads of taps and the VNNI tiles read it in place (implicit im2col).
            int cImg = Conv2dLowering.ImageChannels(c, padded), k = cImg * kh * kw;

            // Weights [n][c][kh][kw] -> GEMM rows [n][(i * kw + j) * cImg + ch] (zero for ch >= c).
            int[] src = wt.IntData!;
            var rows = new int[n * k];
            for (int o = 0; o < n; o++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            rows[(o * k) + (((i * kw) + j) * cImg) + ch] = src[(((((o * c) + ch) * kh) + i) * kw) + j];
                        }
                    }
                }
            }

            int[] bias = node.Bias?.IntData ?? new int[n];
            var g = new DenseGemm(id, n, k, cv.Integers.Clamp.Lo, cv.Integers.Clamp.Hi, y.Quant!.ZeroPoint);
            g.Offset = AddPackedQuads(rows, n, k, g.Np8);
            var folded = new long[n];
            var unsigned = new long[n];
            for (int o = 0; o < n; o++)
            {
                long sum = rows.Skip(o * k).Take(k).Sum(v => (long)v);
                folded[o] = bias[o] - (zx * sum);
                unsigned[o] = folded[o] - (128 * sum);
            }

            g.Zo = EmitRequantStatics(id, n, g.NpStatics, o => unchecked((int)folded[o]), o => cv.Integers.Requant[o], y.Quant!.ZeroPoint);
            Static("int", $"{id}_BiasU32", Enumerable.Range(0, g.NpStatics).Select(o => o < n ? unchecked((int)unsigned[o]) : 0), v => I(v));
            statics.Line($"private static short[]? s_{id}_Pairs; // {id}'s weights in the int16 pair layout, built on first use where AVX-VNNI is missing");

            int inLen = c * h * wd, outLen = n * positions, kStride = g.KQuads * 4;
            w.Line($"// Kernel int8-conv-nhwc-gemm: {(inLast ? "channels-last" : "NCHW")} in, {(outLast ? "channels-last" : "NCHW")} out; a GEMM of {positions} positions x {k} taps (row, column, channel) -> {n} channels,");
            w.Line($"// weights packed as [{g.KQuads}][{g.Np8}][4] int8 at blob offset {g.Offset}, bias - zx * sum(w) folded (padding holds x = zx = {I(zx)}, so it adds nothing).");
            w.Line($"// {(oneByOne ? "A 1x1 stride-1 conv: the channels-last input is the GEMM's left operand." : $"im2col: per position {kh} contiguous runs of {kw * cImg} bytes of the {(padded ? $"zero-point padded [{ph}][{pw}][{cImg}] image" : "input")}.")}");
            if (cImg != c)
            {
                w.Line($"// The image has {cImg} channels per pixel for the input's {c}: the extra channel holds the padding value and meets zero weights.");
            }

            if (padded && (kw * cImg) % 4 == 0)
            {
                w.Line("// AVX-VNNI: implicit im2col, the tiles read those runs from the padded image of u = x + 128 (no patch matrix).");
            }

            w.Line($"// Exact for every int8 value (u8 x s8 products of vpdpbusd, or int16 pairs of vpmaddwd); the accumulator range {plan.Accumulator} was proven to fit int32.");
            string[] requant = { $"ref MemoryMarshal.GetReference({id}_Mul64)", $"ref MemoryMarshal.GetReference({id}_Round64)", $"ref MemoryMarshal.GetReference({id}_Shift64)", I(g.Zo), I(g.Lo), I(g.Hi), "ref MemoryMarshal.GetReference(yb)", I(n) };
            w.Open($"for (int b = 0; b < {batch}; b++)");
            w.Line($"ReadOnlySpan<sbyte> xb = x.Slice(b * {inLen}, {inLen});");
            w.Line($"Span<sbyte> yb = {(outLast && fused == null && padOut == null ? $"y.Slice(b * {outLen}, {outLen})" : "_convOut")};");
            if (padOut != null)
            {
                w.Line($"// y is the next depthwise layer's padded [{padOut.Ph}][{padOut.Pw}][{n}] image of u = x ^ 0x80 (CpuPlan.PaddedImages): the GEMM's rows go to image rows");
                w.Line($"// {padOut.Pt}.. at column {padOut.Pl} ({padOut.Gap} border bytes between rows), the border holds zx ^ 0x80 = {I(padOut.Zx ^ 0x80)} (zx = {I(padOut.Zx)}); no padding pass.");
            }

            string[] addArgs = System.Array.Empty<string>();
            if (fused != null)
            {
                AddS8Plan ap = fused.Plan;
                TensorInfo ay = fused.Add.Output;
                w.Line($"// The residual Add \"{NamedTensorApi.Esc(fused.Add.Layer.Name)}\" is fused into this conv's store: y (its buffer) gets clamp((v * {fused.ConvM} + o * {fused.OtherM} + {ap.C}) >> {ap.S}, {CSharp.I(ap.Lo ?? ay.Type.MinValue)}, {CSharp.I(ay.Type.MaxValue)}),");
                w.Line($"// v the conv's int8 value (computed as without the Add), o the Add's other operand \"{NamedTensorApi.Esc(fused.Other.Name)}\" (AddS8's integers, proven exact in int32).");
                w.Line($"Span<sbyte> ya = y.Slice(b * {outLen}, {outLen});");
                w.Line($"ReadOnlySpan<sbyte> ob = {Buffer(fused.Other)}.Slice(b * {outLen}, {outLen});");
                addArgs = new[] { I(fused.ConvM), I(fused.OtherM), I(ap.C), I(ap.S), CSharp.I(ap.Lo ?? ay.Type.MinValue), CSharp.I(ay.Type.MaxValue) };
            }

            string image = "xb";
            int imagePw = wd;
            string padImage = cImg == c
                ? Conv("PadImage", "xb", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage") + ";"
                : Conv("PadImageWide", "xb", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage", "0", I(cImg)) + ";";

            // Implicit im2col (VNNI, a padded image, kernel rows of whole quads): the tiles read u = x + 128 from the image itself.
            bool implicitCol = padded && (kw * cImg) % 4 == 0;
            if (padded)
            {
                if (!implicitCol)
                {
                    w.Line(padImage);
                }

                image = "_convImage";
                imagePw = pw;
            }

            // VNNI reads whole quads of taps: rows kStride = 4 * ceil(K / 4) bytes apart (the pad bytes meet zero weights).
            bool direct = oneByOne && k % 4 == 0;
            w.Open("if (QuantGenKernels.UseVnni)");
            if (implicitCol && plan.StemStack && plan.MulHigh && fused == null)
            {
                EmitStemStack(w, node, g, inLast);
            }
            else if (implicitCol)
            {
                w.Line(cImg == c
                    ? Conv("PadImageXor", "xb", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage", "0x80") + ";"
                    : Conv("PadImageWide", "xb", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage", "0x80", I(cImg)) + ";");
                string[] head = { "_convImage", I(pw), I(cImg), I(kh), I(kw), I(sh), I(sw), I(oh), I(ow), $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {g.Offset}))",
                    I(g.Np8), I(n), $"ref MemoryMarshal.GetReference({id}_BiasU32)" };
                if (plan.MulHigh)
                {
                    EmitMulHighStatics(id, n, g.NpStatics + 1, o => cv.Integers.Requant[o], y.Quant!.ZeroPoint);
                    w.Line("// Requantized in int32 (ConvGemmImplicitHigh): every channel's shift is at least 33 and |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32),");
                    w.Line("// so (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the reference's zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc.");
                    string implicitHigh = Conv("ConvGemmImplicitHigh", head.Concat(new[] { $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)" })
                        .Concat(requant.Skip(4)).ToArray()) + ";";
                    if (plan.Stem8 && cImg == 4 && n == 8)
                    {
                        EmitStem8(w, node, rows, k, implicitHigh);
                    }
                    else
                    {
                        if (fused != null)
                        {
                            w.Open("if (QuantGenConvKernels.FusedAddVector)");
                            w.Line(Conv("ConvGemmImplicitHighAdd", head.Where((_, i) => i != 10).Concat(new[] { $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)",
                                $"ref MemoryMarshal.GetReference({id}_ShiftHi)", I(g.Lo), I(g.Hi), "ob" }).Concat(addArgs).Concat(new[] { "ya" }).ToArray()) + ";");
                            w.Line("continue;");
                            w.Close();
                        }

                        if (plan.Tiles32 && fused == null)
                        {
                            // 32k channels: the 4-position x 32-channel tiles where AVX-512BW runs (plan.Tiles32), the 6 x 16 tiles elsewhere.
                            w.Open("if (QuantGenPointwiseKernels.Implicit32Vector)");
                            w.Line(KernelLibrary.Call("QuantGenPointwiseKernels", "ConvImplicit32High", head.Concat(new[] { $"ref MemoryMarshal.GetReference({id}_MulHi)",
                                $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)" }).Concat(requant.Skip(4)).ToArray()) + ";");
                            w.Close();
                            w.Open("else");
                            w.Line(implicitHigh);
                            w.Close();
                        }
                        else
                        {
                            w.Line(implicitHigh);
                        }
                    }
                }
                else
                {
                    w.Line(Conv("ConvGemmImplicit", head.Concat(requant).ToArray()) + ";");
                }
            }
            else if (!direct && n <= 16)
            {
                // Few channels: im2col stores u = x + 128 and the narrow tiles (6 or 12 rows) broadcast plain loads.
                w.Line(Conv("Im2ColNhwc", image, I(imagePw), I(cImg), I(kh), I(kw), I(sh), I(sw), I(oh), I(ow), "_convCol", I(kStride), "true") + ";");
                w.Line(Conv("ConvGemmNarrow", new[] { "ref _convCol[0]", I(positions), I(kStride), $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {g.Offset}))",
                    I(g.KQuads), I(g.Np8), I(n), $"ref MemoryMarshal.GetReference({id}_BiasU32)" }.Concat(requant).ToArray()) + ";");
            }
            else
            {
                if (!direct)
                {
                    w.Line(Conv("Im2ColNhwc", image, I(imagePw), I(cImg), I(kh), I(kw), I(sh), I(sw), I(oh), I(ow), "_convCol", I(kStride), "false") + ";");
                }

                string[] gemmHead = { direct ? "ref MemoryMarshal.GetReference(xb)" : "ref _convCol[0]", I(positions), I(direct ? k : kStride), $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {g.Offset}))",
                    I(g.KQuads), I(g.Np8), I(n), $"ref MemoryMarshal.GetReference({id}_BiasU32)" };
                w.Line(plan.MulHigh
                    ? EmitGemmHighCall(w, node, gemmHead, g.NpStatics + 1, padOut)
                    : K("GemmVnni", gemmHead.Concat(new[] { "ref Unsafe.NullRef<int>()" }).Concat(requant).ToArray()) + ";");
                if (padOut != null)
                {
                    w.Line(Dw("PadBorderU", "y", I(n), I(oh), I(ow), I(padOut.Pt), I(padOut.Pl), I(padOut.Ph), I(padOut.Pw), $"(sbyte){I(padOut.Zx)}") + ";");
                }
            }

            w.Close();
            w.Open("else");
            if (implicitCol)
            {
                w.Line(padImage);
            }

            string rowsSrc = "xb";
            if (!oneByOne)
            {
                w.Line(Conv("Im2ColNhwc", image, I(imagePw), I(cImg), I(kh), I(kw), I(sh), I(sw), I(oh), I(ow), "_convCol", I(k), "false") + ";");
                rowsSrc = "_convCol";
            }

            w.Line("Span<short> xs = _gemmA;");
            w.Line(K("WidenRows", rowsSrc, I(positions), I(k), "0", "xs", I(g.KPairs * 2)) + ";");
            w.Line($"short[] wp = s_{id}_Pairs ??= {K("PairsFromQuads", "s_blob", "s_blobAt + " + I(g.Offset), I(n), I(k), I(g.Np8), I(g.Np16))};");
            w.Line(K("GemmRequant", new[] { "ref MemoryMarshal.GetReference(xs)", I(positions), I(g.KPairs * 2), "ref MemoryMarshal.GetArrayDataReference(wp)", I(g.KPairs), I(g.Np16), I(n),
                $"ref MemoryMarshal.GetReference({id}_Bias32)" }.Concat(requant).ToArray()) + ";");
            if (padOut != null)
            {
                w.Line(Dw("PadImageU", "_convOut", "true", I(n), I(oh), I(ow), I(padOut.Pt), I(padOut.Pl), I(padOut.Ph), I(padOut.Pw), $"(sbyte){I(padOut.Zx)}", "y") + ";");
            }

            w.Close();
            if (fused != null)
            {
                w.Line(K("AddS8", "yb", addArgs[0], "ob", addArgs[1], addArgs[2], addArgs[3], addArgs[4], addArgs[5], "ya") + ";");
            }

            if (!outLast)
            {
                w.Line(K("Transpose2D", "_convOut", I(positions), I(n), $"y.Slice(b * {outLen}, {outLen})") + ";");
            }

            w.Close();
        }

        /// <summary>
        /// The stacked RGB 3x3 stem (plan.StemStack) on AVX-VNNI: the channels-last padded image of u = x + 128 (PadImageWide,
        /// 4 bytes per pixel as for the 4-channel tiles), its three rows per output row stacked per pixel (QuantGenStemKernels.StackRows3), and the implicit
        /// tiles reading that as a 1-channel image with one kernel row of 28 taps at column step 9 sw: weights in the order
        /// (column, row, channel), 27 taps and a zero, 7 quads. The same accumulators (bias - zx sum w folded as for the
        /// 4-channel image: the sums are the same), the same multiply-high requantization.
        /// </summary>
        private void EmitStemStack(SourceWriter w, GraphNode node, DenseGemm g, bool inLast)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            int[] s = node.Inputs[0].Shape, os = node.Output.Shape;
            int n = node.Weight!.Shape[0], oh = os[2], ow = os[3], sh = cv.Strides[0], sw = cv.Strides[1];
            (int ph, int pw) = Conv2dLowering.Window(node);
            (int rowStride, int imageAt, _) = Conv2dLowering.StemStackLayout(oh, ph, pw);
            int[] src = node.Weight!.IntData!;
            var rows = new int[n * 28];
            for (int o = 0; o < n; o++)
            {
                for (int j = 0; j < 3; j++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        for (int ch = 0; ch < 3; ch++)
                        {
                            rows[(o * 28) + (j * 9) + (i * 3) + ch] = src[(((((o * 3) + ch) * 3) + i) * 3) + j];
                        }
                    }
                }
            }

            int offset = AddPackedQuads(rows, n, 28, g.Np8);
            EmitMulHighStatics(id, n, g.NpStatics + 1, o => cv.Integers.Requant[o], node.Output.Quant!.ZeroPoint);
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            w.Line($"// The stacked stem: 27 taps of a position in 7 quads ([7][{g.Np8}][4] int8 at blob offset {offset}, order (column, row, channel)),");
            w.Line($"// read from {oh} stacked rows of {rowStride} bytes (9 per pixel: the 3 image rows' 3 channels) built from the padded image at _convImage[{imageAt}..].");
            w.Line("// Requantized in int32 (ConvGemmImplicitHigh): every channel's shift is at least 33 and |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32).");
            w.Line(Conv("PadImageWide", "xb", inLast ? "true" : "false", I(3), I(s[2]), I(s[3]), I(cv.Pads[0]), I(cv.Pads[1]), I(ph), I(pw), $"(sbyte){I(zx)}", $"_convImage.AsSpan({imageAt})", "0x80", I(4)) + ";");
            w.Line(KernelLibrary.Call("QuantGenStemKernels", "StackRows3", $"_convImage.AsSpan({imageAt})", I(4), I(pw), I(sh), I(oh), "_convImage", I(rowStride)) + ";");
            w.Line(Conv("ConvGemmImplicitHigh", "_convImage", I(rowStride), "1", "1", "28", "1", I(9 * sw), I(oh), I(ow), $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {offset}))",
                I(g.Np8), I(n), $"ref MemoryMarshal.GetReference({id}_BiasU32)", $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)",
                $"ref MemoryMarshal.GetReference({id}_ShiftHi)", I(g.Lo), I(g.Hi), "ref MemoryMarshal.GetReference(yb)", I(n)) + ";");
        }

        /// <summary>
        /// The weight-stationary stem (plan.Stem8, QuantGenPointwiseKernels.Stem8) where it runs, else the implicit tiles' call:
        /// weights [k / 4][8][8][4] int8, each channel's tap quad repeated in 8 lanes (GEMM rows [8][k], k = kh * kw * 4).
        /// </summary>
        private void EmitStem8(SourceWriter w, GraphNode node, int[] rows, int k, string implicitHigh)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            int[] ws = node.Weight!.Shape, os = node.Output.Shape;
            (_, int pw) = Conv2dLowering.Window(node);
            var quads = new long[k / 4 * 8 * 32];
            for (int q = 0; q < k / 4; q++)
            {
                for (int o = 0; o < 8; o++)
                {
                    for (int lane = 0; lane < 8; lane++)
                    {
                        for (int b = 0; b < 4; b++)
                        {
                            quads[(((q * 8) + o) * 32) + (lane * 4) + b] = rows[(o * k) + (q * 4) + b];
                        }
                    }
                }
            }

            int offset = AddBytes(quads);
            w.Line($"// Where AVX-512 VBMI runs: weight stationary over 8 output positions (lanes = positions of one output row, one vpdpbusd per tap quad and");
            w.Line($"// channel against its quad repeated 8 times: [{k / 4}][8][8][4] int8 at blob offset {offset}), requantized per channel, transposed by vpermb.");
            w.Open("if (QuantGenPointwiseKernels.Stem8Vector)");
            w.Line(KernelLibrary.Call("QuantGenPointwiseKernels", "Stem8", "_convImage", I(pw), "4", I(ws[2]), I(ws[3]), I(cv.Strides[0]), I(cv.Strides[1]), I(os[2]), I(os[3]),
                $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {offset}))", $"ref MemoryMarshal.GetReference({id}_BiasU32)",
                $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)",
                I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), "ref MemoryMarshal.GetReference(yb)") + ";");
            w.Close();
            w.Open("else");
            w.Line(implicitHigh);
            w.Close();
        }

        /// <summary>
        /// The GEMM conv's VNNI call with the int32 multiply-high store (plan.MulHigh: every channel passed
        /// Conv2dLowering.MulHighApplies): prints the proof and the per-channel constants (length entries: the tiles read
        /// 16 channels from a block start and the odd lanes one multiplier further); returns the call.
        /// </summary>
        private string EmitGemmHighCall(SourceWriter w, GraphNode node, string[] head, int length, PaddedImage? image = null)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            EmitMulHighStatics(id, node.Weight!.Shape[0], length, o => cv.Integers.Requant[o], node.Output.Quant!.ZeroPoint);
            w.Line("// Requantized in int32 lanes in the tile store: every channel's shift is at least 33 and |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32),");
            w.Line("// so (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the reference's zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc.");
            string[] store = { $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)",
                I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi) };
            if (image != null)
            {
                return KernelLibrary.Call("QuantGenPointwiseKernels", "GemmVnniHighImage", head.Concat(store).Concat(new[] { $"ref Unsafe.Add(ref MemoryMarshal.GetReference(y), {I(image.Interior)})",
                    I(node.Weight!.Shape[0]), I(image.W), I(image.Gap) }).ToArray()) + ";";
            }

            return KernelLibrary.Call("QuantGenPointwiseKernels", "GemmVnniHigh", head.Concat(store).Concat(new[] { "ref MemoryMarshal.GetReference(yb)", I(node.Weight!.Shape[0]) }).ToArray()) + ";";
        }

        /// <summary>
        /// The per-channel constants of the int32 multiply-high requantization (Conv2dLowering.MulHighApplies holds for every
        /// channel): m, 2^(t - 1) + zo * 2^t and t = shift - 32, count entries (zero past n).
        /// </summary>
        private void EmitMulHighStatics(string id, int n, int count, System.Func<int, Dyadic> requant, long zo)
        {
            var mul = new int[count];
            var add = new int[count];
            var shift = new int[count];
            for (int o = 0; o < n; o++)
            {
                Dyadic r = requant(o);
                int t = r.Shift - 32;
                mul[o] = r.Multiplier;
                add[o] = checked((int)((1L << (t - 1)) + (zo << t)));
                shift[o] = t;
            }

            Static("int", $"{id}_MulHi", mul, v => I(v));
            Static("int", $"{id}_AddHi", add, v => I(v));
            Static("int", $"{id}_ShiftHi", shift, v => I(v));
        }

        /// <summary>An int8 depthwise Conv2d on the channels-last kernel (<c>QuantGenConvKernels.DepthwiseNhwc</c>).</summary>
        internal void EmitDepthwiseNhwc(SourceWriter w, GraphNode node, ConvPlan plan)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            TensorInfo x = node.Inputs[0], wt = node.Weight!, y = node.Output;
            int[] s = x.Shape, ws = wt.Shape, os = y.Shape;
            int batch = s[0], c = s[1], h = s[2], wd = s[3];
            int kh = ws[2], kw = ws[3], oh = os[2], ow = os[3], positions = oh * ow;
            int sh = cv.Strides[0], sw = cv.Strides[1], pt = cv.Pads[0], pl = cv.Pads[1];
            (int ph, int pw) = Conv2dLowering.Window(node);
            long zx = x.Quant!.ZeroPoint;
            bool inLast = Plan.IsChannelsLast(x), outLast = Plan.IsChannelsLast(y);

            // Lanes: the channels of one pixel, or for stride 1 with a channel count that does not fill 16-lane vectors the
            // whole output row (lane x * c + ch), the per-channel constants then tiled along the row.
            bool rows = sw == 1 && c % 16 != 0;
            int groups = rows ? 1 : ow, lanes = rows ? ow * c : c, groupStride = rows ? 0 : sw * c, cp = (lanes + 15) / 16 * 16;

            // Weights [c][1][kh][kw] -> int32 [kh * kw][cp] (zero past the lanes); bias - zx * sum(w) folded.
            int[] src = wt.IntData!;
            int[] bias = node.Bias?.IntData ?? new int[c];
            var packed = new int[kh * kw * cp];
            var folded = new long[c];
            for (int ch = 0; ch < c; ch++)
            {
                long sum = 0;
                for (int t = 0; t < kh * kw; t++)
                {
                    sum += src[(ch * kh * kw) + t];
                }

                folded[ch] = bias[ch] - (zx * sum);
            }

            for (int t = 0; t < kh * kw; t++)
            {
                for (int l = 0; l < lanes; l++)
                {
                    packed[(t * cp) + l] = src[((l % c) * kh * kw) + t];
                }
            }

            int offset = AddInts(packed);
            long zo = EmitRequantStatics(id, lanes, cp, l => unchecked((int)folded[l % c]), l => cv.Integers.Requant[l % c], y.Quant!.ZeroPoint);
            int inLen = c * h * wd, outLen = c * positions;
            string output = outLast ? $"y.Slice(b * {outLen}, {outLen})" : "_convOut";
            PaddedImage? image = Plan.PaddedImageOf(x);
            w.Line($"// Kernel int8-depthwise-nhwc: {(inLast ? "channels-last" : "NCHW")} in, {(outLast ? "channels-last" : "NCHW")} out; the zero-point padded [{ph}][{pw}][{c}] image (padding holds x = zx = {I(zx)},");
            w.Line($"// bias - zx * sum(w) folded), then {(rows ? $"per output row {lanes} lanes (x * {c} + channel; stride 1: contiguous taps)" : $"per pixel {c} channel lanes")}, 16 per vector, accumulate x * w over the {kh}x{kw}");
            w.Line($"// taps (int32 [{kh * kw}][{cp}] weights at blob offset {offset}) and requantize in registers. Exact: the proven accumulator {plan.Accumulator} fits int32.");
            string vnniCall = plan.TapQuads ? EmitDepthwiseQuads(w, node, plan, folded) : plan.QuadRegs ? EmitDepthwiseQuadRegs(w, node, plan, folded) : string.Empty;
            w.Open($"for (int b = 0; b < {batch}; b++)");
            if (plan.QuadRegs)
            {
                w.Open($"if (QuantGenDepthwiseKernels.QuadRegsVector({I(c)}, {(plan.MulHigh ? "true" : "false")}))");
                if (plan.QuadRegsDirect && inLast)
                {
                    // No padding pass over the whole image: the kernel pads the border strips and reads the interior in place.
                    w.Line(vnniCall.Replace("@OUT", output).Replace("@IN", $"x.Slice(b * {inLen}, {inLen})") + ";");
                }
                else if (image != null)
                {
                    // x is already this layer's padded u-image (CpuPlan.PaddedImages: the producer wrote it, border included).
                    w.Line(vnniCall.Replace("@OUT", output).Replace("img: _convImage", "img: x") + ";");
                }
                else
                {
                    w.Line(Dw("PadImageU", $"x.Slice(b * {inLen}, {inLen})", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage") + ";");
                    w.Line(vnniCall.Replace("@OUT", output) + ";");
                }

                w.Close();
                w.Open("else");
            }
            else if (plan.TapQuads)
            {
                w.Open("if (QuantGenKernels.UseVnni)");
                w.Line(Conv("PadImageXor", $"x.Slice(b * {inLen}, {inLen})", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage", "0x80") + ";");
                w.Line(Dw("TapQuads", "_convImage", I(pw), I(c), I(kw), I(sw), I(ph), I(ow), "_convCol", I(Conv2dLowering.QuadLanes(ow * c))) + ";");
                w.Line(vnniCall.Replace("@OUT", output) + ";");
                w.Close();
                w.Open("else");
            }

            w.Line(image != null
                ? Dw("FlipImage", "x", "_convImage", I(ph * pw * c)) + "; // the padded image of x from the u-image the producer wrote"
                : Conv("PadImage", $"x.Slice(b * {inLen}, {inLen})", inLast ? "true" : "false", I(c), I(h), I(wd), I(pt), I(pl), I(ph), I(pw), $"(sbyte){I(zx)}", "_convImage") + ";");
            w.Line(Conv("DepthwiseNhwc", "_convImage", I(pw), I(c), I(kh), I(kw), I(sh), I(oh), I(groups), I(groupStride), I(lanes), $"ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {offset}))", I(cp),
                $"ref MemoryMarshal.GetReference({id}_Bias32)", $"ref MemoryMarshal.GetReference({id}_Mul64)", $"ref MemoryMarshal.GetReference({id}_Round64)", $"ref MemoryMarshal.GetReference({id}_Shift64)",
                I(zo), I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), output) + ";");
            if (plan.TapQuads || plan.QuadRegs)
            {
                w.Close();
            }

            if (!outLast)
            {
                w.Line(K("Transpose2D", "_convOut", I(positions), I(c), $"y.Slice(b * {outLen}, {outLen})") + ";");
            }

            w.Close();
        }

        /// <summary>
        /// The AVX-VNNI form of a depthwise layer (plan.TapQuads): tap quads of the padded u = x + 128 image, weights
        /// [kh][lanes][4] int8 (zero for j &gt;= kw and past the lanes), bias - (zx + 128) * sum(w) per lane, and the
        /// requantization the plan chose (int32 multiply-high where proven, else the int64 form). Prints the comment and
        /// the statics; returns the kernel call with @OUT for the output span.
        /// </summary>
        private string EmitDepthwiseQuads(SourceWriter w, GraphNode node, ConvPlan plan, long[] folded)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            int[] ws = node.Weight!.Shape, os = node.Output.Shape;
            int c = ws[0], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3], sh = cv.Strides[0];
            int lanes = ow * c, lp = Conv2dLowering.QuadLanes(lanes);
            int[] src = node.Weight!.IntData!;
            var quads = new long[kh * lp * 4];
            var unsigned = new int[lp + 1];
            for (int l = 0; l < lanes; l++)
            {
                int ch = l % c;
                long sum = 0;
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        int v = src[(((ch * kh) + i) * kw) + j];
                        quads[(((i * lp) + l) * 4) + j] = v;
                        sum += v;
                    }
                }

                unsigned[l] = unchecked((int)(folded[ch] - (128 * sum)));
            }

            int offset = AddBytes(quads);
            Static("int", $"{id}_BiasU32", unsigned, v => I(v));
            long zo = node.Output.Quant!.ZeroPoint;
            string weights = $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {offset}))";
            string[] head = { "_convCol", I(lp), I(kh), I(sh), I(oh), I(lanes), weights, $"ref MemoryMarshal.GetReference({id}_BiasU32)" };
            w.Line($"// AVX-VNNI: tap quads (per image row and lane l = x * {c} + channel the bytes u = x + 128 of the {kw} taps of a kernel row, 0 for the 4th),");
            w.Line($"// one vpdpbusd per kernel row and 8 lanes against [{kh}][{lp}][4] int8 weights at blob offset {offset}; bias - (zx + 128) * sum(w) per lane.");
            if (plan.MulHigh)
            {
                var mul = new int[lp + 1];
                var add = new int[lp + 1];
                var shift = new int[lp + 1];
                for (int l = 0; l < lanes; l++)
                {
                    Dyadic r = cv.Integers.Requant[l % c];
                    int t = r.Shift - 32;
                    mul[l] = r.Multiplier;
                    add[l] = checked((int)((1L << (t - 1)) + (zo << t)));
                    shift[l] = t;
                }

                Static("int", $"{id}_MulHi", mul, v => I(v));
                Static("int", $"{id}_AddHi", add, v => I(v));
                Static("int", $"{id}_ShiftHi", shift, v => I(v));
                w.Line("// Requantized in int32: every channel's shift is at least 33 and |2^(t - 1) + zo * 2^t| < 2^30 (t = shift - 32), so");
                w.Line("// (high half of acc * m + 2^(t - 1) + zo * 2^t) >> t equals the reference's zo + ((acc * m + 2^(shift - 1)) >> shift) for every int32 acc.");
                return Dw("DepthwiseVnniHigh", head.Concat(new[] { $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)",
                    I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), "@OUT" }).ToArray());
            }

            long zoQ = EmitRequantStatics(id + "_Q", lanes, lp + 1, l => unsigned[l], l => cv.Integers.Requant[l % c], zo);
            w.Line("// Requantized on int64 lanes (the multiply-high form's proof does not hold for every channel).");
            return Dw("DepthwiseVnni", head.Concat(new[] { $"ref MemoryMarshal.GetReference({id}_Q_Mul64)", $"ref MemoryMarshal.GetReference({id}_Q_Round64)", $"ref MemoryMarshal.GetReference({id}_Q_Shift64)",
                I(zoQ), I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), "@OUT" }).ToArray());
        }

        /// <summary>
        /// The form of a 3x3 depthwise layer with tap quads built in registers (plan.QuadRegs,
        /// QuantGenDepthwiseKernels.DepthwiseQuadRegs): int8 weights [3][2][c][4] ((w0, w1, w2, 0) and (0, w0, w1, w2) per
        /// kernel row), bias - (zx + 128) * sum(w) and the requantization constants, all in the kernel's lane order
        /// (QuadRegsChannel). Prints the comment and the statics; returns the kernel call with @OUT for the output span.
        /// </summary>
        private string EmitDepthwiseQuadRegs(SourceWriter w, GraphNode node, ConvPlan plan, long[] folded)
        {
            var cv = (Conv2dLayer)node.Layer;
            string id = LayerId(node);
            int[] ws = node.Weight!.Shape, os = node.Output.Shape;
            int c = ws[0], oh = os[2], ow = os[3], sh = cv.Strides[0], sw = cv.Strides[1];
            (_, int pw) = Conv2dLowering.Window(node);
            int[] src = node.Weight!.IntData!;
            var quads = new long[3 * 2 * c * 4];
            var unsigned = new int[c + 1];
            var order = new int[c + 1];
            for (int l = 0; l < c; l++)
            {
                int ch = Conv2dLowering.QuadRegsChannel(c, l);
                order[l] = ch;
                long sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        int v = src[(((ch * 3) + i) * 3) + j];
                        quads[(((((i * 2) + 0) * c) + l) * 4) + j] = v;
                        quads[(((((i * 2) + 1) * c) + l) * 4) + j + 1] = v;
                        sum += v;
                    }
                }

                unsigned[l] = unchecked((int)(folded[ch] - (128 * sum)));
            }

            int offset = AddBytes(quads);
            long zo = node.Output.Quant!.ZeroPoint;
            var mul = new int[c + 1];
            var add = new int[c + 1];
            var shift = new int[c + 1];
            if (plan.MulHigh)
            {
                for (int l = 0; l < c; l++)
                {
                    Dyadic r = cv.Integers.Requant[order[l]];
                    int t = r.Shift - 32;
                    mul[l] = r.Multiplier;
                    add[l] = checked((int)((1L << (t - 1)) + (zo << t)));
                    shift[l] = t;
                }
            }

            // The int64 constants are always printed (their _R_Bias32, b - (zx + 128) * sum(w) in lane order, is the kernel's bias
            // for both forms); the multiply-high ones are zero when the plan did not prove that form.
            long zoQ = EmitRequantStatics(id + "_R", c, c, l => unsigned[l], l => cv.Integers.Requant[order[l]], zo);
            Static("int", $"{id}_MulHi", mul, v => I(v));
            Static("int", $"{id}_AddHi", add, v => I(v));
            Static("int", $"{id}_ShiftHi", shift, v => I(v));
            w.Line($"// AVX-VNNI: tap quads built in registers from the zero-point padded image (per kernel row the 4 pixels' bytes of a channel, u = x + 128,");
            w.Line($"// interleaved into one dword: {(c == 8 ? "one vpermb per 8 channels" : c == 16 ? "two vpermt2b per 16 channels" : "byte and word unpacks within 128-bit lanes, 32 channels")}), one vpdpbusd per kernel row and 8 channels");
            w.Line($"// against [3][2][{c}][4] int8 weights at blob offset {offset} ((w0, w1, w2, 0); {(sw == 1 ? "(0, w0, w1, w2) for the next pixel from the same quads" : "stride 2: one pixel per quad")}).");
            w.Line(plan.MulHigh
                ? "// Requantized in int32 (multiply-high; every channel's shift is at least 33 and |2^(t - 1) + zo * 2^t| < 2^30, t = shift - 32)."
                : "// Requantized on int64 lanes (the multiply-high form's proof does not hold for every channel).");
            if (plan.QuadRegsDirect && Plan.IsChannelsLast(node.Inputs[0]))
            {
                int[] xs = node.Inputs[0].Shape;
                w.Line($"// Stride 2, padding 1 at the top and left only: the interior is read from x in place (u = x ^ 0x80 by one xor per load), only the");
                w.Line($"// strips of output rows 0-1 and columns 0-1 are padded (QuantGenDepthwiseKernels.DepthwiseQuadRegs16S2).");
                return Dw("DepthwiseQuadRegs16S2", "@IN", I(xs[2]), I(xs[3]), $"(sbyte){I(node.Inputs[0].Quant!.ZeroPoint)}", "_convImage",
                    $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {offset}))", $"ref MemoryMarshal.GetReference({id}_R_Bias32)",
                    $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)",
                    I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), "@OUT");
            }

            return Dw("DepthwiseQuadRegs", "_convImage", I(pw), I(c), I(sh), I(sw), I(oh), I(ow),
                $"ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref BlobData, {offset}))", $"ref MemoryMarshal.GetReference({id}_R_Bias32)",
                plan.MulHigh ? "true" : "false", $"ref MemoryMarshal.GetReference({id}_MulHi)", $"ref MemoryMarshal.GetReference({id}_AddHi)", $"ref MemoryMarshal.GetReference({id}_ShiftHi)",
                $"ref MemoryMarshal.GetReference({id}_R_Mul64)", $"ref MemoryMarshal.GetReference({id}_R_Round64)", $"ref MemoryMarshal.GetReference({id}_R_Shift64)",
                I(zoQ), I(cv.Integers.Clamp.Lo), I(cv.Integers.Clamp.Hi), "@OUT");
        }

        private static string Dw(string method, params string[] args) => KernelLibrary.Call("QuantGenDepthwiseKernels", method, args);
    }
}
