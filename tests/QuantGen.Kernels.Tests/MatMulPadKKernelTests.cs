using System;
using System.Linq;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The AVX-VNNI MatMul for K not a multiple of 4 (attention's probs x V over 197 tokens), assembled as
    /// CpuEmitter.EmitMatMul prints it for MatMulPlan.PadK: QuantGenTransformerKernels.PackQuadsK (both its SSE2 interleave for
    /// contiguous rows of 16-multiple width and its gathering form), QuantGenKernels.RowBias, GemmVnni over all rows but the
    /// last (their straddling quad reads the next row's first bytes against zero weights), PadLastRow and GemmVnni on the
    /// padded last row; against a direct int64 matmul with the reference requantization. Extremes of both operands and
    /// both zero points; K = 5, 6, 37, 197 and 203; widths 16, 36, 64 and 197.
    /// </summary>
    public class MatMulPadKKernelTests
    {
        [Theory]
        [InlineData(197, 197, 64, 0, false)]
        [InlineData(197, 197, 64, 1, false)]
        [InlineData(74, 37, 36, 0, false)]
        [InlineData(5, 5, 16, 2, false)]
        [InlineData(3, 6, 16, 0, false)]
        [InlineData(9, 203, 197, 3, false)]
        [InlineData(197, 197, 64, 0, true)]
        [InlineData(13, 37, 20, 2, true)]
        [InlineData(197, 64, 197, 0, true)]
        [InlineData(197, 64, 197, 2, true)]
        [InlineData(9, 15, 7, 1, true)]
        public void PaddedKEqualsTheDirectMatMul(int rows, int k, int cols, int mode, bool transposed)
        {
            if (!QuantGenKernels.UseVnni)
            {
                // The packing is checked on every CPU; the GEMM itself needs AVX-VNNI.
                CheckPacking(k, cols, mode, transposed);
                return;
            }

            var rng = new Random((rows * 7) + k + cols + mode);
            sbyte[] a = Operand(rows * k, mode, rng);
            sbyte[] bSrc = Operand(k * cols, mode == 3 ? 2 : mode, rng);
            foreach ((int za, int zb) in new[] { (-128, 0), (127, -128), (12, 8), (0, 127) })
            {
                // b[t, j]: row-major [k][cols], or (transposed) read from [cols][k] with t contiguous (a fused k^T).
                int tStride = transposed ? 1 : cols, jStride = transposed ? k : 1;
                var direct = new long[rows * cols];
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        long acc = 0;
                        for (int t = 0; t < k; t++)
                        {
                            acc += (a[(i * k) + t] - (long)za) * (bSrc[(t * tStride) + (j * jStride)] - (long)zb);
                        }

                        direct[(i * cols) + j] = acc;
                    }
                }

                var r = new Dyadic((1 << 30) + 777, k > 100 ? 44 : 38);
                int zo = 12;
                int[] expected = direct.Select(acc => (int)Math.Max(-128, Math.Min(127, zo + r.Apply(Math.Max(-(1L << 31), Math.Min(1L << 31, acc)))))).ToArray();
                Assert.All(direct, acc => Assert.InRange(acc, int.MinValue, int.MaxValue));

                int kQuads = (k + 3) / 4, np8 = (cols + 7) / 8 * 8, np16 = (cols + 15) / 16 * 16;
                var tq = new sbyte[kQuads * np8 * 4];
                var colBias = new int[np16];
                var rowBias = new int[rows];
                var pad = new sbyte[kQuads * 4];
                var mul = Enumerable.Repeat((long)r.Multiplier, np16).ToArray();
                var round = Enumerable.Repeat(1L << (r.Shift - 1), np16).ToArray();
                var shift = Enumerable.Repeat((long)r.Shift, np16).ToArray();
                var y = new sbyte[rows * cols];
                QuantGenTransformerKernels.PackQuadsK(bSrc, 0, tStride, jStride, k, cols, tq, np8, colBias, -(128 + za), unchecked(k * za * zb));
                QuantGenKernels.RowBias(a, rows, k, -zb, rowBias);
                QuantGenKernels.GemmVnni(ref a[0], rows - 1, k, ref tq[0], kQuads, np8, cols, ref colBias[0], ref rowBias[0], ref mul[0], ref round[0], ref shift[0], zo, -128, 127, ref y[0], cols);
                QuantGenTransformerKernels.PadLastRow(a, k, pad);
                QuantGenKernels.GemmVnni(ref pad[0], 1, kQuads * 4, ref tq[0], kQuads, np8, cols, ref colBias[0], ref rowBias[rows - 1], ref mul[0], ref round[0], ref shift[0], zo, -128, 127, ref y[(rows - 1) * cols], cols);
                Assert.Equal(expected, y.Select(v => (int)v).ToArray());
            }
        }

        private static void CheckPacking(int k, int cols, int mode, bool transposed)
        {
            var rng = new Random(k + cols);
            sbyte[] bSrc = Operand(k * cols, mode, rng);
            int tStride = transposed ? 1 : cols, jStride = transposed ? k : 1, kQuads = (k + 3) / 4, np8 = (cols + 7) / 8 * 8;
            var tq = new sbyte[kQuads * np8 * 4];
            var colBias = new int[cols];
            QuantGenTransformerKernels.PackQuadsK(bSrc, 0, tStride, jStride, k, cols, tq, np8, colBias, -3, 11);
            for (int j = 0; j < np8; j++)
            {
                int sum = 0;
                for (int t = 0; t < kQuads * 4; t++)
                {
                    sbyte v = j < cols && t < k ? bSrc[(t * tStride) + (j * jStride)] : (sbyte)0;
                    sum += v;
                    Assert.Equal(v, tq[((((t / 4) * np8) + j) * 4) + (t % 4)]);
                }

                if (j < cols)
                {
                    Assert.Equal((-3 * sum) + 11, colBias[j]);
                }
            }
        }

        [Theory]
        [InlineData(197, 64, false)]
        [InlineData(37, 36, false)]
        [InlineData(203, 197, false)]
        [InlineData(37, 20, true)]
        [InlineData(64, 197, true)]
        [InlineData(203, 9, true)]
        public void PackQuadsKHoldsEveryByteAndColumnSum(int k, int cols, bool transposed)
        {
            for (int mode = 0; mode < 3; mode++)
            {
                CheckPacking(k, cols, mode, transposed);
            }
        }

        [Fact]
        public void PadLastRowCopiesTheLastRowAndZeroes()
        {
            sbyte[] a = Enumerable.Range(0, 3 * 5).Select(i => (sbyte)(i - 7)).ToArray();
            var pad = Enumerable.Repeat((sbyte)99, 8).ToArray();
            QuantGenTransformerKernels.PadLastRow(a, 5, pad);
            Assert.Equal(new sbyte[] { 3, 4, 5, 6, 7, 0, 0, 0 }, pad);
        }

        private static sbyte[] Operand(int n, int mode, Random rng) =>
            Enumerable.Range(0, n).Select(i => mode switch
            {
                1 => sbyte.MaxValue,
                2 => i % 3 == 0 ? sbyte.MinValue : sbyte.MaxValue,
                3 => sbyte.MinValue,
                _ => (sbyte)rng.Next(-128, 128),
            }).ToArray();
    }
}
