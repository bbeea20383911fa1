using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Frozen copies of the table-softmax AVX-512 row and LayerNormRowsFast as they were before this session's softmax work
    /// (main dfa2c37), kept only so that `softmax-probe` can A/B them against the kernels in one process.
    /// </summary>
    internal static class SoftmaxBaselineKernels
    {
        public static void SoftmaxRows(ReadOnlySpan<byte> x, int flip, int rows, int len, ref int expTable, Span<int> e, int multiplier, int shift, int zero, int hi, Span<byte> y)
        {
            for (int r = 0; r < rows; r++)
            {
                RowAvx512(x.Slice(r * len, len), flip, ref expTable, e, multiplier, shift, zero, hi, y.Slice(r * len, len));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int RowMaxU8(ReadOnlySpan<byte> x, int flip)
        {
            ref byte src = ref MemoryMarshal.GetReference(x);
            int len = x.Length;
            if (Vector256.IsHardwareAccelerated && len >= 32)
            {
                Vector256<byte> f = Vector256.Create((byte)flip), m = Vector256<byte>.Zero;
                for (int i = 0; i < len; i += 32)
                {
                    m = Vector256.Max(m, Vector256.LoadUnsafe(ref src, (nuint)Min(i, len - 32)) ^ f);
                }

                return ScalarMax(Vector128.Max(m.GetLower(), m.GetUpper()));
            }

            if (Vector128.IsHardwareAccelerated && len >= 16)
            {
                Vector128<byte> f = Vector128.Create((byte)flip), m = Vector128<byte>.Zero;
                for (int i = 0; i < len; i += 16)
                {
                    m = Vector128.Max(m, Vector128.LoadUnsafe(ref src, (nuint)Min(i, len - 16)) ^ f);
                }

                return ScalarMax(m);
            }

            int max = 0;
            for (int i = 0; i < len; i++)
            {
                max = Max(max, x[i] ^ flip);
            }

            return max;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Max(int a, int b) => a > b ? a : b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Min(int a, int b) => a < b ? a : b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int ScalarMax(Vector128<byte> m)
        {
            int max = 0;
            for (int i = 0; i < 16; i++)
            {
                max = Max(max, m.GetElement(i));
            }

            return max;
        }

        /// <summary>
        /// AVX-512: E[max - u] for 16 lanes from the 256-entry table held in 16 registers (vpermi2d over each 32-entry pair,
        /// then a select tree on bits 5, 6 and 7 of the index), the row sum on int32 lanes, and the output on 8 unsigned 64-bit
        /// lanes per half: vpmullq (E f), vpsrlq 31, vpmuludq (p m), add, vpsrlq s, vpminuq, vpmovqd, add z, vpmovdb.
        /// The last 16 outputs overlap the previous step (the same values are written twice).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RowAvx512(ReadOnlySpan<byte> x, int flip, ref int expTable, Span<int> e, int multiplier, int shift, int zero, int hi, Span<byte> y)
        {
            int len = x.Length;
            int max = RowMaxU8(x, flip);
            ref byte src = ref MemoryMarshal.GetReference(x);
            ref int er = ref MemoryMarshal.GetReference(e);
            Vector512<int> t0 = Vector512.LoadUnsafe(ref expTable, 0), t1 = Vector512.LoadUnsafe(ref expTable, 16), t2 = Vector512.LoadUnsafe(ref expTable, 32), t3 = Vector512.LoadUnsafe(ref expTable, 48);
            Vector512<int> t4 = Vector512.LoadUnsafe(ref expTable, 64), t5 = Vector512.LoadUnsafe(ref expTable, 80), t6 = Vector512.LoadUnsafe(ref expTable, 96), t7 = Vector512.LoadUnsafe(ref expTable, 112);
            Vector512<int> t8 = Vector512.LoadUnsafe(ref expTable, 128), t9 = Vector512.LoadUnsafe(ref expTable, 144), t10 = Vector512.LoadUnsafe(ref expTable, 160), t11 = Vector512.LoadUnsafe(ref expTable, 176);
            Vector512<int> t12 = Vector512.LoadUnsafe(ref expTable, 192), t13 = Vector512.LoadUnsafe(ref expTable, 208), t14 = Vector512.LoadUnsafe(ref expTable, 224), t15 = Vector512.LoadUnsafe(ref expTable, 240);
            Vector512<int> mv = Vector512.Create(max), fl = Vector512.Create(flip), sums = Vector512<int>.Zero;
            int j = 0;
            for (; j + 16 <= len; j += 16)
            {
                Vector512<int> d = mv - (Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref src, (nuint)j)) ^ fl);
                Vector512<int> b5 = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(d, 26), 31);
                Vector512<int> b6 = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(d, 25), 31);
                Vector512<int> b7 = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(d, 24), 31);
                Vector512<int> lo4 = Vector512.ConditionalSelect(b6,
                    Vector512.ConditionalSelect(b5, Avx512F.PermuteVar16x32x2(t6, d, t7), Avx512F.PermuteVar16x32x2(t4, d, t5)),
                    Vector512.ConditionalSelect(b5, Avx512F.PermuteVar16x32x2(t2, d, t3), Avx512F.PermuteVar16x32x2(t0, d, t1)));
                Vector512<int> hi4 = Vector512.ConditionalSelect(b6,
                    Vector512.ConditionalSelect(b5, Avx512F.PermuteVar16x32x2(t14, d, t15), Avx512F.PermuteVar16x32x2(t12, d, t13)),
                    Vector512.ConditionalSelect(b5, Avx512F.PermuteVar16x32x2(t10, d, t11), Avx512F.PermuteVar16x32x2(t8, d, t9)));
                Vector512<int> ev = Vector512.ConditionalSelect(b7, hi4, lo4);
                ev.StoreUnsafe(ref er, (nuint)j);
                sums += ev;
            }

            long sum = Vector512.Sum(sums);
            for (; j < len; j++)
            {
                int v = Unsafe.Add(ref expTable, max - (x[j] ^ flip));
                Unsafe.Add(ref er, j) = v;
                sum += v;
            }

            long f = (1L << 62) / sum;
            Vector512<long> fv = Vector512.Create(f);
            Vector512<uint> m = Vector512.Create((uint)multiplier);
            Vector512<ulong> round = Vector512.Create(shift == 0 ? 0UL : 1UL << (shift - 1)), cap = Vector512.Create((ulong)(hi - zero));
            Vector512<int> z = Vector512.Create(zero);
            ref byte dst = ref MemoryMarshal.GetReference(y);
            for (int i = 0; i < len; i += 16)
            {
                int k = Min(i, len - 16);
                Vector512<int> ev = Vector512.LoadUnsafe(ref er, (nuint)k);
                Vector256<int> a = Out512(Avx512F.ConvertToVector512Int64(ev.GetLower()), fv, m, round, shift, cap);
                Vector256<int> b = Out512(Avx512F.ConvertToVector512Int64(ev.GetUpper()), fv, m, round, shift, cap);
                Avx512F.ConvertToVector128Byte(Vector512.Create(a, b) + z).StoreUnsafe(ref dst, (nuint)k);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Out512(Vector512<long> ev, Vector512<long> f, Vector512<uint> m, Vector512<ulong> round, int shift, Vector512<ulong> cap)
        {
            Vector512<ulong> p = Vector512.ShiftRightLogical(Avx512DQ.MultiplyLow(ev, f).AsUInt64(), 31);
            Vector512<ulong> v = Vector512.ShiftRightLogical(Avx512F.Multiply(p.AsUInt32(), m) + round, shift);
            return Avx512F.ConvertToVector256Int32(Vector512.Min(v, cap).AsInt64());
        }

        /// <summary>
        /// AVX2: the lookups scalar (no register table of 256 entries), the output on 4 unsigned 64-bit lanes: E f as
        /// E fl + (E fh) &lt;&lt; 32 with two vpmuludq (f = fh 2^32 + fl; exact, E f &lt;= 2^62), then as AVX-512; 32 outputs per
        /// step narrowed by order-preserving packs, the last step overlapping.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void LayerNormRowsFast(ReadOnlySpan<sbyte> x, int rows, int c, long e, int k, long g, ref long mul, ref long round, ref long shift, ref long bias, long lo, long hi, Span<sbyte> y)
        {
            if (c < 1 || x.Length < rows * c || y.Length < rows * c)
            {
                throw new ArgumentException("the LayerNorm rows do not fit their buffers");
            }

            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<sbyte> xr = x.Slice(r * c, c);
                Span<sbyte> yr = y.Slice(r * c, c);
                long sum = 0, sq = 0;
                int j = 0;
                if (Avx512BW.IsSupported)
                {
                    Vector512<int> s = Vector512<int>.Zero, q = Vector512<int>.Zero;
                    for (; j + 16 <= c; j += 16)
                    {
                        Vector512<int> v = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref Unsafe.AsRef(in xr[j])));
                        s += v;
                        q += v * v;
                    }

                    sum = Vector512.Sum(s);
                    sq = Vector512.Sum(q);
                }
                else if (Avx2.IsSupported)
                {
                    Vector256<int> s = Vector256<int>.Zero, q = Vector256<int>.Zero;
                    for (; j + 8 <= c; j += 8)
                    {
                        Vector256<int> v = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Unsafe.ReadUnaligned<long>(ref Unsafe.As<sbyte, byte>(ref Unsafe.AsRef(in xr[j])))).AsSByte());
                        s += v;
                        q += v * v;
                    }

                    sum = Vector256.Sum(s);
                    sq = Vector256.Sum(q);
                }

                for (; j < c; j++)
                {
                    long v = xr[j];
                    sum += v;
                    sq += v * v;
                }

                long variance = (((c * sq) - (sum * sum)) << k) + e;   // the generator's k keeps (c Q - S^2) 2^k within 2^60
                long f = 0;
                int rs = 0;
                if (variance > 0)
                {
                    // IntLayerNorm.Align: a = floor((62 - bitlength(v)) / 2); Factor: t = Isqrt(v 4^a), R = round(2^60 / t), F = RoundShift(R g, 31).
                    int a = (62 - (64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)variance))) >> 1;
                    long t = (long)IsqrtExact((ulong)variance << (2 * a));
                    long rr0 = (1152921504606846976L + (t >> 1)) / t;
                    f = ((rr0 * g) + 1073741824L) >> 31;
                    rs = 30 - a - (k >> 1);
                    rs = rs < 0 ? 0 : rs;   // only on constant rows, where every c x - S is 0
                }

                long rr = rs == 0 ? 0 : 1L << (rs - 1);
                j = 0;
                if (Avx512BW.IsSupported)
                {
                    Vector512<long> cv = Vector512.Create((long)c), sv = Vector512.Create(sum), fv = Vector512.Create(f), rv = Vector512.Create(rr), lv = Vector512.Create(lo), hv = Vector512.Create(hi);
                    Vector512<ulong> rsv = Vector512.Create((ulong)rs);
                    for (; j + 8 <= c; j += 8)
                    {
                        Vector512<long> xv = Avx512F.ConvertToVector512Int64(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.AsRef(in xr[j])))).AsSByte());
                        Vector512<long> d = Avx512F.Multiply(xv.AsInt32(), cv.AsInt32()) - sv;
                        Vector512<long> norm = Avx512F.ShiftRightArithmeticVariable(Avx512F.Multiply(d.AsInt32(), fv.AsInt32()) + rv, rsv);
                        Vector512<long> v = Avx512F.Multiply(norm.AsInt32(), Vector512.LoadUnsafe(ref mul, (nuint)j).AsInt32());
                        v = Avx512F.ShiftRightArithmeticVariable(v + Vector512.LoadUnsafe(ref round, (nuint)j), Vector512.LoadUnsafe(ref shift, (nuint)j).AsUInt64());
                        v = Vector512.Min(Vector512.Max(v + Vector512.LoadUnsafe(ref bias, (nuint)j), lv), hv);
                        Vector128<sbyte> b = Avx512F.ConvertToVector128SByte(v);
                        Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref yr[j]), b.AsUInt64().ToScalar());
                    }
                }

                for (; j < c; j++)
                {
                    long norm = (((c * (long)xr[j]) - sum) * f + rr) >> rs;
                    long v = Unsafe.Add(ref bias, j) + ((norm * Unsafe.Add(ref mul, j) + Unsafe.Add(ref round, j)) >> (int)Unsafe.Add(ref shift, j));
                    yr[j] = (sbyte)(v < lo ? lo : v > hi ? hi : v);
                }
            }
        }

        /// <summary>
        /// floor(sqrt(v)) exactly, integers only. v in [2^60, 2^62) (LayerNorm's v 4^a): the line through (2^60, 2^30) and
        /// (2^62, 2^31), t0 = (2^31 + v / 2^30) / 3, is within 6 % of the root; four integer Newton steps
        /// t = (t + v / t) / 2 bring it within a unit (the relative error squares each step: 6e-2, 2e-3, 1e-6, 1e-12), and the
        /// two loops move it to the largest t with t^2 &lt;= v (no product overflows: t &lt; 2^31 + 2). Other v take the bitwise
        /// method (IntegerOps.Isqrt's).
        /// </summary>
        public static ulong IsqrtExact(ulong v)
        {
            if (v < 1UL << 60 || v >= 1UL << 62)
            {
                ulong root = 0, rem = v;
                for (int i = 31; i >= 0; i--)
                {
                    ulong b = (root << (i + 1)) + (1UL << (2 * i));
                    if (b <= rem)
                    {
                        rem -= b;
                        root |= 1UL << i;
                    }
                }

                return root;
            }

            ulong t = ((1UL << 31) + (v >> 30)) / 3;
            t = (t + (v / t)) >> 1;
            t = (t + (v / t)) >> 1;
            t = (t + (v / t)) >> 1;
            t = (t + (v / t)) >> 1;
            while (t * t > v)
            {
                t--;
            }

            while ((t + 1) * (t + 1) <= v)
            {
                t++;
            }

            return t;
        }
    }
}
