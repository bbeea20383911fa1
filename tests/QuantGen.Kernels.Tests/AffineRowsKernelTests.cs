using System;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenKernels.AffineRowsS8 (a Dense bias Add or a Requantize on int32 lanes) against the reference numerics,
    /// clamp(c[j] + Dyadic.Apply(x - za)), with c[j] = zo + Dyadic.Apply(bias[j] - zb) as the reference Add computes its
    /// constant branch. The split of the multiplier at bit 16 repeats what AffineRows.TryPlan prints at build time. Rows of
    /// 197 (attention's token count, a 5-element tail), 576, 31 (no vector step) and 1; every int8 value, saturating and
    /// alternating inputs, zero points at both ends.
    /// </summary>
    public class AffineRowsKernelTests
    {
        public static TheoryData<double, int, int, int, int> Cases => new TheoryData<double, int, int, int, int>
        {
            // multiplier (real), za, zo, n, mode (0 random, 1 all 127, 2 all -128, 3 alternating extremes, 4 every int8 value)
            { 0.99964, -5, -7, 576, 0 },
            { 0.125, 3, -128, 197, 4 },
            { 0.125, -128, 127, 197, 1 },
            { 1.7, 127, 0, 197, 2 },
            { 0.003, -20, 11, 192, 3 },
            { 0.75, 0, 0, 31, 4 },
            { 3.9, -1, 5, 768, 3 },
            { 0.5, 64, -64, 1, 0 },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void AffineRowsIsTheReferenceAffineMap(double real, int za, int zo, int n, int mode)
        {
            var rng = new Random(n + za + (int)(real * 1000));
            Dyadic m = Dyadic.FromReal(real), mb = Dyadic.FromReal(0.031);
            Assert.InRange(m.Shift, 17, 47);
            int rows = 197 * 3 / Math.Max(1, Math.Min(n, 197)) + 1, total = rows * n;
            var x = new sbyte[total];
            for (int i = 0; i < total; i++)
            {
                x[i] = mode switch
                {
                    1 => sbyte.MaxValue,
                    2 => sbyte.MinValue,
                    3 => i % 2 == 0 ? sbyte.MaxValue : sbyte.MinValue,
                    4 => unchecked((sbyte)i),
                    _ => (sbyte)rng.Next(-128, 128),
                };
            }

            var c = new int[n];
            for (int j = 0; j < n; j++)
            {
                // A bias branch (large constants that saturate some outputs on their own) or, for mode 2, the Requantize case c = zo.
                c[j] = mode == 2 ? zo : (int)(zo + mb.Apply(rng.Next(-20000, 20000)));
            }

            int mh = m.Multiplier >> 16, ml = m.Multiplier & 0xFFFF, rnd = 1 << (m.Shift - 17), sh = m.Shift - 16;
            var y = new sbyte[total];
            QuantGenKernels.AffineRowsS8(x, n, za, mh, ml, rnd, sh, c, -128, 127, y);
            for (int i = 0; i < total; i++)
            {
                long expected = IntegerOps.Clamp(c[i % n] + m.Apply(x[i] - za), -128, 127);
                Assert.True(expected == y[i], $"element {i} (x = {x[i]}, column {i % n}): {y[i]} != {expected}");
            }
        }
    }
}
