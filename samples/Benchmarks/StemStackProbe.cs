using System;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `stem-ab [rounds]`: an RGB 3x3 stem with 16 output channels (ResNet-8's conv; also a stride-2 96 x 96 shape) on the
    /// 4-channel padded image (PadImageWide, 9 tap quads per position: the kernel before ConvPlan.StemStack) against the
    /// stacked image (PadImageXor + QuantGenStemKernels.StackRows3, 7 quads), both on ConvGemmImplicitHigh, interleaved in
    /// one process (best of 5 Stopwatch medians each, per round); the bytes of the two are compared; then the parts.
    /// </summary>
    public static class StemStackProbe
    {
        public static int Run(string[] args)
        {
            if (!ConvProbe.HasVnni("stem-ab"))
            {
                return 1;
            }

            int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
            bool same = true;
            foreach ((string name, int h, int w, int n, int s) in new[] { ("resnet8 conv 32x32 s1", 32, 32, 16, 1), ("rgb 96x96 s2 -> 16", 96, 96, 16, 2) })
            {
                const int c = 3, kh = 3, kw = 3, pt = 1, pl = 1;
                int oh = ((h + 2 - kh) / s) + 1, ow = ((w + 2 - kw) / s) + 1, positions = oh * ow;
                int ph = ((oh - 1) * s) + kh, pw = ((ow - 1) * s) + kw, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(7);
                var x = new sbyte[c * h * w];
                rng.NextBytes((byte[])(object)x);
                var wts = new int[n, c, kh, kw];
                var rows36 = new int[n * 36];
                var rows28 = new int[n * 28];
                for (int o = 0; o < n; o++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int v = rng.Next(-128, 128);
                                rows36[(o * 36) + (((i * kw) + j) * 4) + ch] = v;
                                rows28[(o * 28) + (j * 9) + (i * 3) + ch] = v;
                            }
                        }
                    }
                }

                sbyte[] w36 = Pack(rows36, n, 36, np8), w28 = Pack(rows28, n, 28, np8);
                var bias = new int[np16 + 1];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                for (int o = 0; o < n; o++)
                {
                    bias[o] = rng.Next(-40000, 40000);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    int t = 7 + (o % 3);
                    shiftHi[o] = t;
                    addHi[o] = (int)((1L << (t - 1)) + (-128L << t));
                }

                int rowStride = (9 * pw) + 4, imageAt = ((oh * rowStride) + 63) / 64 * 64;
                var img4 = new sbyte[(ph * pw * 4) + 16];
                var buf = new sbyte[imageAt + (ph * pw * 4) + 32];
                var yA = new sbyte[positions * n];
                var yB = new sbyte[positions * n];
                void Old()
                {
                    QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, -128, img4, 0x80, 4);
                    QuantGenConvKernels.ConvGemmImplicitHigh(img4, pw, 4, kh, kw, s, s, oh, ow, ref w36[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yA[0], n);
                }

                void Pad3() => QuantGenConvKernels.PadImageXor(x, false, c, h, w, pt, pl, ph, pw, -128, buf.AsSpan(imageAt), 0x80);
                void Pad4() => QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, -128, buf.AsSpan(imageAt), 0x80, 4);
                void Stack3() => QuantGenStemKernels.StackRows3(buf.AsSpan(imageAt), 3, pw, s, oh, buf, rowStride);
                void Stack() => QuantGenStemKernels.StackRows3(buf.AsSpan(imageAt), 4, pw, s, oh, buf, rowStride);
                void ConvNew() => QuantGenConvKernels.ConvGemmImplicitHigh(buf, rowStride, 1, 1, 28, 1, 9 * s, oh, ow, ref w28[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yB[0], n);
                void New()
                {
                    Pad4();
                    Stack();
                    ConvNew();
                }

                Old();
                New();
                bool eq = yA.AsSpan().SequenceEqual(yB);
                same &= eq;
                double macs = (double)positions * 27 * n;
                for (int r = 0; r < rounds; r++)
                {
                    (double a, double b) = ConvProbe.Interleaved(Old, New);
                    Console.WriteLine($"{name,-24} round {r}: 4-channel image {a,7:F2} us ({macs / a / 1000,5:F1} GMAC/s)   stacked {b,7:F2} us ({macs / b / 1000,5:F1} GMAC/s)   new/old {b / a:F3}   same bytes: {eq}");
                }

                void PadWide() => QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, -128, img4, 0x80, 4);
                void ConvOld() => QuantGenConvKernels.ConvGemmImplicitHigh(img4, pw, 4, kh, kw, s, s, oh, ow, ref w36[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yA[0], n);
                (double pwide, double p3) = ConvProbe.Interleaved(PadWide, Pad3);
                (double co, double cn) = ConvProbe.Interleaved(ConvOld, ConvNew);
                (double st, double st3) = ConvProbe.Interleaved(Stack, () => { Pad3(); Stack3(); });
                Pad4();
                Console.WriteLine($"  parts: PadImageWide {pwide:F2} us, conv 9 quads {co:F2} us | StackRows3 from it {st:F2} us, conv 7 quads {cn:F2} us | (PadImageXor 3ch {p3:F2} us, + its StackRows3 {st3:F2} us)");
            }

            return same ? 0 : 1;
        }

        private static sbyte[] Pack(int[] rows, int n, int k, int np8)
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
    }
}
