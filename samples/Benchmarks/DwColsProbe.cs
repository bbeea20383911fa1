using System;
using System.Globalization;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>`dwcols-probe`: DepthwiseQuadRegs at commit 5201774 (probe-only copy) against today's, on the layers QuadRegs32Cols serves.</summary>
    public static class DwColsProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool ok = true;
            foreach ((string name, int c, int s, int oh, int ow) in new[]
            {
                ("ds_cnn 64 ch 25x5", 64, 1, 25, 5), ("mobilenet 32 ch s2 12x12", 32, 2, 12, 12), ("mobilenet 64 ch s2 6x6", 64, 2, 6, 6),
                ("mobilenet 128 ch s2 3x3", 128, 2, 3, 3), ("odd 32 ch 7x9", 32, 1, 7, 9), ("odd 96 ch s2 5x3", 96, 2, 5, 3),
            })
            {
                int pw = ((ow - 1) * s) + 3, rows = ((oh - 1) * s) + 3;
                var rng = new Random(c + oh + ow);
                var img = new sbyte[(rows * pw * c) + c + 64];
                rng.NextBytes((byte[])(object)img);
                var wq = new sbyte[3 * 2 * c * 4];
                rng.NextBytes((byte[])(object)wq);
                var bias = new int[c + 1];
                var mulHi = new int[c + 1];
                var addHi = new int[c + 1];
                var shiftHi = new int[c + 1];
                var mul = new long[c];
                var round = new long[c];
                var shift = new long[c];
                for (int o = 0; o < c; o++)
                {
                    int tt = rng.Next(6, 12);
                    bias[o] = rng.Next(-50000, 50000);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    addHi[o] = (1 << (tt - 1)) + (3 << tt);
                    shiftHi[o] = tt;
                }

                var yo = new sbyte[oh * ow * c];
                var yn = new sbyte[oh * ow * c];
                void A() => OldDepthwiseKernels.DepthwiseQuadRegs(img, pw, c, s, s, oh, ow, ref wq[0], ref bias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                    ref mul[0], ref round[0], ref shift[0], 3, -100, 127, yo);
                void B() => QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, pw, c, s, s, oh, ow, ref wq[0], ref bias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                    ref mul[0], ref round[0], ref shift[0], 3, -100, 127, yn);
                A();
                B();
                bool same = yo.AsSpan().SequenceEqual(yn);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ta[r] = PwProbe.CpuMicros(A);
                    tb[r] = PwProbe.CpuMicros(B);
                }

                double ma = PwProbe.Median(ta), mb = PwProbe.Median(tb);
                Console.WriteLine(FormattableString.Invariant($"{name,-26}: old (copy) {ma,6:F2} us  DepthwiseQuadRegs {mb,6:F2} us  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            }

            return ok ? 0 : 1;
        }
    }
}
