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
                foreach (long e in new[] { 0L, 3L, IntLayerNorm.MaxVarianceOffset })
                {
                    int[] x = Enumerable.Repeat(v, 768).ToArray();
                    var y = Enumerable.Repeat(99, 768).ToArray();
                    IntLayerNorm.Row(x, 0, 768, e, y, 0);
                    Assert.All(y, o => Assert.Equal(0, o));
                }
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
            IntLayerNorm.Row(x, 0, c, 0, y, 0);
            var f = new double[c];
            FloatReference.LayerNorm(x.Select(v => (double)v).ToArray(), 0, c, 0, f, 0);
            for (int i = 0; i < c; i++)
            {
                Assert.InRange(y[i], -(1 << 30), 1 << 30);
                Assert.True(Math.Abs((y[i] * IntLayerNorm.OutputScale(c)) - f[i]) < 1e-6);
            }
        }

        [Fact]
        public void IntLayerNorm_SmallRow_ByHand()
        {
            // x = [1, 2, 3, 5], C = 4, E = 0: S = 11, Q = 39, V = 4 * 39 - 121 = 35; d = 4 x - 11 = [-7, -3, 1, 9].
            // bit length of 35 is 6, a = (62 - 6) / 2 = 28; t = floor(sqrt(35 * 2^56)) = floor(5.91607978... * 2^28) = 1588085574;
            // R = floor((2^60 + 794042787) / 1588085574) = 725981977; g = Isqrt(2^62 / 4) = 2^30;
            // F = RoundShift(725981977 * 2^30, 31) = round(362990988.5) = 362990989; shift 30 - 28 = 2.
            // y = RoundShift(d * F, 2): -7 F = -2540936923 -> -635234231 (-635234230.75), -3 F -> -272243242 (-272243241.75),
            // F -> 90747747 (90747747.25), 9 F = 3266918901 -> 816729725 (816729725.25).
            // Float: (x - 2.75) / sqrt(35 / 16) * 2^29 = [-635234229.72, -272243241.31, 90747747.10, 816729723.93].
            Assert.Equal(28, IntLayerNorm.Align(35));
            Assert.Equal(1L << 30, IntLayerNorm.ChannelFactor(4));
            Assert.Equal(362990989L, IntLayerNorm.Factor(35, 1L << 30));
            var y = new int[4];
            IntLayerNorm.Row(new[] { 1, 2, 3, 5 }, 0, 4, 0, y, 0);
            Assert.Equal(new[] { -635234231, -272243242, 90747747, 816729725 }, y);
        }

        [Fact]
        public void IntLayerNorm_NarrowRowWithEpsilon_ByHand()
        {
            // x = [0, 0, 0, 1], C = 4, eps = 0.25 input LSB^2: E = round(16 * 0.25) = 4. S = 1, Q = 1, V = 4 - 1 + 4 = 7;
            // d = [-1, -1, -1, 3]. Float: mean 0.25, var 0.1875, (x - 0.25) / sqrt(0.4375) = [-0.3780, -0.3780, -0.3780, 1.1339],
            // at scale sqrt(4) / 2^30: y = n * 2^29 = [-202918131.3, ..., 608754394.0].
            // bit length 3, a = 29; t = floor(sqrt(7 * 2^58)) = floor(2.6457513110645906 * 2^29) = 1420426919;
            // R = round(2^60 / t) = round(811672525.48) = 811672525; g = 2^30: F = RoundShift(R * 2^30, 31) = round(405836262.5) = 405836263;
            // shift 30 - 29 = 1: y = RoundShift(-F, 1) = round(-202918131.5) = -202918131 (ties up); RoundShift(3 F, 1) = round(608754394.5) = 608754395.
            Assert.Equal(4, IntLayerNorm.VarianceOffset(4, 0.25, 1.0));
            Assert.Equal(64, IntLayerNorm.VarianceOffset(4, 1e-6, 0.0005)); // 16 * 1e-6 / 2.5e-7
            var y = new int[4];
            IntLayerNorm.Row(new[] { 0, 0, 0, 1 }, 0, 4, 4, y, 0);
            Assert.Equal(new[] { -202918131, -202918131, -202918131, 608754395 }, y);
            var f = new double[4];
            FloatReference.LayerNorm(new double[] { 0, 0, 0, 1 }, 0, 4, 0.25, f, 0);
            for (int i = 0; i < 4; i++)
            {
                Assert.True(Math.Abs((y[i] * IntLayerNorm.OutputScale(4)) - f[i]) < 1e-4);
            }
        }

        [Fact]
        public void IntLayerNorm_DomainEdges_ByHand()
        {
            // C = 4096, x = +-2^18 alternating: S = 0, Q = 2^48, V = 2^60 (a = 0, t = 2^30, R = 2^30), g = Isqrt(2^50) = 2^25,
            // F = 2^55 / 2^31 = 2^24, shift 30: y = (+-2^30) 2^24 / 2^30 = +-2^24, i.e. +-1 at scale 64 / 2^30.
            const int c = IntLayerNorm.MaxChannels;
            int[] x = Enumerable.Range(0, c).Select(i => i % 2 == 0 ? IntLayerNorm.MaxInputMagnitude : -IntLayerNorm.MaxInputMagnitude).ToArray();
            var y = new int[c];
            IntLayerNorm.Row(x, 0, c, 0, y, 0);
            Assert.All(y.Select((v, i) => (v, i)), p => Assert.Equal(p.i % 2 == 0 ? 1 << 24 : -(1 << 24), p.v));

            // One element at +2^18, the rest at -2^18: |d_0| = 8190 * 2^18 ~ 2^31 and y_0 = sqrt(4095 / 4096) 2^30, the largest output.
            x = Enumerable.Repeat(-IntLayerNorm.MaxInputMagnitude, c).ToArray();
            x[0] = IntLayerNorm.MaxInputMagnitude;
            IntLayerNorm.Row(x, 0, c, IntLayerNorm.MaxVarianceOffset, y, 0);
            IntLayerNorm.Row(x, 0, c, 0, y, 0);
            Assert.InRange(y[0], (1 << 30) - (1 << 18), (1 << 30) - 1);
            Assert.True(Math.Abs(y[0] - (Math.Sqrt(4095.0 / 4096.0) * (1 << 30))) < 300);

            // Outside the domain: too many channels, inputs beyond 2^18, a negative or too large folded epsilon.
            Assert.Throws<ArgumentException>(() => IntLayerNorm.Row(new int[c + 1], 0, c + 1, 0, new int[c + 1], 0));
            Assert.Throws<ArgumentException>(() => IntLayerNorm.Row(new[] { (1 << 18) + 1, 0 }, 0, 2, 0, new int[2], 0));
            Assert.Throws<ArgumentException>(() => IntLayerNorm.Row(new[] { 1, 0 }, 0, 2, -1, new int[2], 0));
            Assert.Throws<ArgumentException>(() => IntLayerNorm.Row(new[] { 1, 0 }, 0, 2, IntLayerNorm.MaxVarianceOffset + 1, new int[2], 0));
            Assert.Equal(IntLayerNorm.MaxVarianceOffset, IntLayerNorm.VarianceOffset(4096, 1.0, 1e-12));
        }

        [Fact]
        public void IntLayerNorm_NarrowRows_AreWithinAMillionthOfFloat()
        {
            // The I-ViT form (rounded mean, floor sqrt, no epsilon) was up to 0.43 normalised units off on these rows.
            var rng = new Random(5);
            foreach (int c in new[] { 2, 3, 32, 192, 768 })
            {
                for (int r = 0; r < 200; r++)
                {
                    int[] x = Enumerable.Range(0, c).Select(_ => rng.Next(-2, 3)).ToArray();
                    foreach (double eps in new[] { 0.0, 0.01, 0.5 })
                    {
                        long e = IntLayerNorm.VarianceOffset(c, eps, 1.0);
                        var y = new int[c];
                        IntLayerNorm.Row(x, 0, c, e, y, 0);
                        var f = new double[c];
                        FloatReference.LayerNorm(x.Select(v => (double)v).ToArray(), 0, c, e / ((double)c * c), f, 0);
                        for (int i = 0; i < c; i++)
                        {
                            if (double.IsNaN(f[i]))
                            {
                                Assert.Equal(0, y[i]); // a constant row without epsilon: 0 / 0 in float, defined as 0
                                continue;
                            }

                            Assert.True(Math.Abs((y[i] * IntLayerNorm.OutputScale(c)) - f[i]) < 1e-6, $"C={c} eps={eps} i={i}: {y[i] * IntLayerNorm.OutputScale(c)} vs {f[i]}");
                        }
                    }
                }
            }
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
