using System;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenTransformerKernels.LayerNormRowsFast (the row factor from a leading-zero count and an integer Newton square
    /// root) against the reference's integer steps: IsqrtExact against IntegerOps.Isqrt on every perfect square's
    /// neighbourhood at the ends of [2^60, 2^62) and on random values of every bit length; whole rows against the reference
    /// IntLayerNorm.Row followed by the per-channel requantization written here in int64, on random rows, rows at int8's ends,
    /// constant rows (variance 0 with eps 0) and rows of one outlier, with 1, 15-17, 31-33, 48, 192, 197 and 300 channels (the
    /// vector steps and their tails), clamped to int8's range (the saturating narrowing) and to narrower ones.
    /// Run it under DOTNET_EnableAVX512F=0 and DOTNET_EnableHWIntrinsic=0 as well (the same
    /// values on the AVX2 and scalar paths).
    /// </summary>
    public class LayerNormFastKernelTests
    {
        [Fact]
        public void IsqrtExactEqualsTheReference()
        {
            var values = new System.Collections.Generic.List<ulong> { 0, 1, 2, 3, 4, 15, 16, 17, (1UL << 60) - 1, 1UL << 60, (1UL << 62) - 1, 1UL << 62, ulong.MaxValue, (1UL << 63) + 12345 };
            foreach (ulong root in new ulong[] { 1UL << 30, (1UL << 30) + 1, (1UL << 31) - 1, (1UL << 31) - 2, 3037000499, 1518500249, 2147483647 })
            {
                for (long d = -3; d <= 3; d++)
                {
                    values.Add((ulong)((long)(root * root) + d));
                }
            }

            var rng = new Random(7);
            for (int bits = 1; bits <= 64; bits++)
            {
                for (int i = 0; i < 200; i++)
                {
                    ulong v = ((ulong)rng.NextInt64() << 1) ^ (ulong)rng.Next();
                    values.Add(bits == 64 ? v : v & ((1UL << bits) - 1));
                }
            }

            foreach (ulong v in values)
            {
                Assert.Equal(IntegerOps.Isqrt(v), QuantGenTransformerKernels.IsqrtExact(v));
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(15)]
        [InlineData(16)]
        [InlineData(17)]
        [InlineData(31)]
        [InlineData(32)]
        [InlineData(33)]
        [InlineData(48)]
        [InlineData(192)]
        [InlineData(197)]
        [InlineData(300)]
        public void RowsEqualTheReference(int c)
        {
            var rng = new Random(c);
            const int rows = 12;
            foreach (long e in new long[] { 0, 1, 12345, 1L << 40 })
            {
                int k = IntLayerNorm.VarianceShift(c, 128);
                long g = IntLayerNorm.ChannelFactor(c);
                var x = new sbyte[rows * c];
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < c; j++)
                    {
                        x[(r * c) + j] = r switch
                        {
                            0 => sbyte.MinValue,                                   // constant rows: variance e
                            1 => (sbyte)(j % 2 == 0 ? 127 : -128),                 // int8's ends
                            2 => (sbyte)(j == c / 2 ? 127 : -3),                   // one outlier
                            3 => 5,
                            _ => (sbyte)rng.Next(-128, 128),
                        };
                    }
                }

                var mul = new long[c];
                var round = new long[c];
                var shift = new long[c];
                var bias = new long[c];
                for (int j = 0; j < c; j++)
                {
                    mul[j] = rng.Next(1 << 29, int.MaxValue);
                    shift[j] = rng.Next(36, 52);
                    round[j] = (1L << (int)(shift[j] - 1)) + rng.Next(-1000, 1000);
                    bias[j] = rng.Next(-130, 130);
                }

                foreach ((int lo, int hi) in new[] { (-128, 127), (-8, 7), (-100, 100) })
                {
                    var expected = new sbyte[rows * c];
                    var xi = new int[c];
                    var norm = new int[c];
                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < c; j++)
                        {
                            xi[j] = x[(r * c) + j];
                        }

                        IntLayerNorm.Row(xi, 0, c, e, k, norm, 0);
                        for (int j = 0; j < c; j++)
                        {
                            long v = bias[j] + (((norm[j] * mul[j]) + round[j]) >> (int)shift[j]);
                            expected[(r * c) + j] = (sbyte)Math.Clamp(v, lo, hi);
                        }
                    }

                    var y = new sbyte[rows * c];
                    QuantGenTransformerKernels.LayerNormRowsFast(x, rows, c, e, k, g, ref mul[0], ref round[0], ref shift[0], ref bias[0], lo, hi, y);
                    Assert.Equal(expected, y);
                }
            }
        }
    }
}
