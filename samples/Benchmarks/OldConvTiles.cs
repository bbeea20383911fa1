using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using ResidualAdd = QuantGen.Generated.QuantGenConvKernels.ResidualAdd;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Probe-only copy of the session-13 start of <c>QuantGenConvKernels.ImplicitBlock6x16</c> and its store helpers (commit
    /// 0ff8d5e), callable beside the current kernel by `conv-ab`; whole 16-channel blocks only (n % 16 == 0, AVX-512BW).
    /// </summary>
    internal static class OldConvTiles
    {
        /// <summary>Probe switch: 0 the real store, 1 no requantization (one ymm store of the sums per tile).</summary>
        public static int Mode;

        public static void High(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int sw, int oh, int ow, ref sbyte w, int np8, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride, ref sbyte other, ResidualAdd add)
        {
            int rowStride = pw * c, run = kw * c, positions = oh * ow;
            if (n % 16 != 0 || positions % 6 == 1)
            {
                throw new ArgumentException("OldConvTiles: whole 16-channel blocks, no single last position");
            }

            ref sbyte u0 = ref MemoryMarshal.GetReference(img);
            for (int o0 = 0; o0 < n; o0 += 16)
            {
                ImplicitBlock6x16(ref u0, pw, c, kh, run, rowStride, sh, sw, ow, positions, ref Unsafe.Add(ref w, o0 * 4), np8 * 4, o0, ref bias, ref mulHi, ref addHi, ref shiftHi,
                    lo, hi, ref y, yStride, ref other, add);
            }
        }


        /// <summary>
        /// Every tile of 6 positions of one whole 16-channel block (channels c0.. c0 + 15, c0 + 16 &lt;= n) in the packed multiply-high
        /// form on AVX-512BW: the tiles of ImplicitTile6x16 (the same positions, the same last tile of 2 to 5 positions
        /// repeating its last one, the same integers) run in one method: no call of 31 arguments per tile. Returns the first position not covered (0, 1 position left
        /// to the single-row tail, or positions).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int ImplicitBlock6x16(ref sbyte img, int pw, int c, int kh, int run, int rowStride, int sh, int sw, int ow, int positions, ref sbyte w, int wStep, int c0,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride, ref sbyte other, ResidualAdd add)
        {
            // The constants are read from memory in each tile: held in registers across the tiles, they pushed two of the 12
            // accumulators out of ymm0-15, the only registers the JIT gives vpdpbusd's accumulator (a copy in and out per quad).
            bool fused = !Unsafe.IsNullRef(ref other);
            Span<int> f = stackalloc int[6];
            Span<int> pend = stackalloc int[Chunk * 96];
            Span<int> pendP = stackalloc int[Chunk];
            Span<int> pendValid = stackalloc int[Chunk];
            int pending = 0;
            int yp = 0, xp = 0, p = 0;
            for (; p + 1 < positions; p += 6)
            {
                int valid = positions - p < 6 ? positions - p : 6;
                for (int r = 0; r < 6; r++)
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

                ref sbyte yc = ref Unsafe.Add(ref y, (p * yStride) + c0);
                if (Mode == 3)
                {
                    ref int q = ref pend[pending * 96];
                    a0.StoreUnsafe(ref q, 0);
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
                    pendP[pending] = p;
                    pendValid[pending] = valid;
                    if (++pending == Chunk)
                    {
                        Flush(pend, pendP, pendValid, pending, c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref y, yStride);
                        pending = 0;
                    }

                    continue;
                }

                if (Mode == 1)
                {
                    // Probe: no requantization, the accumulators summed into one ymm store.
                    Vector256<int> sum = ((a0 + b0) + (a1 + b1)) + ((a2 + b2) + (a3 + b3)) + ((a4 + b4) + (a5 + b5));
                    sum.AsSByte().StoreUnsafe(ref Unsafe.Add(ref y, p * 16 % ((positions * yStride) - 32)));
                    continue;
                }

                if (!fused)
                {
                    High6x16(a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5, c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref yc, yStride, valid);
                    continue;
                }

                Vector512<int> m = Vector512.LoadUnsafe(ref mulHi, (nuint)c0), mo = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
                Vector512<int> addv = Vector512.LoadUnsafe(ref addHi, (nuint)c0);
                Vector512<uint> shv = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0).AsUInt32();
                ref sbyte bc = ref Unsafe.Add(ref other, (p * yStride) + c0);
                HighAdd16(a0, b0, m, mo, addv, shv, lo, hi, add, ref bc, ref yc);
                HighAdd16(a1, b1, m, mo, addv, shv, lo, hi, add, ref Unsafe.Add(ref bc, yStride), ref Unsafe.Add(ref yc, yStride));
                if (valid > 2)
                {
                    HighAdd16(a2, b2, m, mo, addv, shv, lo, hi, add, ref Unsafe.Add(ref bc, 2 * yStride), ref Unsafe.Add(ref yc, 2 * yStride));
                }

                if (valid > 3)
                {
                    HighAdd16(a3, b3, m, mo, addv, shv, lo, hi, add, ref Unsafe.Add(ref bc, 3 * yStride), ref Unsafe.Add(ref yc, 3 * yStride));
                }

                if (valid > 4)
                {
                    HighAdd16(a4, b4, m, mo, addv, shv, lo, hi, add, ref Unsafe.Add(ref bc, 4 * yStride), ref Unsafe.Add(ref yc, 4 * yStride));
                }

                if (valid > 5)
                {
                    HighAdd16(a5, b5, m, mo, addv, shv, lo, hi, add, ref Unsafe.Add(ref bc, 5 * yStride), ref Unsafe.Add(ref yc, 5 * yStride));
                }
            }

            if (pending > 0)
            {
                Flush(pend, pendP, pendValid, pending, c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref y, yStride);
            }

            return p;
        }

        private const int Chunk = 8;

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Flush(Span<int> pend, Span<int> pendP, Span<int> pendValid, int count, int c0, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            for (int j = 0; j < count; j++)
            {
                ref int q = ref pend[j * 96];
                High6x16(Vector256.LoadUnsafe(ref q, 0), Vector256.LoadUnsafe(ref q, 8), Vector256.LoadUnsafe(ref q, 16), Vector256.LoadUnsafe(ref q, 24),
                    Vector256.LoadUnsafe(ref q, 32), Vector256.LoadUnsafe(ref q, 40), Vector256.LoadUnsafe(ref q, 48), Vector256.LoadUnsafe(ref q, 56),
                    Vector256.LoadUnsafe(ref q, 64), Vector256.LoadUnsafe(ref q, 72), Vector256.LoadUnsafe(ref q, 80), Vector256.LoadUnsafe(ref q, 88),
                    c0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref y, (pendP[j] * yStride) + c0), yStride, pendValid[j]);
            }
        }

        /// <summary>6 positions (image offsets f0..f5) x 16 channels from channel c0 over all taps, then the first `rows` (2..6) requantized.</summary>


        /// <summary>
        /// Six positions x 16 channels from c0 (accumulators with the bias already added) in the int32 multiply-high form of
        /// QuantGenKernels.MulHigh16, then narrowed by saturating packs: vpackssdw and vpacksswb of four rows leave, per 128-bit
        /// lane L, the dwords (row 0, 1, 2, 3) of channels 4L..4L+3, and one vpermd puts each row's 16 bytes together. int32 ->
        /// int16 -> int8 saturation is int32 -> int8 saturation, and the clamp to [lo, hi] (inside int8) on the bytes equals the
        /// clamp before narrowing, so the bytes are those of MulHigh16. Rows 16 bytes apart (16 output channels) and a whole
        /// tile: one 64-byte and one 32-byte store; otherwise the first `rows` rows one 16-byte store each. y points at channel c0.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void High6x16(Vector256<int> a0, Vector256<int> b0, Vector256<int> a1, Vector256<int> b1, Vector256<int> a2, Vector256<int> b2,
            Vector256<int> a3, Vector256<int> b3, Vector256<int> a4, Vector256<int> b4, Vector256<int> a5, Vector256<int> b5,
            int c0, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride, int rows)
        {
            Vector512<int> m = Vector512.LoadUnsafe(ref mulHi, (nuint)c0), mo = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
            Vector512<int> add = Vector512.LoadUnsafe(ref addHi, (nuint)c0);
            Vector512<uint> sh = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0).AsUInt32();
            Vector512<short> w01 = Avx512BW.PackSignedSaturate(High16(a0, b0, m, mo, add, sh), High16(a1, b1, m, mo, add, sh));
            Vector512<short> w23 = Avx512BW.PackSignedSaturate(High16(a2, b2, m, mo, add, sh), High16(a3, b3, m, mo, add, sh));
            Vector512<short> w45 = Avx512BW.PackSignedSaturate(High16(a4, b4, m, mo, add, sh), High16(a5, b5, m, mo, add, sh));
            Vector512<int> order = Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            Vector512<sbyte> q0 = Avx512F.PermuteVar16x32(Avx512BW.PackSignedSaturate(w01, w23).AsInt32(), order).AsSByte();
            Vector512<sbyte> q1 = Avx512F.PermuteVar16x32(Avx512BW.PackSignedSaturate(w45, w45).AsInt32(), order).AsSByte();
            if (lo > sbyte.MinValue)
            {
                Vector512<sbyte> l = Vector512.Create((sbyte)lo);
                q0 = Vector512.Max(q0, l);
                q1 = Vector512.Max(q1, l);
            }

            if (hi < sbyte.MaxValue)
            {
                Vector512<sbyte> u = Vector512.Create((sbyte)hi);
                q0 = Vector512.Min(q0, u);
                q1 = Vector512.Min(q1, u);
            }

            if (rows == 6 && yStride == 16)
            {
                q0.StoreUnsafe(ref y);
                q1.GetLower().StoreUnsafe(ref y, 64);
                return;
            }

            q0.GetLower().GetLower().StoreUnsafe(ref y);
            q0.GetLower().GetUpper().StoreUnsafe(ref y, (nuint)yStride);
            if (rows > 2)
            {
                q0.GetUpper().GetLower().StoreUnsafe(ref y, (nuint)(2 * yStride));
            }

            if (rows > 3)
            {
                q0.GetUpper().GetUpper().StoreUnsafe(ref y, (nuint)(3 * yStride));
            }

            if (rows > 4)
            {
                q1.GetLower().GetLower().StoreUnsafe(ref y, (nuint)(4 * yStride));
            }

            if (rows > 5)
            {
                q1.GetLower().GetUpper().StoreUnsafe(ref y, (nuint)(5 * yStride));
            }
        }

        /// <summary>
        /// One position's 16 channels of a conv with a fused residual Add: v = clamp(High16(acc), lo, hi) is the conv's int8 value
        /// (as High6x16 stores it: saturation to int8 then [lo, hi] inside int8 is the clamp to [lo, hi]) held in int32 lanes, then
        /// the Add's (v * ma + b * mb + c) &gt;&gt; s on int32 lanes (wrapping, proven exact), clamped to the Add's [lo, hi] and
        /// narrowed by vpmovdb (the values already lie in int8). b: the other operand's 16 bytes, y: the Add's output.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void HighAdd16(Vector256<int> a, Vector256<int> b, Vector512<int> m, Vector512<int> mo, Vector512<int> add, Vector512<uint> sh, int lo, int hi,
            ResidualAdd fused, ref sbyte other, ref sbyte y)
        {
            Vector512<int> v = Vector512.Min(Vector512.Max(High16(a, b, m, mo, add, sh), Vector512.Create(lo)), Vector512.Create(hi));
            Vector512<int> bo = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref other));
            Vector512<int> r = Vector512.ShiftRightArithmetic((v * Vector512.Create(fused.Ma)) + (bo * Vector512.Create(fused.Mb)) + Vector512.Create(fused.C), fused.S);
            r = Vector512.Min(Vector512.Max(r, Vector512.Create(fused.Lo)), Vector512.Create(fused.Hi));
            Avx512F.ConvertToVector128SByte(r).StoreUnsafe(ref y);
        }

        /// <summary>
        /// hi32(acc * m) + add, shifted right arithmetically by sh, on 16 lanes (a: channels 0-7, b: 8-15; mo: m read one
        /// channel further, for the odd lanes): the two vpmuldq's high dwords gathered by one vpermt2d.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> High16(Vector256<int> a, Vector256<int> b, Vector512<int> m, Vector512<int> mo, Vector512<int> add, Vector512<uint> sh)
        {
            Vector512<int> acc = Join(a, b);
            Vector512<long> pe = Avx512F.Multiply(acc, m);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mo);
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31), po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + add, sh);
        }

        /// <summary>
        /// 12 positions (image offsets f[0..11]) x 8 channels from channel c0 over all taps, then the first `rows` (2..12)
        /// requantized: pairs of positions in one 16-lane Requant16 when `pairs` (8 channels, rows 8 bytes apart, constants
        /// given for 16 lanes), else one Store16 per position.
        /// </summary>

        private static Vector256<byte> UQuad(ref sbyte u, int offset) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref u, offset)))).AsByte();

        private static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) =>
            Avx512F.IsSupported ? Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1) : Vector512.Create(lo, hi);
    }
}
