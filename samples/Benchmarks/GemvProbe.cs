using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `gemv-probe`: one-row Dense layers of the autoencoder's shapes (K x N = 640 x 128, 128 x 128, 128 x 640, 128 x 8,
    /// 8 x 128) on the GEMM's one-row tile with the int64 store (<c>QuantGenKernels.GemmVnni</c> at rows = 1) against
    /// <c>QuantGenKernels.GemvVnniHigh</c> (the multiply-high store that DenseGemvHigh plans for every one-row layer), both on
    /// the packed layout [kQuads][np][4], and GemvVnniHigh against its wide form (the plan's choice above
    /// DenseGemvHigh.WideMinK inputs and 64 channels), each pair interleaved in one process (best of 5 Stopwatch medians each); the outputs of the
    /// three are compared.
    /// </summary>
    public static class GemvProbe
    {
        public static int Run()
        {
            if (!ConvProbe.HasVnni("gemv-probe"))
            {
                return 1;
            }

            bool same = true;
            foreach ((int k, int n) in new[] { (640, 128), (128, 128), (128, 640), (128, 8), (8, 128) })
            {
                int kq = (k + 3) / 4, np = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(3);
                var a = new sbyte[kq * 4];
                var w = new sbyte[kq * np * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)w);
                var bias = new int[np16];
                var mul = new long[np16];
                var round = new long[np16];
                var shift = new long[np16];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                const int zo = 3;
                for (int o = 0; o < np16; o++)
                {
                    bias[o] = rng.Next(-5000, 5000);
                    mul[o] = (1L << 30) + rng.Next(1 << 29);
                    shift[o] = 40;
                    round[o] = 1L << 39;
                    int t = (int)shift[o] - 32;
                    mulHi[o] = (int)mul[o];
                    addHi[o] = (1 << (t - 1)) + (zo << t);
                    shiftHi[o] = t;
                }

                var y0 = new sbyte[n];
                var y1 = new sbyte[n];
                void Tile() => QuantGenKernels.GemmVnni(ref a[0], 1, kq * 4, ref w[0], kq, np, n, ref bias[0], ref Unsafe.NullRef<int>(),
                    ref mul[0], ref round[0], ref shift[0], zo, -128, 127, ref y0[0], n);
                void High() => QuantGenKernels.GemvVnniHigh(ref a[0], kq, ref w[0], np, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y1[0], wide: false);
                var y2 = new sbyte[n];
                void Wide() => QuantGenKernels.GemvVnniHigh(ref a[0], kq, ref w[0], np, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y2[0], wide: true);
                Tile();
                High();
                Wide();
                var y3 = new sbyte[n];
                void Wide2() => OldWideOneChain(ref a[0], kq, ref w[0], np, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y3[0]);
                Wide2();
                bool eq = y0.AsSpan().SequenceEqual(y1) && y0.AsSpan().SequenceEqual(y2) && y0.AsSpan().SequenceEqual(y3);
                (double tw1, double tw2) = ConvProbe.Interleaved(Wide, Wide2);
                Console.WriteLine($"K {k,4} N {n,4}: wide (two chains) {tw1,7:F3} us  the one-chain wide form before (probe-only copy) {tw2,7:F3} us  {tw2 / tw1:F2}x");
                (double h2, double tw) = ConvProbe.Interleaved(High, Wide);
                Console.WriteLine($"K {k,4} N {n,4}: GemvVnniHigh {h2,7:F3} us  its wide form (64-channel blocks, one chain) {tw,7:F3} us  {h2 / tw:F2}x");
                same &= eq;
                (double tt, double th) = ConvProbe.Interleaved(Tile, High);
                double macs = (double)k * n;
                Console.WriteLine($"K {k,4} N {n,4}: GemmVnni one row {tt,7:F3} us ({macs / tt / 1000,6:F1} GMAC/s)  GemvVnniHigh {th,7:F3} us ({macs / th / 1000,6:F1} GMAC/s)  {tt / th:F2}x  outputs equal: {eq}");
            }

            return same ? 0 : 1;
        }

        /// <summary>
        /// Probe-only copy of GemvVnniHigh's wide form before 2026-12-06 18:30 UTC (64-channel blocks, one chain of 8
        /// accumulators), for the A/B against the two-chain form; 64-channel blocks only, the rest by GemvVnniHigh.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void OldWideOneChain(ref sbyte a, int kQuads, ref sbyte w, int np8, int n, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y)
        {
            int wStep = np8 * 4, o0 = 0;
            for (; o0 + 64 <= np8; o0 += 64)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                Vector256<int> c0 = Vector256.LoadUnsafe(ref bias, (nuint)o0), c1 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 8));
                Vector256<int> c2 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 16)), c3 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 24));
                Vector256<int> c4 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 32)), c5 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 40));
                Vector256<int> c6 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 48)), c7 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 56));
                for (int q = 0; q < kQuads; q++)
                {
                    ref sbyte wq = ref Unsafe.Add(ref wb, q * wStep);
                    Vector256<byte> x = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, q * 4))) ^ unchecked((int)0x80808080)).AsByte();
                    c0 = AvxVnni.MultiplyWideningAndAdd(c0, x, Vector256.LoadUnsafe(ref wq));
                    c1 = AvxVnni.MultiplyWideningAndAdd(c1, x, Vector256.LoadUnsafe(ref wq, 32));
                    c2 = AvxVnni.MultiplyWideningAndAdd(c2, x, Vector256.LoadUnsafe(ref wq, 64));
                    c3 = AvxVnni.MultiplyWideningAndAdd(c3, x, Vector256.LoadUnsafe(ref wq, 96));
                    c4 = AvxVnni.MultiplyWideningAndAdd(c4, x, Vector256.LoadUnsafe(ref wq, 128));
                    c5 = AvxVnni.MultiplyWideningAndAdd(c5, x, Vector256.LoadUnsafe(ref wq, 160));
                    c6 = AvxVnni.MultiplyWideningAndAdd(c6, x, Vector256.LoadUnsafe(ref wq, 192));
                    c7 = AvxVnni.MultiplyWideningAndAdd(c7, x, Vector256.LoadUnsafe(ref wq, 224));
                }

                QuantGenKernels.StoreMulHigh16(c0, c1, o0, n - o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref y, o0));
                QuantGenKernels.StoreMulHigh16(c2, c3, o0 + 16, n - o0 - 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref y, o0 + 16));
                QuantGenKernels.StoreMulHigh16(c4, c5, o0 + 32, n - o0 - 32, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref y, o0 + 32));
                QuantGenKernels.StoreMulHigh16(c6, c7, o0 + 48, n - o0 - 48, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref y, o0 + 48));
            }

            if (o0 < np8)
            {
                QuantGenKernels.GemvVnniHigh(ref Unsafe.Add(ref a, 0), kQuads, ref Unsafe.Add(ref w, o0 * 4), np8, n, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref y, false);
            }
        }
    }
}
