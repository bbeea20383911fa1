using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `pw-probe tiles`: the AVX-512 path that QuantGenPointwiseKernels.GemmVnniHigh took before Rows32 for n % 32 == 0
    /// (Tile4x32 and Row1x32 with one StoreMulHigh16 per 16 channels), kept here to A/B the packed store in one process.
    /// </summary>
    internal static class PwTiles
    {
        public static void OldGemm32(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            for (int o0 = 0; o0 + 32 <= np; o0 += 32)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    Tile4x32(ref Unsafe.Add(ref a, r * aStride), aStride, ref wb, kQuads, np, o0, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref Unsafe.Add(ref y, r * yStride), yStride);
                }

                for (; r < rows; r++)
                {
                    Row1x32(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, o0, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref Unsafe.Add(ref y, r * yStride));
                }
            }
        }

        private static Vector256<byte> Quad(ref sbyte a, int q) =>
            (Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, q * 4)))) ^ Vector256.Create(unchecked((int)0x80808080))).AsByte();

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x32(ref sbyte a0, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int n, ref sbyte y, int yStride)
        {
            ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
            ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
            ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
            Vector256<int> b0 = Vector256.LoadUnsafe(ref bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 8));
            Vector256<int> b2 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 24));
            Vector256<int> c00 = b0, c01 = b1, c02 = b2, c03 = b3;
            Vector256<int> c10 = b0, c11 = b1, c12 = b2, c13 = b3;
            Vector256<int> c20 = b0, c21 = b1, c22 = b2, c23 = b3;
            Vector256<int> c30 = b0, c31 = b1, c32 = b2, c33 = b3;
            for (int q = 0; q < kQuads; q++)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                Vector256<byte> b = Quad(ref a0, q);
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
                c02 = AvxVnni.MultiplyWideningAndAdd(c02, b, w2);
                c03 = AvxVnni.MultiplyWideningAndAdd(c03, b, w3);
                b = Quad(ref a1, q);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
                c12 = AvxVnni.MultiplyWideningAndAdd(c12, b, w2);
                c13 = AvxVnni.MultiplyWideningAndAdd(c13, b, w3);
                b = Quad(ref a2, q);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
                c22 = AvxVnni.MultiplyWideningAndAdd(c22, b, w2);
                c23 = AvxVnni.MultiplyWideningAndAdd(c23, b, w3);
                b = Quad(ref a3, q);
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
                c32 = AvxVnni.MultiplyWideningAndAdd(c32, b, w2);
                c33 = AvxVnni.MultiplyWideningAndAdd(c33, b, w3);
            }

            Store16(c00, c01, o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            Store16(c02, c03, o0 + 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c10, c11, o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            Store16(c12, c13, o0 + 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c20, c21, o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            Store16(c22, c23, o0 + 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c30, c31, o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            Store16(c32, c33, o0 + 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Row1x32(ref sbyte a0, ref sbyte wb, int kQuads, int np, int o0, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int n, ref sbyte y)
        {
            Vector256<int> c0 = Vector256.LoadUnsafe(ref bias, (nuint)o0), c1 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 8));
            Vector256<int> c2 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 16)), c3 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 24));
            Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
                wq = ref Unsafe.Add(ref wq, np * 4);
                b = Quad(ref a0, q + 1);
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, b, Vector256.LoadUnsafe(ref wq));
                d1 = AvxVnni.MultiplyWideningAndAdd(d1, b, Vector256.LoadUnsafe(ref wq, 32));
                d2 = AvxVnni.MultiplyWideningAndAdd(d2, b, Vector256.LoadUnsafe(ref wq, 64));
                d3 = AvxVnni.MultiplyWideningAndAdd(d3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            Store16(c0 + d0, c1 + d1, o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
            Store16(c2 + d2, c3 + d3, o0 + 16, ref mulHi, ref addHi, ref shiftHi, lo, hi, n, ref y);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16(Vector256<int> c0, Vector256<int> c1, int o0, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int n, ref sbyte yr)
        {
            if (o0 < n)
            {
                QuantGenKernels.StoreMulHigh16(c0, c1, o0, n - o0, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref Unsafe.Add(ref yr, o0));
            }
        }

        /// <summary>The np == 16 path before the packed store (rows a multiple of 4 here: the probe's shape).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void OldGemm16(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int n, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            Vector256<int> b0 = Vector256.LoadUnsafe(ref bias), b1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector512<int> mEven = Vector512.LoadUnsafe(ref mulHi), mOdd = Vector512.LoadUnsafe(ref mulHi, 1);
            Vector512<int> add = Vector512.LoadUnsafe(ref addHi);
            Vector512<uint> shift = Vector512.LoadUnsafe(ref shiftHi).AsUInt32();
            Vector512<int> lv = Vector512.Create(lo > sbyte.MinValue ? lo : sbyte.MinValue), hv = Vector512.Create(hi < sbyte.MaxValue ? hi : sbyte.MaxValue);
            for (int r = 0; r + 4 <= rows; r += 4)
            {
                ref sbyte a0 = ref Unsafe.Add(ref a, r * aStride);
                ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
                ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
                ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
                Vector256<int> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
                for (int q = 0; q < kQuads; q++)
                {
                    ref sbyte wq = ref Unsafe.Add(ref w, q * 64);
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq), w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<byte> x = Quad(ref a0, q);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    x = Quad(ref a1, q);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    x = Quad(ref a2, q);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    x = Quad(ref a3, q);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                }

                ref sbyte yr = ref Unsafe.Add(ref y, r * yStride);
                QuantGenKernels.StorePartial16(High16(Vector512.Create(c00, c01), mEven, mOdd, add, shift, lv, hv), n, ref yr);
                QuantGenKernels.StorePartial16(High16(Vector512.Create(c10, c11), mEven, mOdd, add, shift, lv, hv), n, ref Unsafe.Add(ref yr, yStride));
                QuantGenKernels.StorePartial16(High16(Vector512.Create(c20, c21), mEven, mOdd, add, shift, lv, hv), n, ref Unsafe.Add(ref yr, 2 * yStride));
                QuantGenKernels.StorePartial16(High16(Vector512.Create(c30, c31), mEven, mOdd, add, shift, lv, hv), n, ref Unsafe.Add(ref yr, 3 * yStride));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<sbyte> High16(Vector512<int> acc, Vector512<int> mEven, Vector512<int> mOdd, Vector512<int> add, Vector512<uint> shift, Vector512<int> lo, Vector512<int> hi)
        {
            Vector512<long> pe = Avx512F.Multiply(acc, mEven);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mOdd);
            Vector512<int> h = Vector512.ConditionalSelect(Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1), po.AsInt32(), Avx512F.ShiftRightLogical(pe, 32).AsInt32());
            h = Avx512F.ShiftRightArithmeticVariable(h + add, shift);
            return Avx512F.ConvertToVector128SByteWithSaturation(Vector512.Min(Vector512.Max(h, lo), hi));
        }
    }
}
