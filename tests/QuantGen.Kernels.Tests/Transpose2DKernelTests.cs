using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The 2-D byte transpose (<c>QuantGenKernels.Transpose2D</c>, kernel int8-transpose-blocks) against the definition written
    /// here, y[c * rows + r] = x[r * cols + c], on shapes with whole 16 x 16 blocks, edge rows and columns, and fewer than 16
    /// rows (no block at all); the bytes past rows * cols are left alone.
    /// </summary>
    public class Transpose2DKernelTests
    {
        [Theory]
        [InlineData(192, 196)]
        [InlineData(16, 16)]
        [InlineData(32, 48)]
        [InlineData(17, 33)]
        [InlineData(31, 16)]
        [InlineData(15, 40)]
        [InlineData(1, 5)]
        [InlineData(64, 197)]
        public void EqualsTheDefinition(int rows, int cols)
        {
            var rng = new Random((rows * 131) + cols);
            var x = new sbyte[rows * cols];
            for (int i = 0; i < x.Length; i++)
            {
                // Extremes and distinct values: a byte moved to the wrong place shows.
                x[i] = (i % 7) switch { 0 => sbyte.MinValue, 1 => sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            var y = new sbyte[(rows * cols) + 3];
            y.AsSpan(rows * cols).Fill(77);
            QuantGenKernels.Transpose2D(x, rows, cols, y);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    Assert.True(x[(r * cols) + c] == y[(c * rows) + r], $"y[{c}, {r}] = {y[(c * rows) + r]}, expected x[{r}, {c}] = {x[(r * cols) + c]}");
                }
            }

            Assert.All(y.AsSpan(rows * cols).ToArray(), v => Assert.Equal(77, v));
        }

        [Fact]
        public void RejectsSpansShorterThanTheShape()
        {
            Assert.Throws<ArgumentException>(() => QuantGenKernels.Transpose2D(new sbyte[10], 4, 4, new sbyte[16]));
            Assert.Throws<ArgumentException>(() => QuantGenKernels.Transpose2D(new sbyte[16], 4, 4, new sbyte[10]));
        }
    }
}
