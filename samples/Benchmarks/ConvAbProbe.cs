using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using ResidualAdd = QuantGen.Generated.QuantGenConvKernels.ResidualAdd;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `conv-ab`: the implicit conv tiles of today (<c>ConvGemmImplicitHigh</c> / <c>...HighAdd</c>) against the probe-only copy
    /// of the session's start (<see cref="OldConvTiles"/>) on ResNet-8's convs and the DS-CNN stem, in one process: rounds of
    /// one batch of each (A B A B ...), the median of the per-round ratios old / new and the fastest batch of each; the bytes
    /// are compared. The padded image is built once (it is the same for both). `conv-ab [rounds] [modeM] [N]`: modeM runs the
    /// copy in mode M in place of today's kernel and N is the copy's mode on the old side (timing aids, see
    /// <see cref="OldConvTiles.Mode"/>; the bytes of modes 1 to 3 are not the conv's).
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

            int mode = args.Length > 2 && args[2].StartsWith("mode", StringComparison.Ordinal) ? int.Parse(args[2].Substring(4), System.Globalization.CultureInfo.InvariantCulture) : -1;
            int oldMode = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0;
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
                void Old()
                {
                    OldConvTiles.Mode = oldMode;
                    OldConvTiles.High(img, pw, sh.C, sh.Kh, sh.Kw, sh.S, sh.S, sh.Oh, sh.Ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127,
                    ref yOld[0], n, ref sh.Add ? ref other[0] : ref System.Runtime.CompilerServices.Unsafe.NullRef<sbyte>(), add);
                    OldConvTiles.Mode = 0;
                }
                void New()
                {
                    if (mode >= 0)
                    {
                        OldConvTiles.Mode = mode;
                        OldConvTiles.High(img, pw, sh.C, sh.Kh, sh.Kw, sh.S, sh.S, sh.Oh, sh.Ow, ref wt[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127,
                            ref yNew[0], n, ref sh.Add ? ref other[0] : ref System.Runtime.CompilerServices.Unsafe.NullRef<sbyte>(), add);
                        OldConvTiles.Mode = 0;
                    }
                    else if (sh.Add)
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

    /// <summary>
    /// Probe-only copy of the session-14 start's whole-block path of <c>ConvGemmImplicitHigh</c> / <c>...HighAdd</c>
    /// (ImplicitBlock6x16 with its deferred zmm requantization, the image offsets computed per tile); Mode 1 skips the
    /// requantization passes, 2 also the buffer stores, 3 also the per-tile offsets (every tile reads the first tile's
    /// positions) (timing aids only: their bytes are wrong). Handles the probe's shapes only (n % 16 == 0, no single-row tail).
    /// </summary>
    internal static class OldConvTiles
    {
        /// <summary>0: the kernel as it was; 1, 2, 3: parts left out (see the class).</summary>
        public static int Mode;

        public static void High(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int sw, int oh, int ow, ref sbyte w, int np8, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, long lo, long hi, ref sbyte y, int yStride, ref sbyte other, ResidualAdd add)
        {
            int rowStride = pw * c, run = kw * c, positions = oh * ow;
            ref sbyte u0 = ref MemoryMarshal.GetReference(img);
            for (int o0 = 0; o0 < n; o0 += 16)
            {
                int p = ImplicitBlock6x16(ref u0, pw, c, kh, run, rowStride, sh, sw, ow, positions, ref Unsafe.Add(ref w, o0 * 4), np8 * 4, o0, ref bias, ref mulHi, ref addHi, ref shiftHi,
                    (int)lo, (int)hi, ref y, yStride, ref other, add);
                if (p < positions)
                {
                    throw new ArgumentException("OldConvTiles: a single-row tail is not in the probe copy");
                }
            }
        }

        private static Vector256<byte> UQuad(ref sbyte u, int offset) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref u, offset)))).AsByte();

        private static Vector256<int> sink;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int ImplicitBlock6x16(ref sbyte img, int pw, int c, int kh, int run, int rowStride, int sh, int sw, int ow, int positions, ref sbyte w, int wStep, int c0,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride, ref sbyte other, ResidualAdd add)
        {
            // The constants are read from memory in each tile: held in registers across the tiles, they pushed two of the 12
            // accumulators out of ymm0-15, the only registers the JIT gives vpdpbusd's accumulator (a copy in and out per quad).
            bool fused = !Unsafe.IsNullRef(ref other);
            Span<int> f = stackalloc int[6];
            Span<int> pending = stackalloc int[16 * 6 * 16];
            ref int acc = ref MemoryMarshal.GetReference(pending);
            int yp = 0, xp = 0, p = 0, chunk = 0, tiles = 0;
            for (; p + 1 < positions; p += 6)
            {
                int valid = positions - p < 6 ? positions - p : 6;
                for (int r = 0; r < 6 && (Mode < 3 || p == 0); r++)
                {
                    f[r] = ((yp * sh * pw) + (xp * sw)) * c;
                    if (r + 1 < valid && ++xp == ow)
                    {
                        xp = 0;
                        yp++;
                    }
                }

                if (++xp == ow)
                {
                    xp = 0;
                    yp++;
                }

                Vector256<int> ba = Vector256.LoadUnsafe(ref bias, (nuint)c0), bb = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 8));
                Vector256<int> a0 = ba, b0 = bb, a1 = ba, b1 = bb, a2 = ba, b2 = bb;
                Vector256<int> a3 = ba, b3 = bb, a4 = ba, b4 = bb, a5 = ba, b5 = bb;
                ref sbyte r0 = ref Unsafe.Add(ref img, f[0]), r1 = ref Unsafe.Add(ref img, f[1]), r2 = ref Unsafe.Add(ref img, f[2]);
                ref sbyte r3 = ref Unsafe.Add(ref img, f[3]), r4 = ref Unsafe.Add(ref img, f[4]), r5 = ref Unsafe.Add(ref img, f[5]);
                ref sbyte wq = ref w;
                for (int i = 0; i < kh; i++)
                {
                    int k0 = i * rowStride;
                    for (int t = k0; t < k0 + run; t += 4)
                    {
                        Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq), w1 = Vector256.LoadUnsafe(ref wq, 32);
                        wq = ref Unsafe.Add(ref wq, wStep);
                        Vector256<byte> x = UQuad(ref r0, t);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, w0);
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, x, w1);
                        x = UQuad(ref r1, t);
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, w0);
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, x, w1);
                        x = UQuad(ref r2, t);
                        a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, w0);
                        b2 = AvxVnni.MultiplyWideningAndAdd(b2, x, w1);
                        x = UQuad(ref r3, t);
                        a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, w0);
                        b3 = AvxVnni.MultiplyWideningAndAdd(b3, x, w1);
                        x = UQuad(ref r4, t);
                        a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, w0);
                        b4 = AvxVnni.MultiplyWideningAndAdd(b4, x, w1);
                        x = UQuad(ref r5, t);
                        a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, w0);
                        b5 = AvxVnni.MultiplyWideningAndAdd(b5, x, w1);
                    }
                }

                // Rows of the buffer are positions chunk, chunk + 1, ..; a last tile of 2 to 5 positions writes its repeated
                // rows past them (never flushed).
                if (Mode >= 2)
                {
                    sink ^= a0 ^ b0 ^ a1 ^ b1 ^ a2 ^ b2 ^ a3 ^ b3 ^ a4 ^ b4 ^ a5 ^ b5;
                    continue;
                }

                ref int q = ref Unsafe.Add(ref acc, (p - chunk) * 16);
                a0.StoreUnsafe(ref q);
                b0.StoreUnsafe(ref q, 8);
                a1.StoreUnsafe(ref q, 16);
                b1.StoreUnsafe(ref q, 24);
                a2.StoreUnsafe(ref q, 32);
                b2.StoreUnsafe(ref q, 40);
                a3.StoreUnsafe(ref q, 48);
                b3.StoreUnsafe(ref q, 56);
                a4.StoreUnsafe(ref q, 64);
                b4.StoreUnsafe(ref q, 72);
                a5.StoreUnsafe(ref q, 80);
                b5.StoreUnsafe(ref q, 88);
                if ((++tiles == 16 || p + 6 + 1 >= positions) && Mode == 0)
                {
                    int rows = (p + valid) - chunk;
                    ref sbyte yc = ref Unsafe.Add(ref y, (chunk * yStride) + c0);
                    if (fused)
                    {
                        FlushHighAdd(ref acc, rows, c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, add, ref Unsafe.Add(ref other, (chunk * yStride) + c0), ref yc, yStride);
                    }
                    else
                    {
                        FlushHigh(ref acc, rows, c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref yc, yStride);
                    }

                    chunk = p + valid;
                    tiles = 0;
                }
            }

            return p;
        }

        /// <summary>Tiles of <see cref="ImplicitBlock6x16"/> whose accumulators wait in its buffer (16 x 96 int32: 6 KB; 8 and 32 tiles measured no better) before one requantization pass.</summary>
        private const int DeferTiles = 16;

        /// <summary>
        /// Requantizes `rows` rows of 16 int32 accumulators (bias included; acc: row r at 16 r) in the multiply-high form of
        /// <see cref="High6x16"/> and stores their bytes (y: the first row's channel c0, rows yStride apart): four rows per
        /// vpackssdw / vpacksswb / vpermd (one 64-byte store when the rows are 16 bytes apart), a last 1 to 3 rows one vpmovsdb each
        /// (int32 -> int8 saturation, as the packs). The clamp to [lo, hi] (inside int8) on the bytes equals the clamp before narrowing.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void FlushHigh(ref int acc, int rows, int c0, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            Vector512<int> m = Vector512.LoadUnsafe(ref mulHi, (nuint)c0), mo = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
            Vector512<int> add = Vector512.LoadUnsafe(ref addHi, (nuint)c0);
            Vector512<uint> sh = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0).AsUInt32();
            Vector512<int> order = Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            Vector512<sbyte> l = Vector512.Create((sbyte)lo), u = Vector512.Create((sbyte)hi);
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                ref int a = ref Unsafe.Add(ref acc, r * 16);
                Vector512<short> w01 = Avx512BW.PackSignedSaturate(HighRow(Vector512.LoadUnsafe(ref a), m, mo, add, sh), HighRow(Vector512.LoadUnsafe(ref a, 16), m, mo, add, sh));
                Vector512<short> w23 = Avx512BW.PackSignedSaturate(HighRow(Vector512.LoadUnsafe(ref a, 32), m, mo, add, sh), HighRow(Vector512.LoadUnsafe(ref a, 48), m, mo, add, sh));
                Vector512<sbyte> q = Avx512F.PermuteVar16x32(Avx512BW.PackSignedSaturate(w01, w23).AsInt32(), order).AsSByte();
                q = Vector512.Min(Vector512.Max(q, l), u);
                ref sbyte yr = ref Unsafe.Add(ref y, r * yStride);
                if (yStride == 16)
                {
                    q.StoreUnsafe(ref yr);
                    continue;
                }

                q.GetLower().GetLower().StoreUnsafe(ref yr);
                q.GetLower().GetUpper().StoreUnsafe(ref yr, (nuint)yStride);
                q.GetUpper().GetLower().StoreUnsafe(ref yr, (nuint)(2 * yStride));
                q.GetUpper().GetUpper().StoreUnsafe(ref yr, (nuint)(3 * yStride));
            }

            for (; r < rows; r++)
            {
                Vector128<sbyte> b = Avx512F.ConvertToVector128SByteWithSaturation(HighRow(Vector512.LoadUnsafe(ref acc, (nuint)(r * 16)), m, mo, add, sh));
                Vector128.Min(Vector128.Max(b, l.GetLower().GetLower()), u.GetLower().GetLower()).StoreUnsafe(ref y, (nuint)(r * yStride));
            }
        }

        /// <summary>
        /// <see cref="FlushHigh"/> with the residual Add of <see cref="HighAdd16"/> per row (other: the other operand at the first
        /// row's channel c0, rows yStride apart as y).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void FlushHighAdd(ref int acc, int rows, int c0, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ResidualAdd fused, ref sbyte other,
            ref sbyte y, int yStride)
        {
            Vector512<int> m = Vector512.LoadUnsafe(ref mulHi, (nuint)c0), mo = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
            Vector512<int> add = Vector512.LoadUnsafe(ref addHi, (nuint)c0);
            Vector512<uint> sh = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0).AsUInt32();
            Vector512<int> l = Vector512.Create(lo), u = Vector512.Create(hi);
            Vector512<int> ma = Vector512.Create(fused.Ma), mb = Vector512.Create(fused.Mb), k = Vector512.Create(fused.C);
            Vector512<int> addLo = Vector512.Create(fused.Lo), addHigh = Vector512.Create(fused.Hi);
            for (int r = 0; r < rows; r++)
            {
                Vector512<int> v = Vector512.Min(Vector512.Max(HighRow(Vector512.LoadUnsafe(ref acc, (nuint)(r * 16)), m, mo, add, sh), l), u);
                Vector512<int> bo = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref other, (nuint)(r * yStride)));
                Vector512<int> s = Vector512.ShiftRightArithmetic((v * ma) + (bo * mb) + k, fused.S);
                Avx512F.ConvertToVector128SByte(Vector512.Min(Vector512.Max(s, addLo), addHigh)).StoreUnsafe(ref y, (nuint)(r * yStride));
            }
        }

        /// <summary><see cref="High16"/> of one row whose 16 accumulators are already one zmm.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> HighRow(Vector512<int> acc, Vector512<int> m, Vector512<int> mo, Vector512<int> add, Vector512<uint> sh)
        {
            Vector512<long> pe = Avx512F.Multiply(acc, m);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mo);
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31), po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + add, sh);
        }
    }
}
