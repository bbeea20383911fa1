using System;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `implicit32-probe`: the implicit im2col conv tiles, 6 positions x 16 channels (QuantGenConvKernels.ConvGemmImplicitHigh)
    /// against 4 x 32 (QuantGenPointwiseKernels.ConvImplicit32High), interleaved Stopwatch medians in one process (ConvProbe.
    /// Interleaved): DS-CNN's 1-channel 10 x 4 stride-2 stem (also explicit im2col + GemmVnniHigh, and the padding / im2col
    /// passes alone), then ResNet-8's 3x3 convs to 32 and 64 channels. Random operands; the forms' bytes are compared.
    /// </summary>
    public static class Implicit32Probe
    {
        public static int Run()
        {
            const int h = 49, w = 10, ph = 58, pw = 12, kh = 10, kw = 4, oh = 25, ow = 5, n = 64, kq = 10, positions = oh * ow;
            var rng = new Random(1);
            var x = new sbyte[h * w];
            var wt = new sbyte[kq * n * 4];
            rng.NextBytes((byte[])(object)x);
            rng.NextBytes((byte[])(object)wt);
            var bias = new int[n];
            var mulHi = new int[n + 1];
            var addHi = new int[n];
            var shiftHi = new int[n];
            for (int o = 0; o < n; o++)
            {
                mulHi[o] = 1 << 28;
                addHi[o] = 1 << 3;
                shiftHi[o] = 4;
                bias[o] = rng.Next(-1000, 1000);
            }

            var img = new sbyte[(ph * pw) + 64];
            var col = new sbyte[positions * kq * 4];
            var y = new sbyte[positions * n];
            var y2 = new sbyte[positions * n];
            void Implicit()
            {
                QuantGenConvKernels.PadImageXor(x, false, 1, h, w, 5, 1, ph, pw, -128, img, 0x80);
                QuantGenConvKernels.ConvGemmImplicitHigh(img, pw, 1, kh, kw, 2, 2, oh, ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y[0], n);
            }

            void Explicit()
            {
                QuantGenConvKernels.PadImage(x, false, 1, h, w, 5, 1, ph, pw, -128, img);
                QuantGenConvKernels.Im2ColNhwc(img, pw, 1, kh, kw, 2, 2, oh, ow, col, kq * 4, false);
                QuantGenPointwiseKernels.GemmVnniHigh(ref col[0], positions, kq * 4, ref wt[0], kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y2[0], n);
            }

            var y3 = new sbyte[positions * n];
            void Wide()
            {
                QuantGenConvKernels.PadImageXor(x, false, 1, h, w, 5, 1, ph, pw, -128, img, 0x80);
                QuantGenPointwiseKernels.ConvImplicit32High(img, pw, 1, kh, kw, 2, 2, oh, ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y3[0], n);
            }

            void PadOnly() => QuantGenConvKernels.PadImageXor(x, false, 1, h, w, 5, 1, ph, pw, -128, img, 0x80);
            void Im2colOnly()
            {
                QuantGenConvKernels.PadImage(x, false, 1, h, w, 5, 1, ph, pw, -128, img);
                QuantGenConvKernels.Im2ColNhwc(img, pw, 1, kh, kw, 2, 2, oh, ow, col, kq * 4, false);
            }

            Implicit();
            Explicit();
            Wide();
            Console.WriteLine($"same bytes: {y.AsSpan().SequenceEqual(y2)} {y.AsSpan().SequenceEqual(y3)}");
            for (int round = 0; round < 3; round++)
            {
                (double a, double b) = ConvProbe.Interleaved(Implicit, Explicit);
                (double p, double c) = ConvProbe.Interleaved(PadOnly, Im2colOnly);
                (double a2, double d) = ConvProbe.Interleaved(Implicit, Wide);
                Console.WriteLine($"implicit {a:F2} us  explicit {b:F2} us  ({a / b:F2}x)   pad {p:F2} us  pad+im2col {c:F2} us   implicit {a2:F2} us  implicit 4x32 {d:F2} us ({a2 / d:F2}x)");
            }

            // ResNet-8's and MobileNet's 3x3 convs with at least 32 output channels: c, h, w, n, stride (pad 1).
            foreach ((int c, int hh, int ww, int nn, int s) in new[] { (16, 32, 32, 32, 2), (32, 16, 16, 32, 1), (32, 16, 16, 64, 2), (64, 8, 8, 64, 1) })
            {
                int ooh = ((hh - 1) / s) + 1, oow = ((ww - 1) / s) + 1, pph = ((ooh - 1) * s) + 3, ppw = ((oow - 1) * s) + 3, kk = 9 * c / 4;
                var xx = new sbyte[hh * ww * c];
                var ww8 = new sbyte[kk * nn * 4];
                rng.NextBytes((byte[])(object)xx);
                rng.NextBytes((byte[])(object)ww8);
                var bb = new int[nn];
                var mm = new int[nn + 1];
                var aa = new int[nn];
                var ss = new int[nn];
                for (int o = 0; o < nn; o++)
                {
                    mm[o] = 1 << 26;
                    aa[o] = 1 << 3;
                    ss[o] = 4;
                    bb[o] = rng.Next(-1000, 1000);
                }

                var im = new sbyte[(pph * ppw * c) + 64];
                var ya = new sbyte[ooh * oow * nn];
                var yb = new sbyte[ooh * oow * nn];
                void A()
                {
                    QuantGenConvKernels.PadImageXor(xx, true, c, hh, ww, 1, 1, pph, ppw, -128, im, 0x80);
                    QuantGenConvKernels.ConvGemmImplicitHigh(im, ppw, c, 3, 3, s, s, ooh, oow, ref ww8[0], nn, nn, ref bb[0], ref mm[0], ref aa[0], ref ss[0], -128, 127, ref ya[0], nn);
                }

                void B()
                {
                    QuantGenConvKernels.PadImageXor(xx, true, c, hh, ww, 1, 1, pph, ppw, -128, im, 0x80);
                    QuantGenPointwiseKernels.ConvImplicit32High(im, ppw, c, 3, 3, s, s, ooh, oow, ref ww8[0], nn, nn, ref bb[0], ref mm[0], ref aa[0], ref ss[0], -128, 127, ref yb[0], nn);
                }

                A();
                B();
                for (int round = 0; round < 2; round++)
                {
                    (double a, double b) = ConvProbe.Interleaved(A, B);
                    Console.WriteLine($"3x3 c {c} {hh}x{ww} n {nn} s {s}: 6x16 {a:F2} us  4x32 {b:F2} us ({a / b:F2}x) same bytes {ya.AsSpan().SequenceEqual(yb)}");
                }
            }

            return 0;
        }
    }
}
