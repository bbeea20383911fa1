using System;
using QuantGen.Cpu;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The plan's multiply-high proof (Conv2dLowering.MulHighApplies, which lets the pointwise GEMM and the depthwise tap-quad
    /// kernels requantize in int32 lanes) against the reference numerics: where it says yes, the int32 form written here
    /// from its statement ((hi32(acc * m) + 2^(t - 1) + zo * 2^t) &gt;&gt; t, every step checked for int32 overflow) equals
    /// zo + Dyadic.Apply(acc) for accumulators at int32's ends and around zero; its boundary (shift 33, t = 30, |zo| at the
    /// limit) is pinned.
    /// </summary>
    public class MulHighProofTests
    {
        [Theory]
        [InlineData(33, 0, true)]
        [InlineData(32, 0, false)]
        [InlineData(31, 0, false)]
        [InlineData(62, 0, true)]
        [InlineData(62, 1, false)]
        [InlineData(62, -1, true)]
        [InlineData(55, 127, true)]
        [InlineData(56, 127, false)]
        [InlineData(55, -128, true)]
        [InlineData(56, -128, false)]
        [InlineData(40, 127, true)]
        public void TheProofsBoundary(int shift, int zo, bool applies) =>
            Assert.Equal(applies, Conv2dLowering.MulHighApplies(new Dyadic(1 << 30, shift), zo));

        [Theory]
        [InlineData(int.MaxValue)]
        [InlineData(1 << 30)]
        [InlineData(1)]
        [InlineData(-1)]
        [InlineData(-(1 << 30))]
        [InlineData(int.MinValue + 1)]
        [InlineData(1234567891)]
        public void WhereItAppliesTheInt32FormEqualsTheReference(int m)
        {
            long[] accs = { int.MaxValue, int.MaxValue - 1, int.MinValue, int.MinValue + 1, 0, 1, -1, 1 << 30, -(1 << 30), 123456789, -987654321 };
            var rng = new Random(m);
            int checkedCases = 0;
            for (int shift = 31; shift <= Dyadic.MaxShift; shift++)
            {
                foreach (int zo in new[] { -128, -127, -1, 0, 1, 5, 126, 127 })
                {
                    var r = new Dyadic(m, shift);
                    if (!Conv2dLowering.MulHighApplies(r, zo))
                    {
                        continue;
                    }

                    int t = shift - 32;
                    int add = checked((int)((1L << (t - 1)) + ((long)zo << t)));
                    for (int i = 0; i < accs.Length + 64; i++)
                    {
                        int acc = i < accs.Length ? (int)accs[i] : rng.Next(int.MinValue, int.MaxValue);
                        int h = (int)(((long)acc * m) >> 32);
                        int got = checked(h + add) >> t;
                        Assert.Equal(zo + r.Apply(acc), got);
                        checkedCases++;
                    }
                }
            }

            Assert.True(checkedCases > 1000, $"only {checkedCases} cases where the proof applies");
        }
    }
}
