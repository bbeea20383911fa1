using System;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    /// <summary>
    /// ResidualAdd.WideConstant (issue 13, deitagree): a float constant operand of an Add kept as int32 at a scale 2^(k - s) of
    /// the output's, so that the Add's one rounding is on the sum with the float constant (to within 2^(k - s - 1) LSB), not on
    /// an 8-bit copy of it.
    /// </summary>
    public class WideConstantTests
    {
        // DeiT-Tiny's position-embedding Add as the ortqdq file has it (float32 scales of the tokens and of the sum).
        private const double TokenScale = 0.01223292201757431, SumScale = 0.012380355969071388;

        private static float[] Values(ulong seed, int n, double range)
        {
            var rng = new TestRng(seed);
            return Enumerable.Range(0, n).Select(_ => (float)(((rng.NextDouble() * 2) - 1) * range)).ToArray();
        }

        [Fact]
        public void DeitPositionEmbeddingGetsScaleTwoToTheMinus21OfTheOutputAndMantissaOne()
        {
            float[] pos = Values(13, 4096, 0.079);
            (int[] q, double scale) = ResidualAdd.WideConstant(pos, TokenScale, SumScale)!.Value;
            Assert.Equal(SumScale * Math.Pow(2, -21), scale);
            (Dyadic a, Dyadic c) = ResidualAdd.Multipliers(TokenScale, scale, SumScale);
            Assert.Equal(new Dyadic(1, 21), c);
            Assert.Equal(21, a.Shift);
            for (int i = 0; i < pos.Length; i++)
            {
                // Each integer is the nearest to c / S_c: within half a step of 2^-21 output LSB.
                Assert.True(Math.Abs((q[i] * scale) - pos[i]) <= (scale / 2) + 1e-18, $"{i}: {q[i]} * {scale} vs {pos[i]}");
            }
        }

        /// <summary>
        /// The Add with the wide constant is within 1/2 + 2^-14 output LSB of the exact real sum with the float constant for every
        /// int8 activation (the activation's 21-bit mantissa: 255 * 2^-22; the constant: 2^-22); an 8-bit copy of the same
        /// constant misses it by up to 0.5 + 0.025 (half its own step, 0.079 / 127 / 2 / S_o) and does here.
        /// </summary>
        [Fact]
        public void AddWithTheWideConstantIsWithinHalfAnLsbOfTheSumWithTheFloatConstant()
        {
            const long Za = 0, Zo = -1;
            float[] pos = Values(29, 600, 0.079);
            (int[] q, double scale) = ResidualAdd.WideConstant(pos, TokenScale, SumScale)!.Value;
            (Dyadic da, Dyadic dc) = ResidualAdd.Multipliers(TokenScale, scale, SumScale);
            double narrowScale = (float)(pos.Max(v => Math.Abs((double)v)) / 127);
            (Dyadic na, Dyadic nc) = ResidualAdd.Multipliers(TokenScale, narrowScale, SumScale);
            double worstWide = 0, worstNarrow = 0;
            for (int j = 0; j < pos.Length; j++)
            {
                int narrow = (int)Math.Round(pos[j] / narrowScale, MidpointRounding.AwayFromZero);
                for (int a = -128; a <= 127; a++)
                {
                    double exact = ((((a - Za) * TokenScale) + pos[j]) / SumScale) + Zo;
                    if (exact < -128 || exact > 127)
                    {
                        continue;
                    }

                    worstWide = Math.Max(worstWide, Math.Abs(ResidualAdd.Apply(a, Za, da, q[j], 0, dc, Zo, ElementType.Int8) - exact));
                    worstNarrow = Math.Max(worstNarrow, Math.Abs(ResidualAdd.Apply(a, Za, na, narrow, 0, nc, Zo, ElementType.Int8) - exact));
                }
            }

            Assert.True(worstWide <= 0.5 + Math.Pow(2, -14), $"wide: {worstWide}");
            Assert.True(worstNarrow > 0.51, $"narrow: {worstNarrow}");
        }

        [Fact]
        public void LargeConstantsTakeAMantissaTwoToTheKAndStayWithin30Bits()
        {
            // |c| / S_o up to 3000: 3000 * 2^21 > 2^30, so k = 3 (3000 * 2^18 < 2^30) and the constant's mantissa is 8.
            float[] big = Values(31, 100, 3000 * SumScale);
            big[0] = (float)(3000 * SumScale);
            (int[] q, double scale) = ResidualAdd.WideConstant(big, TokenScale, SumScale)!.Value;
            Assert.Equal(SumScale * Math.Pow(2, 3 - 21), scale);
            Assert.Equal(new Dyadic(8, 21), ResidualAdd.Multipliers(TokenScale, scale, SumScale).B);
            Assert.True(q.All(v => Math.Abs(v) <= ResidualAdd.WideConstantLimit));
            Assert.Equal(Math.Round(big[0] / scale), q[0]);
        }

        [Fact]
        public void NoWideFormForNonFiniteValuesOrScales()
        {
            Assert.Null(ResidualAdd.WideConstant(new[] { 1f, float.NaN }, TokenScale, SumScale));
            Assert.Null(ResidualAdd.WideConstant(new[] { float.PositiveInfinity }, TokenScale, SumScale));
            Assert.Null(ResidualAdd.WideConstant(new[] { 1f }, 0, SumScale));
            Assert.Null(ResidualAdd.WideConstant(new[] { 1f }, TokenScale, double.NaN));

            // A constant so large that its branch would need a larger shift than the activation's (|c| / S_o 2^21 >> 2^51).
            Assert.Null(ResidualAdd.WideConstant(new[] { (float)(SumScale * 1e12) }, TokenScale, SumScale));
        }
    }
}
