using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The depthwise convolution on tap quads and vpdpbusd (QuantGenDepthwiseKernels: padded image of u = x + 128 -> tap
    /// quads -> DepthwiseVnni / DepthwiseVnniHigh) against a direct int64 depthwise convolution written from the
    /// definition: channel counts not multiples of 4 / 16 / 32, 1-pixel maps, stride 2 on odd sizes, kernel widths 1 to 4,
    /// zero points at both ends, extreme operands, and requantization constants at the edges of the multiply-high proof
    /// (shift 33, multipliers 2^30 and 2^31 - 1, |2^(t-1) + zo 2^t| just under 2^30). The packing repeats what
    /// CpuEmitter.EmitDepthwiseNhwc does at build time.
    /// </summary>
    public class DepthwiseVnniKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int, int>
        {
            // c, h, w, kh, kw, stride, pad, mode (0 random, 1 all 127, 2 all -128, 3 alternating extremes)
            { 64, 25, 5, 3, 3, 1, 1, 0 },
            { 64, 25, 5, 3, 3, 1, 1, 1 },
            { 8, 48, 48, 3, 3, 1, 1, 0 },
            { 16, 48, 48, 3, 3, 2, 1, 3 },
            { 32, 24, 24, 3, 3, 2, 1, 2 },
            { 256, 3, 3, 3, 3, 1, 1, 0 },
            { 128, 6, 6, 3, 3, 2, 1, 1 },
            { 5, 9, 7, 3, 3, 2, 1, 3 },
            { 3, 25, 5, 3, 3, 1, 1, 2 },
            { 33, 7, 7, 3, 3, 2, 1, 0 },
            { 19, 1, 1, 3, 3, 1, 1, 1 },
            { 1, 1, 1, 1, 1, 1, 0, 2 },
            { 7, 11, 13, 2, 2, 2, 0, 0 },
            { 20, 9, 10, 4, 4, 1, 2, 3 },
            { 17, 6, 9, 2, 4, 2, 1, 0 },
            { 48, 5, 6, 3, 1, 1, 1, 0 },
            { 24, 13, 3, 5, 3, 2, 2, 3 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void TapQuadDepthwiseEqualsTheDirectConvolution(int c, int h, int w, int kh, int kw, int stride, int pad, int mode)
        {
            var rng = new Random((c * 31) + (h * 7) + w + mode);
            for (int trial = 0; trial < 4; trial++)
            {
                (sbyte[] x, int[] wt) = DepthwiseReference.Operands(c, h, w, kh * kw, mode, rng);

                int zx = trial switch { 0 => -128, 1 => 127, _ => rng.Next(-128, 128) };
                int zo = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-20, 20) };
                var q = DepthwiseConstants.Random(c, zo, trial, rng);
                Check(x, c, h, w, wt, kh, kw, stride, pad, zx, q, lo: trial == 3 ? 0 : -128, hi: 127);
            }
        }

        /// <summary>The multiply-high form at the edges of its proof: shift 33 (t = 1) and t = 29 with |zo| at the limit.</summary>
        [Theory]
        [InlineData(33, int.MaxValue, 0)]
        [InlineData(33, 1 << 30, -128)]
        [InlineData(33, int.MaxValue, 127)]
        [InlineData(34, (1 << 30) + 12345, 127)]
        [InlineData(50, int.MaxValue, 127)]
        [InlineData(61, int.MaxValue, 0)]
        [InlineData(52, 1 << 30, -128)]
        public void MultiplyHighAtTheEdgesOfItsProof(int shift, int mul, int zo)
        {
            Assert.True(DepthwiseConstants.HighApplies(shift, zo));
            const int c = 21, h = 7, w = 9;
            var rng = new Random(shift + mul + zo);
            var q = new DepthwiseConstants(c, zo);
            for (int ch = 0; ch < c; ch++)
            {
                q.Mul[ch] = ch % 3 == 0 ? mul : rng.Next(1 << 30, int.MaxValue);
                q.Shift[ch] = shift;
                // Biases at the extremes so that the accumulators reach +-2^30 and the high halves their largest values.
                q.Bias[ch] = ch % 2 == 0 ? (1 << 30) : -(1 << 30);
            }

            sbyte[] x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (sbyte)rng.Next(-128, 128);
            }

            var wt = new int[c * 9];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = rng.Next(-128, 128);
            }

            Check(x, c, h, w, wt, 3, 3, 1, 1, -3, q, lo: -128, hi: 127);
            Check(x, c, h, w, wt, 3, 3, 2, 1, 5, q, lo: -100, hi: 100);
        }

        [Fact]
        public void MultiplyHighIsRefusedOutsideItsProof()
        {
            Assert.False(DepthwiseConstants.HighApplies(32, 0));
            Assert.False(DepthwiseConstants.HighApplies(31, 0));
            Assert.False(DepthwiseConstants.HighApplies(62, 1));
            Assert.False(DepthwiseConstants.HighApplies(56, 127));
            Assert.True(DepthwiseConstants.HighApplies(55, 127));
            Assert.True(DepthwiseConstants.HighApplies(33, 0));
        }

        private static void Check(sbyte[] x, int c, int h, int w, int[] wt, int kh, int kw, int stride, int pad, int zx, DepthwiseConstants q, int lo, int hi)
        {
            int oh = ((h + (2 * pad) - kh) / stride) + 1, ow = ((w + (2 * pad) - kw) / stride) + 1, positions = oh * ow;
            sbyte[] expected = DepthwiseReference.Direct(x, c, h, w, wt, kh, kw, stride, pad, pad, oh, ow, zx, q, lo, hi);

            // Build-time packing (CpuEmitter.EmitDepthwiseNhwc, tap quads): per lane l = ox * c + ch of an output row.
            int ph = ((oh - 1) * stride) + kh, pw = ((ow - 1) * stride) + kw;
            int lanes = ow * c, lp = ((lanes + 15) / 16 * 16) + 16;
            var quads = new sbyte[kh * lp * 4];
            var biasU = new int[lp + 1];
            var mul = new long[lp + 1];
            var round = new long[lp + 1];
            var shift = new long[lp + 1];
            var mulHi = new int[lp + 1];
            var addHi = new int[lp + 1];
            var shiftHi = new int[lp + 1];
            bool high = true;
            for (int l = 0; l < lanes; l++)
            {
                int ch = l % c;
                long sum = 0;
                for (int t = 0; t < kh * kw; t++)
                {
                    sum += wt[(ch * kh * kw) + t];
                }

                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        quads[(((i * lp) + l) * 4) + j] = (sbyte)wt[(((ch * kh) + i) * kw) + j];
                    }
                }

                biasU[l] = unchecked((int)(q.Bias[ch] - ((zx + 128) * sum)));
                mul[l] = q.Mul[ch];
                shift[l] = q.Shift[ch];
                round[l] = 1L << (q.Shift[ch] - 1);
                high &= DepthwiseConstants.HighApplies(q.Shift[ch], q.Zo);
                if (DepthwiseConstants.HighApplies(q.Shift[ch], q.Zo))
                {
                    int t = q.Shift[ch] - 32;
                    mulHi[l] = q.Mul[ch];
                    addHi[l] = (int)((1L << (t - 1)) + ((long)q.Zo << t));
                    shiftHi[l] = t;
                }
            }

            foreach (bool channelsLast in new[] { false, true })
            {
                var image = new sbyte[(ph * pw * c) + 16];
                QuantGenConvKernels.PadImageXor(channelsLast ? DepthwiseReference.ToHwc(x, c, h * w) : x, channelsLast, c, h, w, pad, pad, ph, pw, (sbyte)zx, image, 0x80);
                var t = new sbyte[ph * lp * 4];
                QuantGenDepthwiseKernels.TapQuads(image, pw, c, kw, stride, ph, ow, t, lp);
                var y = new sbyte[positions * c];
                QuantGenDepthwiseKernels.DepthwiseVnni(t, lp, kh, stride, oh, lanes, ref quads[0], ref biasU[0], ref mul[0], ref round[0], ref shift[0], q.Zo, lo, hi, y);
                Assert.Equal(expected, DepthwiseReference.ToChw(y, positions, c));
                if (high)
                {
                    Array.Clear(y);
                    QuantGenDepthwiseKernels.DepthwiseVnniHigh(t, lp, kh, stride, oh, lanes, ref quads[0], ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, y);
                    Assert.Equal(expected, DepthwiseReference.ToChw(y, positions, c));
                }
            }
        }
    }
}
