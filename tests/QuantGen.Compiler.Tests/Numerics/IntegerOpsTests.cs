using System;
using System.Numerics;
using CsCheck;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    public class IntegerOpsTests
    {
        [Theory]
        [InlineData(-3, 1, -1)]   // -1.5 -> -1
        [InlineData(3, 1, 2)]     // +1.5 -> 2
        [InlineData(-1, 1, 0)]    // -0.5 -> 0
        [InlineData(1, 1, 1)]     // +0.5 -> 1
        [InlineData(-5, 1, -2)]   // -2.5 -> -2
        [InlineData(5, 1, 3)]     // +2.5 -> 3
        [InlineData(-7, 2, -2)]   // -1.75 -> -2
        [InlineData(7, 2, 2)]     // 1.75 -> 2
        [InlineData(-6, 2, -1)]   // -1.5 -> -1
        [InlineData(42, 0, 42)]
        [InlineData(-42, 0, -42)]
        public void RoundingShiftRight_Examples(long x, int shift, long expected)
            => Assert.Equal(expected, IntegerOps.RoundingShiftRight(x, shift));

        [Fact]
        public void RoundingShiftRight_TiesRoundUp_ForBothSigns()
        {
            Gen.Select(Gen.Long[-(1L << 40), 1L << 40], Gen.Int[1, 20]).Sample((k, s) =>
            {
                long x = (k << s) + (1L << (s - 1));          // exactly k + 1/2 after the shift
                Assert.Equal(k + 1, IntegerOps.RoundingShiftRight(x, s));
            }, iter: 20_000);
        }

        [Fact]
        public void RoundingShiftRight_EqualsExactRationalRounding()
        {
            Gen.Select(Gen.Long[-IntegerOps.Pow2_62, IntegerOps.Pow2_62], Gen.Int[0, 62]).Sample((x, s) =>
            {
                BigInteger expected = Exact.RoundHalfUp(x, Exact.Pow2(s));
                Assert.Equal(expected, (BigInteger)IntegerOps.RoundingShiftRight(x, s));
            }, iter: 50_000);

            foreach (long x in new[] { IntegerOps.Pow2_62, -IntegerOps.Pow2_62, 0L, 1L, -1L })
            {
                for (int s = 0; s <= 62; s++)
                {
                    Assert.Equal(Exact.RoundHalfUp(x, Exact.Pow2(s)), (BigInteger)IntegerOps.RoundingShiftRight(x, s));
                }
            }
        }

        [Fact]
        public void RoundingShiftRight_RejectsOutOfDomain()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundingShiftRight(1, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundingShiftRight(1, 63));
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundingShiftRight(IntegerOps.Pow2_62 + 1, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundingShiftRight(long.MinValue, 3));
        }

        [Fact]
        public void FloorDiv_And_FloorMod_MatchExactFloor_ForAllSignCombinations()
        {
            Gen.Select(Gen.Long, Gen.Long.Where(b => b != 0)).Sample((a, b) =>
            {
                if (a == long.MinValue && b == -1)
                {
                    return;
                }

                BigInteger q = Exact.FloorDiv(a, b);
                Assert.Equal(q, (BigInteger)IntegerOps.FloorDiv(a, b));
                Assert.Equal((BigInteger)a - (q * b), (BigInteger)IntegerOps.FloorMod(a, b));
            }, iter: 50_000);

            Gen.Select(Gen.Long[-1000, 1000], Gen.Long[-50, 50].Where(b => b != 0)).Sample((a, b) =>
            {
                Assert.Equal((long)Math.Floor((double)a / b), IntegerOps.FloorDiv(a, b));
            }, iter: 20_000);

            Assert.Equal(-4, IntegerOps.FloorDiv(-7, 2));
            Assert.Equal(-4, IntegerOps.FloorDiv(7, -2));
            Assert.Equal(3, IntegerOps.FloorDiv(-7, -2));
            Assert.Equal(3, IntegerOps.FloorDiv(7, 2));
            Assert.Equal(long.MinValue, IntegerOps.FloorDiv(long.MinValue, 1));
            Assert.Throws<OverflowException>(() => IntegerOps.FloorDiv(long.MinValue, -1));
            Assert.Throws<DivideByZeroException>(() => IntegerOps.FloorDiv(1, 0));
        }

        [Fact]
        public void RoundDiv_MatchesExactRounding()
        {
            Gen.Select(Gen.Long, Gen.Long[1, long.MaxValue]).Sample((a, b) =>
            {
                Assert.Equal(Exact.RoundHalfUp(a, b), (BigInteger)IntegerOps.RoundDiv(a, b));
            }, iter: 50_000);

            Gen.Select(Gen.Long[-100_000, 100_000], Gen.Long[1, 300]).Sample((a, b) =>
            {
                Assert.Equal(Exact.RoundHalfUp(a, b), (BigInteger)IntegerOps.RoundDiv(a, b));
            }, iter: 50_000);

            Assert.Equal(-1, IntegerOps.RoundDiv(-3, 2));
            Assert.Equal(2, IntegerOps.RoundDiv(3, 2));
            Assert.Equal(long.MaxValue, IntegerOps.RoundDiv(long.MaxValue, 1));
            Assert.Equal(long.MinValue / 2, IntegerOps.RoundDiv(long.MinValue, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundDiv(1, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.RoundDiv(1, -2));
        }

        [Fact]
        public void ShiftRightGuarded_IsExactFloorForAnyCount()
        {
            Assert.Equal(0, IntegerOps.ShiftRightGuarded(long.MaxValue, 63));
            Assert.Equal(-1, IntegerOps.ShiftRightGuarded(-5, 64));
            Assert.Equal(0, IntegerOps.ShiftRightGuarded(1L << 40, 1000));
            Assert.Equal(1, IntegerOps.ShiftRightGuarded(1L << 40, 40));
            Gen.Select(Gen.Long, Gen.Int[0, 200]).Sample((x, s) =>
            {
                BigInteger expected = Exact.FloorDiv(x, Exact.Pow2(s));
                Assert.Equal(expected, (BigInteger)IntegerOps.ShiftRightGuarded(x, s));
            }, iter: 20_000);
            Assert.Throws<ArgumentOutOfRangeException>(() => IntegerOps.ShiftRightGuarded(1, -1));
        }

        [Fact]
        public void ShiftLeftChecked_DetectsOverflow()
        {
            Assert.Equal(1L << 62, IntegerOps.ShiftLeftChecked(1, 62));
            Assert.Equal(-(1L << 62), IntegerOps.ShiftLeftChecked(-1, 62));
            Assert.Throws<OverflowException>(() => IntegerOps.ShiftLeftChecked(2, 62));
            Assert.Throws<OverflowException>(() => IntegerOps.ShiftLeftChecked(-3, 62));
        }

        [Fact]
        public void Isqrt_IsExact_OnEdgesAndRandomValues()
        {
            Assert.Equal(0UL, IntegerOps.Isqrt(0));
            Assert.Equal(1UL, IntegerOps.Isqrt(1));
            Assert.Equal(1UL, IntegerOps.Isqrt(2));
            Assert.Equal(1UL, IntegerOps.Isqrt(3));
            Assert.Equal(2UL, IntegerOps.Isqrt(4));
            Assert.Equal(10UL, IntegerOps.Isqrt(100));        // I-ViT's 10 Newton steps give 64 here
            Assert.Equal(uint.MaxValue, IntegerOps.Isqrt(ulong.MaxValue));
            Assert.Equal(uint.MaxValue - 1UL, IntegerOps.Isqrt(((ulong)uint.MaxValue * uint.MaxValue) - 1));
            Assert.Equal((ulong)uint.MaxValue, IntegerOps.Isqrt((ulong)uint.MaxValue * uint.MaxValue));

            Gen.ULong.Sample(v => AssertIsqrt(v), iter: 50_000);
            Gen.ULong[0, 1UL << 20].Sample(v => AssertIsqrt(v), iter: 20_000);
            Gen.UInt.Sample(k =>
            {
                ulong sq = (ulong)k * k;
                Assert.Equal((ulong)k, IntegerOps.Isqrt(sq));
                if (sq > 0)
                {
                    Assert.Equal((ulong)k - 1, IntegerOps.Isqrt(sq - 1));
                }

                if (k < uint.MaxValue)
                {
                    Assert.Equal((ulong)k, IntegerOps.Isqrt(sq + (2UL * k)));   // (k+1)^2 - 1
                }
            }, iter: 20_000);

            for (ulong v = 0; v < 70_000; v++)
            {
                AssertIsqrt(v);
            }
        }

        private static void AssertIsqrt(ulong v)
        {
            UInt128 r = IntegerOps.Isqrt(v);
            Assert.True(r * r <= v, $"Isqrt({v}) = {r} is too large");
            Assert.True((r + 1) * (r + 1) > v, $"Isqrt({v}) = {r} is too small");
        }

        [Fact]
        public void ArgMax_ReturnsFirstMaximumRelativeToOffset()
        {
            var v = new[] { 9, 1, 5, 7, 7, 3, 9 };
            Assert.Equal(2, IntegerOps.ArgMax(v, 1, 5));
            Assert.Equal(0, IntegerOps.ArgMax(v, 0, 7));
            Assert.Equal(0, IntegerOps.ArgMax(v, 6, 1));
            Assert.Equal(0, IntegerOps.ArgMax(new[] { int.MinValue, int.MinValue }, 0, 2));
            Assert.Throws<ArgumentException>(() => IntegerOps.ArgMax(v, 0, 0));
            Assert.Throws<ArgumentException>(() => IntegerOps.ArgMax(v, 3, 5));
            Gen.Int.Array[1, 50].Sample(a =>
            {
                int idx = IntegerOps.ArgMax(a, 0, a.Length);
                for (int i = 0; i < a.Length; i++)
                {
                    Assert.True(a[i] < a[idx] || (a[i] == a[idx] && i >= idx));
                }
            }, iter: 5_000);
        }

        [Fact]
        public void Clamp_And_Requantize()
        {
            Assert.Equal(5, IntegerOps.Clamp(5, 0, 10));
            Assert.Equal(0, IntegerOps.Clamp(-5, 0, 10));
            Assert.Equal(10, IntegerOps.Clamp(50, 0, 10));
            Assert.Throws<ArgumentException>(() => IntegerOps.Clamp(0, 1, 0));

            var d = Dyadic.FromReal(0.00144027);
            Assert.Equal(11 - 128, IntegerOps.Requantize(7984, d, -128, -128, 127));   // exact 11.499 -> 11
            Assert.Equal(127, IntegerOps.Requantize(1_000_000, d, 0, ElementType.Int8));
            Assert.Equal(-128, IntegerOps.Requantize(-1_000_000, d, 0, ElementType.Int8));
        }
    }
}
