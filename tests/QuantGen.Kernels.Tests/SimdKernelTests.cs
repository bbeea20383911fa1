using System;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The SIMD kernels against scalar loops written from their definitions, on extreme and random operands (lengths that
    /// leave vector tails). The cross-backend tests force the lower SIMD paths in child processes; here the machine's own.
    /// </summary>
    public class SimdKernelTests
    {
        private static sbyte[] Bytes(Random rng, int n, bool extremes)
        {
            var v = new sbyte[n];
            for (int i = 0; i < n; i++)
            {
                v[i] = extremes ? (i % 3 == 0 ? sbyte.MinValue : i % 3 == 1 ? sbyte.MaxValue : (sbyte)0) : (sbyte)rng.Next(-128, 128);
            }

            return v;
        }

        [Theory]
        [InlineData(64)]
        [InlineData(128)]
        [InlineData(576)]
        public void DotProductsAreExact(int length)
        {
            var rng = new Random(length);
            foreach (bool extremes in new[] { true, false })
            {
                sbyte[] x = Bytes(rng, length, extremes), w = Bytes(rng, length, !extremes);
                long expected = 0, expectedFast = 0;
                var wFast = new sbyte[length];
                for (int i = 0; i < length; i++)
                {
                    expected += x[i] * w[i];
                    wFast[i] = w[i] == sbyte.MinValue ? (sbyte)-127 : w[i];
                    expectedFast += x[i] * wFast[i];
                }

                Assert.Equal(expected, QuantGenKernels.DotS8Exact(ref x[0], ref w[0], length));
                Assert.Equal(expectedFast, QuantGenKernels.DotS8Fast(ref x[0], ref wFast[0], length));
            }
        }

        [Fact]
        public void LookupAndInRange()
        {
            var rng = new Random(9);
            sbyte[] x = Bytes(rng, 100, false);
            var table = new byte[256];
            for (int i = 0; i < 256; i++)
            {
                table[i] = (byte)(255 - i);
            }

            var y = new sbyte[100];
            QuantGenKernels.Lookup(x, ref table[0], y);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal((sbyte)table[(byte)x[i]], y[i]);
            }

            Assert.True(QuantGenKernels.InRange(x, sbyte.MinValue, sbyte.MaxValue));
            x[77] = 100;
            Assert.False(QuantGenKernels.InRange(x, -50, 99));
        }
    }
}
