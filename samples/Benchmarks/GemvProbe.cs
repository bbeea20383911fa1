using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
                bool eq = y0.AsSpan().SequenceEqual(y1) && y0.AsSpan().SequenceEqual(y2);
                (double h2, double tw) = ConvProbe.Interleaved(High, Wide);
                Console.WriteLine($"K {k,4} N {n,4}: GemvVnniHigh {h2,7:F3} us  its wide form (64-channel blocks, two chains) {tw,7:F3} us  {h2 / tw:F2}x");
                same &= eq;
                if (k * n >= 64 * 1024)
                {
                    // The weights at byte offsets 0..56 past a 64-byte line (a pinned copy each): the generated code's s_blob
                    // starts its data at a 64-byte aligned byte since session 13 (before, wherever the array landed: 8-aligned).
                    var pinned = GC.AllocateArray<byte>(w.Length + 128, pinned: true);
                    int start = QuantGenKernels.AlignedStart64(pinned);
                    var line = new System.Text.StringBuilder($"K {k,4} N {n,4}: wide form, weights at +0/8/16/32/40/56 mod 64:");
                    double at0 = 0;
                    foreach (int off in new[] { 0, 8, 16, 32, 40, 56 })
                    {
                        ((byte[])(object)w).AsSpan().CopyTo(pinned.AsSpan(start + off));
                        var yo = new sbyte[n];
                        void Off() => QuantGenKernels.GemvVnniHigh(ref a[0], kq, ref Unsafe.As<byte, sbyte>(ref pinned[start + off]), np, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yo[0], wide: true);
                        Off();
                        same &= yo.AsSpan().SequenceEqual(y2);
                        (double t, _) = ConvProbe.Interleaved(Off, Wide);
                        at0 = off == 0 ? t : at0;
                        line.Append(System.FormattableString.Invariant($" {t:F3} us ({t / at0:F2}x)"));
                    }

                    Console.WriteLine(line.ToString());
                }

                (double tt, double th) = ConvProbe.Interleaved(Tile, High);
                double macs = (double)k * n;
                Console.WriteLine($"K {k,4} N {n,4}: GemmVnni one row {tt,7:F3} us ({macs / tt / 1000,6:F1} GMAC/s)  GemvVnniHigh {th,7:F3} us ({macs / th / 1000,6:F1} GMAC/s)  {tt / th:F2}x  outputs equal: {eq}");
            }

            return same ? 0 : 1;
        }
    }
}
