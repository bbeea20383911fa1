using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// QuantGenPointwiseKernels.Stem8 as it was before the zmm requantization of channel pairs (commit dfa2c37: 8 ymm
    /// requantizations of one channel each, clamped in int32, vpmovqd for the stride-2 taps), kept callable only for
    /// stem-probe's A/B in one process.
    /// </summary>
    internal static class OldStem8
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Stem8(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int sw, int oh, int ow, ref sbyte w, ref int bias,
            ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y)
        {
            int rowStride = pw * c, step = sw * c;
            if (!QuantGen.Generated.QuantGenPointwiseKernels.Stem8Vector || c % 4 != 0 || (step != 4 && step != 8) || ow < 8
                || img.Length < (((((oh - 1) * sh) + kh - 1) * rowStride) + (((ow - 1) * step) + (kw * c))) + 4)
            {
                throw new ArgumentException("Stem8 needs AVX-VNNI and AVX-512 VBMI (callers check Stem8Vector), c % 4 == 0, sw * c of 4 or 8, 8 output positions a row and a large enough image");
            }

            // vpermb indices: output byte p * 8 + o from the two packs' byte (o / 4) * 32 + (p / 4) * 16 + (o % 4) * 4 + p % 4.
            Span<byte> order = stackalloc byte[64];
            for (int k = 0; k < 64; k++)
            {
                int p = k / 8, o = k % 8;
                order[k] = (byte)(((o / 4) * 32) + ((p / 4) * 16) + ((o % 4) * 4) + (p % 4));
            }

            Vector512<byte> perm = Vector512.Create<byte>(order);
            ref sbyte u0 = ref MemoryMarshal.GetReference(img);
            int run = kw * c;
            for (int yo = 0; yo < oh; yo++)
            {
                for (int x0 = 0; x0 < ow; x0 += 8)
                {
                    int xs = x0 + 8 <= ow ? x0 : ow - 8;
                    Group8(ref Unsafe.Add(ref u0, (yo * sh * rowStride) + (xs * step)), rowStride, kh, run, step == 8, ref w, ref bias, ref mulHi, ref addHi, ref shiftHi,
                        lo, hi, perm, ref Unsafe.Add(ref y, ((yo * ow) + xs) * 8));
                }
            }
        }

        /// <summary>8 positions (pixel dwords step bytes apart from r) x 8 channels over all taps, requantized, stored as [position][channel].</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Group8(ref sbyte r, int rowStride, int kh, int run, bool even, ref sbyte w, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi,
            int lo, int hi, Vector512<byte> perm, ref sbyte y)
        {
            Vector256<int> a0 = Vector256.Create(bias), a1 = Vector256.Create(Unsafe.Add(ref bias, 1)), a2 = Vector256.Create(Unsafe.Add(ref bias, 2)), a3 = Vector256.Create(Unsafe.Add(ref bias, 3));
            Vector256<int> a4 = Vector256.Create(Unsafe.Add(ref bias, 4)), a5 = Vector256.Create(Unsafe.Add(ref bias, 5)), a6 = Vector256.Create(Unsafe.Add(ref bias, 6)), a7 = Vector256.Create(Unsafe.Add(ref bias, 7));
            ref sbyte wq = ref w;
            for (int i = 0; i < kh; i++)
            {
                ref sbyte ri = ref Unsafe.Add(ref r, i * rowStride);
                for (int t = 0; t < run; t += 4)
                {
                    Vector256<byte> v = even
                        ? Avx512F.ConvertToVector256Int32(Vector512.LoadUnsafe(ref Unsafe.As<sbyte, long>(ref Unsafe.Add(ref ri, t)))).AsByte()
                        : Vector256.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref ri, t)));
                    a0 = AvxVnni.MultiplyWideningAndAdd(a0, v, Vector256.LoadUnsafe(ref wq));
                    a1 = AvxVnni.MultiplyWideningAndAdd(a1, v, Vector256.LoadUnsafe(ref wq, 32));
                    a2 = AvxVnni.MultiplyWideningAndAdd(a2, v, Vector256.LoadUnsafe(ref wq, 64));
                    a3 = AvxVnni.MultiplyWideningAndAdd(a3, v, Vector256.LoadUnsafe(ref wq, 96));
                    a4 = AvxVnni.MultiplyWideningAndAdd(a4, v, Vector256.LoadUnsafe(ref wq, 128));
                    a5 = AvxVnni.MultiplyWideningAndAdd(a5, v, Vector256.LoadUnsafe(ref wq, 160));
                    a6 = AvxVnni.MultiplyWideningAndAdd(a6, v, Vector256.LoadUnsafe(ref wq, 192));
                    a7 = AvxVnni.MultiplyWideningAndAdd(a7, v, Vector256.LoadUnsafe(ref wq, 224));
                    wq = ref Unsafe.Add(ref wq, 256);
                }
            }

            Vector256<int> lv = Vector256.Create(lo), hv = Vector256.Create(hi);
            a0 = MulHighLanes(a0, 0, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a1 = MulHighLanes(a1, 1, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a2 = MulHighLanes(a2, 2, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a3 = MulHighLanes(a3, 3, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a4 = MulHighLanes(a4, 4, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a5 = MulHighLanes(a5, 5, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a6 = MulHighLanes(a6, 6, ref mulHi, ref addHi, ref shiftHi, lv, hv);
            a7 = MulHighLanes(a7, 7, ref mulHi, ref addHi, ref shiftHi, lv, hv);

            // Values inside int8, so the saturating packs are plain narrowings; within each 128-bit lane the packs give
            // channels 0-3 (then 4-7) x positions 0-3 (lane 0) or 4-7 (lane 1), which vpermb reorders to [position][channel].
            Vector256<sbyte> q0 = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(a0, a1), Avx2.PackSignedSaturate(a2, a3));
            Vector256<sbyte> q1 = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(a4, a5), Avx2.PackSignedSaturate(a6, a7));
            Avx512Vbmi.PermuteVar64x8(Vector512.Create(q0, q1).AsByte(), perm).StoreUnsafe(ref Unsafe.As<sbyte, byte>(ref y));
        }

        /// <summary>
        /// The int32 multiply-high requantization of 8 lanes of one channel o (bias already in acc): (hi32(acc * m) + add) &gt;&gt; t
        /// with channel o's m, add and t in every lane, clamped to [lo, hi]. vpmuldq multiplies the even lanes; the odd lanes go
        /// through acc &gt;&gt;&gt; 32 (QuantGenKernels.MulHigh8 with one channel's constants).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> MulHighLanes(Vector256<int> acc, int o, ref int mulHi, ref int addHi, ref int shiftHi, Vector256<int> lo, Vector256<int> hi)
        {
            Vector256<int> m = Vector256.Create(Unsafe.Add(ref mulHi, o));
            Vector256<long> pe = Avx2.Multiply(acc, m);
            Vector256<long> po = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), m);
            Vector256<int> h = Avx2.Blend(Avx2.ShiftRightLogical(pe, 32).AsInt32(), po.AsInt32(), 0xAA);
            h = Avx2.ShiftRightArithmeticVariable(h + Vector256.Create(Unsafe.Add(ref addHi, o)), Vector256.Create((uint)Unsafe.Add(ref shiftHi, o))); // vpsravd: one uop (t <= 30)
            return Vector256.Min(Vector256.Max(h, lo), hi);
        }
    }
}
