using System;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    public class FloatReferenceTests
    {
        // Values of erf from tables (Abramowitz & Stegun 7.1, extended precision).
        [Theory]
        [InlineData(0.0, 0.0)]
        [InlineData(0.01, 0.011283415555849618)]
        [InlineData(0.1, 0.1124629160182849)]
        [InlineData(0.5, 0.5204998778130465)]
        [InlineData(1.0, 0.8427007929497149)]
        [InlineData(1.5, 0.9661051464753107)]
        [InlineData(2.0, 0.9953222650189527)]
        [InlineData(3.0, 0.9999779095030014)]
        [InlineData(5.0, 0.9999999999984626)]
        [InlineData(-1.0, -0.8427007929497149)]
        [InlineData(7.0, 1.0)]
        public void Erf_MatchesKnownValues(double x, double expected)
            => Assert.True(Math.Abs(FloatReference.Erf(x) - expected) < 1e-14, $"erf({x}) = {FloatReference.Erf(x):R}");

        [Fact]
        public void Erf_IsOdd_Monotone_AndMatchesItsDerivative()
        {
            double prev = -1.0;
            for (double x = -7; x <= 7; x += 0.001)
            {
                double v = FloatReference.Erf(x);
                Assert.Equal(-v, FloatReference.Erf(-x));
                Assert.True(v >= prev - 1e-15, $"not monotone at {x}");
                prev = v;

                // Central difference vs 2/sqrt(pi) e^(-x^2): checks there is no seam between the two branches.
                const double h = 1e-4;
                double numeric = (FloatReference.Erf(x + h) - FloatReference.Erf(x - h)) / (2 * h);
                Assert.True(Math.Abs(numeric - (2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x))) < 1e-8, $"x={x}");
            }

            Assert.True(double.IsNaN(FloatReference.Erf(double.NaN)));
            Assert.Equal(1.0, FloatReference.Erf(double.PositiveInfinity));
        }

        [Fact]
        public void Gelu_And_Friends()
        {
            Assert.Equal(0.0, FloatReference.Gelu(0));
            Assert.True(Math.Abs(FloatReference.Gelu(1.0) - 0.8413447460685429) < 1e-14);
            Assert.True(Math.Abs(FloatReference.Gelu(-1.0) + 0.15865525393145707) < 1e-14);
            Assert.True(Math.Abs(FloatReference.GeluSigmoid(1.0) - (1.0 / (1.0 + Math.Exp(-1.702)))) < 1e-15);
            Assert.Equal(0.0, FloatReference.Sigmoid(-1000));
            Assert.Equal(1.0, FloatReference.Sigmoid(1000));
            Assert.Equal(6.0, FloatReference.Relu6(7));
            Assert.Equal(0.0, FloatReference.Relu(-2));
        }

        [Fact]
        public void Softmax_And_LayerNorm()
        {
            var x = new[] { 1.0, 2.0, 3.0, 1000.0, -1000.0 };
            var y = new double[5];
            FloatReference.Softmax(x, 0, 3, y, 1);
            Assert.Equal(0.0, y[0]);
            Assert.True(Math.Abs(y[1] + y[2] + y[3] - 1) < 1e-15);
            Assert.True(Math.Abs(y[3] - (Math.Exp(3) / (Math.Exp(1) + Math.Exp(2) + Math.Exp(3)))) < 1e-15);
            FloatReference.Softmax(x, 3, 2, y, 0);
            Assert.Equal(1.0, y[0]);
            Assert.Equal(0.0, y[1]);

            var row = new[] { 1.0, 2.0, 3.0, 4.0 };
            var n = new double[4];
            FloatReference.LayerNorm(row, 0, 4, 0.0, n, 0);
            Assert.True(Math.Abs(n[0] + (1.5 / Math.Sqrt(1.25))) < 1e-15);
            FloatReference.LayerNorm(new[] { 3.0, 3.0 }, 0, 2, 1e-5, n, 0);
            Assert.Equal(0.0, n[0]);
        }
    }
}
