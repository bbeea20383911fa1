using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The stacked RGB 3x3 stem (ConvPlan.StemStack): QuantGenStemKernels.StackRows3 byte for byte against its definition
    /// (3- and 4-byte pixels, rows shorter than one 7-pixel step, exact multiples of 7 and not, strides 1 and 2, images with
    /// no byte of slack after the last row, the zeroed row tails, a sentinel after the stacked rows), and the generated
    /// sequence (PadImageWide into the 4-channel image of u = x + 128, StackRows3, ConvGemmImplicitHigh over one kernel row of
    /// 28 taps at column step 9 sw with the weights in the order (column, row, channel)) against the convolution written out
    /// here in int64 on the NCHW input: acc = bias + sum (x - zx) w over the taps inside the image, then the reference's
    /// zo + RoundShift(acc m, 32 + t) clamped to [lo, hi]. Operands at the ends (x and w all -128 / 127, zero points at both
    /// ends, shifts 33 and 53), asymmetric padding, 16 and 32 channels, output counts leaving every tail of the 6-row tiles.
    /// </summary>
    public class StemStackKernelTests
    {
        [Theory]
        [InlineData(4, 34, 1, 32, 0, 4)]
        [InlineData(3, 34, 1, 32, 0, 1)]
        [InlineData(4, 97, 2, 48, 0, 4)]
        [InlineData(3, 97, 2, 48, 32, 1)]
        [InlineData(4, 1, 1, 2, 0, 1)]
        [InlineData(4, 6, 2, 3, 0, 2)]
        [InlineData(3, 7, 1, 4, 0, 1)]
        [InlineData(4, 8, 1, 5, 0, 3)]
        [InlineData(4, 14, 2, 3, 0, 1)]
        [InlineData(3, 13, 2, 5, 5, 7)]
        [InlineData(4, 21, 1, 1, 0, 1)]
        public void StackRowsEqualsItsDefinition(int c, int pw, int sh, int oh, int slack, int extra)
        {
            var rng = new Random((c * 31) + (pw * 7) + (sh * 3) + oh);
            int ph = ((oh - 1) * sh) + 3, rowStride = (9 * pw) + extra;
            var img = new sbyte[(ph * pw * c) + slack];
            rng.NextBytes((byte[])(object)img);
            var stack = new sbyte[(oh * rowStride) + 80];
            Array.Fill(stack, (sbyte)0x5A);
            QuantGenStemKernels.StackRows3(img, c, pw, sh, oh, stack, rowStride);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int b = 0; b < rowStride; b++)
                {
                    int px = b / 9, i = (b % 9) / 3, ch = b % 3;
                    sbyte expected = b < 9 * pw ? img[((((oy * sh) + i) * pw) + px) * c + ch] : (sbyte)0;
                    Assert.True(expected == stack[(oy * rowStride) + b], $"row {oy} byte {b}: expected {expected}, got {stack[(oy * rowStride) + b]}");
                }
            }

            for (int b = oh * rowStride; b < stack.Length; b++)
            {
                Assert.Equal(0x5A, stack[b]);
            }
        }

        [Fact]
        public void StackRowsRefusesWhatItCannotRead()
        {
            var img = new sbyte[3 * 10 * 4];
            var stack = new sbyte[1024];
            // Row stride not above 9 pw, 2 or 5 bytes per pixel, an image without its third row, a stack too small.
            Assert.Throws<ArgumentException>(() => QuantGenStemKernels.StackRows3(img, 4, 10, 1, 1, stack, 90));
            Assert.Throws<ArgumentException>(() => QuantGenStemKernels.StackRows3(img, 2, 10, 1, 1, stack, 91));
            Assert.Throws<ArgumentException>(() => QuantGenStemKernels.StackRows3(img, 5, 10, 1, 1, stack, 91));
            Assert.Throws<ArgumentException>(() => QuantGenStemKernels.StackRows3(img, 4, 10, 1, 2, stack, 91));
            Assert.Throws<ArgumentException>(() => QuantGenStemKernels.StackRows3(img, 4, 10, 1, 1, new sbyte[90], 91));
        }

        [Theory]
        [InlineData(32, 32, 1, 1, 1, 1, 1, 16, 0)]
        [InlineData(13, 11, 2, 1, 1, 1, 1, 16, 1)]
        [InlineData(9, 20, 1, 1, 1, 0, 0, 32, 2)]
        [InlineData(10, 9, 2, 0, 1, 1, 0, 16, 3)]
        [InlineData(5, 5, 1, 1, 1, 1, 1, 16, 4)]
        [InlineData(7, 8, 1, 1, 0, 1, 2, 16, 5)]
        [InlineData(11, 17, 2, 1, 1, 1, 1, 32, 0)]
        public void StackedStemEqualsTheConvolution(int h, int w, int s, int pt, int pl, int pb, int pr, int n, int mode)
        {
            const int c = 3;
            var rng = new Random((h * 101) + (w * 13) + (s * 7) + (n * 3) + mode);
            int oh = ((h + pt + pb - 3) / s) + 1, ow = ((w + pl + pr - 3) / s) + 1, positions = oh * ow;
            int ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3, np8 = (n + 7) / 8 * 8;
            var x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MinValue, 2 => sbyte.MaxValue, 5 => (sbyte)(i % 2 == 0 ? 127 : -128), _ => (sbyte)rng.Next(-128, 128) };
            }

            var wt = new sbyte[n, c, 3, 3];
            var packed = new sbyte[7 * np8 * 4];
            for (int o = 0; o < n; o++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        for (int j = 0; j < 3; j++)
                        {
                            sbyte v = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MaxValue, 3 => sbyte.MinValue, _ => (sbyte)rng.Next(-128, 128) };
                            wt[o, ch, i, j] = v;
                            int t = (j * 9) + (i * 3) + ch;
                            packed[(((t / 4 * np8) + o) * 4) + (t % 4)] = v;
                        }
                    }
                }
            }

            foreach (long zx in new long[] { -128, 127, 3 })
            {
                foreach ((long zo, long lo, long hi) in new[] { (-128L, -128L, 127L), (127L, -128L, 127L), (5L, 5L, 127L), (-7L, -90L, 100L) })
                {
                    var bias = new int[n];
                    var biasU = new int[n + 1];
                    var mulHi = new int[n + 1];
                    var addHi = new int[n + 1];
                    var shiftHi = new int[n + 1];
                    for (int o = 0; o < n; o++)
                    {
                        bias[o] = rng.Next(-1 << 20, 1 << 20);
                        long sum = 0;
                        foreach (sbyte v in SliceOf(wt, o))
                        {
                            sum += v;
                        }

                        biasU[o] = checked((int)(bias[o] - (zx * sum) - (128 * sum)));
                        int t = o % 4 == 0 ? 1 : o % 4 == 1 ? 21 : 1 + rng.Next(0, 21);
                        shiftHi[o] = t;
                        mulHi[o] = o % 5 == 0 ? int.MaxValue : o % 5 == 1 ? 1 << 30 : rng.Next(1 << 30, int.MaxValue);
                        addHi[o] = checked((int)((1L << (t - 1)) + (zo << t)));
                    }

                    int rowStride = (9 * pw) + 4, imageAt = ((oh * rowStride) + 63) / 64 * 64;
                    var buf = new sbyte[imageAt + (ph * pw * 4) + 32];
                    var y = new sbyte[(positions * n) + 1];
                    y[^1] = 0x5A;
                    QuantGenConvKernels.PadImageWide(x, false, c, h, w, pt, pl, ph, pw, (sbyte)zx, buf.AsSpan(imageAt), 0x80, 4);
                    QuantGenStemKernels.StackRows3(buf.AsSpan(imageAt), 4, pw, s, oh, buf, rowStride);
                    if (!AvxVnni.IsSupported)
                    {
                        Assert.Throws<ArgumentException>(() => QuantGenConvKernels.ConvGemmImplicitHigh(buf, rowStride, 1, 1, 28, 1, 9 * s, oh, ow, ref packed[0], np8, n, ref biasU[0],
                            ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n));
                        return;
                    }

                    QuantGenConvKernels.ConvGemmImplicitHigh(buf, rowStride, 1, 1, 28, 1, 9 * s, oh, ow, ref packed[0], np8, n, ref biasU[0],
                        ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[0], n);
                    for (int yo = 0; yo < oh; yo++)
                    {
                        for (int xo = 0; xo < ow; xo++)
                        {
                            for (int o = 0; o < n; o++)
                            {
                                long acc = bias[o];
                                for (int ch = 0; ch < c; ch++)
                                {
                                    for (int i = 0; i < 3; i++)
                                    {
                                        for (int j = 0; j < 3; j++)
                                        {
                                            int iy = (yo * s) + i - pt, ix = (xo * s) + j - pl;
                                            long xv = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(((ch * h) + iy) * w) + ix] : zx;
                                            acc += (xv - zx) * wt[o, ch, i, j];
                                        }
                                    }
                                }

                                int shift = 32 + shiftHi[o];
                                long expected = Math.Clamp(zo + (((acc * mulHi[o]) + (1L << (shift - 1))) >> shift), lo, hi);
                                sbyte got = y[(((yo * ow) + xo) * n) + o];
                                Assert.True(expected == got, $"({yo}, {xo}) channel {o} zx {zx} zo {zo} [{lo}, {hi}]: expected {expected}, got {got}");
                            }
                        }
                    }

                    Assert.Equal(0x5A, y[^1]);
                }
            }
        }

        private static sbyte[] SliceOf(sbyte[,,,] wt, int o)
        {
            var v = new sbyte[27];
            for (int t = 0; t < 27; t++)
            {
                v[t] = wt[o, t / 9, t / 3 % 3, t % 3];
            }

            return v;
        }
    }
}
