using System;
using System.Diagnostics;
using System.Linq;
using QuantGen.Generated;
using ResidualAdd = QuantGen.Generated.QuantGenConvKernels.ResidualAdd;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `conv-ab`: the implicit conv tiles of today (<c>ConvGemmImplicitHigh</c> / <c>...HighAdd</c>) against the probe-only copy
    /// of the session's start (<see cref="OldConvTiles"/>) on ResNet-8's convs and the DS-CNN stem, in one process: rounds of
    /// one batch of each (A B A B ...), the median of the per-round ratios old / new and the fastest batch of each; the bytes
    /// are compared. The padded image is built once (it is the same for both).
    /// </summary>
    public static class ConvAbProbe
    {
        public static int Run(string[] args)
        {
            if (!ConvProbe.HasVnni("conv-ab") || !QuantGenConvKernels.FusedAddVector)
            {
                return 1;
            }

            int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15;
            if (args.Length > 2 && args[2] == "split")
            {
                Split(rounds);
                return 0;
            }

            bool same = true;
            // name, image channels, kh, kw, stride, output h x w, n, fused Add
            var shapes = new (string Name, int C, int Kh, int Kw, int S, int Oh, int Ow, int N, bool Add)[]
            {
                ("resnet stem 4ch", 4, 3, 3, 1, 32, 32, 16, false),
                ("resnet 16->16", 16, 3, 3, 1, 32, 32, 16, false),
                ("resnet 16->16 +Add", 16, 3, 3, 1, 32, 32, 16, true),
                ("resnet 16->32 s2", 16, 3, 3, 2, 16, 16, 32, false),
                ("resnet 32->32 +Add", 32, 3, 3, 1, 16, 16, 32, true),
                ("resnet 32->64 s2", 32, 3, 3, 2, 8, 8, 64, false),
                ("resnet 64->64 +Add", 64, 3, 3, 1, 8, 8, 64, true),
                ("ds-cnn stem 10x4 s2", 1, 10, 4, 2, 25, 5, 64, false),
            };
            foreach (var sh in shapes)
            {
                int ph = ((sh.Oh - 1) * sh.S) + sh.Kh, pw = ((sh.Ow - 1) * sh.S) + sh.Kw, kq = sh.Kh * sh.Kw * sh.C / 4, n = sh.N, positions = sh.Oh * sh.Ow;
                var rng = new Random(7);
                var img = new sbyte[(ph * pw * sh.C) + 64];
                var wt = new sbyte[kq * n * 4];
                var other = new sbyte[positions * n];
                rng.NextBytes((byte[])(object)img);
                rng.NextBytes((byte[])(object)wt);
                rng.NextBytes((byte[])(object)other);
                var bias = new int[n + 16];
                var mulHi = new int[n + 17];
                var addHi = new int[n + 16];
                var shiftHi = new int[n + 16];
                for (int o = 0; o < n; o++)
                {
                    bias[o] = rng.Next(-4096, 4096);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    int t = 8 + (o % 5);
                    shiftHi[o] = t;
                    addHi[o] = (1 << (t - 1)) + (-7 << t);
                }

                var add = new ResidualAdd(21000, -17000, 1 << 13, 15, 0, 127);
                var yOld = new sbyte[positions * n];
                var yNew = new sbyte[positions * n];
                void Old() => OldConvTiles.High(img, pw, sh.C, sh.Kh, sh.Kw, sh.S, sh.S, sh.Oh, sh.Ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127,
                    ref yOld[0], n, ref sh.Add ? ref other[0] : ref System.Runtime.CompilerServices.Unsafe.NullRef<sbyte>(), add);
                void New()
                {
                    if (sh.Add)
                    {
                        QuantGenConvKernels.ConvGemmImplicitHighAdd(img, pw, sh.C, sh.Kh, sh.Kw, sh.S, sh.S, sh.Oh, sh.Ow, ref wt[0], n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0],
                            -128, 127, other, add.Ma, add.Mb, add.C, add.S, add.Lo, add.Hi, yNew);
                    }
                    else
                    {
                        QuantGenConvKernels.ConvGemmImplicitHigh(img, pw, sh.C, sh.Kh, sh.Kw, sh.S, sh.S, sh.Oh, sh.Ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0],
                            -128, 127, ref yNew[0], n);
                    }
                }

                Old();
                New();
                bool eq = yOld.AsSpan().SequenceEqual(yNew);
                same &= eq;
                (double ratio, double tOld, double tNew) = Ab(Old, New, rounds);
                double macs = (double)positions * kq * 4 * n;
                Console.WriteLine($"{sh.Name,-22} old {tOld,7:F2} us {macs / tOld / 1000,6:F1} GMAC/s   new {tNew,7:F2} us {macs / tNew / 1000,6:F1} GMAC/s   old/new median {ratio:F3}x   same bytes: {eq}");
            }

            return same ? 0 : 1;
        }

        /// <summary>
        /// The 16 -> 16 conv on 32 x 32 outputs with kernel heights 3 and 6 (kw 3): T = a + b kh, the multiply loop b kh and the
        /// rest a = 2 T(3) - T(6), as rates against 64 MAC per cycle.
        /// </summary>
        private static void Split(int rounds)
        {
            const int c = 16, n = 16, oh = 32, ow = 32;
            var rng = new Random(7);
            var wt = new sbyte[6 * 3 * c * n];
            var img = new sbyte[((oh + 5) * (ow + 2) * c) + 64];
            rng.NextBytes((byte[])(object)img);
            rng.NextBytes((byte[])(object)wt);
            var bias = new int[32];
            var mulHi = new int[33];
            var addHi = new int[32];
            var shiftHi = new int[32];
            for (int o = 0; o < n; o++)
            {
                mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                shiftHi[o] = 9;
                addHi[o] = 1 << 8;
            }

            var y = new sbyte[oh * ow * n];
            void Conv(int kh) => QuantGenConvKernels.ConvGemmImplicitHigh(img, ow + 2, c, kh, 3, 1, 1, oh, ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y[0], n);
            void Old(int mode)
            {
                OldConvTiles.Mode = mode;
                OldConvTiles.High(img, ow + 2, c, 3, 3, 1, 1, oh, ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y[0], n,
                    ref System.Runtime.CompilerServices.Unsafe.NullRef<sbyte>(), default);
            }

            (double rs, double tFull, double tNoStore) = Ab(() => Old(0), () => Old(1), rounds);
            Console.WriteLine($"old kernel 16 -> 16: with the store {tFull:F2} us, without requantization {tNoStore:F2} us (median ratio {rs:F3})");
            var yRef = new sbyte[y.Length];
            Old(0);
            y.CopyTo(yRef, 0);
            Old(3);
            bool eq3 = y.AsSpan().SequenceEqual(yRef);
            (double rd, double tFull2, double tDeferred) = Ab(() => Old(0), () => Old(3), rounds);
            Console.WriteLine($"old kernel 16 -> 16: store per tile {tFull2:F2} us, deferred int32 store + requantization every {8} tiles {tDeferred:F2} us (median ratio {rd:F3}, same bytes: {eq3})");
            (double r, double t3, double t6) = Ab(() => Conv(3), () => Conv(6), rounds);
            double rest = (2 * t3) - t6, loop = t3 - rest, macs = (double)oh * ow * n * 9 * c;
            Console.WriteLine($"16 -> 16, 32 x 32: kh 3 {t3:F2} us ({macs / t3 / 1000:F1} GMAC/s), kh 6 {t6:F2} us; multiply loop {loop:F2} us ({macs / loop / 1000:F1} GMAC/s), rest {rest:F2} us ({100 * rest / t3:F1} %), median ratio T(3)/T(6) {r:F3}");
        }

        /// <summary>Rounds of one batch of a then one of b (about 2 ms each): the median per-round ratio a / b and the fastest per-call time of each.</summary>
        internal static (double Ratio, double A, double B) Ab(Action a, Action b, int rounds)
        {
            for (int i = 0; i < 50; i++)
            {
                a();
                b();
            }

            var sw = Stopwatch.StartNew();
            int reps = 0;
            while (sw.Elapsed.TotalMilliseconds < 2)
            {
                a();
                reps++;
            }

            double Batch(Action f)
            {
                var s = Stopwatch.StartNew();
                for (int i = 0; i < reps; i++)
                {
                    f();
                }

                return s.Elapsed.TotalMilliseconds * 1000 / reps;
            }

            var ratios = new double[rounds];
            double ba = double.MaxValue, bb = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                double ta, tb;
                if ((r & 1) == 0)
                {
                    ta = Batch(a);
                    tb = Batch(b);
                }
                else
                {
                    tb = Batch(b);
                    ta = Batch(a);
                }

                ratios[r] = ta / tb;
                ba = Math.Min(ba, ta);
                bb = Math.Min(bb, tb);
            }

            Array.Sort(ratios);
            return (ratios[rounds / 2], ba, bb);
        }
    }
}
