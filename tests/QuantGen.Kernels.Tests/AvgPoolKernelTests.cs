using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenDepthwiseKernels.AvgPool against the reference's AvgPool2d written from its definition (sum of x - zx over
    /// the window clipped to the input, the divisor's dyadic, RoundShift, clamp), both layouts in and out: global pools
    /// (DS-CNN's 25 x 5, MobileNet's 3 x 3), padded windows with and without count_include_pad, channel counts that are
    /// not multiples of 16, 1-pixel maps, extreme operands and zero points at both ends.
    /// </summary>
    public class AvgPoolKernelTests
    {
        [Theory]
        [InlineData(64, 25, 5, 25, 5, 1, 0, false, 0)]
        [InlineData(256, 3, 3, 3, 3, 1, 0, false, 1)]
        [InlineData(19, 7, 9, 3, 3, 2, 1, false, 2)]
        [InlineData(19, 7, 9, 3, 3, 2, 1, true, 3)]
        [InlineData(33, 1, 1, 1, 1, 1, 0, false, 1)]
        [InlineData(16, 6, 6, 2, 2, 2, 0, false, 2)]
        [InlineData(5, 11, 8, 3, 2, 1, 1, false, 0)]
        [InlineData(48, 40, 40, 40, 40, 1, 0, false, 1)]
        public void AvgPoolEqualsTheReference(int c, int h, int w, int kh, int kw, int stride, int pad, bool countIncludePad, int mode)
        {
            var rng = new Random((c * 7) + h + (w * 3) + mode);
            sbyte[] x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MinValue, 3 => i % 2 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            int taps = kh * kw;
            var mult = new int[taps];
            var shift = new int[taps];
            for (int k = 0; k < taps; k++)
            {
                // S_in / (S_out (k + 1)) for a ratio S_in / S_out near 1, as the compiler's dyadics (multiplier in [2^30, 2^31)).
                double ratio = (0.5 + rng.NextDouble()) / (k + 1);
                int e = 0;
                while (ratio * Math.Pow(2, e) < (1 << 30))
                {
                    e++;
                }

                mult[k] = (int)Math.Min(int.MaxValue, Math.Round(ratio * Math.Pow(2, e)));
                shift[k] = e;
            }

            foreach (int zx in new[] { -128, 127, rng.Next(-128, 128) })
            {
                foreach (long zo in new long[] { -128, 127, 3 })
                {
                    int oh = ((h + (2 * pad) - kh) / stride) + 1, ow = ((w + (2 * pad) - kw) / stride) + 1, positions = oh * ow;
                    sbyte[] expected = Reference(x, c, h, w, kh, kw, stride, pad, countIncludePad, zx, mult, shift, zo, oh, ow);
                    foreach (bool inLast in new[] { false, true })
                    {
                        foreach (bool outLast in new[] { false, true })
                        {
                            var y = new sbyte[c * positions];
                            QuantGenDepthwiseKernels.AvgPool(inLast ? ToHwc(x, c, h * w) : x, inLast, outLast, c, h, w, kh, kw, stride, stride, pad, pad, oh, ow, zx, countIncludePad, ref mult[0], ref shift[0], zo, y);
                            Assert.Equal(outLast ? ToHwc(expected, c, positions) : expected, y);
                        }
                    }
                }
            }
        }

        private static sbyte[] Reference(sbyte[] x, int c, int h, int w, int kh, int kw, int stride, int pad, bool countIncludePad, int zx, int[] mult, int[] shift, long zo, int oh, int ow)
        {
            var y = new sbyte[c * oh * ow];
            for (int ch = 0; ch < c; ch++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        long sum = 0;
                        int count = 0;
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int ih = (oy * stride) - pad + i, iw = (ox * stride) - pad + j;
                                if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                                {
                                    sum += x[(((ch * h) + ih) * w) + iw] - zx;
                                    count++;
                                }
                            }
                        }

                        int k = (countIncludePad ? kh * kw : count) - 1;
                        long r = shift[k] <= 0 ? sum * mult[k] : ((sum * mult[k]) + (1L << (shift[k] - 1))) >> shift[k];
                        y[(((ch * oh) + oy) * ow) + ox] = (sbyte)Math.Clamp(zo + r, -128, 127);
                    }
                }
            }

            return y;
        }

        private static sbyte[] ToHwc(sbyte[] chw, int c, int positions)
        {
            var hwc = new sbyte[chw.Length];
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < positions; p++)
                {
                    hwc[(p * c) + ch] = chw[(ch * positions) + p];
                }
            }

            return hwc;
        }
    }
}
