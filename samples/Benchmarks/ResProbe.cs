using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `res-probe`: ResNet-8's 3x3 convs and its RGB stem on the implicit im2col tiles, the int64 requantization
    /// (<c>ConvGemmImplicit</c>) against the int32 multiply-high one (<c>ConvGemmImplicitHigh</c>), interleaved in one process
    /// (best of 5 Stopwatch medians each, <see cref="ConvProbe.Interleaved"/>), the padded image built in both; the bytes of
    /// the two are compared. Constants like the zoo model's (multipliers in [2^30, 2^31), shifts 40 to 44).
    /// </summary>
    public static class ResProbe
    {
        public static int Run()
        {
            if (!ConvProbe.HasVnni("res-probe"))
            {
                return 1;
            }

            bool same = true;
            // c, h, w, n, stride (3x3, pad 1): the stem (3 channels as a 4-channel image) and ResNet-8's six 3x3 convs.
            foreach ((int c, int h, int w, int n, int s) in new[] { (3, 32, 32, 16, 1), (16, 32, 32, 16, 1), (16, 32, 32, 32, 2), (32, 16, 16, 32, 1), (32, 16, 16, 64, 2), (64, 8, 8, 64, 1) })
            {
                int cImg = c == 3 ? 4 : c, k = 9 * cImg, kq = k / 4;
                (int oh, int ow, int positions, int ph, int pw, int np8, int np16) = ConvProbe.Geometry3x3(h, w, n, s);
                var rng = new Random(3);
                var x = new sbyte[h * w * c];
                var wt = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)x);
                rng.NextBytes((byte[])(object)wt);
                var bias = new int[np16];
                var mul = new long[np16];
                var round = new long[np16];
                var shift = new long[np16];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                const long zo = -7;
                for (int o = 0; o < n; o++)
                {
                    bias[o] = rng.Next(-4096, 4096);
                    mul[o] = mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    shift[o] = 40 + (o % 5);
                    round[o] = 1L << (int)(shift[o] - 1);
                    int t = (int)shift[o] - 32;
                    shiftHi[o] = t;
                    addHi[o] = (int)((1L << (t - 1)) + (zo << t));
                }

                var img = new sbyte[(ph * pw * cImg) + 16];
                var y = new sbyte[positions * n];
                var y2 = new sbyte[positions * n];
                void Pad()
                {
                    if (cImg == c)
                    {
                        QuantGenConvKernels.PadImageXor(x, true, c, h, w, 1, 1, ph, pw, 3, img, 0x80);
                    }
                    else
                    {
                        // The stem reads the graph's NCHW input, as the generated code does.
                        QuantGenConvKernels.PadImageWide(x, false, c, h, w, 1, 1, ph, pw, 3, img, 0x80, cImg);
                    }
                }

                void Int64()
                {
                    Pad();
                    QuantGenConvKernels.ConvGemmImplicit(img, pw, cImg, 3, 3, s, s, oh, ow, ref wt[0], np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], zo, -128, 127, ref y[0], n);
                }

                void High()
                {
                    Pad();
                    QuantGenConvKernels.ConvGemmImplicitHigh(img, pw, cImg, 3, 3, s, s, oh, ow, ref wt[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y2[0], n);
                }

                (double a, double b) = ConvProbe.Interleaved(Int64, High);
                (double pad, _) = ConvProbe.Interleaved(Pad, Pad);
                Console.WriteLine($"  the padded image alone ({(cImg == c ? "PadImageXor" : "PadImageWide")}, {ph} x {pw} x {cImg}): {pad:F2} us");
                Int64();
                High();
                bool eq = y.AsSpan().SequenceEqual(y2);
                same &= eq;
                double macs = (double)positions * 9 * c * n;
                Console.WriteLine($"3x3 c {c,3} {h,2}x{w,-2} n {n,3} stride {s}: int64 {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   multiply-high {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s   ({a / b:F2}x, same bytes: {eq})");
            }

            // The 1x1 stride-2 shortcuts (unpadded, channels-last input): explicit im2col + GemmVnni (today's path) against the
            // input copied as u = x + 128 (PadImageXor, no padding) + the implicit tiles with the multiply-high requantization.
            foreach ((int c, int h, int n) in new[] { (16, 32, 32), (32, 16, 64) })
            {
                int oh = h / 2, positions = oh * oh, ph = ((oh - 1) * 2) + 1, np8 = n, np16 = (n + 15) / 16 * 16, kq = c / 4;
                var rng = new Random(4);
                var x = new sbyte[h * h * c];
                var wt = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)x);
                rng.NextBytes((byte[])(object)wt);
                var bias = new int[np16];
                var mul = new long[np16];
                var round = new long[np16];
                var shift = new long[np16];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                for (int o = 0; o < n; o++)
                {
                    mul[o] = mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    shift[o] = 38;
                    round[o] = 1L << 37;
                    shiftHi[o] = 6;
                    addHi[o] = 1 << 5;
                }

                var col = new sbyte[positions * c];
                var img = new sbyte[(ph * ph * c) + 16];
                var y = new sbyte[positions * n];
                var y2 = new sbyte[positions * n];
                void Gemm()
                {
                    QuantGenConvKernels.Im2ColNhwc(x, h, c, 1, 1, 2, 2, oh, oh, col, c, false);
                    QuantGenKernels.GemmVnni(ref col[0], positions, c, ref wt[0], kq, np8, n, ref bias[0], ref System.Runtime.CompilerServices.Unsafe.NullRef<int>(), ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
                }

                void Tiles()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, h, 0, 0, ph, ph, 0, img, 0x80);
                    QuantGenConvKernels.ConvGemmImplicitHigh(img, ph, c, 1, 1, 2, 2, oh, oh, ref wt[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y2[0], n);
                }

                var y3 = new sbyte[positions * n];
                void GemmHigh()
                {
                    // Today's plan for the shortcuts (MulHigh proven): im2col + the pointwise GEMM's multiply-high store.
                    QuantGenConvKernels.Im2ColNhwc(x, h, c, 1, 1, 2, 2, oh, oh, col, c, false);
                    QuantGenPointwiseKernels.GemmVnniHigh(ref col[0], positions, c, ref wt[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y3[0], n);
                }

                (double a, double b) = ConvProbe.Interleaved(Gemm, Tiles);
                (double g, double b2) = ConvProbe.Interleaved(GemmHigh, Tiles);
                Gemm();
                Tiles();
                GemmHigh();
                bool eq = y.AsSpan().SequenceEqual(y2) && y.AsSpan().SequenceEqual(y3);
                same &= eq;
                double macs = (double)positions * c * n;
                Console.WriteLine($"1x1 c {c,3} {h,2}x{h,-2} n {n,3} stride 2: im2col + GemmVnni {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   implicit multiply-high {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s   ({a / b:F2}x, same bytes: {eq})");
                Console.WriteLine($"  im2col + GemmVnniHigh {g,8:F2} us {macs / g / 1000,6:F1} GMAC/s   implicit multiply-high {b2,8:F2} us   (GemmVnniHigh / implicit = {g / b2:F2}x)");
            }

            same &= FusedAdds();
            return same ? 0 : 1;
        }

        /// <summary>
        /// ResNet-8's three residual Adds: conv2 of each stack (3x3, stride 1) then QuantGenKernels.AddS8 (the layers before the
        /// fusion) against ConvGemmImplicitHighAdd (the Add in the conv's store), interleaved, the padded image built in both.
        /// </summary>
        private static bool FusedAdds()
        {
            if (!QuantGenConvKernels.FusedAddVector)
            {
                Console.WriteLine("fused Add: needs AVX-512BW, skipped");
                return true;
            }

            bool same = true;
            foreach ((int c, int h) in new[] { (16, 32), (32, 16), (64, 8) })
            {
                int n = c, positions = h * h, ph = h + 2, kq = 9 * c / 4;
                var rng = new Random(6);
                var x = new sbyte[positions * c];
                var other = new sbyte[positions * n];
                var wt = new sbyte[kq * n * 4];
                rng.NextBytes((byte[])(object)x);
                rng.NextBytes((byte[])(object)other);
                rng.NextBytes((byte[])(object)wt);
                var bias = new int[n + 16];
                var mulHi = new int[n + 17];
                var addHi = new int[n + 17];
                var shiftHi = new int[n + 17];
                for (int o = 0; o < n; o++)
                {
                    bias[o] = rng.Next(-4096, 4096);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    shiftHi[o] = 8 + (o % 5);
                    addHi[o] = (1 << (shiftHi[o] - 1)) + (-7 << shiftHi[o]);
                }

                const int ma = 1 << 20, mb = 3 << 19, addC = (1 << 20) - (5 << 21), addS = 21;
                var img = new sbyte[(ph * ph * c) + 16];
                var conv = new sbyte[positions * n];
                var y = new sbyte[positions * n];
                var y2 = new sbyte[positions * n];
                void TwoStep()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, h, 1, 1, ph, ph, 3, img, 0x80);
                    QuantGenConvKernels.ConvGemmImplicitHigh(img, ph, c, 3, 3, 1, 1, h, h, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref conv[0], n);
                    QuantGenKernels.AddS8(conv, ma, other, mb, addC, addS, 0, 127, y);
                }

                void Fused()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, h, 1, 1, ph, ph, 3, img, 0x80);
                    QuantGenConvKernels.ConvGemmImplicitHighAdd(img, ph, c, 3, 3, 1, 1, h, h, ref wt[0], n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127,
                        other, ma, mb, addC, addS, 0, 127, y2);
                }

                (double a, double b) = ConvProbe.Interleaved(TwoStep, Fused);
                TwoStep();
                Fused();
                bool eq = y.AsSpan().SequenceEqual(y2);
                same &= eq;
                Console.WriteLine($"3x3 c {c,3} {h,2}x{h,-2} n {n,3} + residual Add: conv then AddS8 {a,8:F2} us   fused store {b,8:F2} us   ({a / b:F2}x, same bytes: {eq})");
            }

            return same;
        }

        /// <summary>
        /// `stem-probe`: the few-channel stems (ResNet-8's and MobileNet's RGB 3x3, DS-CNN's 1-channel 10x4) as generated
        /// today (the implicit im2col tiles on the padded image, RGB widened to 4 channels: K = 36 for 27 taps) against the
        /// input packed into u8 quads over (kh, kw, c) once per call (K = 27 -> 28, DS-CNN 40) and the multiply-high GEMM
        /// tiles (QuantGenPointwiseKernels.GemmVnniHigh), interleaved in one process; bytes compared.
        /// </summary>
        public static int Stems()
        {
            if (!ConvProbe.HasVnni("stem-probe"))
            {
                return 1;
            }

            bool same = true;
            // name, c, h, w, n, kh, kw, stride, pt, pl, pb, pr (the zoo models' stems; NCHW graph input).
            foreach ((string name, int c, int h, int w, int n, int kh, int kw, int s, int pt, int pl) in new[]
            {
                ("resnet8 conv", 3, 32, 32, 16, 3, 3, 1, 1, 1), ("mobilenet features_0", 3, 96, 96, 8, 3, 3, 2, 1, 1), ("ds_cnn conv1", 1, 49, 10, 64, 10, 4, 2, 5, 1),
            })
            {
                int pb = pt, pr = pl;
                int oh = ((h + pt + pb - kh) / s) + 1, ow = ((w + pl + pr - kw) / s) + 1, positions = oh * ow;
                int ph = ((oh - 1) * s) + kh, pw = ((ow - 1) * s) + kw, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                int cImg = c == 3 ? 4 : c, kA = kh * kw * cImg, kB = kh * kw * c, kqB = (kB + 3) / 4;
                var rng = new Random(5);
                var x = new sbyte[c * h * w];
                rng.NextBytes((byte[])(object)x);
                var logical = new int[n, c, kh, kw];
                var rowsA = new int[n * kA];
                var rowsB = new int[n * kB];
                for (int o = 0; o < n; o++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int v = rng.Next(-128, 128);
                                rowsA[(o * kA) + (((i * kw) + j) * cImg) + ch] = v;
                                rowsB[(o * kB) + (((i * kw) + j) * c) + ch] = v;
                            }
                        }
                    }
                }

                sbyte[] wA = PackQuads(rowsA, n, kA, np8), wB = PackQuads(rowsB, n, kB, np8);
                var bias = new int[np16 + 1];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                const long zo = -128;
                for (int o = 0; o < n; o++)
                {
                    bias[o] = rng.Next(-40000, 40000);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    int t = 7 + (o % 3);
                    shiftHi[o] = t;
                    addHi[o] = (int)((1L << (t - 1)) + (zo << t));
                }

                var imgA = new sbyte[(ph * pw * cImg) + 16];
                var imgB = new sbyte[(ph * pw * c) + 16];
                var col = new sbyte[positions * kqB * 4];
                var yA = new sbyte[positions * n];
                var yB = new sbyte[positions * n];
                void Implicit()
                {
                    if (cImg != c)
                    {
                        QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, -128, imgA, 0x80, cImg);
                    }
                    else
                    {
                        QuantGenConvKernels.PadImageXor(x, false, c, h, w, pt, pl, ph, pw, -128, imgA, 0x80);
                    }

                    QuantGenConvKernels.ConvGemmImplicitHigh(imgA, pw, cImg, kh, kw, s, s, oh, ow, ref wA[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yA[0], n);
                }

                void Packed()
                {
                    QuantGenConvKernels.PadImage(x, false, c, h, w, pt, pl, ph, pw, -128, imgB);
                    QuantGenConvKernels.Im2ColNhwc(imgB, pw, c, kh, kw, s, s, oh, ow, col, kqB * 4, false);
                    QuantGenPointwiseKernels.GemmVnniHigh(ref col[0], positions, kqB * 4, ref wB[0], kqB, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yB[0], n);
                }

                (double a, double b) = ConvProbe.Interleaved(Implicit, Packed);
                Implicit();
                Packed();
                bool eq = yA.AsSpan().SequenceEqual(yB);
                same &= eq;
                double macs = (double)positions * kB * n;
                Console.WriteLine($"{name,-22} K {kB,2} -> implicit {kA,2} / packed {kqB * 4,2}, n {n,2}: implicit {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   packed quads {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s   ({a / b:F2}x, same bytes: {eq})");

                // The parts of the generated stem: the padded image alone, the conv kernel alone (image already padded).
                void Pad()
                {
                    if (cImg != c)
                    {
                        QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, -128, imgA, 0x80, cImg);
                    }
                    else
                    {
                        QuantGenConvKernels.PadImageXor(x, false, c, h, w, pt, pl, ph, pw, -128, imgA, 0x80);
                    }
                }

                void Conv() => QuantGenConvKernels.ConvGemmImplicitHigh(imgA, pw, cImg, kh, kw, s, s, oh, ow, ref wA[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yA[0], n);
                (double tp, double tc) = ConvProbe.Interleaved(Pad, Conv);
                Console.WriteLine($"  parts: padded image {tp,8:F2} us   implicit conv alone {tc,8:F2} us");
                if (n == 8 && cImg == 4 && QuantGenPointwiseKernels.Stem8Vector)
                {
                    sbyte[] w8 = Stem8Weights(rowsA, kA);
                    var y8 = new sbyte[positions * n];
                    void S8() => QuantGenPointwiseKernels.Stem8(imgA, pw, cImg, kh, kw, s, s, oh, ow, ref w8[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y8[0]);
                    (double t8, double ti) = ConvProbe.Interleaved(S8, Conv);
                    Pad();
                    S8();
                    Conv();
                    bool eq8 = y8.AsSpan().SequenceEqual(yA);
                    same &= eq8;
                    Console.WriteLine($"  Stem8 alone {t8,8:F2} us   implicit alone {ti,8:F2} us   (same bytes: {eq8})");
                }
            }

            return same ? 0 : 1;
        }

        /// <summary>Weight rows [8][k] in Stem8's layout [k / 4][8][8][4] (each channel's quad repeated in 8 lanes).</summary>
        private static sbyte[] Stem8Weights(int[] rows, int k)
        {
            var quads = new sbyte[k / 4 * 8 * 32];
            for (int q = 0; q < k / 4; q++)
            {
                for (int o = 0; o < 8; o++)
                {
                    for (int lane = 0; lane < 8; lane++)
                    {
                        for (int b = 0; b < 4; b++)
                        {
                            quads[(((q * 8) + o) * 32) + (lane * 4) + b] = (sbyte)rows[(o * k) + (q * 4) + b];
                        }
                    }
                }
            }

            return quads;
        }

        /// <summary>Weight rows [n][k] in the VNNI layout [ceil(k / 4)][np8][4] (zero padded), as the generated code packs them.</summary>
        private static sbyte[] PackQuads(int[] rows, int n, int k, int np8)
        {
            int kq = (k + 3) / 4;
            var packed = new sbyte[kq * np8 * 4];
            for (int q = 0; q < kq; q++)
            {
                for (int o = 0; o < n; o++)
                {
                    for (int t = 0; t < 4 && (4 * q) + t < k; t++)
                    {
                        packed[(((q * np8) + o) * 4) + t] = (sbyte)rows[(o * k) + (4 * q) + t];
                    }
                }
            }

            return packed;
        }

        /// <summary>
        /// `batch-probe`: per model, 32 calls of the single-sample Infer on the first sample (what ZooBenchmarks' ORT rows do)
        /// against one Infer(inputs, outputs, 32) over 32 different samples (its Generated row at batch 32), interleaved,
        /// best of 9 Stopwatch medians each; us per sample.
        /// </summary>
        public static int Batch()
        {
            foreach (string model in new[] { "resnet8", "ds_cnn", "mobilenet_v1" })
            {
                var one = new ZooBenchmarks { Model = model, Batch = 1 };
                var many = new ZooBenchmarks { Model = model, Batch = 32 };
                one.Setup();
                many.Setup();
                void Repeat()
                {
                    for (int i = 0; i < 32; i++)
                    {
                        one.Generated();
                    }
                }

                double a = double.MaxValue, b = double.MaxValue;
                for (int r = 0; r < 9; r++)
                {
                    a = Math.Min(a, Check.Time(Repeat));
                    b = Math.Min(b, Check.Time(many.Generated));
                }

                one.Cleanup();
                many.Cleanup();
                Console.WriteLine($"{model,-13} 32 x Infer(one sample) {a / 32,8:F1} us/sample   Infer(32 samples, 32) {b / 32,8:F1} us/sample   (batch / single = {b / a:F2})");
            }

            return 0;
        }
    }
}
