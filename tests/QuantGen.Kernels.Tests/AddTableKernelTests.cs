using System;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenKernels.AddS8Table (the residual Add through int16 branch tables) against the reference formula
    /// clamp(zo + RoundShift((a - za) ma) + RoundShift((b - zb) mb), lo, hi) element by element: every pair of int8 values,
    /// zero points at the ends of the range, branches near the int16 bound of the tables, clamps narrower than int8 (a ReLU
    /// floor) and lengths that leave vector tails.
    /// </summary>
    public class AddTableKernelTests
    {
        /// <summary>The four 256-byte planes the generator stores: ta low, ta high, tb low, tb high, indexed by (byte)q.</summary>
        private static byte[] Tables(long za, Dyadic ma, long zb, Dyadic mb, long zo)
        {
            var t = new byte[1024];
            for (int q = -128; q < 128; q++)
            {
                long va = IntegerOps.RoundingShiftRight((q - za) * ma.Multiplier, ma.Shift);
                long vb = zo + IntegerOps.RoundingShiftRight((q - zb) * mb.Multiplier, mb.Shift);
                Assert.InRange(va, -16384, 16383);
                Assert.InRange(vb, -16384, 16383);
                t[q & 255] = (byte)va;
                t[256 + (q & 255)] = (byte)(va >> 8);
                t[512 + (q & 255)] = (byte)vb;
                t[768 + (q & 255)] = (byte)(vb >> 8);
            }

            return t;
        }

        private static void Check(sbyte[] a, sbyte[] b, long za, double ra, long zb, double rb, long zo, long lo, long hi)
        {
            Dyadic ma = Dyadic.FromReal(ra), mb = Dyadic.FromReal(rb);
            byte[] t = Tables(za, ma, zb, mb, zo);
            var y = new sbyte[a.Length];
            QuantGenKernels.AddS8Table(a, b, ref t[0], lo, hi, y);
            for (int i = 0; i < a.Length; i++)
            {
                long v = zo + IntegerOps.RoundingShiftRight((a[i] - za) * ma.Multiplier, ma.Shift) + IntegerOps.RoundingShiftRight((b[i] - zb) * mb.Multiplier, mb.Shift);
                Assert.True(IntegerOps.Clamp(v, lo, hi) == y[i], $"element {i}: a = {a[i]}, b = {b[i]}: expected {IntegerOps.Clamp(v, lo, hi)}, got {y[i]}");
            }
        }

        /// <summary>All 65,536 pairs (a, b), in an order whose 64-element blocks mix signs (both table halves in one step).</summary>
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
        [InlineData(-3, 0.7, 5, 1.3, -2, -128, 127)]
        [InlineData(-128, 0.25, 127, 0.5, 0, -128, 127)]
        [InlineData(127, 1.0, -128, 1.0, 0, -128, 127)]
        [InlineData(0, 0.0004, 0, 0.0003, 11, -128, 127)]
        [InlineData(-128, 64.0, 127, 63.0, 0, -128, 127)]
        [InlineData(-7, 0.9, 3, 1.1, -20, -20, 127)]
        [InlineData(4, 1.7, -9, 0.45, 100, 100, 120)]
        public void EveryPairIsTheReferenceAdd(long za, double ra, long zb, double rb, long zo, long lo, long hi)
        {
            (sbyte[] a, sbyte[] b) = AllPairs();
            Check(a, b, za, ra, zb, rb, zo, lo, hi);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(63)]
        [InlineData(64)]
        [InlineData(65)]
        [InlineData(200)]
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

            Check(a, b, -5, 0.8, 9, 1.2, 3, -128, 127);
        }

        [Fact]
        public void ShorterOperandIsRejected()
        {
            var t = new byte[1024];
            var y = new sbyte[10];
            Assert.Throws<ArgumentException>(() => QuantGenKernels.AddS8Table(new sbyte[9], new sbyte[10], ref t[0], -128, 127, y));
        }
    }
}
