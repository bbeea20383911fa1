using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenAttentionKernels (attention's MatMuls with one requantization: RowsU, PackKT, GemmHighU) against the MatMul's
    /// definition written here in int64: y[r, j] = clamp(zo + (((sum_t (a[r, t] - za)(b[t, j] - zb)) m + 2^(s - 1)) &gt;&gt; s), lo, hi).
    /// The calls repeat CpuEmitter.EmitMatMul's (b through the transposed packing PackKT when K is a multiple of 4, through
    /// QuantGenTransformerKernels.PackQuadsK otherwise). K = 1..5, 8, 36, 63, 64, 65, 197; N = 1..17, 33, 197; rows 1..5, 17,
    /// 197; operands all -128, all 127, alternating extremes, random; zero points at both ends; shifts 33..62 with multipliers
    /// 2^30 and 2^31 - 1. Run under DOTNET_EnableAVX512F=0 too (the AVX2 tiles and store).
    /// </summary>
    public class AttentionKernelTests
    {
        public static TheoryData<int, int, int, int> Shapes()
        {
            var d = new TheoryData<int, int, int, int>
            {
                // rows, k, n, mode (0 random, 1 alternating extremes, 2 all -128, 3 all 127 in a and -128 in b)
                { 197, 64, 197, 0 },
                { 197, 197, 64, 0 },
                { 197, 64, 197, 1 },
                { 197, 197, 64, 2 },
                { 17, 65, 33, 3 },
                { 5, 63, 17, 0 },
                { 4, 36, 40, 1 },
                { 3, 8, 197, 0 },
                { 1, 197, 1, 3 },
                { 2, 100, 24, 0 },
            };
            for (int k = 1; k <= 5; k++)
            {
                d.Add(5, k, 9, k % 4);
            }

            for (int n = 1; n <= 17; n++)
            {
                d.Add((n % 6) + 1, n % 2 == 0 ? 64 : 13, n, n % 4);
            }

            return d;
        }

        [Theory]
        [MemberData(nameof(Shapes))]
        public void AttentionMatMulEqualsTheDefinition(int rows, int k, int n, int mode)
        {
            var rng = new Random((rows * 131) + (k * 17) + n + mode);
            for (int trial = 0; trial < 4; trial++)
            {
                var a = new sbyte[rows * k];
                var b = new sbyte[k * n];
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = mode switch { 1 => i % 2 == 0 ? sbyte.MaxValue : sbyte.MinValue, 2 => sbyte.MinValue, 3 => sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
                }

                for (int i = 0; i < b.Length; i++)
                {
                    b[i] = mode switch { 1 => i % 3 == 0 ? sbyte.MinValue : sbyte.MaxValue, 2 or 3 => sbyte.MinValue, _ => (sbyte)rng.Next(-128, 128) };
                }

                // Zero points at both ends (za = -128 makes b's column term vanish: 128 + za = 0) and in between.
                int za = trial switch { 0 => -128, 1 => 127, _ => rng.Next(-128, 128) };
                int zb = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-128, 128) };
                int zo = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-60, 60) };
                int m = trial switch { 0 => int.MaxValue, 1 => 1 << 30, _ => rng.Next(1 << 30, int.MaxValue) };
                int s = trial switch { 0 => 33 + (k % 10), 1 => 46, 2 => 40, _ => rng.Next(33, 47) };
                if (!MulHighApplies(s, zo))
                {
                    zo = 0;
                }

                Check(a, b, rows, k, n, za, zb, m, s, zo, lo: trial == 2 ? zo : -128, hi: trial == 3 ? 100 : 127);
            }
        }

        /// <summary>Shifts at the far end of the proof (t = s - 32 up to 30) with large accumulators and zero points.</summary>
        [Theory]
        [InlineData(33, int.MaxValue, 0)]
        [InlineData(33, 1 << 30, -128)]
        [InlineData(37, int.MaxValue, 127)]
        [InlineData(50, (1 << 30) + 12345, -1)]
        [InlineData(61, int.MaxValue, 0)]
        [InlineData(62, 1 << 30, 0)]
        public void MultiplyHighAtTheEdgesOfItsProof(int s, int m, int zo)
        {
            Assert.True(MulHighApplies(s, zo));
            foreach ((int rows, int k, int n) in new[] { (9, 197, 40), (6, 64, 197) })
            {
                var rng = new Random(s + m + zo + k);
                var a = new sbyte[rows * k];
                var b = new sbyte[k * n];
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = i % 5 == 0 ? sbyte.MinValue : (sbyte)rng.Next(-128, 128);
                }

                for (int i = 0; i < b.Length; i++)
                {
                    b[i] = i % 7 == 0 ? sbyte.MinValue : (sbyte)rng.Next(-128, 128);
                }

                Check(a, b, rows, k, n, 127, 127, m, s, zo, lo: -128, hi: 127);
                Check(a, b, rows, k, n, -128, -128, m, s, zo, lo: -100, hi: 90);
            }
        }

        [Theory]
        [InlineData(1, 1, 4)]
        [InlineData(3, 5, 8)]
        [InlineData(4, 64, 64)]
        [InlineData(5, 197, 200)]
        [InlineData(2, 33, 36)]
        public void RowsUWritesUAndTheRowSums(int rows, int k, int uStride)
        {
            var rng = new Random(rows + k);
            var a = new sbyte[rows * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = i % 4 == 0 ? sbyte.MinValue : i % 4 == 1 ? sbyte.MaxValue : (sbyte)rng.Next(-128, 128);
            }

            var u = new sbyte[(rows * uStride) + 8];
            rng.NextBytes((byte[])(object)u);
            sbyte guard = u[rows * uStride];
            var rowBias = new int[rows];
            QuantGenAttentionKernels.RowsU(a, rows, k, -77, u, uStride, rowBias);
            for (int r = 0; r < rows; r++)
            {
                long sum = 0;
                for (int t = 0; t < uStride; t++)
                {
                    Assert.Equal(t < k ? a[(r * k) + t] + 128 : 0, (byte)u[(r * uStride) + t]);
                    sum += t < k ? a[(r * k) + t] : 0;
                }

                Assert.Equal(unchecked((int)(-77 * sum)), rowBias[r]);
            }

            Assert.Equal(guard, u[rows * uStride]);
        }

        [Theory]
        [InlineData(4, 1, 4)]
        [InlineData(64, 197, 64)]
        [InlineData(36, 9, 40)]
        [InlineData(32, 8, 33)]
        [InlineData(8, 17, 8)]
        public void PackKTTransposesAndSumsTheColumns(int k, int cols, int jStride)
        {
            var rng = new Random(k + cols);
            int np8 = (cols + 7) / 8 * 8, kQuads = k / 4, offset = 3;
            var src = new sbyte[offset + ((cols - 1) * jStride) + k];
            for (int i = 0; i < src.Length; i++)
            {
                src[i] = i % 3 == 0 ? sbyte.MinValue : i % 3 == 1 ? sbyte.MaxValue : (sbyte)rng.Next(-128, 128);
            }

            var dst = new sbyte[kQuads * np8 * 4];
            rng.NextBytes((byte[])(object)dst);
            var colBias = new int[np8];
            if (!AvxVnni.IsSupported)
            {
                Assert.Throws<PlatformNotSupportedException>(() => QuantGenAttentionKernels.PackKT(src, offset, jStride, k, cols, dst, np8, colBias, -5, 11));
                return;
            }

            QuantGenAttentionKernels.PackKT(src, offset, jStride, k, cols, dst, np8, colBias, -5, 11);
            for (int j = 0; j < np8; j++)
            {
                long sum = 0;
                for (int t = 0; t < k; t++)
                {
                    sbyte v = j < cols ? src[offset + (j * jStride) + t] : (sbyte)0;
                    Assert.Equal(v, dst[((((t / 4) * np8) + j) * 4) + (t % 4)]);
                    sum += v;
                }

                Assert.Equal(unchecked((int)((-5 * sum) + 11)), colBias[j]);
            }
        }

        private static bool MulHighApplies(int s, int zo)
        {
            int t = s - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + ((long)zo << t)) < (1L << 30);
        }

        private static void Check(sbyte[] a, sbyte[] b, int rows, int k, int n, int za, int zb, int m, int s, int zo, int lo, int hi)
        {
            var expected = new sbyte[rows * n];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < n; j++)
                {
                    long acc = 0;
                    for (int t = 0; t < k; t++)
                    {
                        acc += ((long)a[(r * k) + t] - za) * ((long)b[(t * n) + j] - zb);
                    }

                    long v = zo + (((acc * m) + (1L << (s - 1))) >> s);
                    expected[(r * n) + j] = (sbyte)Math.Clamp(v, lo, hi);
                }
            }

            int kQuads = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16, th = s - 32;
            var tq = new sbyte[kQuads * np8 * 4];
            var colBias = new int[np16];
            var rowBias = new int[rows];
            var u = new sbyte[rows * kQuads * 4];
            new Random(k * n).NextBytes((byte[])(object)u);
            int colScale = -(128 + za), constant = unchecked(k * za * zb);
            if (!AvxVnni.IsSupported)
            {
                Assert.Throws<PlatformNotSupportedException>(() => QuantGenAttentionKernels.GemmHighU(ref u[0], rows, kQuads * 4, ref tq[0], kQuads, np8, n, ref colBias[0], ref rowBias[0],
                    m, (1 << (th - 1)) + (zo << th), th, lo, hi, ref expected[0], n));
                return;
            }

            if (k % 4 == 0)
            {
                // b^T rows (attention's k before the transpose): b[t, j] = bt[j * (k + 4) + t].
                int jStride = k + 4;
                var bt = new sbyte[n * jStride];
                for (int t = 0; t < k; t++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        bt[(j * jStride) + t] = b[(t * n) + j];
                    }
                }

                QuantGenAttentionKernels.PackKT(bt, 0, jStride, k, n, tq, np8, colBias, colScale, constant);
            }
            else
            {
                QuantGenTransformerKernels.PackQuadsK(b, 0, n, 1, k, n, tq, np8, colBias, colScale, constant);
            }

            QuantGenAttentionKernels.RowsU(a, rows, k, -zb, u, kQuads * 4, rowBias);

            // Output rows n bytes apart with a sentinel after the last: nothing may be written past n.
            var y = new sbyte[(rows * n) + 16];
            Array.Fill(y, (sbyte)0x5A);
            QuantGenAttentionKernels.GemmHighU(ref u[0], rows, kQuads * 4, ref tq[0], kQuads, np8, n, ref colBias[0], ref rowBias[0],
                m, (1 << (th - 1)) + (zo << th), th, lo, hi, ref y[0], n);
            Assert.Equal(expected, y.AsSpan(0, rows * n).ToArray());
            Assert.All(y.AsSpan(rows * n).ToArray(), v => Assert.Equal((sbyte)0x5A, v));
        }
    }
}
