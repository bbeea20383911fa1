using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenPointwiseKernels.GemmVnniHigh (vpdpbusd tiles, int32 multiply-high requantization in the store) against the
    /// definition written here with int64 arithmetic: y = clamp(zo + ((acc * m + 2^(s - 1)) &gt;&gt; s), lo, hi), acc = bias +
    /// sum a w. Row counts 1..125 (4-row tiles and single rows), K not a multiple of 4 (the pad bytes of a row hold
    /// garbage that must meet zero weights), channel counts 1..100 (32-, 16- and 8-channel blocks, partial stores),
    /// extreme operands, zero points at both ends, ReLU clamps, shifts 33 and at the top of the proof, multipliers
    /// 2^30 and 2^31 - 1, and accumulators at int32's ends. The packing repeats CpuEmitter.EmitConvGemm's.
    /// n a multiple of 32 takes the packed store on AVX-512 (Rows32). Run it under DOTNET_EnableAVX512F=0 as well for the AVX2 store
    /// (the test asserts the same values).
    /// </summary>
    [Collection(StoreFormCollection.Name)]
    public class PointwiseGemmKernelTests
    {
        public static TheoryData<int, int, int, int> Shapes => new TheoryData<int, int, int, int>
        {
            // rows, k, n, mode (0 random, 1 all extremes 127 / -128, 2 all -128, 3 alternating extremes)
            { 125, 64, 64, 0 },
            { 125, 64, 64, 1 },
            { 2304, 8, 16, 0 },
            { 576, 16, 32, 3 },
            { 576, 32, 32, 2 },
            { 144, 64, 64, 0 },
            { 36, 128, 128, 1 },
            { 9, 256, 256, 0 },
            { 1, 64, 64, 3 },
            { 1, 8, 1, 0 },
            { 3, 6, 17, 0 },
            { 5, 13, 33, 3 },
            { 7, 40, 100, 0 },
            { 6, 4, 8, 1 },
            { 13, 20, 12, 2 },
            { 4, 3, 48, 0 },
            { 7, 8, 16, 1 },
            { 10, 12, 9, 3 },
            { 2303, 8, 16, 2 },
            // Whole 32-channel blocks (the packed-store path on AVX-512: 4-row tiles, then single rows), rows 1..7 and 9.
            { 1, 16, 32, 1 },
            { 2, 4, 96, 2 },
            { 3, 32, 64, 3 },
            { 5, 12, 32, 0 },
            { 6, 64, 64, 1 },
            { 7, 28, 128, 3 },
            { 9, 128, 256, 2 },
            { 576, 16, 32, 1 },
            // K from 32 (the ymm store of the 32-channel tiles): tiles plus 1..3 single rows, clamps inside int8.
            { 125, 32, 32, 3 },
            { 10, 36, 64, 1 },
            { 11, 64, 96, 2 },
            { 4, 256, 32, 0 },
            // Rows back to back with K <= 32: the 4-row tiles flip 16 kQuads bytes first (32-byte and 16-byte pieces, never a
            // byte past the 4 rows): kQuads 1, 3, 5 and 7, the 16-channel rows and the 32-channel blocks, tiles plus single rows.
            { 9, 4, 32, 1 },
            { 11, 12, 16, 0 },
            { 8, 20, 64, 3 },
            { 13, 28, 32, 2 },
            { 6, 2, 16, 1 },
            // From K = 64 the 32-channel tiles' multiply loop runs four quads per iteration, then kQuads % 4 single quads:
            // remainders 1, 2 and 3 (kQuads 17, 18, 19, 25), and kQuads 5 below the unrolling; tiles plus single rows.
            { 12, 72, 32, 1 },
            { 8, 68, 64, 3 },
            { 9, 76, 32, 2 },
            { 4, 20, 96, 0 },
            { 5, 100, 32, 3 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MultiplyHighGemmEqualsTheDefinition(int rows, int k, int n, int mode)
        {
            var rng = new Random((rows * 131) + (k * 17) + n + mode);
            for (int trial = 0; trial < 4; trial++)
            {
                sbyte[] a = new sbyte[rows * k];
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = mode switch { 1 => i % 2 == 0 ? sbyte.MaxValue : sbyte.MinValue, 2 => sbyte.MinValue, 3 => i % 3 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
                }

                var w = new int[n * k];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = mode switch { 0 => rng.Next(-128, 128), 1 => 127, 2 => -128, _ => i % 2 == 0 ? -128 : 127 };
                }

                int zo = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-20, 20) };
                var mul = new int[n];
                var shift = new int[n];
                var bias = new long[n];
                for (int o = 0; o < n; o++)
                {
                    mul[o] = o % 5 == 0 ? int.MaxValue : o % 5 == 1 ? 1 << 30 : rng.Next(1 << 30, int.MaxValue);
                    shift[o] = trial == 3 ? 33 + (o % 20) : rng.Next(33, 46);
                    bias[o] = rng.Next(-100000, 100000);
                }

                Check(a, rows, k, w, n, bias, mul, shift, zo, lo: trial == 2 ? zo : -128, hi: trial == 3 ? 100 : 127);
            }
        }

        /// <summary>
        /// Accumulators at int32's ends (the range analysis's bound: per channel, bias chosen so that one row's sum is exactly
        /// int.MaxValue or int.MinValue) and requantization constants at the edges of the proof: t = 1 and t near 30 with |zo| at its limit.
        /// </summary>
        [Theory]
        [InlineData(33, int.MaxValue, 0)]
        [InlineData(33, 1 << 30, -128)]
        [InlineData(33, int.MaxValue, 127)]
        [InlineData(34, (1 << 30) + 12345, 127)]
        [InlineData(50, int.MaxValue, 127)]
        [InlineData(61, int.MaxValue, 0)]
        [InlineData(52, 1 << 30, -128)]
        public void MultiplyHighAtTheEdgesOfItsProof(int s, int m, int zo)
        {
            // 40 channels: the 32- and 8-channel blocks with Store16; 64: whole 32-channel blocks with the packed store (zmm at
            // K = 24, the ymm store from K = 32 on AVX-512).
            MultiplyHighAtTheEdges(s, m, zo, 40, 24);
            MultiplyHighAtTheEdges(s, m, zo, 64, 24);
            MultiplyHighAtTheEdges(s, m, zo, 64, 32);
            MultiplyHighAtTheEdges(s, m, zo, 96, 72);
        }

        private static void MultiplyHighAtTheEdges(int s, int m, int zo, int n, int k)
        {
            Assert.True(MulHighApplies(s, zo));
            const int rows = 9;
            var rng = new Random(s + m + zo + n);
            sbyte[] a = new sbyte[rows * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (sbyte)rng.Next(-128, 128);
            }

            var w = new int[n * k];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = rng.Next(-128, 128);
            }

            var mul = new int[n];
            var shift = new int[n];
            var bias = new long[n];
            for (int o = 0; o < n; o++)
            {
                mul[o] = o % 3 == 0 ? m : rng.Next(1 << 30, int.MaxValue);
                shift[o] = s;
                long max = long.MinValue, min = long.MaxValue;
                for (int r = 0; r < rows; r++)
                {
                    long dot = 0;
                    for (int j = 0; j < k; j++)
                    {
                        dot += a[(r * k) + j] * w[(o * k) + j];
                    }

                    max = Math.Max(max, dot);
                    min = Math.Min(min, dot);
                }

                // The row with the largest (smallest) sum reaches int.MaxValue (int.MinValue) exactly; the others stay inside.
                bias[o] = o % 2 == 0 ? int.MaxValue - max : int.MinValue - min;
            }

            Check(a, rows, k, w, n, bias, mul, shift, zo, lo: -128, hi: 127);
            Check(a, rows, k, w, n, bias, mul, shift, zo, lo: zo, hi: 127);
        }

        /// <summary>The proof's conditions written from its statement (a guard on this test's own constants): s &gt;= 33, t = s - 32 &lt;= 30, |2^(t-1) + zo 2^t| &lt; 2^30.</summary>
        private static bool MulHighApplies(int s, int zo)
        {
            int t = s - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + ((long)zo << t)) < (1L << 30);
        }

        /// <summary>
        /// GemmVnniHighAddRows: the GEMM's int8 value v (the definition above, clamped to [lo, hi]) followed by the bias Add of
        /// AddRowsS8, clamp(((v * m + t[o]) &gt;&gt; s) + q[o], addLo, addHi), written here in int64 (the plan's proof keeps every
        /// intermediate within int32; the test's constants are chosen inside it). n % 32 == 0 takes the fused store on AVX-512,
        /// other n the two-step path; DeiT's shapes (197 rows, 192 -> 576 / 768, 768 -> 192) and small ones with tails.
        /// </summary>
        [Theory]
        [InlineData(197, 192, 576, 0)]
        [InlineData(197, 768, 192, 1)]
        [InlineData(9, 64, 64, 2)]
        [InlineData(5, 12, 32, 3)]
        [InlineData(7, 40, 40, 0)]
        [InlineData(1, 16, 96, 1)]
        public void FusedBiasAddEqualsTheTwoLayers(int rows, int k, int n, int mode)
        {
            var rng = new Random((rows * 7) + (k * 3) + n + mode);
            sbyte[] a = new sbyte[rows * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = mode == 1 ? (i % 2 == 0 ? sbyte.MaxValue : sbyte.MinValue) : (sbyte)rng.Next(-128, 128);
            }

            var w = new int[n * k];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = mode == 2 ? -128 : rng.Next(-128, 128);
            }

            var mul = new int[n];
            var shift = new int[n];
            var bias = new long[n];
            var t = new int[n];
            var q = new int[n];
            // The Add's integers: m up to 2^22 so that v m + t fits int32 for every int8 v; t within [-2^29, 2^29], s 10..24.
            int m = mode == 3 ? (1 << 22) - 1 : rng.Next(1, 1 << 22), s = mode == 3 ? 24 : rng.Next(10, 25);
            for (int o = 0; o < n; o++)
            {
                mul[o] = rng.Next(1 << 30, int.MaxValue);
                shift[o] = rng.Next(40, 46);
                bias[o] = rng.Next(-100000, 100000);
                t[o] = o % 7 == 0 ? (1 << 29) : o % 7 == 1 ? -(1 << 29) : rng.Next(-(1 << 29), 1 << 29);
                q[o] = rng.Next(-200, 200);
            }

            int zo = mode == 1 ? 127 : rng.Next(-20, 20), lo = mode == 2 ? zo : -128, addLo = mode == 0 ? -128 : -30, addHi = mode == 3 ? 90 : 127;
            sbyte[] gemm = Expected(a, rows, k, w, n, bias, mul, shift, zo, lo, 127);
            var expected = new sbyte[rows * n];
            for (int i = 0; i < expected.Length; i++)
            {
                int o = i % n;
                long v = ((((long)gemm[i] * m) + t[o]) >> s) + q[o];
                expected[i] = (sbyte)Math.Clamp(v, addLo, addHi);
            }

            (sbyte[] rowsA, int aStride, sbyte[] packed, int kQuads, int np8, int[] biasU, int[] mulHi, int[] addHiC, int[] shiftHi) = Pack(a, rows, k, w, n, bias, mul, shift, zo);
            var y = new sbyte[(rows * n) + 16];
            Array.Fill(y, (sbyte)0x5A);
            if (!AvxVnni.IsSupported)
            {
                return; // the generated code takes the int16 GEMM and AddRowsS8 there (AddKernelTests)
            }

            QuantGenPointwiseKernels.GemmVnniHighAddRows(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n, ref biasU[0], ref mulHi[0], ref addHiC[0], ref shiftHi[0], lo, 127,
                m, ref t[0], ref q[0], s, addLo, addHi, ref y[0], n);
            Assert.Equal(expected, y.AsSpan(0, rows * n).ToArray());
            Assert.All(y.AsSpan(rows * n).ToArray(), v => Assert.Equal((sbyte)0x5A, v));
        }

        private static sbyte[] Expected(sbyte[] a, int rows, int k, int[] w, int n, long[] bias, int[] mul, int[] shift, int zo, int lo, int hi)
        {
            var expected = new sbyte[rows * n];
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < n; o++)
                {
                    long acc = bias[o];
                    for (int j = 0; j < k; j++)
                    {
                        acc += a[(r * k) + j] * w[(o * k) + j];
                    }

                    Assert.InRange(acc, int.MinValue, int.MaxValue);
                    long v = zo + (((acc * mul[o]) + (1L << (shift[o] - 1))) >> shift[o]);
                    expected[(r * n) + o] = (sbyte)Math.Clamp(v, lo, hi);
                }
            }

            return expected;
        }

        /// <summary>The build-time packing of a 1x1 conv GEMM (also PadBorderProducerKernelTests'): rows, weights, folded bias, multiply-high constants.</summary>
        internal static (sbyte[] RowsA, int AStride, sbyte[] Packed, int KQuads, int Np8, int[] BiasU, int[] MulHi, int[] AddHi, int[] ShiftHi) Pack(
            sbyte[] a, int rows, int k, int[] w, int n, long[] bias, int[] mul, int[] shift, int zo)
        {
            // Build-time packing: weights [kQuads][np8][4], bias - 128 * sum(w) (wrapping), constants np16 + 1 long.
            int kQuads = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16, aStride = kQuads * 4;
            var packed = new sbyte[kQuads * np8 * 4];
            var biasU = new int[np16 + 1];
            var mulHi = new int[np16 + 1];
            var addHi = new int[np16 + 1];
            var shiftHi = new int[np16 + 1];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int j = 0; j < k; j++)
                {
                    packed[((((j / 4) * np8) + o) * 4) + (j % 4)] = (sbyte)w[(o * k) + j];
                    sum += w[(o * k) + j];
                }

                biasU[o] = unchecked((int)(bias[o] - (128 * sum)));
                int t = shift[o] - 32;
                mulHi[o] = mul[o];
                addHi[o] = checked((int)((1L << (t - 1)) + ((long)zo << t)));
                shiftHi[o] = t;
            }

            // Rows aStride bytes apart; the bytes past k are garbage (they meet zero weights).
            var rowsA = new sbyte[(rows * aStride) + 4];
            new Random(rows + k).NextBytes((byte[])(object)rowsA);
            for (int r = 0; r < rows; r++)
            {
                Array.Copy(a, r * k, rowsA, r * aStride, k);
            }

            return (rowsA, aStride, packed, kQuads, np8, biasU, mulHi, addHi, shiftHi);
        }

        private static void Check(sbyte[] a, int rows, int k, int[] w, int n, long[] bias, int[] mul, int[] shift, int zo, int lo, int hi)
        {
            // The definition, in int64; the accumulators must fit int32 (what the plan's range analysis proves).
            sbyte[] expected = Expected(a, rows, k, w, n, bias, mul, shift, zo, lo, hi);
            (sbyte[] rowsA, int aStride, sbyte[] packed, int kQuads, int np8, int[] biasU, int[] mulHi, int[] addHi, int[] shiftHi) = Pack(a, rows, k, w, n, bias, mul, shift, zo);

            // The output rows are n bytes apart with a sentinel after the last: nothing may be written past n.
            var y = new sbyte[(rows * n) + 16];
            Array.Fill(y, (sbyte)0x5A);
            if (!AvxVnni.IsSupported)
            {
                Assert.Throws<PlatformNotSupportedException>(() => QuantGenPointwiseKernels.GemmVnniHigh(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n,
                    ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n));
                return;
            }

            foreach (bool zmm in new[] { false, true })
            {
                // Both forms of the 32-channel tiles' store (QuantGenPointwiseKernels.ZmmStore: ymm Row32 or zmm Pack4).
                Array.Fill(y, (sbyte)0x5A);
                bool was = QuantGenPointwiseKernels.ZmmStore;
                QuantGenPointwiseKernels.ZmmStore = zmm;
                try
                {
                    QuantGenPointwiseKernels.GemmVnniHigh(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n, ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n);
                }
                finally
                {
                    QuantGenPointwiseKernels.ZmmStore = was;
                }

                Assert.Equal(expected, y.AsSpan(0, rows * n).ToArray());
                Assert.All(y.AsSpan(rows * n).ToArray(), v => Assert.Equal((sbyte)0x5A, v));
            }
        }
    }
}
