using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The channels-last convolutions (padded image -> im2col runs -> Dense GEMM with fused requantization; padded image ->
    /// depthwise over channels) against a direct int64 convolution written from the definition, from NCHW and from NHWC
    /// inputs, on odd channel counts (not multiples of 4, 16 or 32), 1x1 / 3x3 / 10x4 / strided / padded windows, 1-pixel
    /// maps, stride 2 on odd sizes, zero points at both ends and adversarial operands (all 127, all -128, alternating).
    /// The weight packing and the folded biases repeat what CpuEmitter.ConvNhwc does at build time.
    /// </summary>
    public class ConvNhwcKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int, int, int>
        {
            // c, h, w, outC, kh, kw, stride, pad, mode (0 random, 1 all 127, 2 all -128, 3 alternating extremes)
            { 16, 32, 32, 16, 3, 3, 1, 1, 0 },
            { 3, 9, 8, 6, 3, 3, 2, 1, 0 },
            { 5, 7, 11, 7, 3, 3, 1, 1, 1 },
            { 5, 7, 11, 7, 3, 3, 1, 1, 2 },
            { 13, 6, 6, 9, 1, 1, 1, 0, 3 },
            { 8, 12, 12, 33, 1, 1, 2, 0, 0 },
            { 1, 49, 10, 8, 10, 4, 2, 2, 0 },
            { 64, 3, 3, 12, 1, 1, 1, 0, 2 },
            { 7, 5, 5, 5, 3, 3, 2, 0, 3 },
            { 17, 1, 1, 3, 1, 1, 1, 0, 1 },
            { 9, 1, 1, 70, 3, 3, 1, 1, 3 },
            { 33, 11, 9, 40, 3, 3, 2, 1, 0 },
            { 3, 13, 14, 8, 3, 3, 2, 1, 3 },
            { 16, 10, 10, 16, 3, 3, 1, 1, 2 },
            { 6, 5, 4, 11, 2, 3, 1, 1, 1 },
            { 32, 7, 9, 24, 3, 3, 2, 1, 3 },
            { 4, 1, 1, 40, 3, 3, 1, 1, 1 },
            { 12, 5, 6, 8, 3, 3, 1, 1, 2 },
            { 64, 8, 8, 64, 3, 3, 1, 1, 0 },
            { 20, 9, 7, 17, 3, 3, 2, 1, 0 },
            { 8, 13, 3, 36, 3, 2, 2, 1, 3 },

            // The RGB stems as 4-channel implicit convs, kernel rows of whole quads with c % 4 != 0, 8-channel blocks (pairs of
            // positions per register when n == 8, single rows otherwise), 12-position tiles with 1..11 positions left over.
            { 3, 32, 32, 16, 3, 3, 1, 1, 2 },
            { 3, 32, 32, 16, 3, 3, 1, 1, 3 },
            { 3, 19, 21, 8, 3, 3, 2, 1, 1 },
            { 3, 7, 5, 8, 3, 3, 2, 1, 2 },
            { 1, 9, 6, 24, 5, 4, 2, 2, 3 },
            { 2, 6, 5, 8, 3, 2, 1, 1, 0 },
            { 1, 1, 1, 8, 4, 4, 1, 2, 1 },
            { 3, 1, 1, 8, 3, 3, 1, 1, 3 },
            { 2, 8, 9, 13, 3, 6, 2, 2, 0 },
            { 6, 11, 13, 8, 3, 3, 1, 1, 3 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void GemmConvEqualsTheDirectConvolution(int c, int h, int w, int n, int kh, int kw, int stride, int pad, int mode)
        {
            var rng = new Random((c * 31) + (h * 7) + n + mode);
            sbyte[] x = Operand(c * h * w, mode, rng);
            var wt = new int[n * c * kh * kw];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : mode == 1 || mode == 2 ? -128 : (i % 3 == 0 ? 127 : -128);
            }

            int zx = mode == 0 ? rng.Next(-128, 128) : mode == 2 ? 127 : -128;
            Requant q = Requant.Random(n, rng);
            int oh = ((h + (2 * pad) - kh) / stride) + 1, ow = ((w + (2 * pad) - kw) / stride) + 1, positions = oh * ow;
            sbyte[] expected = Direct(x, c, h, w, wt, n, kh, kw, stride, pad, zx, q, depthwise: false);

            // Build-time packing (CpuEmitter.EmitConvGemm): rows [n][(i * kw + j) * c + ch], quads [kQuads][np8][4].
            int k = c * kh * kw, kQuads = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
            var blob = new byte[kQuads * np8 * 4];
            var biasU = new int[np16];
            var bias32 = new int[np16];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int ch = 0; ch < c; ch++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            int v = wt[((((o * c) + ch) * kh) + i) * kw + j], t = (((i * kw) + j) * c) + ch;
                            blob[(((t / 4) * np8) + o) * 4 + (t % 4)] = unchecked((byte)(sbyte)v);
                            sum += v;
                        }
                    }
                }

                bias32[o] = unchecked((int)(q.Bias[o] - (zx * sum)));
                biasU[o] = unchecked((int)(q.Bias[o] - ((zx + 128L) * sum)));
            }

            int ph = ((oh - 1) * stride) + kh, pw = ((ow - 1) * stride) + kw;
            foreach (bool channelsLast in new[] { false, true })
            {
                var image = new sbyte[(ph * pw * c) + 16];
                QuantGenConvKernels.PadImage(channelsLast ? ToHwc(x, c, h * w) : x, channelsLast, c, h, w, pad, pad, ph, pw, (sbyte)zx, image);
                var yHwc = new sbyte[positions * n];
                if (AvxVnni.IsSupported)
                {
                    var col = new sbyte[positions * kQuads * 4];
                    QuantGenConvKernels.Im2ColNhwc(image, pw, c, kh, kw, stride, stride, oh, ow, col, kQuads * 4, false);
                    QuantGenKernels.GemmVnni(ref col[0], positions, kQuads * 4, ref System.Runtime.CompilerServices.Unsafe.As<byte, sbyte>(ref blob[0]), kQuads, np8, n,
                        ref biasU[0], ref System.Runtime.CompilerServices.Unsafe.NullRef<int>(), ref q.Mul[0], ref q.Round[0], ref q.Shift[0], q.Zo, -128, 127, ref yHwc[0], n);
                    Assert.Equal(expected, ToChw(yHwc, positions, n));
                    if (n <= 16)
                    {
                        // The narrow tiles on rows of u = x + 128.
                        QuantGenConvKernels.Im2ColNhwc(image, pw, c, kh, kw, stride, stride, oh, ow, col, kQuads * 4, true);
                        Array.Clear(yHwc);
                        QuantGenConvKernels.ConvGemmNarrow(ref col[0], positions, kQuads * 4, ref System.Runtime.CompilerServices.Unsafe.As<byte, sbyte>(ref blob[0]), kQuads, np8, n,
                            ref biasU[0], ref q.Mul[0], ref q.Round[0], ref q.Shift[0], q.Zo, -128, 127, ref yHwc[0], n);
                        Assert.Equal(expected, ToChw(yHwc, positions, n));
                    }

                    // Implicit im2col: the tiles read the padded image of u = x + 128 directly. Where a kernel row is not whole
                    // quads (kw * c % 4 != 0) the image gets channels up to a multiple of 4 (PadImageWide; the generator does this
                    // for c == 3) and the weights zero rows for them.
                    int cImg = (kw * c) % 4 == 0 ? c : (c + 3) / 4 * 4, kImg = cImg * kh * kw;
                    var blobImg = new byte[kImg * np8];
                    for (int o = 0; o < n; o++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int t = (((i * kw) + j) * cImg) + ch;
                                    blobImg[(((t / 4) * np8) + o) * 4 + (t % 4)] = unchecked((byte)(sbyte)wt[((((o * c) + ch) * kh) + i) * kw + j]);
                                }
                            }
                        }
                    }

                    var flipped = new sbyte[ph * pw * cImg];
                    sbyte[] input = channelsLast ? ToHwc(x, c, h * w) : x;
                    if (cImg == c)
                    {
                        QuantGenConvKernels.PadImageXor(input, channelsLast, c, h, w, pad, pad, ph, pw, (sbyte)zx, flipped, 0x80);
                    }
                    else
                    {
                        QuantGenConvKernels.PadImageWide(input, channelsLast, c, h, w, pad, pad, ph, pw, (sbyte)zx, flipped, 0x80, cImg);
                    }

                    Array.Clear(yHwc);
                    QuantGenConvKernels.ConvGemmImplicit(flipped, pw, cImg, kh, kw, stride, stride, oh, ow, ref System.Runtime.CompilerServices.Unsafe.As<byte, sbyte>(ref blobImg[0]), np8, n,
                        ref biasU[0], ref q.Mul[0], ref q.Round[0], ref q.Shift[0], q.Zo, -128, 127, ref yHwc[0], n);
                    Assert.Equal(expected, ToChw(yHwc, positions, n));
                }

                // The int16 pair GEMM of machines without AVX-VNNI, on im2col rows of exactly K bytes.
                var rows = new sbyte[positions * k];
                QuantGenConvKernels.Im2ColNhwc(image, pw, c, kh, kw, stride, stride, oh, ow, rows, k, false);
                var widened = new short[positions * ((k + 1) / 2) * 2];
                QuantGenKernels.WidenRows(rows, positions, k, 0, widened, ((k + 1) / 2) * 2);
                short[] pairs = QuantGenKernels.PairsFromQuads(blob, 0, n, k, np8, np16);
                Array.Clear(yHwc);
                QuantGenKernels.GemmRequant(ref widened[0], positions, ((k + 1) / 2) * 2, ref pairs[0], (k + 1) / 2, np16, n, ref bias32[0], ref q.Mul[0], ref q.Round[0], ref q.Shift[0], q.Zo, -128, 127, ref yHwc[0], n);
                Assert.Equal(expected, ToChw(yHwc, positions, n));
            }
        }

        [Theory]
        [InlineData(8, 48, 48, 3, 1, 1, 0)]
        [InlineData(5, 9, 7, 3, 2, 1, 1)]
        [InlineData(3, 25, 5, 3, 1, 1, 2)]
        [InlineData(4, 6, 6, 3, 2, 0, 3)]
        [InlineData(2, 17, 19, 5, 2, 2, 0)]
        [InlineData(64, 25, 5, 3, 1, 1, 0)]
        [InlineData(33, 7, 7, 3, 2, 1, 3)]
        [InlineData(19, 1, 1, 3, 1, 1, 1)]
        [InlineData(256, 3, 3, 3, 1, 1, 2)]
        public void DepthwiseEqualsTheDirectConvolution(int c, int h, int w, int k, int stride, int pad, int mode)
        {
            var rng = new Random((c * 17) + h + mode);
            sbyte[] x = Operand(c * h * w, mode, rng);
            var wt = new int[c * k * k];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : (i % 2 == 0 ? -128 : 127);
            }

            int zx = mode == 1 ? -128 : mode == 2 ? 127 : rng.Next(-128, 128);
            Requant q = Requant.Random(c, rng);
            int oh = ((h + (2 * pad) - k) / stride) + 1, ow = ((w + (2 * pad) - k) / stride) + 1, positions = oh * ow;
            sbyte[] expected = Direct(x, c, h, w, wt, c, k, k, stride, pad, zx, q, depthwise: true);

            // Build-time packing (CpuEmitter.EmitDepthwiseNhwc): int32 [k * k][cp] per lane, bias - zx * sum(w), lanes either
            // the channels of a pixel or (stride 1) a whole output row with the per-channel constants tiled along it.
            int ph = ((oh - 1) * stride) + k, pw = ((ow - 1) * stride) + k;
            foreach (bool rows in stride == 1 ? new[] { false, true } : new[] { false })
            {
                int groups = rows ? 1 : ow, lanes = rows ? ow * c : c, groupStride = rows ? 0 : stride * c, cp = (lanes + 15) / 16 * 16;
                var packed = new int[k * k * cp];
                var folded = new int[cp];
                var tiled = new Requant { Mul = new long[cp], Round = new long[cp], Shift = new long[cp], Zo = q.Zo };
                for (int l = 0; l < lanes; l++)
                {
                    int ch = l % c;
                    long sum = 0;
                    for (int t = 0; t < k * k; t++)
                    {
                        packed[(t * cp) + l] = wt[(ch * k * k) + t];
                        sum += wt[(ch * k * k) + t];
                    }

                    folded[l] = unchecked((int)(q.Bias[ch] - (zx * sum)));
                    tiled.Mul[l] = q.Mul[ch];
                    tiled.Round[l] = q.Round[ch];
                    tiled.Shift[l] = q.Shift[ch];
                }

                foreach (bool channelsLast in new[] { false, true })
                {
                    var image = new sbyte[(ph * pw * c) + 16];
                    QuantGenConvKernels.PadImage(channelsLast ? ToHwc(x, c, h * w) : x, channelsLast, c, h, w, pad, pad, ph, pw, (sbyte)zx, image);
                    var yHwc = new sbyte[positions * c];
                    QuantGenConvKernels.DepthwiseNhwc(image, pw, c, k, k, stride, oh, groups, groupStride, lanes, ref packed[0], cp, ref folded[0],
                        ref tiled.Mul[0], ref tiled.Round[0], ref tiled.Shift[0], q.Zo, -128, 127, yHwc);
                    Assert.Equal(expected, ToChw(yHwc, positions, c));
                }
            }
        }

        [Theory]
        [InlineData(125, 64)]
        [InlineData(64, 64)]
        [InlineData(17, 33)]
        [InlineData(16, 16)]
        [InlineData(1, 48)]
        [InlineData(40, 3)]
        [InlineData(33, 15)]
        public void HwcToChwTransposesEveryByte(int positions, int c)
        {
            var rng = new Random((positions * 131) + c);
            var hwc = new sbyte[positions * c];
            rng.NextBytes((byte[])(object)hwc);
            var chw = new sbyte[positions * c];
            QuantGenKernels.Transpose2D(hwc, positions, c, chw);
            for (int p = 0; p < positions; p++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    Assert.Equal(hwc[(p * c) + ch], chw[(ch * positions) + p]);
                }
            }
        }

        [Theory]
        [InlineData(3, 4, 96, 1, 1, 0)]
        [InlineData(3, 3, 37, 1, 2, 0x80)]
        [InlineData(3, 2, 16, 0, 0, 0x80)]
        [InlineData(3, 2, 15, 1, 1, 0)]
        [InlineData(5, 3, 33, 1, 1, 0x80)]
        public void PadImageFromNchwEqualsFromNhwc(int c, int h, int w, int pt, int pl, int mask)
        {
            // The NCHW -> channels-last transpose (pshufb for 3 channels, scalar otherwise) against the plain copy of NHWC rows.
            var rng = new Random((c * 7) + w + mask);
            var x = new sbyte[c * h * w];
            rng.NextBytes((byte[])(object)x);
            int ph = h + (2 * pt), pw = w + (2 * pl);
            var fromChw = new sbyte[ph * pw * c];
            var fromHwc = new sbyte[ph * pw * c];
            QuantGenConvKernels.PadImageXor(x, false, c, h, w, pt, pl, ph, pw, -3, fromChw, (byte)mask);
            QuantGenConvKernels.PadImageXor(ToHwc(x, c, h * w), true, c, h, w, pt, pl, ph, pw, -3, fromHwc, (byte)mask);
            Assert.Equal(fromHwc, fromChw);
            Assert.Equal((sbyte)(x[0] ^ (sbyte)(byte)mask), fromChw[((pt * pw) + pl) * c]);
            Assert.Equal((sbyte)(x[(h * w) - 1] ^ (sbyte)(byte)mask), fromChw[((((pt + h - 1) * pw) + pl + w - 1) * c)]);
        }

        [Theory]
        [InlineData(3, 4, 96, 1, 1, 0, 4)]
        [InlineData(3, 3, 37, 1, 2, 0x80, 4)]
        [InlineData(3, 2, 16, 0, 0, 0x80, 4)]
        [InlineData(3, 1, 1, 1, 1, 0x80, 4)]
        [InlineData(1, 5, 33, 2, 1, 0x80, 4)]
        [InlineData(5, 3, 17, 1, 1, 0, 8)]
        public void PadImageWideIsPadImageXorWithExtraPaddingChannels(int c, int h, int w, int pt, int pl, int mask, int cImg)
        {
            // The wide image (the RGB stems as 4-channel convs) holds PadImageXor's bytes in its first c channels and the
            // padding value zx ^ mask in the others, from both layouts (SSE2 unpacks for NCHW 3 -> 4, scalar otherwise).
            var rng = new Random((c * 11) + w + mask + cImg);
            var x = new sbyte[c * h * w];
            rng.NextBytes((byte[])(object)x);
            int ph = h + (2 * pt) + 1, pw = w + (2 * pl) + 1; // one more row and column than the input reaches
            const sbyte zx = -128;
            var narrow = new sbyte[ph * pw * c];
            QuantGenConvKernels.PadImageXor(x, false, c, h, w, pt, pl, ph, pw, zx, narrow, (byte)mask);
            foreach (bool channelsLast in new[] { false, true })
            {
                var wide = new sbyte[ph * pw * cImg];
                QuantGenConvKernels.PadImageWide(channelsLast ? ToHwc(x, c, h * w) : x, channelsLast, c, h, w, pt, pl, ph, pw, zx, wide, (byte)mask, cImg);
                for (int p = 0; p < ph * pw; p++)
                {
                    for (int ch = 0; ch < cImg; ch++)
                    {
                        sbyte expected = ch < c ? narrow[(p * c) + ch] : (sbyte)(zx ^ (sbyte)(byte)mask);
                        Assert.Equal(expected, wide[(p * cImg) + ch]);
                    }
                }
            }

            Assert.Equal((sbyte)(x[0] ^ (sbyte)(byte)mask), narrow[((pt * pw) + pl) * c]);
        }

        [Fact]
        public void PadImageXorFlipsEveryByteIncludingThePadding()
        {
            // 4 channels of 2 x 3, pads (1, 1), window 4 x 5, from both layouts: u = x + 128 (x ^ 0x80), padding zx ^ 0x80.
            sbyte[] x = { 127, -128, 0, 1, -1, 5, 6, 7, 8, 9, 10, 11, -12, -13, -14, -15, -16, -17, 18, 19, 20, 21, 22, -23 };
            var plain = new sbyte[4 * 5 * 4];
            var flipped = new sbyte[4 * 5 * 4];
            foreach (bool channelsLast in new[] { false, true })
            {
                sbyte[] src = channelsLast ? ToHwc(x, 4, 6) : x;
                QuantGenConvKernels.PadImage(src, channelsLast, 4, 2, 3, 1, 1, 4, 5, -128, plain);
                QuantGenConvKernels.PadImageXor(src, channelsLast, 4, 2, 3, 1, 1, 4, 5, -128, flipped, 0x80);
                for (int i = 0; i < plain.Length; i++)
                {
                    Assert.Equal(plain[i] + 128, (byte)flipped[i]);
                }

                Assert.Equal(0, (byte)flipped[0]);
            }
        }

        [Fact]
        public void PadImageFillsTheZeroPointAndTransposes()
        {
            // 2 channels of 2 x 3, pads (1, 2), window 4 x 6.
            sbyte[] x = { 1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6 };
            var nchw = new sbyte[(4 * 6 * 2) + 16];
            var nhwc = new sbyte[(4 * 6 * 2) + 16];
            QuantGenConvKernels.PadImage(x, false, 2, 2, 3, 1, 2, 4, 6, -7, nchw);
            QuantGenConvKernels.PadImage(ToHwc(x, 2, 6), true, 2, 2, 3, 1, 2, 4, 6, -7, nhwc);
            Assert.Equal(nchw, nhwc);
            for (int r = 0; r < 4; r++)
            {
                for (int col = 0; col < 6; col++)
                {
                    bool inside = r >= 1 && r < 3 && col >= 2 && col < 5;
                    Assert.Equal(inside ? x[((r - 1) * 3) + col - 2] : -7, nchw[((r * 6) + col) * 2]);
                    Assert.Equal(inside ? x[6 + ((r - 1) * 3) + col - 2] : -7, nchw[(((r * 6) + col) * 2) + 1]);
                }
            }

            Assert.Equal(ToChw(ToHwc(x, 2, 6), 6, 2), x);
        }

        [Theory]
        [InlineData(19, 9, 9, 2, 3, 1, 1, 1)]
        [InlineData(32, 8, 8, 3, 3, 2, 2, 1)]
        [InlineData(5, 1, 1, 3, 3, 1, 1, 1)]
        [InlineData(16, 7, 5, 2, 2, 2, 2, 0)]
        public void MaxPoolEqualsTheClippedWindow(int c, int h, int w, int kh, int kw, int sh, int sw, int pad)
        {
            var rng = new Random(c + h + kh);
            sbyte[] x = Operand(c * h * w, 0, rng);
            int oh = ((h + (2 * pad) - kh) / sh) + 1, ow = ((w + (2 * pad) - kw) / sw) + 1;
            var expected = new sbyte[c * oh * ow];
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < oh * ow; p++)
                {
                    int best = int.MinValue;
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            int ih = ((p / ow) * sh) - pad + i, iw = ((p % ow) * sw) - pad + j;
                            if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                            {
                                best = Math.Max(best, x[((ch * h) + ih) * w + iw]);
                            }
                        }
                    }

                    expected[(ch * oh * ow) + p] = (sbyte)best;
                }
            }

            var y = new sbyte[c * oh * ow];
            QuantGenConvKernels.MaxPoolNhwc(ToHwc(x, c, h * w), c, h, w, kh, kw, sh, sw, pad, pad, oh, ow, y);
            Assert.Equal(expected, ToChw(y, oh * ow, c));
        }

        private static sbyte[] Operand(int length, int mode, Random rng)
        {
            var x = new sbyte[length];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MinValue, 3 => i % 2 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            return x;
        }

        /// <summary>The reference semantics (padding adds 0), int64 accumulation, NCHW out.</summary>
        private static sbyte[] Direct(sbyte[] x, int c, int h, int w, int[] wt, int n, int kh, int kw, int stride, int pad, int zx, Requant q, bool depthwise)
        {
            int oh = ((h + (2 * pad) - kh) / stride) + 1, ow = ((w + (2 * pad) - kw) / stride) + 1, positions = oh * ow;
            var y = new sbyte[n * positions];
            for (int o = 0; o < n; o++)
            {
                for (int p = 0; p < positions; p++)
                {
                    long a = q.Bias[o];
                    for (int ci = depthwise ? o : 0; ci < (depthwise ? o + 1 : c); ci++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int ih = ((p / ow) * stride) - pad + i, iw = ((p % ow) * stride) - pad + j;
                                if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                                {
                                    int wi = depthwise ? (o * kh * kw) + (i * kw) + j : ((((o * c) + ci) * kh) + i) * kw + j;
                                    a += (long)(x[((ci * h) + ih) * w + iw] - zx) * wt[wi];
                                }
                            }
                        }
                    }

                    long v = q.Zo + (((a * q.Mul[o]) + q.Round[o]) >> (int)q.Shift[o]);
                    y[(o * positions) + p] = (sbyte)Math.Clamp(v, -128, 127);
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

        private static sbyte[] ToChw(sbyte[] hwc, int positions, int c)
        {
            var chw = new sbyte[hwc.Length];
            QuantGenKernels.Transpose2D(hwc, positions, c, chw);
            return chw;
        }

        /// <summary>Per-channel requantization constants padded to 16 channels, zero point not folded.</summary>
        private sealed class Requant
        {
            public int[] Bias = Array.Empty<int>();
            public long[] Mul = Array.Empty<long>();
            public long[] Round = Array.Empty<long>();
            public long[] Shift = Array.Empty<long>();
            public long Zo;

            public static Requant Random(int n, Random rng)
            {
                int np = (n + 15) / 16 * 16;
                var q = new Requant { Bias = new int[np], Mul = new long[np], Round = new long[np], Shift = new long[np], Zo = rng.Next(-20, 20) };
                for (int o = 0; o < n; o++)
                {
                    q.Bias[o] = rng.Next(-100000, 100000);
                    q.Mul[o] = rng.Next(1 << 20, 1 << 30);
                    q.Shift[o] = rng.Next(30, 50);
                    q.Round[o] = 1L << ((int)q.Shift[o] - 1);
                }

                return q;
            }
        }
    }
}
