using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenTransformerKernels.GemmVnniHighRows (attention's activation x activation GEMM: vpdpbusd tiles with a per-row
    /// bias, int32 multiply-high requantization in the store) against the definition written here with int64 arithmetic:
    /// y = clamp(zo + ((acc * m + 2^(s - 1)) &gt;&gt; s), lo, hi), acc = colBias[o] + rowBias[r] + sum a w. Row counts 1, 15,
    /// 16, 17 and 197 (4-row tiles and single rows), K = 64 (q x k^T) and K = 197 (probs x V: not a multiple of 4, the
    /// pad bytes hold garbage that must meet zero weights), channel counts 1..197 (32-, 16- and 8-channel blocks, partial
    /// stores), extreme operands, zero points at both ends of the proof, shifts 33..46, multipliers 2^30 and 2^31 - 1, and
    /// accumulators at int32's ends. The packing repeats CpuEmitter.EmitMatMul's (a single requantization for all columns
    /// as a MatMul has, and per-channel constants as the tiles allow). Run it under DOTNET_EnableAVX512F=0 as well for the
    /// AVX2 tiles and store (the test asserts the same values).
    /// </summary>
    public class AttentionGemmHighKernelTests
    {
        public static TheoryData<int, int, int, int> Shapes => new TheoryData<int, int, int, int>
        {
            // rows, k, n, mode (0 random, 1 all extremes 127 / -128, 2 all -128, 3 alternating extremes)
            { 197, 64, 197, 0 },
            { 197, 197, 64, 0 },
            { 197, 64, 197, 1 },
            { 197, 197, 64, 3 },
            { 1, 64, 197, 0 },
            { 15, 64, 197, 2 },
            { 16, 197, 64, 0 },
            { 17, 64, 33, 3 },
            { 17, 197, 17, 0 },
            { 15, 8, 1, 0 },
            { 16, 13, 8, 1 },
            { 5, 4, 16, 0 },
            { 3, 40, 100, 2 },
            { 1, 197, 1, 3 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MultiplyHighGemmWithRowBiasEqualsTheDefinition(int rows, int k, int n, int mode)
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

                int zo = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-60, 60) };
                var mul = new int[n];
                var shift = new int[n];
                var bias = new long[n];
                bool single = trial % 2 == 0;   // one requantization for all columns (a MatMul's) or one per channel
                int m0 = rng.Next(1 << 30, int.MaxValue), s0 = rng.Next(33, 47);
                for (int o = 0; o < n; o++)
                {
                    mul[o] = single ? m0 : o % 5 == 0 ? int.MaxValue : o % 5 == 1 ? 1 << 30 : rng.Next(1 << 30, int.MaxValue);
                    shift[o] = single ? s0 : trial == 3 ? 33 + (o % 14) : rng.Next(33, 47);
                    bias[o] = rng.Next(-100000, 100000);
                }

                var rowBias = new long[rows];
                for (int r = 0; r < rows; r++)
                {
                    rowBias[r] = rng.Next(-200000, 200000);
                }

                Check(a, rows, k, w, n, bias, rowBias, mul, shift, zo, lo: trial == 2 ? zo : -128, hi: trial == 3 ? 100 : 127);
            }
        }

        /// <summary>
        /// Accumulators at int32's ends: the row bias chosen so that, per row, the largest (smallest) sum over the channels is
        /// exactly int.MaxValue (int.MinValue); requantization constants at the edges of the proof (t = 1, t near 30).
        /// </summary>
        [Theory]
        [InlineData(33, int.MaxValue, 0)]
        [InlineData(33, 1 << 30, -128)]
        [InlineData(37, int.MaxValue, 127)]
        [InlineData(46, (1 << 30) + 12345, -51)]
        [InlineData(61, int.MaxValue, 0)]
        public void MultiplyHighAtTheEdgesOfItsProof(int s, int m, int zo)
        {
            Assert.True(MulHighApplies(s, zo));
            const int rows = 17, k = 64, n = 40;
            var rng = new Random(s + m + zo);
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
                mul[o] = m;
                shift[o] = s;
            }

            var rowBias = new long[rows];
            for (int r = 0; r < rows; r++)
            {
                long max = long.MinValue, min = long.MaxValue;
                for (int o = 0; o < n; o++)
                {
                    long dot = 0;
                    for (int j = 0; j < k; j++)
                    {
                        dot += a[(r * k) + j] * w[(o * k) + j];
                    }

                    max = Math.Max(max, dot);
                    min = Math.Min(min, dot);
                }

                rowBias[r] = r % 2 == 0 ? int.MaxValue - max : int.MinValue - min;
            }

            Check(a, rows, k, w, n, bias, rowBias, mul, shift, zo, lo: -128, hi: 127);
            Check(a, rows, k, w, n, bias, rowBias, mul, shift, zo, lo: -100, hi: 90);
        }

        /// <summary>The proof's conditions written from its statement (a guard on this test's own constants): s &gt;= 33, t = s - 32 &lt;= 30, |2^(t-1) + zo 2^t| &lt; 2^30.</summary>
        private static bool MulHighApplies(int s, int zo)
        {
            int t = s - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + ((long)zo << t)) < (1L << 30);
        }

        private static void Check(sbyte[] a, int rows, int k, int[] w, int n, long[] bias, long[] rowBias, int[] mul, int[] shift, int zo, int lo, int hi)
        {
            var expected = new sbyte[rows * n];
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < n; o++)
                {
                    long acc = bias[o] + rowBias[r];
                    for (int j = 0; j < k; j++)
                    {
                        acc += a[(r * k) + j] * w[(o * k) + j];
                    }

                    Assert.InRange(acc, int.MinValue, int.MaxValue);
                    long v = zo + (((acc * mul[o]) + (1L << (shift[o] - 1))) >> shift[o]);
                    expected[(r * n) + o] = (sbyte)Math.Clamp(v, lo, hi);
                }
            }

            // Packing: b [kQuads][np8][4] (zero past k and n), column bias - 128 * sum(w) (wrapping), constants np16 + 1.
            int kQuads = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16, aStride = kQuads * 4;
            var packed = new sbyte[kQuads * np8 * 4];
            var colBias = new int[np16 + 1];
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

                colBias[o] = unchecked((int)(bias[o] - (128 * sum)));
                int t = shift[o] - 32;
                mulHi[o] = mul[o];
                addHi[o] = checked((int)((1L << (t - 1)) + ((long)zo << t)));
                shiftHi[o] = t;
            }

            var rb = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                rb[r] = checked((int)rowBias[r]);
            }

            // Rows aStride bytes apart; the bytes past k are garbage (they meet zero weights).
            var rowsA = new sbyte[(rows * aStride) + 4];
            new Random(rows + k).NextBytes((byte[])(object)rowsA);
            for (int r = 0; r < rows; r++)
            {
                Array.Copy(a, r * k, rowsA, r * aStride, k);
            }

            // Output rows n bytes apart with a sentinel after the last: nothing may be written past n.
            var y = new sbyte[(rows * n) + 16];
            Array.Fill(y, (sbyte)0x5A);
            if (!AvxVnni.IsSupported)
            {
                Assert.Throws<PlatformNotSupportedException>(() => QuantGenTransformerKernels.GemmVnniHighRows(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n,
                    ref colBias[0], ref rb[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n));
                return;
            }

            QuantGenTransformerKernels.GemmVnniHighRows(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n, ref colBias[0], ref rb[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n);
            Assert.Equal(expected, y.AsSpan(0, rows * n).ToArray());
            Assert.All(y.AsSpan(rows * n).ToArray(), v => Assert.Equal((sbyte)0x5A, v));
        }
    }
}
