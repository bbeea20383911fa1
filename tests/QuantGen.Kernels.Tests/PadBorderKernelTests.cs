using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The padded images' border bytes (QuantGenConvKernels.FillRun inside PadImageXor and QuantGenDepthwiseKernels.PadImageU):
    /// every byte of the window against the definition written here (x ^ mask inside the input, zx ^ mask outside), for
    /// border runs of 0 to 65 bytes (each store width of FillRun and its overlapping last store), padding on any side, windows
    /// wider and narrower than the input, 1 to 64 channels from both layouts, and sentinel bytes after the window that must
    /// stay untouched.
    /// </summary>
    public class PadBorderKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int>
        {
            // c, h, w, pt, pl, extra rows below, extra columns right
            { 1, 49, 10, 5, 1, 4, 1 },
            { 1, 7, 40, 2, 0, 0, 33 },
            { 1, 3, 5, 1, 3, 1, 9 },
            { 3, 5, 17, 1, 1, 1, 1 },
            { 8, 6, 6, 1, 1, 1, 1 },
            { 8, 4, 9, 0, 2, 1, 3 },
            { 16, 6, 6, 0, 0, 1, 1 },
            { 16, 3, 3, 2, 1, 2, 4 },
            { 32, 4, 4, 1, 1, 1, 1 },
            { 64, 5, 3, 1, 1, 1, 1 },
            { 64, 2, 2, 0, 0, 1, 1 },
            { 5, 4, 7, 3, 13, 2, 7 },
            // 64k channels (PadImageU's 64-byte path): DS-CNN's 25x5, MobileNet's 128 x 6x6 and 256 x 3x3, padding on one
            // side at a time, wide borders, none.
            { 64, 25, 5, 1, 1, 1, 1 },
            { 128, 6, 6, 1, 1, 1, 1 },
            { 256, 3, 3, 1, 1, 1, 1 },
            { 64, 4, 3, 0, 2, 0, 0 },
            { 128, 3, 2, 2, 0, 1, 3 },
            { 64, 1, 1, 3, 3, 3, 3 },
            { 192, 2, 4, 0, 0, 0, 0 },
            // Rows of at least 64 bytes copied 64 at a time, the last vector overlapping (8 x 48: 384 bytes, 16 x 7: 112).
            { 8, 5, 48, 1, 1, 1, 1 },
            { 16, 3, 7, 1, 1, 0, 0 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void PadImageXorAndPadImageUWriteExactlyTheWindow(int c, int h, int w, int pt, int pl, int pb, int pr)
        {
            var rng = new Random((c * 31) + (h * 7) + w + pl);
            var x = new sbyte[c * h * w];
            rng.NextBytes((byte[])(object)x);
            int ph = pt + h + pb, pw = pl + w + pr;
            foreach (sbyte zx in new sbyte[] { -128, 127, 3 })
            {
                foreach (bool channelsLast in new[] { false, true })
                {
                    sbyte[] src = channelsLast ? DepthwiseReference.ToHwc(x, c, h * w) : x;
                    foreach (int form in new[] { 0, 1, 2 })
                    {
                        // form 0: PadImageXor mask 0, 1: mask 0x80, 2: PadImageU (u = x + 128, mask 0x80).
                        int mask = form == 0 ? 0 : 0x80;
                        var img = new sbyte[(ph * pw * c) + 70];
                        Array.Fill(img, (sbyte)0x5A);
                        if (form == 2)
                        {
                            QuantGenDepthwiseKernels.PadImageU(src, channelsLast, c, h, w, pt, pl, ph, pw, zx, img);
                        }
                        else
                        {
                            QuantGenConvKernels.PadImageXor(src, channelsLast, c, h, w, pt, pl, ph, pw, zx, img, (byte)mask);
                        }

                        for (int r = 0; r < ph; r++)
                        {
                            for (int col = 0; col < pw; col++)
                            {
                                for (int ch = 0; ch < c; ch++)
                                {
                                    int ih = r - pt, iw = col - pl;
                                    int v = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[(((ch * h) + ih) * w) + iw] : zx;
                                    Assert.True((byte)(v ^ mask) == (byte)img[(((r * pw) + col) * c) + ch], $"form {form} zx {zx} layout {channelsLast} ({r}, {col}, {ch})");
                                }
                            }
                        }

                        for (int i = ph * pw * c; i < img.Length; i++)
                        {
                            Assert.Equal(0x5A, img[i]);
                        }
                    }
                }
            }
        }
    }
}
