using System;
using System.Globalization;
using System.Linq;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `pad-out-probe [rounds]`: a pointwise conv feeding a depthwise layer (the zoo's shapes), as main runs it (GemmVnniHigh into
    /// a contiguous output, then the depthwise layer's PadImageU pass) against the producer writing the padded u-image
    /// (GemmVnniHighImage at image row stride with the xor in its store, then PadBorderU): interleaved in one process, medians
    /// of process CPU time per call; the two images are compared byte for byte (window only).
    /// </summary>
    public static class PadOutProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool ok = true;
            // name, h, w, K (input channels), n (output channels), stride of the depthwise consumer (pads 1 on every side).
            foreach ((string name, int h, int w, int k, int n, int s) in new[]
            {
                ("ds_cnn pw3 -> dw6", 25, 5, 64, 64, 1), ("mnet pw12 -> dw15", 24, 24, 16, 32, 1), ("mnet pw18 -> dw21", 24, 24, 32, 32, 2),
                ("mnet pw24 -> dw27", 12, 12, 32, 64, 1), ("mnet pw30 -> dw33", 12, 12, 64, 64, 2), ("mnet pw36 -> dw39", 6, 6, 64, 128, 1),
                ("mnet pw42 -> dw45", 6, 6, 128, 128, 1), ("mnet pw66 -> dw69", 6, 6, 128, 128, 2), ("mnet pw72 -> dw75", 3, 3, 128, 256, 1),
            })
            {
                int oh = ((h + 2 - 3) / s) + 1, ow = ((w + 2 - 3) / s) + 1, ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3;
                int rows = h * w, kq = k / 4, np8 = n, np16 = (n + 15) / 16 * 16, imgBytes = (ph * pw * n) + n + 32;
                var rng = new Random(rows + k + n);
                var a = new sbyte[(rows * k) + 4];
                var wt = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)wt);
                var bias = new int[np16 + 1];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                const int zo = -128;
                for (int o = 0; o < n; o++)
                {
                    int m = rng.Next(1 << 30, int.MaxValue), t = rng.Next(6, 12);
                    bias[o] = rng.Next(-5000, 5000);
                    mulHi[o] = m;
                    addHi[o] = (1 << (t - 1)) + (zo << t);
                    shiftHi[o] = t;
                }

                var y = new sbyte[rows * n];
                var imgA = new sbyte[imgBytes];
                var imgB = new sbyte[imgBytes];
                int interior = (pw + 1) * n, gap = (pw - w) * n;
                void A()
                {
                    QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, k, ref wt[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y[0], n);
                    QuantGenDepthwiseKernels.PadImageU(y, true, n, h, w, 1, 1, ph, pw, -128, imgA);
                }

                void B()
                {
                    QuantGenPointwiseKernels.GemmVnniHighImage(ref a[0], rows, k, ref wt[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref imgB[interior], n, w, gap);
                    QuantGenDepthwiseKernels.PadBorderU(imgB, n, h, w, 1, 1, ph, pw, -128);
                }

                A();
                B();
                bool same = imgA.AsSpan(0, ph * pw * n).SequenceEqual(imgB.AsSpan(0, ph * pw * n));
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    if (r % 2 == 0)
                    {
                        ta[r] = PwProbe.CpuMicros(A);
                        tb[r] = PwProbe.CpuMicros(B);
                    }
                    else
                    {
                        tb[r] = PwProbe.CpuMicros(B);
                        ta[r] = PwProbe.CpuMicros(A);
                    }
                }

                Array.Sort(ta);
                Array.Sort(tb);
                double ma = ta[rounds / 2], mb = tb[rounds / 2];
                Console.WriteLine(FormattableString.Invariant($"{name,-20} {h,2}x{w,-2} K {k,3} N {n,3} s{s}: GEMM + PadImageU {ma,7:F2} us  GEMM into the image + PadBorderU {mb,7:F2} us  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
                if (Environment.GetEnvironmentVariable("QUANTGEN_PADOUT_PARTS") == "1")
                {
                    // The four parts alone (QUANTGEN_PADOUT_PARTS=1): where the difference comes from.
                    double Med(Action f)
                    {
                        var t = new double[rounds];
                        for (int r = 0; r < rounds; r++)
                        {
                            t[r] = PwProbe.CpuMicros(f);
                        }

                        Array.Sort(t);
                        return t[rounds / 2];
                    }

                    double g1 = Med(() => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, k, ref wt[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y[0], n));
                    double g2 = Med(() => QuantGenPointwiseKernels.GemmVnniHighImage(ref a[0], rows, k, ref wt[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref imgB[interior], n, w, gap));
                    double p1 = Med(() => QuantGenDepthwiseKernels.PadImageU(y, true, n, h, w, 1, 1, ph, pw, -128, imgA));
                    double p2 = Med(() => QuantGenDepthwiseKernels.PadBorderU(imgB, n, h, w, 1, 1, ph, pw, -128));
                    Console.WriteLine(FormattableString.Invariant($"{string.Empty,-20} parts: GEMM {g1,6:F2} us, into the image {g2,6:F2} us; PadImageU {p1,6:F2} us, PadBorderU {p2,6:F2} us"));
                }

            }

            return ok ? 0 : 1;
        }
    }
}
