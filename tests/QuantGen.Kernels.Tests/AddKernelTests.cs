using System;
using System.Numerics;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenKernels.AddS8 (the one-rounding residual Add on int32 lanes) and AddRowsS8 (an activation plus a per-column
    /// constant) against the exact rational value, computed here with BigInteger and an explicit floor:
    /// y = clamp(zo + floor(((a - za) M_a + (b - zb) M_b) / 2^s + 1/2), lo, hi). Every one of the 65,536 int8 pairs for several
    /// quantizations: ties exactly at .5, zero points at both ends, saturation at both ends, multipliers at the edge of the int32
    /// proof, narrow clamps, and lengths that leave tails on every vector width.
    /// </summary>
    public class AddKernelTests
    {
        /// <summary>The exact value, independent of IntegerOps: round half toward +inf of the rational sum, then the clamp.</summary>
        private static long Exact(long a, long za, long ma, long b, long zb, long mb, int s, long zo, long lo, long hi)
        {
            BigInteger num = (2 * (((a - za) * (BigInteger)ma) + ((b - zb) * (BigInteger)mb))) + BigInteger.Pow(2, s);
            BigInteger den = BigInteger.Pow(2, s + 1);
            BigInteger q = BigInteger.DivRem(num, den, out BigInteger r);
            if (r.Sign < 0)
            {
                q -= 1;
            }

            return (long)BigInteger.Min(BigInteger.Max(zo + q, lo), hi);
        }

        /// <summary>The kernel's folded constant c = 2^(s-1) + zo 2^s - za ma - zb mb (wrapping, as the generator computes it).</summary>
        private static int Constant(long za, int ma, long zb, int mb, int s, long zo)
            => unchecked((int)((s == 0 ? 0 : 1L << (s - 1)) + (zo << s) - (za * ma) - (zb * mb)));

        private static void Check(sbyte[] a, sbyte[] b, long za, int ma, long zb, int mb, int s, long zo, long lo, long hi)
        {
            // The precondition the generator proves: the exact pre-shift value at the four corners lies in int32.
            foreach (long qa in new long[] { -128, 127 })
            {
                foreach (long qb in new long[] { -128, 127 })
                {
                    long v = ((qa - za) * ma) + ((qb - zb) * mb) + (s == 0 ? 0 : 1L << (s - 1)) + (zo << s);
                    Assert.InRange(v, int.MinValue, int.MaxValue);
                }
            }

            var y = new sbyte[a.Length];
            QuantGenKernels.AddS8(a, ma, b, mb, Constant(za, ma, zb, mb, s, zo), s, (int)lo, (int)hi, y);
            for (int i = 0; i < a.Length; i++)
            {
                long e = Exact(a[i], za, ma, b[i], zb, mb, s, zo, lo, hi);
                Assert.True(e == y[i], $"element {i}: a = {a[i]}, b = {b[i]}: expected {e}, got {y[i]}");
            }
        }

        /// <summary>All 65,536 pairs (a, b), in an order whose vector blocks mix signs.</summary>
        private static (sbyte[] A, sbyte[] B) AllPairs()
        {
            var a = new sbyte[65536];
            var b = new sbyte[65536];
            for (int i = 0; i < 65536; i++)
            {
                a[i] = (sbyte)(i * 37);
                b[i] = (sbyte)((i >> 8) ^ (i * 11));
            }

            return (a, b);
        }

        [Theory]
        [InlineData(-3, 734003, 5, 1363149, 20, -2, -128, 127)]           // typical residual: 0.7 and 1.3 at 2^-20
        [InlineData(-128, 524288, 127, 524288, 20, 0, -128, 127)]         // (a + b - 1) / 2: a tie at .5 on every odd sum
        [InlineData(0, 1, 0, 1, 1, 0, -128, 127)]                          // (a + b) / 2 with the smallest multipliers: ties
        [InlineData(127, 1048576, -128, 1048576, 20, 0, -128, 127)]        // zero points at both ends, saturation at both ends
        [InlineData(-128, 4209700, -128, 4209700, 20, 0, -128, 127)]       // the int32 proof's edge: 255 (ma + mb) + 2^19 = 2^31 - 12,360
        [InlineData(127, 4209700, 127, 4209700, 20, 0, -128, 127)]         // the same edge on the negative side
        [InlineData(0, 2097151, 0, -2097151, 21, 3, -128, 127)]            // a Sub (M_b negated), mantissas at 2^21 - 1
        [InlineData(-7, 943718, 3, 1153434, 20, -20, -20, 127)]            // a ReLU floor as the clamp
        [InlineData(4, 1782579, -9, 471859, 20, 100, 100, 120)]            // a narrow clamp
        [InlineData(0, 7, 0, 5, 0, 0, -128, 127)]                          // shift 0: no rounding
        [InlineData(0, 1, 0, 1, 30, 0, -128, 127)]                         // shift 30: every result rounds to 0
        public void EveryPairIsTheExactSingleRoundingAdd(long za, int ma, long zb, int mb, int s, long zo, long lo, long hi)
        {
            (sbyte[] a, sbyte[] b) = AllPairs();
            Check(a, b, za, ma, zb, mb, s, zo, lo, hi);
        }

        /// <summary>
        /// AddS8Split (31-bit mantissas, as spec files written before the one-rounding Add carry them) on every int8 pair: the test
        /// splits M = h 2^16 + l and folds the zero points and the rounding term itself, as its summary states.
        /// </summary>
        [Theory]
        [InlineData(-3, 1596216564, 5, 1948509299, 31, -2)]
        [InlineData(-128, 1073741824, 127, 1073741824, 31, 0)]          // ties: 1/2 + 1/2
        [InlineData(127, 2147483647, -128, 2147483647, 32, 0)]          // zero points at both ends, widest mantissas
        [InlineData(0, 1343251353, 0, -1929204071, 31, 7)]              // a Sub
        [InlineData(10, 1717986918, -20, 1288490189, 34, -100)]
        public void EveryPairIsTheExactSplitAdd(long za, long ma, long zb, long mb, int s, long zo)
        {
            (sbyte[] a, sbyte[] b) = AllPairs();
            long ah = ma >> 16, al = ma & 0xFFFF, bh = mb >> 16, bl = mb & 0xFFFF;
            int cl = checked((int)(-(za * al) - (zb * bl))), ch = checked((int)(-(za * ah) - (zb * bh) + (1L << (s - 17)) + (zo << (s - 16))));
            var y = new sbyte[a.Length];
            QuantGenKernels.AddS8Split(a, (int)ah, (int)al, b, (int)bh, (int)bl, ch, cl, s - 16, -128, 127, y);
            for (int i = 0; i < a.Length; i++)
            {
                long e = Exact(a[i], za, ma, b[i], zb, mb, s, zo, -128, 127);
                Assert.True(e == y[i], $"element {i}: a = {a[i]}, b = {b[i]}: expected {e}, got {y[i]}");
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(15)]
        [InlineData(16)]
        [InlineData(17)]
        [InlineData(33)]
        [InlineData(63)]
        [InlineData(64)]
        [InlineData(65)]
        [InlineData(127)]
        [InlineData(1000)]
        public void LengthsWithTails(int length)
        {
            var rng = new Random(length);
            var a = new sbyte[length];
            var b = new sbyte[length];
            for (int i = 0; i < length; i++)
            {
                a[i] = i % 5 == 0 ? sbyte.MinValue : i % 5 == 1 ? sbyte.MaxValue : (sbyte)rng.Next(-128, 128);
                b[i] = i % 7 == 0 ? sbyte.MaxValue : i % 7 == 1 ? sbyte.MinValue : (sbyte)rng.Next(-128, 128);
            }

            Check(a, b, -5, 838861, 9, 1258291, 20, 3, -128, 127);
        }

        [Fact]
        public void ShorterOperandIsRejected()
        {
            var y = new sbyte[10];
            Assert.Throws<ArgumentException>(() => QuantGenKernels.AddS8(new sbyte[9], 1, new sbyte[10], 1, 0, 1, -128, 127, y));
        }

        /// <summary>
        /// AddRowsS8 on every int8 x against every column of a constant: with K_j = (c_j - zc) M_c, the test splits
        /// K_j + 2^(s-1) + zo 2^s = q_j 2^s + r_j (floor) itself and passes t_j = r_j - za M_x.
        /// </summary>
        [Theory]
        [InlineData(-3, 734003, 0, 1363149, 20, -2, 35, -128, 127)]
        [InlineData(127, 1048576, 5, 524288, 20, 0, 40, -128, 127)]
        [InlineData(-128, 3000000, -1, 2097151, 21, 7, 17, -128, 127)]
        [InlineData(0, 1, 0, 1, 1, 0, 64, -128, 127)]
        [InlineData(-3, 734003, 0, 1363149, 20, -2, 192, -128, 127)]     // DeiT's proj/fc2 rows: three 64-element AVX-512 steps
        [InlineData(127, 1048576, 5, 524288, 20, 0, 200, -128, 127)]     // 64-element steps, then 32 / 16 / scalar tails
        [InlineData(-128, 3000000, -1, 2097151, 21, 7, 576, -20, 127)]   // qkv rows, a ReLU-like floor as the clamp
        [InlineData(4, 1782579, -9, 471859, 20, 100, 768, 100, 120)]     // fc1 rows, a narrow clamp (saturating packs, then bytes)
        public void RowsAreTheExactSingleRoundingAdd(long za, int mx, long zc, int mc, int s, long zo, int n, int lo, int hi)
        {
            var rng = new Random(n);
            var c = new long[n];
            var t = new int[n];
            var q = new int[n];
            for (int j = 0; j < n; j++)
            {
                c[j] = j == 0 ? -1_000_000 : j == 1 ? 1_000_000 : j == 2 ? 0 : rng.Next(-5000, 5000);
                long total = ((c[j] - zc) * mc) + (s == 0 ? 0 : 1L << (s - 1)) + (zo << s);
                long qj = (long)Math.Floor(total / Math.Pow(2, s));
                while (qj * (1L << s) > total)
                {
                    qj--;
                }

                while ((qj + 1) * (1L << s) <= total)
                {
                    qj++;
                }

                q[j] = checked((int)qj);
                t[j] = checked((int)(total - (qj << s) - (za * mx)));
            }

            int rows = 256 / n + 2;
            var x = new sbyte[rows * n];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (sbyte)(i * 41);
            }

            var y = new sbyte[x.Length];
            QuantGenKernels.AddRowsS8(x, n, mx, t, q, s, lo, hi, y);
            for (int i = 0; i < x.Length; i++)
            {
                int j = i % n;
                long e = Exact(x[i], za, mx, c[j], zc, mc, s, zo, lo, hi);
                Assert.True(e == y[i], $"element {i} (column {j}): x = {x[i]}, c = {c[j]}: expected {e}, got {y[i]}");
            }
        }
    }
}
