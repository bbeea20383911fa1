using System;
using System.Numerics;
using CsCheck;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    public class DyadicTests
    {
        private static readonly double RelativeBound = Math.Pow(2, -31);

        [Fact]
        public void FromReal_RelativeErrorBound_OverTwentyOneDecades_BothSigns()
        {
            Gen.Select(Gen.Double[Math.Log(1e-12), Math.Log(1e9)], Gen.Bool).Sample((logM, negative) =>
            {
                double m = Math.Exp(logM) * (negative ? -1 : 1);
                AssertNearest(m);
            }, iter: 50_000);
        }

        private static void AssertNearest(double m)
        {
            Dyadic d = Dyadic.FromReal(m);
            if (d == Dyadic.Zero)
            {
                Assert.True(Math.Abs(m) < Math.Pow(2, -32), $"{m} flushed although |M| >= 2^-32");
                return;
            }

            Assert.InRange(d.Shift, 0, 62);
            Assert.InRange(Math.Abs((long)d.Multiplier), 1L << 30, int.MaxValue);
            Assert.Equal(Math.Sign(m), Math.Sign(d.Multiplier));
            double rel = Math.Abs(d.ToReal() - m) / Math.Abs(m);
            Assert.True(rel <= RelativeBound, $"relative error {rel} for {m}");
        }

        [Fact]
        public void FromReal_EdgeCases()
        {
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(0.0));
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(-0.0));
            Assert.Equal(new Dyadic(1 << 30, 30), Dyadic.FromReal(1.0));
            Assert.Equal(new Dyadic(-(1 << 30), 30), Dyadic.FromReal(-1.0));
            Assert.Equal(new Dyadic(1 << 30, 31), Dyadic.FromReal(0.5));

            // Renormalisation: the mantissa of 1 - 2^-33 rounds to 2^31, which does not fit int32.
            double justBelowOne = 1.0 - Math.Pow(2, -33);
            Assert.Equal(new Dyadic(1 << 30, 30), Dyadic.FromReal(justBelowOne));
            Assert.Equal(new Dyadic(-(1 << 30), 30), Dyadic.FromReal(-justBelowOne));
            Assert.Equal(new Dyadic(1 << 30, 40), Dyadic.FromReal(Math.Pow(2, -10) * justBelowOne));
            AssertNearest(justBelowOne);

            // Ties to even on the mantissa: q * 2^31 = 2^30 + 0.5 -> 2^30, 2^30 + 1.5 -> 2^30 + 2.
            Assert.Equal(1 << 30, Dyadic.FromReal((Math.Pow(2, 30) + 0.5) / Math.Pow(2, 31)).Multiplier);
            Assert.Equal((1 << 30) + 2, Dyadic.FromReal((Math.Pow(2, 30) + 1.5) / Math.Pow(2, 31)).Multiplier);

            // Largest and smallest representable.
            Assert.Equal(new Dyadic(int.MaxValue, 0), Dyadic.FromReal(int.MaxValue));
            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.FromReal(2147483647.9));   // rounds to 2^31
            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.FromReal(4e9));
            Assert.Equal(new Dyadic(1 << 30, 62), Dyadic.FromReal(Math.Pow(2, -32)));
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(Math.Pow(2, -32) * 0.999));
            Assert.Equal(new Dyadic(1 << 30, 62), Dyadic.FromReal(Math.Pow(2, -32) * (1 - Math.Pow(2, -40))));  // renormalised into range
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(double.Epsilon));
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(1e-300));

            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.FromReal(double.NaN));
            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.FromReal(double.PositiveInfinity));
            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.FromReal(double.NegativeInfinity));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Dyadic(1, 63));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Dyadic(1, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Dyadic(int.MinValue, 3));
        }

        [Fact]
        public void Flush_IsHarmless_ForEveryLegalOperand()
        {
            // A flushed multiplier is below 2^-32, so x * M rounds to 0 for every |x| <= 2^31.
            double m = Math.Pow(2, -32) * 0.999;
            Assert.Equal(Dyadic.Zero, Dyadic.FromReal(m));
            Assert.True(Dyadic.MaxOperand * m < 0.5);
            Assert.Equal(0, Dyadic.Zero.Apply(Dyadic.MaxOperand));
            Assert.Equal(0, Dyadic.Zero.Apply(-Dyadic.MaxOperand));
        }

        [Fact]
        public void Frexp_DecomposesExactly()
        {
            Gen.Double.Where(v => !double.IsNaN(v) && !double.IsInfinity(v) && v != 0).Sample(v =>
            {
                double q = FloatBits.Frexp(v, out int e);
                Assert.InRange(Math.Abs(q), 0.5, Math.BitDecrement(1.0));
                Assert.Equal(v, Math.ScaleB(q, e));
            }, iter: 20_000);
            Assert.Equal(0.5, FloatBits.Frexp(double.Epsilon, out int ee));
            Assert.Equal(-1073, ee);
        }

        [Fact]
        public void Apply_EqualsExactBigIntegerRounding_UpToTwoToThe31()
        {
            Gen.Select(Gen.Long[-Dyadic.MaxOperand, Dyadic.MaxOperand], Gen.Int[int.MinValue + 1, int.MaxValue], Gen.Int[0, 62])
                .Sample((x, mult, shift) =>
                {
                    var d = new Dyadic(mult, shift);
                    BigInteger expected = Exact.RoundHalfUp((BigInteger)x * mult, Exact.Pow2(shift));
                    Assert.Equal(expected, (BigInteger)d.Apply(x));
                }, iter: 50_000);

            foreach (long x in new[] { Dyadic.MaxOperand, -Dyadic.MaxOperand })
            {
                foreach (int mult in new[] { int.MaxValue, -int.MaxValue })
                {
                    var d = new Dyadic(mult, 0);
                    Assert.Equal((BigInteger)x * mult, (BigInteger)d.Apply(x));
                }
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => Dyadic.One.Apply(Dyadic.MaxOperand + 1));
        }

        [Fact]
        public void Apply_ErrorAgainstTheRealMultiplier_IsHalfPlusRelative()
        {
            Gen.Select(Gen.Long[-Dyadic.MaxOperand, Dyadic.MaxOperand], Gen.Double[Math.Log(1e-9), Math.Log(100)]).Sample((x, logM) =>
            {
                double m = Math.Exp(logM);
                var d = Dyadic.FromReal(m);
                double exact = x * m;
                double bound = 0.5 + (Math.Abs(x) * m * RelativeBound) + (Math.Abs(exact) * 1e-15);
                Assert.True(Math.Abs(d.Apply(x) - exact) <= bound, $"x={x} M={m}");
            }, iter: 50_000);
        }

        [Fact]
        public void SingleRounding_ExampleFromGemmlowp()
        {
            // Exact 11.499: double rounding (gemmlowp) gives 12, single rounding gives 11.
            Assert.Equal(11, Dyadic.FromReal(0.00144027).Apply(7984));
        }
    }
}
