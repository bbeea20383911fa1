using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `conv-ab [rounds]`: the conv helper's A/B of session 11. The kernels as they were at the start of the session are kept
    /// callable only here (Old*Kernels.cs, probe-only copies) and run interleaved with today's on the zoo shapes: per round each
    /// runs about 40 ms of process CPU time, the medians of the per-call times over the rounds and their ratio are printed, and
    /// the bytes are compared.
    /// </summary>
    public static class ConvAbProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
            string only = args.Length > 1 ? args[1] : "all";
            bool ok = true;
            if (only is "all" or "pw")
            {
                foreach ((string name, int rows, int k, int n) in new[]
                {
                    ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 6", 2304, 8, 16), ("mobilenet 12", 576, 16, 32), ("mobilenet 18", 576, 32, 32),
                    ("mobilenet 24", 144, 32, 64), ("mobilenet 30", 144, 64, 64), ("mobilenet 36", 36, 64, 128), ("mobilenet 42", 36, 128, 128),
                    ("mobilenet 72", 9, 128, 256), ("mobilenet 78", 9, 256, 256),
                })
                {
                    int kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8;
                    var rng = new Random(rows + k + n);
                    var a = Bytes(rng, (rows * kq * 4) + 4);
                    var w = Bytes(rng, kq * np8 * 4);
                    (int[] bias, int[] mulHi, int[] addHi, int[] shiftHi) = Consts(rng, n);
                    var y0 = new sbyte[rows * n];
                    var y1 = new sbyte[rows * n];
                    ok &= Ab(name + FormattableString.Invariant($" {rows}x{k}x{n}"), (double)rows * k * n, rounds, y0, y1,
                        () => OldPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref y0[0], n),
                        () => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref y1[0], n));
                }
            }

            if (only is "all" or "res")
            {
                // ResNet-8's 3x3 convs on the padded u-image (c, output h x w, n, stride), alone and with the residual Add fused.
                foreach ((int c, int oh, int ow, int n, int s, bool fused) in new[]
                {
                    (4, 32, 32, 16, 1, false), (16, 32, 32, 16, 1, false), (16, 32, 32, 16, 1, true), (16, 16, 16, 32, 2, false), (32, 16, 16, 32, 1, true),
                    (32, 8, 8, 64, 2, false), (64, 8, 8, 64, 1, true),
                })
                {
                    int ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3, kq = 9 * c / 4, np8 = (n + 7) / 8 * 8;
                    var rng = new Random(c + oh + n);
                    var img = Bytes(rng, (ph * pw * c) + 64);
                    var w = Bytes(rng, kq * np8 * 4);
                    var other = Bytes(rng, oh * ow * n);
                    (int[] bias, int[] mulHi, int[] addHi, int[] shiftHi) = Consts(rng, n);
                    var y0 = new sbyte[oh * ow * n];
                    var y1 = new sbyte[oh * ow * n];
                    string name = FormattableString.Invariant($"3x3 c {c} {oh}x{ow} n {n} s {s}{(fused ? " +add" : string.Empty)}");
                    double macs = (double)oh * ow * n * 9 * c;
                    if (fused)
                    {
                        ok &= Ab(name, macs, rounds, y0, y1,
                            () => OldConvKernels.ConvGemmImplicitHighAdd(img, pw, c, 3, 3, s, s, oh, ow, ref w[0], n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -3, 127, other, 1_234_567, -987_654, 1 << 20, 21, -3, 127, y0),
                            () => QuantGenConvKernels.ConvGemmImplicitHighAdd(img, pw, c, 3, 3, s, s, oh, ow, ref w[0], n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -3, 127, other, 1_234_567, -987_654, 1 << 20, 21, -3, 127, y1));
                    }
                    else
                    {
                        ok &= Ab(name, macs, rounds, y0, y1,
                            () => OldConvKernels.ConvGemmImplicitHigh(img, pw, c, 3, 3, s, s, oh, ow, ref w[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y0[0], n),
                            () => QuantGenConvKernels.ConvGemmImplicitHigh(img, pw, c, 3, 3, s, s, oh, ow, ref w[0], np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y1[0], n));
                    }
                }
            }

            return ok ? 0 : 1;
        }

        private static sbyte[] Bytes(Random rng, int length)
        {
            var b = new byte[length];
            rng.NextBytes(b);
            return (sbyte[])(object)b;
        }

        private static (int[] Bias, int[] MulHi, int[] AddHi, int[] ShiftHi) Consts(Random rng, int n)
        {
            int np16 = (n + 15) / 16 * 16;
            var bias = new int[np16 + 1];
            var mulHi = new int[np16 + 1];
            var addHi = new int[np16 + 1];
            var shiftHi = new int[np16 + 1];
            for (int o = 0; o < n; o++)
            {
                int m = rng.Next(1 << 30, int.MaxValue), s = rng.Next(38, 44), t = s - 32;
                bias[o] = rng.Next(-5000, 5000);
                mulHi[o] = m;
                addHi[o] = (1 << (t - 1)) + (-5 << t);
                shiftHi[o] = t;
            }

            return (bias, mulHi, addHi, shiftHi);
        }

        private static bool Ab(string name, double macs, int rounds, sbyte[] y0, sbyte[] y1, Action before, Action after)
        {
            before();
            after();
            bool same = y0.AsSpan().SequenceEqual(y1);
            var ta = new double[rounds];
            var tb = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                ta[r] = CpuMicros(before);
                tb[r] = CpuMicros(after);
            }

            double ma = Median(ta), mb = Median(tb);
            Console.WriteLine(FormattableString.Invariant($"{name,-30} before {ma,8:F2} us ({macs / ma / 1000,6:F1} GMAC/s)  after {mb,8:F2} us ({macs / mb / 1000,6:F1} GMAC/s)  {ma / mb:F3}x  {(same ? "same bytes" : "DIFFERENT")}"));
            return same;
        }

        private static double CpuMicros(Action f)
        {
            for (int i = 0; i < 10; i++)
            {
                f();
            }

            var p = Process.GetCurrentProcess();
            TimeSpan c0 = p.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            long calls = 0;
            while (sw.ElapsedMilliseconds < 40)
            {
                for (int i = 0; i < 8; i++)
                {
                    f();
                }

                calls += 8;
            }

            p.Refresh();
            return (p.TotalProcessorTime - c0).TotalMilliseconds * 1000 / calls;
        }

        private static double Median(double[] v)
        {
            double[] s = (double[])v.Clone();
            Array.Sort(s);
            return s[s.Length / 2];
        }
    }
}
