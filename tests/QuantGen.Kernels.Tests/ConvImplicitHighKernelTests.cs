using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The implicit im2col conv tiles with the int32 multiply-high requantization (<c>ConvGemmImplicitHigh</c>) against a
    /// direct convolution with the reference's int64 requantization written from the definition, and against the int64 form
    /// of the same tiles (<c>ConvGemmImplicit</c>): ResNet-8's 3x3 shapes (16/32/64 channels, stride 1 and 2), its RGB stem
    /// as a 4-channel image, 8-channel blocks (pairs of positions per register when n == 8), odd channel counts, tiles with
    /// positions left over, zero points at both ends, shifts at both ends of the proof (33 and 55), multipliers up to
    /// int.MaxValue and biases that drive the accumulators to +-2^30; the packed six-row store of whole 16-channel blocks
    /// (High6x16) with rows 16 and 48 bytes apart and the clamp inside int8; the deferred requantization of whole blocks
    /// (ImplicitBlock6x16's FlushHigh / FlushHighAdd) with passes of 96 rows and last passes of 1 to 64 rows; the 4-position x
    /// 32-channel tiles (<c>QuantGenPointwiseKernels.ConvImplicit32High</c>) on every shape of 32k channels. Run it with DOTNET_EnableAVX512=0
    /// DOTNET_EnableAVX512F=0 as well for the AVX2 + AVX-VNNI store; without AVX-VNNI the kernel is not taken (the test
    /// then checks only the proof's predicate).
    /// </summary>
    [Collection(StoreFormCollection.Name)]
    public class ConvImplicitHighKernelTests
    {
        public static TheoryData<int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int>
        {
            // c, h, w, n, stride, mode (0 random, 1 all 127 / weights -128, 2 all -128, 3 alternating extremes, 4 shift 33 and int.MaxValue)
            { 16, 32, 32, 16, 1, 0 },
            { 16, 32, 32, 32, 2, 0 },
            { 32, 16, 16, 32, 1, 0 },
            { 32, 16, 16, 64, 2, 3 },
            { 64, 8, 8, 64, 1, 0 },
            { 64, 8, 8, 64, 1, 4 },
            { 3, 32, 32, 16, 1, 0 },
            { 3, 32, 32, 16, 1, 2 },
            { 3, 9, 7, 8, 2, 1 },
            { 4, 5, 7, 8, 1, 3 },
            { 8, 6, 5, 24, 2, 4 },
            { 4, 3, 3, 40, 1, 1 },
            { 12, 1, 1, 16, 1, 3 },
            { 20, 7, 9, 17, 1, 0 },
            { 16, 10, 10, 16, 1, 4 },

            // The 4 x 32 tiles (ConvImplicit32High) with a last tile of 3, 2 and 1 positions (15, 6 and 9 positions), three
            // 32-channel blocks (96 channels) and the clamp inside int8.
            { 16, 3, 5, 32, 1, 3 },
            { 8, 6, 4, 96, 2, 4 },
            { 12, 5, 5, 64, 2, 0 },

            // 16 channels (rows 16 bytes apart: the packed store's 64 + 32-byte form) with the clamp inside int8 at both ends,
            // 100 positions (16 whole tiles and one of 4 rows), and 48 channels (three 16-channel blocks, rows 48 bytes apart).
            { 16, 10, 10, 16, 1, 3 },
            { 16, 9, 11, 48, 1, 3 },
            { 32, 7, 7, 48, 2, 0 },

            // 49 positions: eight whole tiles and one position left over (the single-row path, also for the fused Add).
            { 16, 7, 7, 16, 1, 1 },

            // The deferred requantization (16 tiles of accumulators per pass): 54 positions are one pass of 54 rows (13 x 4 rows
            // packed, 2 single), 45 positions one of 45 (1 single), 50 positions one of 50 (2 single rows 32 bytes apart); above,
            // 99 positions a pass of 96 and one of 3, 100 one of 96 and one of 4, 1024 ten of 96 and one of 64.
            { 16, 5, 9, 16, 1, 3 },
            { 16, 6, 9, 16, 1, 2 },
            { 16, 5, 10, 32, 1, 1 },
            { 16, 5, 10, 32, 1, 4 },

            // The passes' offsets, filled row run by row run: one-position rows (stride 1 and 2), 13-position rows that end
            // inside a pass of 96 (260 positions: 96, 96, 68), and 100-position rows longer than a pass.
            { 16, 40, 1, 16, 1, 0 },
            { 16, 33, 2, 32, 2, 3 },
            { 16, 20, 13, 16, 1, 0 },
            { 4, 2, 100, 16, 1, 4 },
            { 8, 3, 199, 16, 2, 1 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MultiplyHighTilesEqualTheDirectConvolution(int c, int h, int w, int n, int stride, int mode) => Check(c, h, w, n, stride, mode, 3, 3, 1);

        public static TheoryData<int, int, int, int, int, int, int, int, int> OneQuadRows => new TheoryData<int, int, int, int, int, int, int, int, int>
        {
            // c, h, w, n, stride, mode, kh, kw, pad: kernel rows of exactly one quad (kw * c == 4), the whole-block tiles' loop over
            // kernel rows alone: DS-CNN's 1-channel 10 x 4 stride-2 stem (64 channels), then 16 and 32 channels with extreme
            // operands, 2 channels x kw 2, 4 channels x kw 1.
            { 1, 49, 10, 64, 2, 0, 10, 4, 2 },
            { 1, 49, 10, 64, 2, 3, 10, 4, 2 },
            { 1, 49, 10, 64, 2, 4, 10, 4, 2 },
            { 1, 20, 9, 16, 2, 3, 10, 4, 1 },
            { 1, 13, 7, 32, 1, 4, 5, 4, 2 },
            { 2, 9, 8, 16, 1, 1, 3, 2, 1 },
            { 4, 7, 7, 16, 1, 2, 3, 1, 1 },
        };

        [Theory]
        [MemberData(nameof(OneQuadRows))]
        public void OneQuadKernelRowsEqualTheDirectConvolution(int c, int h, int w, int n, int stride, int mode, int kh, int kw, int pad) =>
            Check(c, h, w, n, stride, mode, kh, kw, pad);

        private static void Check(int c, int h, int w, int n, int stride, int mode, int kh, int kw, int pad)
        {
            var rng = new Random((c * 131) + (h * 17) + (n * 3) + stride + mode);
            var x = new sbyte[h * w * c];
            var wt = new int[n * c * kh * kw];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => 127, 2 => -128, 3 => (sbyte)(i % 2 == 0 ? 127 : -128), _ => (sbyte)rng.Next(-128, 128) };
            }

            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode switch { 1 or 2 => -128, 3 => i % 3 == 0 ? 127 : -128, _ => rng.Next(-128, 128) };
            }

            int zx = mode switch { 1 => -128, 2 => 127, 3 => -128, _ => rng.Next(-128, 128) };
            long zo = mode switch { 1 => 127, 2 => -128, _ => rng.Next(-128, 128) };
            var bias = new int[n];
            var mulI = new int[n];
            var shiftI = new int[n];
            for (int o = 0; o < n; o++)
            {
                bias[o] = mode >= 3 ? (o % 2 == 0 ? 1 << 30 : -(1 << 30)) : rng.Next(-(1 << 20), 1 << 20);
                mulI[o] = mode == 4 && o % 3 == 0 ? int.MaxValue : rng.Next(1 << 30, int.MaxValue);
                shiftI[o] = mode == 4 ? (o % 2 == 0 ? 33 : 55) : rng.Next(44, 53);
                if (!HighApplies(shiftI[o], zo))
                {
                    shiftI[o] = 33;
                }

                Assert.True(HighApplies(shiftI[o], zo));
            }

            int lo = mode == 3 ? -100 : -128, hi = mode == 3 ? 100 : 127;
            int oh = ((h + (2 * pad) - kh) / stride) + 1, ow = ((w + (2 * pad) - kw) / stride) + 1, positions = oh * ow;
            int ph = ((oh - 1) * stride) + kh, pw = ((ow - 1) * stride) + kw;

            // The direct convolution in int64 with the reference's requantization, channels-last output [positions][n].
            var expected = new sbyte[positions * n];
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    for (int o = 0; o < n; o++)
                    {
                        long acc = bias[o];
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int iy = (oy * stride) + i - pad, ix = (ox * stride) + j - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                {
                                    continue;
                                }

                                for (int ch = 0; ch < c; ch++)
                                {
                                    acc += (x[(((iy * w) + ix) * c) + ch] - (long)zx) * wt[((((o * c) + ch) * kh) + i) * kw + j];
                                }
                            }
                        }

                        Assert.InRange(acc, int.MinValue, int.MaxValue);
                        long v = zo + (((acc * mulI[o]) + (1L << (shiftI[o] - 1))) >> shiftI[o]);
                        expected[(((oy * ow) + ox) * n) + o] = (sbyte)Math.Clamp(v, lo, hi);
                    }
                }
            }

            if (mode == 0)
            {
                // Random operands land inside the clamp as well as on it (the test does not only see saturated bytes).
                Assert.Contains(expected, v => v > lo && v < hi);
                Assert.True(Array.FindAll(expected, v => v > lo && v < hi).Length > expected.Length / 4);
            }

            if (!AvxVnni.IsSupported)
            {
                return;
            }

            // Build-time packing (CpuEmitter.EmitConvGemm): a 3-channel input becomes a 4-channel image, taps
            // (i, j, channel) in quads [kQuads][np8][4], bias - (zx + 128) sum w, the constants of both requantizations.
            int cImg = c == 3 ? 4 : c, k = cImg * kh * kw, kQuads = k / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
            var blob = new sbyte[kQuads * np8 * 4];
            var biasU = new int[np16];
            var mul = new long[np16];
            var round = new long[np16];
            var shift = new long[np16];
            var mulHi = new int[np16 + 1];
            var addHi = new int[np16 + 1];
            var shiftHi = new int[np16 + 1];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int ch = 0; ch < c; ch++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            int v = wt[((((o * c) + ch) * kh) + i) * kw + j], t = (((i * kw) + j) * cImg) + ch;
                            blob[((((t / 4) * np8) + o) * 4) + (t % 4)] = (sbyte)v;
                            sum += v;
                        }
                    }
                }

                biasU[o] = unchecked((int)(bias[o] - ((zx + 128L) * sum)));
                int s = shiftI[o], tt = s - 32;
                mul[o] = mulI[o];
                shift[o] = s;
                round[o] = 1L << (s - 1);
                mulHi[o] = mulI[o];
                addHi[o] = checked((int)((1L << (tt - 1)) + (zo << tt)));
                shiftHi[o] = tt;
            }

            var image = new sbyte[(ph * pw * cImg) + 16];
            if (cImg == c)
            {
                QuantGenConvKernels.PadImageXor(x, true, c, h, w, pad, pad, ph, pw, (sbyte)zx, image, 0x80);
            }
            else
            {
                QuantGenConvKernels.PadImageWide(x, true, c, h, w, pad, pad, ph, pw, (sbyte)zx, image, 0x80, cImg);
            }

            var high = new sbyte[positions * n];
            QuantGenConvKernels.ConvGemmImplicitHigh(image, pw, cImg, kh, kw, stride, stride, oh, ow, ref blob[0], np8, n,
                ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref high[0], n);
            Assert.Equal(expected, high);

            if (n % 32 == 0 && QuantGenPointwiseKernels.Implicit32Vector)
            {
                // The 4-position x 32-channel tiles (plan.Tiles32), weights and constants as above (np8 >= n).
                foreach (bool zmm in new[] { false, true })
                {
                    // Both forms of the tiles' store (QuantGenPointwiseKernels.ZmmStore: ymm Row32 or zmm Pack4).
                    var tiles32 = new sbyte[positions * n];
                    bool was = QuantGenPointwiseKernels.ZmmStore;
                    QuantGenPointwiseKernels.ZmmStore = zmm;
                    try
                    {
                        QuantGenPointwiseKernels.ConvImplicit32High(image, pw, cImg, kh, kw, stride, stride, oh, ow, ref blob[0], np8, n,
                            ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref tiles32[0], n);
                    }
                    finally
                    {
                        QuantGenPointwiseKernels.ZmmStore = was;
                    }

                    Assert.Equal(expected, tiles32);
                }
            }

            // The int64 form of the same tiles gives the same bytes (the zero point added by the kernel, not folded).
            var wide = new sbyte[positions * n];
            QuantGenConvKernels.ConvGemmImplicit(image, pw, cImg, kh, kw, stride, stride, oh, ow, ref blob[0], np8, n,
                ref biasU[0], ref mul[0], ref round[0], ref shift[0], zo, lo, hi, ref wide[0], n);
            Assert.Equal(expected, wide);

            if (n % 16 == 0)
            {
                FusedAddEqualsConvThenAdd(expected, image, pw, cImg, kh, kw, stride, oh, ow, blob, n, biasU, mulHi, addHi, shiftHi, lo, hi, mode, rng);
            }
        }

        /// <summary>
        /// The residual Add fused into the tiles' store (<c>ConvGemmImplicitHighAdd</c>) against the two-step definition: the
        /// conv's int8 bytes (expected, from the direct convolution above), then the reference's Add written here in int64,
        /// y = clamp(zy + RoundShift((v - zv) Mv + (o - zo) Mo, s), lo, hi), the other operand o at both ends or random, zero
        /// points at both ends, a fused ReLU's clamp (lo = the zero point), a negative multiplier (Sub) and multipliers at the
        /// edge of the int32 proof (restated here: the four corners of the pre-shift value within int32).
        /// </summary>
        private static void FusedAddEqualsConvThenAdd(sbyte[] conv, sbyte[] image, int pw, int cImg, int kh, int kw, int stride, int oh, int ow, sbyte[] blob, int n, int[] biasU,
            int[] mulHi, int[] addHi, int[] shiftHi, int lo, int hi, int mode, Random rng)
        {
            int positions = oh * ow;
            var other = new sbyte[positions * n];
            for (int i = 0; i < other.Length; i++)
            {
                other[i] = mode switch { 1 => -128, 2 => 127, 3 => (sbyte)(i % 3 == 0 ? 127 : -128), _ => (sbyte)rng.Next(-128, 128) };
            }

            long zv = mode switch { 1 => 127, 2 => -128, _ => rng.Next(-128, 128) };
            long zo = mode switch { 1 => -128, 2 => 127, _ => rng.Next(-128, 128) };
            long zy = mode switch { 1 => 127, 2 => -128, 3 => -128, _ => rng.Next(-128, 128) };
            int s = mode switch { 1 => 22, 2 => 0, 3 => 17, 4 => 21, _ => rng.Next(14, 22) };
            long mv, mo;
            if (mode == 2)
            {
                (mv, mo) = (1, -1); // shift 0: a Sub with unit multipliers
            }
            else
            {
                // The largest multipliers whose corners stay within int32 (mode 1 and 4 at the edge, others below it).
                long k = (s == 0 ? 0 : 1L << (s - 1)) + (zy << s);
                long room = int.MaxValue - Math.Abs(k);
                long edge = room / (255 + 255 + 1);
                mv = mode is 1 or 4 ? edge : rng.Next(1, (int)Math.Min(edge, int.MaxValue));
                mo = mode is 1 or 4 ? -edge : rng.Next(1, (int)Math.Min(edge, int.MaxValue));
            }

            long kk = (s == 0 ? 0 : 1L << (s - 1)) + (zy << s);
            bool fits = true;
            foreach (long qa in new long[] { -128, 127 })
            {
                foreach (long qb in new long[] { -128, 127 })
                {
                    long pre = ((qa - zv) * mv) + ((qb - zo) * mo) + kk;
                    fits &= pre >= int.MinValue && pre <= int.MaxValue;
                }
            }

            Assert.True(fits); // what AddLowering.AddInt8 proves before it plans the int32 form

            int alo = mode == 3 ? (int)Math.Max(-128, zy) : -128, ahi = 127; // mode 3: a fused ReLU's clamp
            var expected = new sbyte[positions * n];
            for (int i = 0; i < expected.Length; i++)
            {
                long pre = ((conv[i] - zv) * mv) + ((other[i] - zo) * mo);
                long v = zy + (s == 0 ? pre : (pre + (1L << (s - 1))) >> s);
                expected[i] = (sbyte)Math.Clamp(v, alo, ahi);
            }

            // The two-step path the generated code takes without AVX-512BW: the conv's bytes, then QuantGenKernels.AddS8, with the
            // build-time constant c = 2^(s - 1) + zy 2^s - zv Mv - zo Mo (AddLowering.AddInt8).
            int c = unchecked((int)(kk - (zv * mv) - (zo * mo)));
            var twoStep = new sbyte[positions * n];
            QuantGenKernels.AddS8(conv, (int)mv, other, (int)mo, c, s, alo, ahi, twoStep);
            Assert.Equal(expected, twoStep);
            if (!QuantGenConvKernels.FusedAddVector)
            {
                return;
            }

            var fused = new sbyte[positions * n];
            QuantGenConvKernels.ConvGemmImplicitHighAdd(image, pw, cImg, kh, kw, stride, stride, oh, ow, ref blob[0], n,
                ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, other, (int)mv, (int)mo, c, s, alo, ahi, fused);
            Assert.Equal(expected, fused);
        }

        [Fact]
        public void TheProofsPredicateHasItsEdges()
        {
            Assert.True(HighApplies(33, 0));
            Assert.True(HighApplies(33, -128));
            Assert.True(HighApplies(55, 127));
            Assert.False(HighApplies(56, 127));
            Assert.False(HighApplies(32, 0));
            Assert.False(HighApplies(63, 0));
        }

        /// <summary>Conv2dLowering.MulHighApplies, restated: t = s - 32 in [1, 30] and |2^(t - 1) + zo 2^t| &lt; 2^30.</summary>
        private static bool HighApplies(int s, long zo)
        {
            int t = s - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + (zo << t)) < (1L << 30);
        }
    }
}
