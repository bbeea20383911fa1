using System;
using System.Linq;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `tile-probe`: how the time of the implicit conv tiles (<c>ConvGemmImplicit</c>) splits between the multiply loop and
    /// the per-tile rest (requantization, addressing, the call). The same output positions and channels are run with kernel
    /// heights kh and 2 kh (interleaved, best of 5 medians): T = a + b kh, so b kh is the multiply loop and a = 2 T(kh) -
    /// T(2 kh) the rest. Then the residual Add kernels side by side. A profiling aid, not a benchmark.
    /// </summary>
    public static class TileProbe
    {
        public static int Run()
        {
            if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                Console.WriteLine("tile-probe needs AVX-VNNI");
                return 1;
            }

            // c, output h x w, n, stride: ResNet-8's 3x3 convs.
            foreach ((int c, int oh, int ow, int n, int s) in new[] { (16, 32, 32, 16, 1), (16, 16, 16, 32, 2), (32, 16, 16, 32, 1), (32, 8, 8, 64, 2), (64, 8, 8, 64, 1) })
            {
                double t3 = Time(c, oh, ow, n, s, 3), t6 = Time(c, oh, ow, n, s, 6);
                double rest = (2 * t3) - t6, loop = t3 - rest, macs = (double)oh * ow * n * 9 * c;
                Console.WriteLine($"3x3 c {c,3} out {oh,2}x{ow,-2} n {n,3} stride {s}: {t3,7:F2} us ({macs / t3 / 1000,6:F1} GMAC/s); multiply loop {loop,7:F2} us ({macs / loop / 1000,6:F1} GMAC/s), rest {rest,6:F2} us ({100 * rest / t3,4:F1} %)");
            }

            // ResNet-8's residual Adds with one rounding: the int32-lane kernel (AddS8) against the int64 loop the scalar strategy
            // emits, same operands and quantization (the shapes and multipliers of the zoo model's three Adds are alike).
            foreach (int length in new[] { 16 * 32 * 32, 32 * 16 * 16, 64 * 8 * 8 })
            {
                var rng = new Random(3);
                var a = new sbyte[length];
                var b = new sbyte[length];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)b);
                var y1 = new sbyte[length];
                var y2 = new sbyte[length];
                (QuantGen.Numerics.Dyadic da, QuantGen.Numerics.Dyadic db) = QuantGen.Numerics.ResidualAdd.Multipliers(0.62, 0.9, 1.0);
                int s = da.Shift, ma = da.Multiplier, mb = db.Multiplier;
                int c = unchecked((int)((1L << (s - 1)) + (-3L << s) + (5L * ma) - (7L * mb)));
                (double lanes, double loop) = ConvProbe.Interleaved(
                    () => QuantGenKernels.AddS8(a, ma, b, mb, c, s, -128, 127, y1),
                    () =>
                    {
                        for (int i = 0; i < length; i++)
                        {
                            long pre = ((a[i] + 5L) * ma) + ((b[i] - 7L) * mb);
                            y2[i] = (sbyte)QuantGenKernels.Clamp(-3 + QuantGenKernels.RoundShift(pre, s), -128, 127);
                        }
                    });
                Console.WriteLine($"residual add of {length,5} int8: AddS8 {lanes,6:F2} us, int64 loop {loop,6:F2} us ({loop / lanes:F2}x, same bytes: {y1.AsSpan().SequenceEqual(y2)})");
            }

            return 0;
        }

        private static double Time(int c, int oh, int ow, int n, int s, int kh)
        {
            int ph = ((oh - 1) * s) + kh, pw = ((ow - 1) * s) + 3, kq = kh * 3 * c / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
            var rng = new Random(1);
            var img = new sbyte[(ph * pw * c) + 16];
            var wt = new sbyte[kq * np8 * 4];
            rng.NextBytes((byte[])(object)img);
            rng.NextBytes((byte[])(object)wt);
            var bias = new int[np16];
            var mul = new long[np16];
            var round = new long[np16];
            var shift = new long[np16];
            for (int o = 0; o < np16; o++)
            {
                mul[o] = 1 << 20;
                shift[o] = 36;
                round[o] = 1L << 35;
            }

            var y = new sbyte[oh * ow * n];
            void Run() => QuantGenConvKernels.ConvGemmImplicit(img, pw, c, kh, 3, s, s, oh, ow, ref wt[0], np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
            (double a, _) = ConvProbe.Interleaved(Run, Run);
            return a;
        }
    }
}
