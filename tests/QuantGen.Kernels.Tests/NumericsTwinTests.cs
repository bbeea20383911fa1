using System;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The integer-numerics twins (QuantGenKernels.Numerics.cs: QuantGenKernels on the CPU, QuantGenGpuKernels in the ILGPU
    /// kernels, one source) equal QuantGen.Numerics on their whole domain's edges and on random operands.
    /// </summary>
    public class NumericsTwinTests
    {
        private static readonly long[] Edges = { 0, 1, -1, 2, -2, 127, -128, 255, -256, 32767, -32768, int.MaxValue, int.MinValue, (1L << 40) + 3, -(1L << 40) - 3, (1L << 61) - 1, -(1L << 61) };

        [Fact]
        public void RoundShiftIsTheReferenceRounding()
        {
            var rng = new Random(1);
            for (int s = 0; s <= 62; s++)
            {
                foreach (long x in Edges)
                {
                    Assert.Equal(IntegerOps.RoundingShiftRight(x, s), QuantGenKernels.RoundShift(x, s));
                }

                for (int i = 0; i < 200; i++)
                {
                    long x = rng.NextInt64(-(1L << 61), 1L << 61);
                    Assert.Equal(IntegerOps.RoundingShiftRight(x, s), QuantGenKernels.RoundShift(x, s));
                }
            }
        }

        [Fact]
        public void DivisionsClampAndIsqrtMatch()
        {
            var rng = new Random(2);
            for (int i = 0; i < 20000; i++)
            {
                long a = rng.NextInt64(-(1L << 40), 1L << 40), b = rng.NextInt64(1, 1L << 20) * (rng.Next(2) == 0 ? 1 : -1);
                Assert.Equal(IntegerOps.FloorDiv(a, b), QuantGenKernels.FloorDiv(a, b));
                if (b > 0)
                {
                    Assert.Equal(IntegerOps.RoundDiv(a, b), QuantGenKernels.RoundDiv(a, b));
                }

                Assert.Equal(IntegerOps.Clamp(a, -1000, 1000), QuantGenKernels.Clamp(a, -1000, 1000));
                ulong v = (ulong)rng.NextInt64(0, long.MaxValue);
                Assert.Equal(IntegerOps.Isqrt(v), QuantGenKernels.Isqrt(v));
            }

            foreach (ulong v in new ulong[] { 0, 1, 2, 3, 4, 15, 16, 17, uint.MaxValue, ulong.MaxValue, ulong.MaxValue - 1 })
            {
                Assert.Equal(IntegerOps.Isqrt(v), QuantGenKernels.Isqrt(v));
            }
        }

        [Theory]
        [InlineData(0.05f)]
        [InlineData(0.01f)]
        [InlineData(0.2f)]
        public void ShiftExpAndShiftGeluMatchOnEveryInt8Input(float scale)
        {
            ShiftmaxParams sm = Shiftmax.FromScale(scale);
            ShiftGeluParams sg = ShiftGelu.FromScale(scale, 16);
            for (long x = -255; x <= 255; x++)
            {
                if (x <= 0)
                {
                    Assert.Equal(Shiftmax.ShiftExp(x, sm.X0, sm.N), QuantGenKernels.ShiftExp(x, sm.X0, sm.N));
                }

                Assert.Equal(ShiftGelu.Element(x, sg), QuantGenKernels.ShiftGelu(x, sg.X0, sg.N));
            }
        }

        [Theory]
        [InlineData(0.05)]
        [InlineData(0.01)]
        [InlineData(0.002)]
        public void IBertExpAndGeluMatch(double scale)
        {
            IExpParams e = IBert.ExpFromScale(scale);
            IGeluParams g = IBert.GeluFromScale(scale);
            for (long q = -4000; q <= 4000; q++)
            {
                if (q <= 0)
                {
                    Assert.Equal(IBert.IExp(q, e), QuantGenKernels.IExp(q, e.QLn2, e.QB, e.QC, e.Shift));
                }

                Assert.Equal(IBert.Gelu(q, g), QuantGenKernels.IGelu(q, g.QB, g.QC, g.QOne));
            }
        }
    }
}
