using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenKernels.AvgColumnsS8 (the int8 row pool on a channels-last flatten, [batch][count][c]) against the pool's
    /// definition written out here: per (batch, channel) the int64 sum of x - zx over the count positions, times m, RoundShift,
    /// plus zo, clamped. Shapes of DS-CNN (125 x 64) and MobileNet (9 x 256), channel counts that are not multiples of 16,
    /// more than 256 positions (the int16 partial sums restart), extreme operands at both ends, zero points at both ends,
    /// several batches.
    /// </summary>
    public class AvgColumnsKernelTests
    {
        [Theory]
        [InlineData(1, 125, 64, 0)]
        [InlineData(1, 9, 256, 1)]
        [InlineData(2, 9, 256, 2)]
        [InlineData(3, 7, 19, 0)]
        [InlineData(1, 1, 33, 1)]
        [InlineData(1, 300, 16, 2)]
        [InlineData(2, 600, 40, 1)]
        [InlineData(1, 513, 48, 3)]
        [InlineData(1, 257, 64, 3)]
        [InlineData(2, 130, 112, 2)]
        [InlineData(1, 3, 80, 1)]
        public void AvgColumnsEqualsTheDefinition(int batch, int count, int c, int mode)
        {
            var rng = new Random((batch * 31) + (count * 7) + c + mode);
            var x = new sbyte[batch * count * c];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MinValue, 3 => i % 3 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            // 1 / count times a scale ratio near 1, as the compiler's dyadics (multiplier in [2^30, 2^31)).
            double ratio = (0.5 + rng.NextDouble()) / count;
            int shift = 0;
            while (ratio * Math.Pow(2, shift) < (1 << 30))
            {
                shift++;
            }

            long m = (long)Math.Min(int.MaxValue, Math.Round(ratio * Math.Pow(2, shift)));
            foreach (long zx in new long[] { -128, 127, rng.Next(-128, 128) })
            {
                foreach (long zo in new long[] { -128, 127, 5 })
                {
                    foreach ((long lo, long hi) in new[] { (-128L, 127L), (zo, 127L), (-100L, 90L) })
                    {
                        var y = new sbyte[(batch * c) + 1];
                        y[^1] = 77;
                        QuantGenKernels.AvgColumnsS8(x, batch, count, c, zx, m, shift, zo, lo, hi, y);
                        for (int b = 0; b < batch; b++)
                        {
                            for (int ch = 0; ch < c; ch++)
                            {
                                long sum = 0;
                                for (int t = 0; t < count; t++)
                                {
                                    sum += x[(((b * count) + t) * c) + ch] - zx;
                                }

                                long product = sum * m;
                                long rounded = (product + (1L << (shift - 1))) >> shift;
                                long expected = Math.Clamp(zo + rounded, lo, hi);
                                Assert.True(expected == y[(b * c) + ch], $"batch {b} channel {ch} zx {zx} zo {zo} [{lo}, {hi}]: expected {expected}, got {y[(b * c) + ch]}");
                            }
                        }

                        Assert.Equal(77, y[^1]);
                    }
                }
            }
        }

        [Fact]
        public void AvgColumnsRejectsShortBuffers()
        {
            Assert.Throws<ArgumentException>(() => QuantGenKernels.AvgColumnsS8(new sbyte[10], 1, 3, 4, 0, 1, 1, 0, -128, 127, new sbyte[4]));
            Assert.Throws<ArgumentException>(() => QuantGenKernels.AvgColumnsS8(new sbyte[12], 1, 3, 4, 0, 1, 1, 0, -128, 127, new sbyte[3]));
        }
    }
}
