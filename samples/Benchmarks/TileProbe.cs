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

            // ResNet-8's residual Adds: the int64-lane kernel (AddS8, 8 per step) against the int16 table kernel (AddS8Table, 64
            // per step), same operands and quantization (the shapes and multipliers of the zoo model's three Adds are alike).
            foreach (int length in new[] { 16 * 32 * 32, 32 * 16 * 16, 64 * 8 * 8 })
            {
                var rng = new Random(3);
                var a = new sbyte[length];
                var b = new sbyte[length];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)b);
                var y1 = new sbyte[length];
                var y2 = new sbyte[length];
                var ma = QuantGen.Numerics.Dyadic.FromReal(0.62);
                var mb = QuantGen.Numerics.Dyadic.FromReal(0.9);
                var t = new byte[1024];
                for (int q = -128; q < 128; q++)
                {
                    long va = QuantGen.Numerics.IntegerOps.RoundingShiftRight((q + 5) * (long)ma.Multiplier, ma.Shift);
                    long vb = -3 + QuantGen.Numerics.IntegerOps.RoundingShiftRight((q - 7) * (long)mb.Multiplier, mb.Shift);
                    t[q & 255] = (byte)va;
                    t[256 + (q & 255)] = (byte)(va >> 8);
                    t[512 + (q & 255)] = (byte)vb;
                    t[768 + (q & 255)] = (byte)(vb >> 8);
                }

                (double lanes, double table) = ConvProbe.Interleaved(
                    () => QuantGenKernels.AddS8(a, -5, ma.Multiplier, ma.Shift, b, 7, mb.Multiplier, mb.Shift, -3, -128, 127, y1),
                    () => QuantGenKernels.AddS8Table(a, b, ref t[0], -128, 127, y2));
                Console.WriteLine($"residual add of {length,5} int8: AddS8 {lanes,6:F2} us, AddS8Table {table,6:F2} us ({lanes / table:F2}x, same bytes: {y1.AsSpan().SequenceEqual(y2)})");
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
