using System;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The 3x3 depthwise convolution with tap quads built in registers (QuantGenDepthwiseKernels.DepthwiseQuadRegs on the
    /// zero-point padded image, u = x + 128 formed in registers) against a direct int64 depthwise convolution written from the definition: 8 (vpermb),
    /// 16 (vpermt2b) and multiples of 32 channels (unpacks) on the vector path, 24 and 48 channels on the scalar loop; 1- and 2-pixel
    /// maps, odd widths (the last pixel of a stride-1 row without its pair), stride 2 on odd sizes, padding on every side
    /// separately, zero points at both ends, extreme operands, both requantization forms, clamps of a fused ReLU, and
    /// multiply-high constants at the edges of its proof. The packing repeats CpuEmitter.EmitDepthwiseQuadRegs.
    /// </summary>
    public class DepthwiseQuadRegsKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int, int, int, int>
        {
            // c, h, w, stride, pad top, bottom, left, right, mode (0 random, 1 all 127, 2 all -128, 3 alternating), seed
            { 64, 25, 5, 1, 1, 1, 1, 1, 0, 1 },
            { 64, 25, 5, 1, 1, 1, 1, 1, 1, 2 },
            { 16, 48, 48, 2, 0, 1, 0, 1, 3, 3 },
            { 16, 9, 7, 1, 1, 1, 1, 1, 0, 4 },
            { 32, 24, 24, 1, 1, 1, 1, 1, 2, 5 },
            { 32, 24, 24, 2, 1, 1, 1, 1, 0, 6 },
            { 64, 12, 12, 2, 0, 1, 0, 1, 0, 7 },
            { 128, 6, 6, 1, 1, 1, 1, 1, 3, 8 },
            { 128, 6, 6, 2, 0, 1, 0, 1, 1, 9 },
            { 256, 3, 3, 1, 1, 1, 1, 1, 0, 10 },
            { 96, 5, 7, 2, 1, 1, 1, 1, 0, 11 },
            { 32, 1, 1, 1, 1, 1, 1, 1, 0, 12 },
            { 16, 1, 1, 2, 1, 1, 1, 1, 2, 13 },
            { 64, 1, 2, 1, 1, 1, 1, 1, 3, 14 },
            { 32, 2, 2, 2, 1, 1, 1, 1, 0, 15 },
            { 32, 7, 5, 1, 2, 0, 0, 2, 0, 16 },
            { 16, 6, 9, 1, 0, 2, 2, 0, 0, 17 },
            { 64, 5, 5, 1, 0, 0, 0, 0, 0, 18 },
            { 32, 9, 11, 2, 2, 1, 0, 2, 3, 19 },
            { 8, 5, 6, 1, 1, 1, 1, 1, 0, 20 },
            { 8, 48, 48, 1, 1, 1, 1, 1, 0, 22 },
            { 8, 7, 9, 2, 1, 0, 0, 1, 3, 23 },
            { 8, 1, 1, 1, 1, 1, 1, 1, 1, 24 },
            { 8, 7, 9, 1, 1, 1, 1, 1, 0, 29 },
            { 8, 2, 3, 1, 1, 1, 1, 1, 2, 30 },
            { 8, 6, 5, 1, 1, 0, 1, 0, 3, 31 },
            { 8, 4, 4, 1, 0, 0, 0, 0, 1, 32 },
            { 24, 5, 5, 1, 1, 1, 1, 1, 0, 25 },
            { 48, 5, 6, 2, 1, 1, 1, 1, 0, 21 },
            { 96, 6, 7, 1, 1, 1, 1, 1, 1, 26 },
            { 64, 4, 4, 1, 0, 0, 0, 0, 2, 27 },
            { 32, 8, 3, 1, 1, 1, 0, 0, 3, 28 },
            // 16 channels at stride 2 in output row pairs: odd last row, odd last column, one row, one column.
            { 16, 9, 7, 2, 1, 1, 1, 1, 1, 33 },
            { 16, 10, 11, 2, 1, 0, 1, 0, 3, 34 },
            { 16, 3, 12, 2, 0, 1, 0, 1, 2, 35 },
            { 16, 12, 2, 2, 1, 1, 0, 1, 0, 36 },
            // 32k channels by output row pairs of one pixel (QuadRegs32Cols): stride 2 with odd output rows, stride 1's odd last column.
            { 64, 9, 9, 2, 1, 1, 1, 1, 3, 37 },
            { 32, 8, 7, 1, 1, 1, 1, 1, 1, 38 },
            { 96, 4, 11, 2, 0, 1, 0, 1, 2, 39 },
            // The columns walked down with the shared rows' quads carried: one stride-2 pair of one pixel, stride 1's odd
            // column over two pairs after the 2 x 2 blocks, all -128 and all 127.
            { 32, 4, 2, 2, 1, 0, 1, 0, 2, 48 },
            { 64, 4, 3, 1, 1, 1, 1, 1, 1, 49 },
            { 32, 13, 9, 1, 1, 1, 1, 1, 2, 50 },
            // Stride 1, 32k channels: every output column pair walked down one row at a time (QuadRegs32Down), even and odd
            // row counts, the odd last column alone, one row.
            { 32, 2, 3, 1, 1, 1, 1, 1, 3, 51 },
            { 64, 3, 4, 1, 1, 1, 1, 1, 0, 52 },
            { 96, 2, 7, 1, 0, 1, 1, 0, 1, 53 },
            // 16 channels, stride 2, padding at the top and left only (DepthwiseQuadRegs16S2: strips padded, the interior read
            // from x): MobileNet's 48x48, the smallest in-place grid (8x8), unequal sides, a bottom pad the window never reads;
            // sizes that are not multiples of 4 or below 8 take its fallback (the whole image padded).
            { 16, 48, 48, 2, 1, 0, 1, 0, 0, 40 },
            { 16, 48, 48, 2, 1, 0, 1, 0, 3, 41 },
            { 16, 8, 8, 2, 1, 0, 1, 0, 1, 42 },
            { 16, 12, 20, 2, 1, 1, 1, 1, 2, 43 },
            { 16, 24, 8, 2, 1, 0, 1, 0, 0, 44 },
            { 16, 10, 12, 2, 1, 0, 1, 0, 3, 45 },
            { 16, 4, 16, 2, 1, 0, 1, 0, 0, 46 },
            { 16, 2, 2, 2, 1, 0, 1, 0, 2, 47 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void RegisterQuadDepthwiseEqualsTheDirectConvolution(int c, int h, int w, int stride, int pt, int pb, int pl, int pr, int mode, int seed)
        {
            var rng = new Random(seed);
            for (int trial = 0; trial < 4; trial++)
            {
                (sbyte[] x, int[] wt) = DepthwiseReference.Operands(c, h, w, 9, mode, rng);

                int zx = trial switch { 0 => -128, 1 => 127, _ => rng.Next(-128, 128) };
                int zo = trial switch { 0 => 127, 1 => -128, _ => rng.Next(-20, 20) };
                var q = new DepthwiseConstants(c, zo);
                for (int o = 0; o < c; o++)
                {
                    q.Bias[o] = rng.Next(-100000, 100000);
                    q.Mul[o] = rng.Next(1 << 30, int.MaxValue);
                    // trials 0, 1: the multiply-high form applies (shift 33..45); 2: it does not (20..32); 3: mixed.
                    q.Shift[o] = trial switch { 2 => rng.Next(20, 33), 3 => rng.Next(28, 46), _ => rng.Next(33, 46) };
                }

                Check(x, c, h, w, wt, stride, pt, pb, pl, pr, zx, q, lo: trial == 3 ? 0 : -128, hi: 127);
            }
        }

        /// <summary>The multiply-high form at the edges of its proof, accumulators near +-2^30.</summary>
        [Theory]
        [InlineData(33, int.MaxValue, 0, 32)]
        [InlineData(33, 1 << 30, -128, 16)]
        [InlineData(33, int.MaxValue, 127, 64)]
        [InlineData(34, (1 << 30) + 12345, 127, 16)]
        [InlineData(50, int.MaxValue, 127, 128)]
        [InlineData(61, int.MaxValue, 0, 32)]
        [InlineData(52, 1 << 30, -128, 64)]
        public void MultiplyHighAtTheEdgesOfItsProof(int shift, int mul, int zo, int c)
        {
            const int h = 7, w = 9;
            var rng = new Random(shift + mul + zo + c);
            var q = new DepthwiseConstants(c, zo);
            for (int ch = 0; ch < c; ch++)
            {
                q.Mul[ch] = ch % 3 == 0 ? mul : rng.Next(1 << 30, int.MaxValue);
                q.Shift[ch] = shift;
                q.Bias[ch] = ch % 2 == 0 ? (1 << 30) : -(1 << 30);
            }

            Assert.True(DepthwiseConstants.HighApplies(shift, zo));
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

            Check(x, c, h, w, wt, 1, 1, 1, 1, 1, -3, q, lo: -128, hi: 127);
            Check(x, c, h, w, wt, 2, 1, 1, 1, 1, 5, q, lo: -100, hi: 100);
        }

        /// <summary>
        /// The multiply-high store clamps the packed bytes (a fused ReLU: lo = zo; ReLU6-like: hi well inside int8): the
        /// requantized values spread far past both ends of int8 and int16 (the packs saturate first), odd widths, both strides.
        /// </summary>
        [Theory]
        [InlineData(8, 1, -7, -7, 127)]
        [InlineData(8, 2, 3, 3, 90)]
        [InlineData(16, 1, -7, -7, 127)]
        [InlineData(16, 2, 0, -128, 6)]
        [InlineData(32, 1, 10, 10, 40)]
        [InlineData(32, 2, -128, -128, -1)]
        [InlineData(64, 1, 0, 0, 127)]
        [InlineData(64, 2, 5, -30, 30)]
        [InlineData(128, 2, -20, -20, 127)]
        public void MultiplyHighStoreClampsThePackedBytes(int c, int stride, int zo, int lo, int hi)
        {
            var rng = new Random((c * 7) + stride + lo + hi);
            var q = new DepthwiseConstants(c, zo);
            for (int ch = 0; ch < c; ch++)
            {
                q.Mul[ch] = rng.Next(1 << 30, int.MaxValue);
                q.Shift[ch] = rng.Next(33, 41);
                q.Bias[ch] = rng.Next(-(1 << 26), 1 << 26);
            }

            foreach ((int h, int w) in new[] { (5, 7), (6, 6), (1, 2), (2, 1), (9, 11) })
            {
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

                Check(x, c, h, w, wt, stride, 1, 1, 1, 1, rng.Next(-128, 128), q, lo, hi);
            }
        }

        [Fact]
        public void TheVectorPathCoversTheZooChannelCountsOnThisMachine()
        {
            // The channel order is a permutation of every block (each channel once).
            foreach (int c in new[] { 8, 16, 32, 64, 96, 128, 256 })
            {
                var seen = new bool[c];
                for (int l = 0; l < c; l++)
                {
                    seen[QuantGenDepthwiseKernels.QuadRegsChannel(c, l)] = true;
                }

                Assert.All(seen, Assert.True);
            }

            Assert.False(QuantGenDepthwiseKernels.QuadRegsVector(24, true));
            Assert.False(QuantGenDepthwiseKernels.QuadRegsVector(48, true));
            Assert.Equal(QuantGenKernels.UseVnni && System.Runtime.Intrinsics.X86.Avx2.IsSupported, QuantGenDepthwiseKernels.QuadRegsVector(64, true));
        }

        private static void Check(sbyte[] x, int c, int h, int w, int[] wt, int stride, int pt, int pb, int pl, int pr, int zx, DepthwiseConstants q, int lo, int hi)
        {
            int oh = ((h + pt + pb - 3) / stride) + 1, ow = ((w + pl + pr - 3) / stride) + 1, positions = oh * ow;
            sbyte[] expected = DepthwiseReference.Direct(x, c, h, w, wt, 3, 3, stride, pt, pl, oh, ow, zx, q, lo, hi);

            // Build-time packing (CpuEmitter.EmitDepthwiseQuadRegs): lanes in the kernel's order.
            int ph = ((oh - 1) * stride) + 3, pw = ((ow - 1) * stride) + 3;
            var quads = new sbyte[3 * 2 * c * 4];
            var bias = new int[c + 1];
            var mul = new long[c];
            var round = new long[c];
            var shift = new long[c];
            var mulHi = new int[c + 1];
            var addHi = new int[c + 1];
            var shiftHi = new int[c + 1];
            bool high = true;
            for (int l = 0; l < c; l++)
            {
                int ch = QuantGenDepthwiseKernels.QuadRegsChannel(c, l);
                long sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        int v = wt[(((ch * 3) + i) * 3) + j];
                        quads[(((i * 2 * c) + l) * 4) + j] = (sbyte)v;
                        quads[(((((i * 2) + 1) * c) + l) * 4) + j + 1] = (sbyte)v;
                        sum += v;
                    }
                }

                bias[l] = unchecked((int)(q.Bias[ch] - ((zx + 128) * sum)));
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
                // Bytes past the image that the quads' 4th pixel may read hold garbage: a zero weight must cancel them.
                var image = new sbyte[(ph * pw * c) + c + 32];
                new Random(c + ph).NextBytes((byte[])(object)image);
                QuantGenDepthwiseKernels.PadImageU(channelsLast ? DepthwiseReference.ToHwc(x, c, h * w) : x, channelsLast, c, h, w, pt, pl, ph, pw, (sbyte)zx, image);
                for (int r = 0; r < ph; r++)
                {
                    for (int col = 0; col < pw; col++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            // The padded image holds u = x + 128 (x inside the input, zx around it), as a byte: x ^ 0x80.
                            int ih = r - pt, iw = col - pl;
                            int v = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[(((ch * h) + ih) * w) + iw] : zx;
                            Assert.Equal(v + 128, (byte)image[(((r * pw) + col) * c) + ch]);
                        }
                    }
                }

                var y = new sbyte[positions * c];
                QuantGenDepthwiseKernels.DepthwiseQuadRegs(image, pw, c, stride, stride, oh, ow, ref quads[0], ref bias[0], false, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                    ref mul[0], ref round[0], ref shift[0], q.Zo, lo, hi, y);
                Assert.Equal(expected, DepthwiseReference.ToChw(y, positions, c));
                if (high)
                {
                    Array.Clear(y);
                    QuantGenDepthwiseKernels.DepthwiseQuadRegs(image, pw, c, stride, stride, oh, ow, ref quads[0], ref bias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                        ref mul[0], ref round[0], ref shift[0], 0, lo, hi, y);
                    Assert.Equal(expected, DepthwiseReference.ToChw(y, positions, c));
                }

                if (high && channelsLast && c == 16 && stride == 2 && pt == 1 && pl == 1 && ph == h + 1 && pw == w + 1)
                {
                    // The input alone, exactly h * w * c bytes (nothing past its last pixel may be read), and a scratch of garbage.
                    sbyte[] xs = DepthwiseReference.ToHwc(x, c, h * w);
                    Assert.Equal(h * w * c, xs.Length);
                    var scratch = new sbyte[((h + 1) * (w + 1) * c) + c + 32];
                    new Random(h + w).NextBytes((byte[])(object)scratch);
                    Array.Clear(y);
                    QuantGenDepthwiseKernels.DepthwiseQuadRegs16S2(xs, h, w, (sbyte)zx, scratch, ref quads[0], ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, y);
                    Assert.Equal(expected, DepthwiseReference.ToChw(y, positions, c));
                }
            }
        }
    }
}
