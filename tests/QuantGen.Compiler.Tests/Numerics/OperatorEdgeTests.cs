using System;
using System.Linq;
using CsCheck;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    /// <summary>Exact semantics and overflow edges of the row operators.</summary>
    public class OperatorEdgeTests
    {
        [Fact]
        public void ShiftExp_FollowsTheRecipe()
        {
            // x0 = -20 (S = 0.05), n = 15: at 0 the value is (-x0) * 2^n.
            Assert.Equal(20L << 15, Shiftmax.ShiftExp(0, -20, 15));
            // Hand-evaluated: x = -7 -> -7 + (-4) - (-1) = -10; q = 0; r = -10; ((-10 + 40) << 15) >> 1.
            Assert.Equal((30L << 15) >> 1, Shiftmax.ShiftExp(-7, -20, 15));
            // Very negative inputs clamp at n * x0 = -300: q = 15, r = 0, shift 0: (0 + 40) >> 1.
            Assert.Equal(20, Shiftmax.ShiftExp(-IntegerOps.Pow2_62, -20, 15));
            Gen.Select(Gen.Long[-1_000_000, 0], Gen.Int[-5000, -1], Gen.Int[0, 16]).Sample((x, x0, n) =>
            {
                long e = Shiftmax.ShiftExp(x, x0, n);
                Assert.InRange(e, 1, (long)-x0 << n);
                Assert.True(x == 0 || e <= Shiftmax.ShiftExp(x + 1, x0, n), "monotone");
            }, iter: 20_000);
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.ShiftExp(1, -20, 15));
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.ShiftExp(0, 0, 15));
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.ShiftExp(0, -20, 31));
        }

        [Fact]
        public void Shiftmax_Params_ValidateTheBudget()
        {
            var p = Shiftmax.FromScale(0.05f);
            Assert.Equal(-20, p.X0);
            Assert.Equal(15, p.N);
            Assert.Equal(8, p.OutBits);
            Assert.Equal(-334, Shiftmax.FromScale(0.003f, 15, 16).X0);
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.FromScale(1e-6f));       // 10^6 * 2^15 > 2^31
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.FromScale(0f));
            Assert.Throws<ArgumentOutOfRangeException>(() => Shiftmax.FromScale(float.NaN));
            Assert.Throws<ArgumentOutOfRangeException>(() => new ShiftmaxParams(-20, 15, 17));
            Assert.Throws<ArgumentOutOfRangeException>(() => new ShiftmaxParams(1, 15, 8));
            Assert.Equal(1.0 / 128, Shiftmax.OutputScale(8));
        }

        [Theory]
        [InlineData(int.MaxValue, 0.05f, 8)]
        [InlineData(int.MinValue, 0.05f, 16)]
        [InlineData(127, 0.003f, 16)]      // 197 * 334 * 2^15 > 2^31 - 1: the sum clamps
        [InlineData(127, 0.02f, 16)]
        public void Shiftmax_AllEqualRowsOf197_StayInRange(int value, float scale, int outBits)
        {
            var p = Shiftmax.FromScale(scale, 15, outBits);
            int[] x = Enumerable.Repeat(value, 197).ToArray();
            var y = new int[197];
            Shiftmax.Row(x, 0, 197, p, y, 0);
            Assert.All(y, v => Assert.Equal(y[0], v));
            double prob = y[0] * Shiftmax.OutputScale(outBits);
            if (scale > 0.01f)
            {
                Assert.InRange(prob, 0.0, 1.0 / 197);   // within budget: the outputs never sum past 1
            }

            Assert.True(Math.Abs(prob - (1.0 / 197)) < 0.01, $"p = {prob}");
        }

        [Fact]
        public void Shiftmax_ExtremeRows_StayInRange()
        {
            var p = Shiftmax.FromScale(0.05f, 15, 16);
            var x = new[] { int.MaxValue, int.MinValue, 0, int.MaxValue };
            var y = new int[4];
            Shiftmax.Row(x, 0, 4, p, y, 0);
            // e = [20 * 2^15, 20, 20, 20 * 2^15] (the two extremes clamp at n * x0); f = floor((2^31 - 1) / 1310760) = 1638.
            Assert.Equal(new[] { (int)((655360L * 1638) >> 16), 0, 0, (int)((655360L * 1638) >> 16) }, y);
            Gen.Int.Array[1, 300].Sample(a =>
            {
                var o = new int[a.Length];
                Shiftmax.Row(a, 0, a.Length, p, o, 0);
                Assert.All(o, v => Assert.InRange(v, 0, (1 << 15) - 1));
                Assert.True(o.Sum(v => (long)v) <= 1L << 15);
            }, iter: 2_000);
        }

        [Fact]
        public void ShiftGelu_WholeNegativeRows_UseMaxOfRowMaxAndZero()
        {
            var p = ShiftGelu.FromScale(0.05f);
            Assert.Equal(-12, p.X0);                       // floor(-1 / (1.702 * 0.05)) = floor(-11.75)
            int[] x = Enumerable.Range(-128, 128).ToArray(); // -128 .. -1
            var y = new int[x.Length];
            ShiftGelu.Row(x, 0, x.Length, p, y, 0);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.InRange(y[i], x[i] * 127, 0);
                double real = y[i] * ShiftGelu.OutputScale(0.05);
                Assert.True(Math.Abs(real - FloatReference.Gelu(x[i] * 0.05)) < 0.05, $"x={x[i]}");
            }

            // A one-element negative row gives the same as the same element in a row whose max is 0.
            var single = new int[1];
            ShiftGelu.Row(new[] { -3 }, 0, 1, p, single, 0);
            var withZero = new int[2];
            ShiftGelu.Row(new[] { -3, 0 }, 0, 2, p, withZero, 0);
            Assert.Equal(withZero[0], single[0]);
            Assert.Equal(0, withZero[1]);

            var extreme = new[] { -ShiftGelu.MaxInputMagnitude, ShiftGelu.MaxInputMagnitude };
            ShiftGelu.Row(extreme, 0, 2, p, extreme, 0);
            Assert.InRange(extreme[0], -ShiftGelu.MaxInputMagnitude * 127, 0);
            // e_a = 12 * 2^23, f = floor((2^31 - 1) / (e_a + e_b)) = 21: the sigmoid's divisor is coarse (126, not 127).
            Assert.Equal(ShiftGelu.MaxInputMagnitude * 126, extreme[1]);
            Assert.Throws<ArgumentException>(() => ShiftGelu.Row(new[] { int.MinValue }, 0, 1, p, new int[1], 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => ShiftGelu.FromScale(0.004f));   // 2 * 147 * 2^23 > 2^31
            Gen.Int[-ShiftGelu.MaxInputMagnitude, ShiftGelu.MaxInputMagnitude].Array[1, 64].Sample(a =>
            {
                var o = new int[a.Length];
                ShiftGelu.Row(a, 0, a.Length, p, o, 0);
                for (int i = 0; i < a.Length; i++)
                {
                    Assert.True(a[i] >= 0 ? o[i] >= 0 && o[i] <= 127L * a[i] : o[i] <= 0 && o[i] >= 127L * a[i]);
                }
            }, iter: 2_000);
        }

        [Fact]
        public void IntLayerNorm_ConstantRows_GiveZero()
        {
            foreach (int v in new[] { 0, 127, -128, -32768, IntLayerNorm.MaxInputMagnitude, -IntLayerNorm.MaxInputMagnitude })
            {
                int[] x = Enumerable.Repeat(v, 768).ToArray();
                var y = Enumerable.Repeat(99, 768).ToArray();
                IntLayerNorm.Row(x, 0, 768, y, 0);
                Assert.All(y, o => Assert.Equal(0, o));
            }
        }

        [Theory]
        [InlineData(2)]
        [InlineData(32)]
        [InlineData(768)]
        [InlineData(4096)]
        public void IntLayerNorm_MaxSpreadInt16Rows(int c)
        {
            int[] x = Enumerable.Range(0, c).Select(i => i % 2 == 0 ? short.MinValue : (int)short.MaxValue).ToArray();
            var y = new int[c];
            IntLayerNorm.Row(x, 0, c, y, 0);
            var f = new double[c];
            FloatReference.LayerNorm(x.Select(v => (double)v).ToArray(), 0, c, 0, f, 0);
            for (int i = 0; i < c; i++)
            {
                Assert.InRange(y[i], -(1 << 30), 1 << 30);
                Assert.True(Math.Abs((y[i] * IntLayerNorm.OutputScale(c)) - f[i]) < 1e-3);
            }
        }

        [Fact]
        public void IntLayerNorm_SmallRow_ByHand()
        {
            // x = [1, 2, 3, 5]: sum 11, mean = round(2.75) = 3; d = [-2, -1, 0, 2]; var = 9; k = 3;
            // f = floor((2^31 - 1) / 3) = 715827882; y = floor(d * f / 2).
            var y = new int[4];
            IntLayerNorm.Row(new[] { 1, 2, 3, 5 }, 0, 4, y, 0);
            Assert.Equal(new[] { -715827882, -357913941, 0, 715827882 }, y);
            Assert.Throws<ArgumentException>(() => IntLayerNorm.Row(new[] { 1 << 30, -(1 << 30), 1 << 30, -(1 << 30), 1 << 30, -(1 << 30) }, 0, 6, y, 0));
        }

        [Fact]
        public void IBert_IExp_GuardsTheShift()
        {
            var p = IBert.ExpFromScale(0.05);
            Assert.Equal(-14, p.QLn2);                            // floor(-0.6931 / 0.05) = floor(-13.862)
            Assert.Equal((long)p.QC << p.Shift, IBert.IExp(0, p));
            Assert.InRange((long)p.QC << p.Shift, 1L << 29, 1L << 30);
            Assert.Equal(0, IBert.IExp(-IntegerOps.Pow2_62, p));
            Assert.Equal(0, IBert.IExp(63L * p.QLn2, p));         // quotient 63: the count is guarded, not masked to 0
            Assert.Equal(0, IBert.IExp(64L * p.QLn2, p));         // masked it would be a shift by 0
            Gen.Long[-100_000, 0].Sample(q =>
            {
                long e = IBert.IExp(q, p);
                Assert.InRange(e, 0, 1L << 30);
                Assert.True(q == 0 || e <= IBert.IExp(q + 1, p), "monotone");
            }, iter: 20_000);
            Assert.Throws<ArgumentOutOfRangeException>(() => IBert.IExp(1, p));
            Assert.Throws<ArgumentOutOfRangeException>(() => IBert.ExpFromScale(1e-5));
        }

        [Fact]
        public void IBert_Softmax_SaturatesOneHotRows()
        {
            var p = IBert.SoftmaxFromScale(0.05, 8);
            var x = new[] { 127, -128, -128, -128 };
            var y = new int[4];
            IBert.SoftmaxRow(x, 0, 4, p, y, 0);
            Assert.Equal(new[] { 255, 0, 0, 0 }, y);
            Assert.Equal(p, IBert.SoftmaxFromIntegers(p.Exp.QLn2, p.Exp.QB, p.Exp.QC, 8));
            Gen.Int.Array[1, 300].Sample(a =>
            {
                var o = new int[a.Length];
                IBert.SoftmaxRow(a, 0, a.Length, p, o, 0);
                Assert.All(o, v => Assert.InRange(v, 0, 255));
            }, iter: 2_000);
            Assert.Throws<ArgumentOutOfRangeException>(() => IBert.SoftmaxFromIntegers(-14, 10, 1000, 8));   // QB <= -2 QLn2
        }

        [Fact]
        public void IBert_Gelu_ExactIntegerDefinition()
        {
            var p = IBert.GeluFromScale(0.05);
            Assert.True(p.QB < 0 && p.QC < 0 && p.QOne < 0);
            Assert.True(IBert.GeluOutputScale(0.05) < 0);
            Assert.Equal(0, IBert.Gelu(0, p));
            // Saturated erf: y = q * (QC + QOne) for q >= -QB.
            Assert.Equal(100L * (p.QC + p.QOne), IBert.Gelu(100, p));
            Assert.Equal(-100L * (-p.QC + p.QOne), IBert.Gelu(-100, p));
            long big = 1L << 30;
            Assert.Equal(big * (p.QC + p.QOne), IBert.Gelu(big, p));
            Assert.Throws<ArgumentOutOfRangeException>(() => IBert.Gelu(big + 1, p));
            Assert.Equal(p, IBert.GeluFromIntegers(p.QB, p.QC, p.QOne));
        }

        [Fact]
        public void Activations_ResidualAdd_AveragePool()
        {
            Assert.Equal(new ClampBounds(-5, 127), ClampBounds.Relu(ElementType.Int8, -5));
            Assert.Equal(new ClampBounds(-128, 127), ClampBounds.Relu(ElementType.Int8, -200));
            // 6 / 0.05 = 120 -> -128 + 120.
            Assert.Equal(new ClampBounds(-128, -8), ClampBounds.Relu6(ElementType.Int8, 0.05, -128));
            Assert.Equal(new ClampBounds(-128, 127), ClampBounds.Relu6(ElementType.Int8, 0.01, -128));
            // Clip(-0.3125, 0.5) at scale 0.125, zp 3: -2.5 -> -2 (tie toward +inf), 4.
            Assert.Equal(new ClampBounds(1, 7), ClampBounds.Clip(ElementType.Int8, 0.125, 3, -0.3125, 0.5));

            var (da, db) = ResidualAdd.Multipliers(0.1, 0.05, 0.1);
            Assert.Equal(13, ResidualAdd.Apply(10, 0, da, 6, 0, db, 0, ElementType.Int8));        // 10 + 3
            Assert.Equal(127, ResidualAdd.Apply(127, 0, da, 127, 0, db, 0, ElementType.Int8));
            Assert.Equal(-128, ResidualAdd.Apply(-128, 0, da, -128, 0, db, 0, ElementType.Int8));

            var d = AveragePool.Multiplier(0.1, 0.1, 4);
            Assert.Equal(3, AveragePool.Row(new[] { 1, 2, 3, 4 }, 0, 4, 0, d, 0, -128, 127));        // 2.5 -> 3
            Assert.Equal(-2, AveragePool.Row(new[] { -1, -2, -3, -4 }, 0, 4, 0, d, 0, -128, 127));   // -2.5 -> -2
            Assert.Equal(0, IntegerOps.ArgMax(new[] { 3, 1, 3 }, 0, 3));
        }

        [Fact]
        public void ArgMax_AgreesWithFloatArgMaxOfDequantizedValues()
        {
            Gen.Select(Gen.Int[-128, 127].Array[1, 40], Gen.Double[0.001, 1.0], Gen.Int[-128, 127]).Sample((q, s, zp) =>
            {
                double[] real = q.Select(v => Quantization.Dequantize(v, s, zp)).ToArray();
                Assert.Equal(FloatReference.ArgMax(real, 0, real.Length), IntegerOps.ArgMax(q, 0, q.Length));
            }, iter: 5_000);
        }

        [Fact]
        public void Quantization_RoundsHalfUp()
        {
            Assert.Equal(0, Quantization.RoundHalfUp(0.49999999999999994));
            Assert.Equal(-1, Quantization.RoundHalfUp(-1.5));
            Assert.Equal(2, Quantization.RoundHalfUp(1.5));
            Assert.Equal(IntegerOps.Pow2_62, Quantization.RoundHalfUp(1e300));
            Assert.Equal(127, Quantization.Quantize(1e9, 0.1, 0, ElementType.Int8));
            Assert.Equal(4, Quantization.Quantize(-0.75, 0.5, 5, ElementType.Int8));   // -1.5 -> -1, plus zp 5
        }
    }
}
