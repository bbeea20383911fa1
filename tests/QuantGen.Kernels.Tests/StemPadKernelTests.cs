using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// QuantGenConvKernels.PadImageWide (the stems' padded image of cImg channels per pixel) against the image written out
    /// here: pixel (r, col) channel ch holds x[ch, r - pt, col - pl] ^ mask where ch &lt; c and that lies inside the input, and
    /// the padding value zx ^ mask everywhere else (padding rows, border columns, channels c .. cImg - 1). The destination is
    /// filled with a sentinel first, so a byte the kernel leaves unwritten fails (it writes each byte once, no whole-image
    /// fill); a sentinel after the image must survive. Shapes: MobileNet's 96 x 96 RGB (pads 1, window 97 x 97), ResNet-8's
    /// 32 x 32 (window 34 x 34), rows of several 16-pixel SSE2 steps with and without remainders, rows shorter than the 16-pixel SSE2 step, windows wider or narrower than the input, both
    /// layouts, masks 0 and 0x80, extreme values (-128, 127 and zx at both ends).
    /// </summary>
    public class StemPadKernelTests
    {
        [Theory]
        [InlineData(3, 96, 96, 1, 1, 97, 97, 0x80, 4, -128)]
        [InlineData(3, 32, 32, 1, 1, 34, 34, 0x80, 4, 127)]
        [InlineData(3, 5, 21, 2, 0, 8, 20, 0, 4, 0)]
        [InlineData(3, 4, 7, 0, 3, 6, 12, 0x80, 4, -1)]
        [InlineData(3, 3, 61, 1, 2, 5, 66, 0x80, 4, 5)]
        [InlineData(3, 2, 50, 0, 0, 2, 40, 0, 4, -128)]
        [InlineData(3, 2, 64, 0, 1, 4, 67, 0x80, 4, 127)]
        [InlineData(1, 9, 33, 2, 1, 13, 36, 0x80, 4, -128)]
        [InlineData(2, 3, 17, 1, 1, 3, 19, 0x80, 8, 127)]
        public void PadImageWideEqualsThePaddedImage(int c, int h, int w, int pt, int pl, int ph, int pw, int mask, int cImg, int zx)
        {
            var rng = new Random((c * 7) + (h * 5) + w + pt + mask);
            var x = new sbyte[c * h * w];
            rng.NextBytes((byte[])(object)x);
            x[0] = -128;
            x[x.Length - 1] = 127;
            foreach (bool channelsLast in new[] { false, true })
            {
                var src = new sbyte[x.Length];
                for (int ch = 0; ch < c; ch++)
                {
                    for (int i = 0; i < h * w; i++)
                    {
                        src[channelsLast ? (i * c) + ch : (ch * h * w) + i] = x[(ch * h * w) + i];
                    }
                }

                var img = new sbyte[(ph * pw * cImg) + 8];
                img.AsSpan().Fill(0x55);
                QuantGenConvKernels.PadImageWide(src, channelsLast, c, h, w, pt, pl, ph, pw, (sbyte)zx, img, (byte)mask, cImg);
                for (int r = 0; r < ph; r++)
                {
                    for (int col = 0; col < pw; col++)
                    {
                        for (int ch = 0; ch < cImg; ch++)
                        {
                            int ih = r - pt, iw = col - pl;
                            long v = ch < c && ih >= 0 && ih < h && iw >= 0 && iw < w ? x[(((ch * h) + ih) * w) + iw] : zx;
                            sbyte expected = unchecked((sbyte)(v ^ (sbyte)(byte)mask));
                            Assert.True(expected == img[(((r * pw) + col) * cImg) + ch], $"pixel ({r}, {col}) channel {ch}, channels-last {channelsLast}");
                        }
                    }
                }

                for (int i = ph * pw * cImg; i < img.Length; i++)
                {
                    Assert.Equal(0x55, img[i]);
                }
            }
        }
    }
}
