using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenPointwiseKernels.Stem8 (the weight-stationary 8-channel stem) against the convolution written out here on the
    /// padded image of u = x + 128: acc = bias + sum over the kh x kw taps and c channels of u w, then the reference's int64
    /// requantization zo + RoundShift(acc m, s), clamped. MobileNet's shape (3x3 stride 2 on a 4-channel image, 48 outputs a
    /// row), pixel strides of 4 and 8 bytes (sw = 1 on 4 channels, sw = 2 on 4 channels, sw = 1 on 8 channels), rows whose
    /// last group is partial (ow 12, 9), rows of three-group passes with and without a remainder (ow 24, 29, 31, 48, 72), extreme operands (u = 255 against w = -128 and 127), ReLU clamps and zero points at
    /// both ends; a sentinel after the output. Where the kernel cannot run (no AVX-VNNI or AVX-512 VBMI) it must refuse.
    /// </summary>
    public class Stem8KernelTests
    {
        [Theory]
        [InlineData(4, 3, 3, 2, 2, 5, 48, 0)]
        [InlineData(4, 3, 3, 2, 2, 3, 12, 1)]
        [InlineData(4, 3, 3, 1, 1, 4, 9, 2)]
        [InlineData(8, 3, 3, 1, 1, 3, 10, 3)]
        [InlineData(4, 1, 1, 2, 2, 2, 8, 0)]
        [InlineData(4, 3, 2, 2, 2, 6, 17, 4)]
        [InlineData(4, 3, 3, 1, 1, 3, 29, 1)]
        [InlineData(4, 3, 3, 2, 2, 2, 31, 0)]
        [InlineData(8, 3, 3, 1, 1, 2, 24, 3)]
        [InlineData(4, 2, 3, 2, 2, 3, 72, 2)]
        public void Stem8EqualsTheConvolution(int c, int kh, int kw, int sh, int sw, int oh, int ow, int mode)
        {
            var rng = new Random((c * 101) + (kh * 13) + (sw * 7) + (ow * 3) + mode);
            int ph = ((oh - 1) * sh) + kh, pw = ((ow - 1) * sw) + kw;
            var u = new byte[(ph * pw * c) + 16];
            for (int i = 0; i < u.Length; i++)
            {
                u[i] = mode switch { 1 => 255, 2 => 0, 4 => (byte)(i % 2 == 0 ? 255 : 0), _ => (byte)rng.Next(0, 256) };
            }

            int k = kh * kw * c, kq = k / 4;
            var wt = new sbyte[8, kh, kw, c];
            var quads = new sbyte[kq * 8 * 32];
            var bias = new int[8];
            for (int o = 0; o < 8; o++)
            {
                bias[o] = rng.Next(-1 << 20, 1 << 20);
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            sbyte v = mode switch { 1 => sbyte.MinValue, 3 => sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
                            wt[o, i, j, ch] = v;
                            int t = (((i * kw) + j) * c) + ch;
                            for (int lane = 0; lane < 8; lane++)
                            {
                                quads[(((t / 4 * 8) + o) * 32) + (lane * 4) + (t % 4)] = v;
                            }
                        }
                    }
                }
            }

            foreach (long zo in new long[] { -128, 127, 4 })
            {
                foreach ((long lo, long hi) in new[] { (-128L, 127L), (zo, 127L), (-90L, 100L) })
                {
                    var mulHi = new int[8];
                    var addHi = new int[8];
                    var shiftHi = new int[8];
                    var shifts = new int[8];
                    for (int o = 0; o < 8; o++)
                    {
                        int t = 1 + rng.Next(0, 21);
                        shifts[o] = 32 + t;
                        shiftHi[o] = t;
                        mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                        addHi[o] = checked((int)((1L << (t - 1)) + (zo << t)));
                    }

                    var y = new sbyte[(oh * ow * 8) + 1];
                    y[^1] = 0x5A;
                    sbyte[] img = Array.ConvertAll(u, b => unchecked((sbyte)b));
                    if (!QuantGenPointwiseKernels.Stem8Vector)
                    {
                        Assert.Throws<ArgumentException>(() => QuantGenPointwiseKernels.Stem8(img, pw, c, kh, kw, sh, sw, oh, ow, ref quads[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], (int)lo, (int)hi, ref y[0]));
                        return;
                    }

                    QuantGenPointwiseKernels.Stem8(img, pw, c, kh, kw, sh, sw, oh, ow, ref quads[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], (int)lo, (int)hi, ref y[0]);
                    for (int yo = 0; yo < oh; yo++)
                    {
                        for (int xo = 0; xo < ow; xo++)
                        {
                            for (int o = 0; o < 8; o++)
                            {
                                long acc = bias[o];
                                for (int i = 0; i < kh; i++)
                                {
                                    for (int j = 0; j < kw; j++)
                                    {
                                        for (int ch = 0; ch < c; ch++)
                                        {
                                            acc += u[(((((yo * sh) + i) * pw) + (xo * sw) + j) * c) + ch] * (long)wt[o, i, j, ch];
                                        }
                                    }
                                }

                                long expected = Math.Clamp(zo + ((acc * mulHi[o]) + (1L << (shifts[o] - 1)) >> shifts[o]), lo, hi);
                                Assert.True(expected == y[(((yo * ow) + xo) * 8) + o], $"({yo}, {xo}) channel {o} zo {zo} [{lo}, {hi}]: expected {expected}, got {y[(((yo * ow) + xo) * 8) + o]}");
                            }
                        }
                    }

                    Assert.Equal(0x5A, y[^1]);
                }
            }
        }

        [Fact]
        public void Stem8RefusesShapesItCannotRun()
        {
            var img = new sbyte[4096];
            var w = new sbyte[9 * 256];
            var consts = new int[8];
            var y = new sbyte[1024];
            // 7 outputs a row (fewer than one group), 3 channels per pixel, and a pixel stride of 12 bytes.
            Assert.Throws<ArgumentException>(() => QuantGenPointwiseKernels.Stem8(img, 17, 4, 3, 3, 2, 2, 2, 7, ref w[0], ref consts[0], ref consts[0], ref consts[0], ref consts[0], -128, 127, ref y[0]));
            Assert.Throws<ArgumentException>(() => QuantGenPointwiseKernels.Stem8(img, 17, 3, 3, 3, 2, 2, 2, 8, ref w[0], ref consts[0], ref consts[0], ref consts[0], ref consts[0], -128, 127, ref y[0]));
            Assert.Throws<ArgumentException>(() => QuantGenPointwiseKernels.Stem8(img, 30, 4, 3, 3, 3, 3, 2, 8, ref w[0], ref consts[0], ref consts[0], ref consts[0], ref consts[0], -128, 127, ref y[0]));
            // An image too small for the last row's taps.
            Assert.Throws<ArgumentException>(() => QuantGenPointwiseKernels.Stem8(new sbyte[64], 17, 4, 3, 3, 2, 2, 2, 8, ref w[0], ref consts[0], ref consts[0], ref consts[0], ref consts[0], -128, 127, ref y[0]));
        }
    }
}
