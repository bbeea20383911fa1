using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The attention GEMM before QuantGenAttentionKernels (QuantGenTransformerKernels.GemmVnniHighRows as of commit dfa2c37,
    /// frozen here for `attn-probe`'s A/B in one process): tiles that convert a to u = a + 128 per broadcast and read per-channel
    /// multiply-high constants. A profiling aid, not part of any generated model.
    /// </summary>
    internal static class AttnBaselineKernels
    {
        /// <summary>
        /// The activation x activation GEMM of attention (q x k^T, probs x V) with the int32 multiply-high store:
        /// y[r * yStride + o] = clamp(zo + ((acc * m + 2^(s - 1)) &gt;&gt; s), lo, hi) for o &lt; n, r &lt; rows, where
        /// acc = bias[o] + rowBias[r] + sum_q u[r, q] . w[q, o] (u = a + 128 per byte: vpdpbusd's u8 x s8 products), computed as
        /// (hi32(acc * mulHi[o]) + addHi[o]) &gt;&gt; shiftHi[o]. Exact when every channel passes Conv2dLowering.MulHighApplies (the
        /// proof: QuantGenPointwiseKernels.GemmVnniHigh) and the range analysis proved that acc fits int32 (the wrapped partial
        /// sums then end at the exact value). QuantGenPointwiseKernels.GemmVnniHigh's tiles with a per-row term: the accumulators
        /// start at bias[o] + rowBias[r]. a: int8 rows aStride bytes apart, kQuads * 4 bytes of each readable (bytes past k meet
        /// zero weights); w: [kQuads][np][4] (np = n rounded up to 8); bias, mulHi, addHi, shiftHi: int32, readable up to n rounded
        /// up to 16 entries (mulHi one more); rowBias: rows int32. lo, hi within int8. Needs AVX-VNNI (callers check UseVnni).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GemmVnniHighRows(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, int n,
            ref int bias, ref int rowBias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            if (!AvxVnni.IsSupported)
            {
                throw new PlatformNotSupportedException("GemmVnniHighRows needs AVX-VNNI; callers check QuantGenKernels.UseVnni");
            }

            var k = new HighStore(ref mulHi, ref addHi, ref shiftHi, lo, hi, n);
            int o0 = 0;
            // Channel blocks of 32 outside (their packed weights stay in L1 while the rows stream past), 4-row tiles inside;
            // 16 accumulators need AVX-512's 32 vector registers, so AVX2 takes 16-channel blocks throughout.
            for (; Avx512F.IsSupported && o0 + 32 <= np; o0 += 32)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                ref int bo = ref Unsafe.Add(ref bias, o0);
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    HighTile4x32(ref Unsafe.Add(ref a, r * aStride), aStride, ref wb, kQuads, np, o0, ref bo, ref Unsafe.Add(ref rowBias, r), ref k, ref Unsafe.Add(ref y, r * yStride), yStride);
                }

                for (; r < rows; r++)
                {
                    HighRows1x32(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, o0, ref bo, Unsafe.Add(ref rowBias, r), ref k, ref Unsafe.Add(ref y, r * yStride));
                }
            }

            for (; o0 < np; o0 += 16)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                ref int bo = ref Unsafe.Add(ref bias, o0);
                bool two = o0 + 16 <= np;
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    HighTile4x16(ref Unsafe.Add(ref a, r * aStride), aStride, ref wb, kQuads, np, two, o0, ref bo, ref Unsafe.Add(ref rowBias, r), ref k, ref Unsafe.Add(ref y, r * yStride), yStride);
                }

                for (; r < rows; r++)
                {
                    HighTile1x16(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, two, o0, ref bo, Unsafe.Add(ref rowBias, r), ref k, ref Unsafe.Add(ref y, r * yStride));
                }
            }
        }

        /// <summary>The multiply-high store's per-layer constants, passed by reference to the tiles.</summary>
        private ref struct HighStore
        {
            public ref int MulHi;
            public ref int AddHi;
            public ref int ShiftHi;
            public int Lo;
            public int Hi;
            public int N;

            public HighStore(ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int n)
            {
                MulHi = ref mulHi;
                AddHi = ref addHi;
                ShiftHi = ref shiftHi;
                Lo = lo;
                Hi = hi;
                N = n;
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void HighTile4x32(ref sbyte a0, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref int bias, ref int rowBias, ref HighStore k, ref sbyte y, int yStride)
        {
            ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
            ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
            ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
            Vector256<int> b0 = Vector256.LoadUnsafe(ref bias), b1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector256<int> b2 = Vector256.LoadUnsafe(ref bias, 16), b3 = Vector256.LoadUnsafe(ref bias, 24);
            Vector256<int> r = Vector256.Create(rowBias);
            Vector256<int> c00 = b0 + r, c01 = b1 + r, c02 = b2 + r, c03 = b3 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 1));
            Vector256<int> c10 = b0 + r, c11 = b1 + r, c12 = b2 + r, c13 = b3 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 2));
            Vector256<int> c20 = b0 + r, c21 = b1 + r, c22 = b2 + r, c23 = b3 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 3));
            Vector256<int> c30 = b0 + r, c31 = b1 + r, c32 = b2 + r, c33 = b3 + r;
            for (int q = 0; q < kQuads; q++)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                Vector256<byte> b = QuadU(ref a0, q);
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
                c02 = AvxVnni.MultiplyWideningAndAdd(c02, b, w2);
                c03 = AvxVnni.MultiplyWideningAndAdd(c03, b, w3);
                b = QuadU(ref a1, q);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
                c12 = AvxVnni.MultiplyWideningAndAdd(c12, b, w2);
                c13 = AvxVnni.MultiplyWideningAndAdd(c13, b, w3);
                b = QuadU(ref a2, q);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
                c22 = AvxVnni.MultiplyWideningAndAdd(c22, b, w2);
                c23 = AvxVnni.MultiplyWideningAndAdd(c23, b, w3);
                b = QuadU(ref a3, q);
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
                c32 = AvxVnni.MultiplyWideningAndAdd(c32, b, w2);
                c33 = AvxVnni.MultiplyWideningAndAdd(c33, b, w3);
            }

            HighStore16(c00, c01, o0, ref k, ref y);
            HighStore16(c02, c03, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            HighStore16(c10, c11, o0, ref k, ref y);
            HighStore16(c12, c13, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            HighStore16(c20, c21, o0, ref k, ref y);
            HighStore16(c22, c23, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            HighStore16(c30, c31, o0, ref k, ref y);
            HighStore16(c32, c33, o0 + 16, ref k, ref y);
        }

        /// <summary>1 row x 32 channels; even and odd quads in separate chains (a single row is bound by vpdpbusd's latency).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void HighRows1x32(ref sbyte a0, ref sbyte wb, int kQuads, int np, int o0, ref int bias, int rowBias, ref HighStore k, ref sbyte y)
        {
            Vector256<int> r = Vector256.Create(rowBias);
            Vector256<int> c0 = Vector256.LoadUnsafe(ref bias) + r, c1 = Vector256.LoadUnsafe(ref bias, 8) + r;
            Vector256<int> c2 = Vector256.LoadUnsafe(ref bias, 16) + r, c3 = Vector256.LoadUnsafe(ref bias, 24) + r;
            Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = QuadU(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
                wq = ref Unsafe.Add(ref wq, np * 4);
                b = QuadU(ref a0, q + 1);
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, b, Vector256.LoadUnsafe(ref wq));
                d1 = AvxVnni.MultiplyWideningAndAdd(d1, b, Vector256.LoadUnsafe(ref wq, 32));
                d2 = AvxVnni.MultiplyWideningAndAdd(d2, b, Vector256.LoadUnsafe(ref wq, 64));
                d3 = AvxVnni.MultiplyWideningAndAdd(d3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = QuadU(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            HighStore16(c0 + d0, c1 + d1, o0, ref k, ref y);
            HighStore16(c2 + d2, c3 + d3, o0 + 16, ref k, ref y);
        }

        /// <summary>4 rows x 16 channels (8 when two is false: the second vector's weights are not read).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void HighTile4x16(ref sbyte a0, int aStride, ref sbyte wb, int kQuads, int np, bool two, int o0, ref int bias, ref int rowBias, ref HighStore k, ref sbyte y, int yStride)
        {
            ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
            ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
            ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
            Vector256<int> b0 = Vector256.LoadUnsafe(ref bias), b1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector256<int> r = Vector256.Create(rowBias);
            Vector256<int> c00 = b0 + r, c01 = b1 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 1));
            Vector256<int> c10 = b0 + r, c11 = b1 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 2));
            Vector256<int> c20 = b0 + r, c21 = b1 + r;
            r = Vector256.Create(Unsafe.Add(ref rowBias, 3));
            Vector256<int> c30 = b0 + r, c31 = b1 + r;
            for (int q = 0; q < kQuads; q++)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                Vector256<sbyte> w1 = two ? Vector256.LoadUnsafe(ref wq, 32) : default;
                Vector256<byte> b = QuadU(ref a0, q);
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
                b = QuadU(ref a1, q);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
                b = QuadU(ref a2, q);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
                b = QuadU(ref a3, q);
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
            }

            HighStore16(c00, c01, o0, ref k, ref y);
            HighStore16(c10, c11, o0, ref k, ref Unsafe.Add(ref y, yStride));
            HighStore16(c20, c21, o0, ref k, ref Unsafe.Add(ref y, 2 * yStride));
            HighStore16(c30, c31, o0, ref k, ref Unsafe.Add(ref y, 3 * yStride));
        }

        /// <summary>1 row x 16 (or 8) channels, two quads in flight.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void HighTile1x16(ref sbyte a0, ref sbyte wb, int kQuads, int np, bool two, int o0, ref int bias, int rowBias, ref HighStore k, ref sbyte y)
        {
            Vector256<int> r = Vector256.Create(rowBias);
            Vector256<int> c0 = Vector256.LoadUnsafe(ref bias) + r, c1 = Vector256.LoadUnsafe(ref bias, 8) + r, d0 = default, d1 = default;
            int step = np * 4;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = QuadU(ref a0, q), e = QuadU(ref a0, q + 1);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, e, Vector256.LoadUnsafe(ref wq, (nuint)step));
                if (two)
                {
                    c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                    d1 = AvxVnni.MultiplyWideningAndAdd(d1, e, Vector256.LoadUnsafe(ref wq, (nuint)(step + 32)));
                }
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = QuadU(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, two ? Vector256.LoadUnsafe(ref wq, 32) : default);
            }

            HighStore16(c0 + d0, c1 + d1, o0, ref k, ref y);
        }

        /// <summary>4 int8 activations of row a at quad q as u = a + 128 in every int32 lane: a broadcast load and a vpxor.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> QuadU(ref sbyte a, int q) =>
            (Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, q * 4)))) ^ Vector256.Create(unchecked((int)0x80808080))).AsByte();

        /// <summary>Channels o0 .. o0 + 15 of one row (fewer at the end of the row; biases included), requantized in int32 lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void HighStore16(Vector256<int> c0, Vector256<int> c1, int o0, ref HighStore k, ref sbyte yr)
        {
            if (o0 < k.N)
            {
                QuantGenKernels.StoreMulHigh16(c0, c1, o0, k.N - o0, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, k.Lo, k.Hi, ref Unsafe.Add(ref yr, o0));
            }
        }
    }
}
