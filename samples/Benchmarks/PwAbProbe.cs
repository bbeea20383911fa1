using System;
using System.Globalization;
using System.Linq;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `pw-ab [rounds]`: this branch's QuantGenPointwiseKernels.GemmVnniHigh and Stem8 against the session-start copy
    /// (OldPointwiseKernels, probe-only) on the zoo's pointwise shapes and MobileNet's stem, interleaved in one process: median
    /// of the rounds' per-call process CPU time (about 40 ms of calls each), the output bytes compared. Clamp [-128, 127] as
    /// in every zoo pointwise layer and the stem (their ReLU is the zero point -128).
    /// </summary>
    public static class PwAbProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool ok = true;
            var ratios = new System.Collections.Generic.List<double>();
            foreach ((string name, int rows, int k, int n) in new[]
            {
                ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 6", 2304, 8, 16), ("mobilenet 12", 576, 16, 32), ("mobilenet 18", 576, 32, 32),
                ("mobilenet 24", 144, 32, 64), ("mobilenet 30", 144, 64, 64), ("mobilenet 36", 36, 64, 128), ("mobilenet 42", 36, 128, 128),
                ("mobilenet 72", 9, 128, 256), ("mobilenet 78", 9, 256, 256),
            })
            {
                int kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(rows + k + n);
                var a = new sbyte[(rows * kq * 4) + 4];
                var w = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)w);
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

                var y0 = new sbyte[rows * n];
                var y1 = new sbyte[rows * n];
                void Old() => OldPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y0[0], n);
                void New() => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y1[0], n);
                ok &= Compare(name, FormattableString.Invariant($"M {rows,5} K {k,4} N {n,4}"), Old, New, y0, y1, (double)rows * k * n, rounds, ratios);
            }

            {
                // MobileNet's features.0: the 97 x 97 4-channel image of u, 3x3 stride 2, 48 x 48 x 8 out.
                const int pw = 97, c = 4, oh = 48, ow = 48;
                var rng = new Random(3);
                var img = new sbyte[(pw * pw * c) + 64];
                rng.NextBytes((byte[])(object)img);
                var w = new sbyte[9 * 256];
                rng.NextBytes((byte[])(object)w);
                var bias = new int[8];
                var mulHi = new int[8];
                var addHi = new int[8];
                var shiftHi = new int[8];
                for (int o = 0; o < 8; o++)
                {
                    int t = rng.Next(6, 12);
                    bias[o] = rng.Next(-50000, 50000);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    addHi[o] = (1 << (t - 1)) + (-128 << t);
                    shiftHi[o] = t;
                }

                var y0 = new sbyte[oh * ow * 8];
                var y1 = new sbyte[oh * ow * 8];
                void Old() => OldPointwiseKernels.Stem8(img, pw, c, 3, 3, 2, 2, oh, ow, ref w[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y0[0]);
                void New() => QuantGenPointwiseKernels.Stem8(img, pw, c, 3, 3, 2, 2, oh, ow, ref w[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y1[0]);
                ok &= Compare("mobilenet stem", "Stem8 96x96 s2", Old, New, y0, y1, (double)oh * ow * 27 * 8, rounds, ratios);
            }

            Console.WriteLine(FormattableString.Invariant($"geometric mean old / new {Math.Exp(ratios.Average(Math.Log)):F3}"));
            return ok ? 0 : 1;
        }

        private static bool Compare(string name, string shape, Action old, Action @new, sbyte[] y0, sbyte[] y1, double macs, int rounds, System.Collections.Generic.List<double> ratios)
        {
            old();
            @new();
            bool same = y0.AsSpan().SequenceEqual(y1);
            var t0 = new double[rounds];
            var t1 = new double[rounds];
            var r = new double[rounds];
            for (int i = 0; i < rounds; i++)
            {
                t0[i] = PwProbe.CpuMicros(old);
                t1[i] = PwProbe.CpuMicros(@new);
                r[i] = t0[i] / t1[i];
            }

            double m0 = PwProbe.Median(t0), m1 = PwProbe.Median(t1), mr = PwProbe.Median(r);
            ratios.Add(mr);
            Console.WriteLine(FormattableString.Invariant($"{name,-18} {shape}: old {m0,7:F2} us ({macs / m0 / 1000,6:F1} GMAC/s)  new {m1,7:F2} us ({macs / m1 / 1000,6:F1} GMAC/s)  median of ratios {mr:F3}x  {(same ? "same bytes" : "DIFFERENT")}"));
            return same;
        }
    }
}
