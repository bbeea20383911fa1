using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// A pointwise conv writing its depthwise consumer's padded u-image (CpuPlan.PaddedImages): QuantGenPointwiseKernels.GemmVnniHighImage
    /// (the GEMM rows stored at image rows pt.., column pl, as u = v ^ 0x80), QuantGenDepthwiseKernels.PadBorderU (every other byte of
    /// the [ph][pw][c] window zx ^ 0x80) and FlipImage, against the definition written here in int64: v = clamp(zo + ((acc * m +
    /// 2^(s - 1)) &gt;&gt; s), lo, hi), acc = bias + sum a w, at byte ((pt + y) * pw + pl + x) * c + o of the window. Every byte of the
    /// window is checked, and sentinel bytes after it must stay untouched. Shapes: the zoo's (DS-CNN's 25 x 5 with 64 channels, MobileNet's
    /// 24 x 24 .. 3 x 3 with 32..256) and odd ones (image rows of 1, 2, 3 and 7 pixels, so 4-row tiles cross image rows; 1 pixel;
    /// windows wider than the input on one side only), 32k channels (the packed tiles' store on AVX-512BW) and 16 / 48 channels
    /// (one GEMM per image row, then the xor), extreme operands, zero points at both ends, clamps inside int8.
    /// </summary>
    [Collection(StoreFormCollection.Name)]
    public class PadBorderProducerKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int, int, int>
        {
            // h, w, k, n, pt, pl, extra rows below, extra columns right, mode (0 random, 1 extremes 127 / -128, 2 all -128, 3 alternating)
            { 25, 5, 64, 64, 1, 1, 1, 1, 0 },
            { 25, 5, 64, 64, 1, 1, 1, 1, 1 },
            { 24, 24, 16, 32, 1, 1, 1, 1, 3 },
            { 24, 24, 32, 32, 1, 1, 0, 0, 2 },
            { 12, 12, 32, 64, 1, 1, 1, 1, 0 },
            { 12, 12, 64, 64, 1, 1, 0, 0, 1 },
            { 6, 6, 128, 128, 1, 1, 1, 1, 3 },
            { 3, 3, 128, 256, 1, 1, 1, 1, 0 },
            { 7, 1, 8, 32, 1, 1, 1, 1, 0 },
            { 5, 2, 12, 64, 0, 2, 2, 0, 3 },
            { 3, 3, 40, 96, 2, 0, 0, 3, 1 },
            { 4, 7, 4, 32, 1, 1, 1, 1, 2 },
            { 1, 1, 64, 32, 1, 1, 1, 1, 1 },
            { 2, 5, 20, 128, 0, 0, 0, 0, 0 },
            { 9, 3, 36, 32, 3, 1, 1, 2, 3 },
            // Not whole 32-channel blocks: one GEMM per image row, then the xor.
            { 5, 5, 8, 16, 1, 1, 1, 1, 0 },
            { 3, 7, 16, 48, 1, 1, 1, 1, 1 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void TheImageHoldsUOfEveryOutputAndTheBorderZxXor80(int h, int w, int k, int n, int pt, int pl, int below, int right, int mode)
        {
            foreach ((int zo, int zx, int lo, int hi) in new[] { (-128, -128, -128, 127), (127, 127, -128, 127), (3, -7, -100, 90) })
            {
                Check(h, w, k, n, pt, pl, pt + h + below, pl + w + right, mode, zo, zx, lo, hi);
            }
        }

        [Fact]
        public void PadBorderUWritesOnlyTheBorderAndRefusesAnInteriorOutsideTheWindow()
        {
            const int c = 8, h = 3, w = 4, pt = 1, pl = 2, ph = 6, pw = 7;
            var img = new sbyte[(ph * pw * c) + 9];
            Array.Fill(img, (sbyte)0x11);
            QuantGenDepthwiseKernels.PadBorderU(img, c, h, w, pt, pl, ph, pw, 5);
            for (int i = 0; i < img.Length; i++)
            {
                int r = i / (pw * c), x = i / c % pw;
                bool inside = i < ph * pw * c && r >= pt && r < pt + h && x >= pl && x < pl + w;
                Assert.Equal(i >= ph * pw * c || inside ? (sbyte)0x11 : unchecked((sbyte)(5 ^ 0x80)), img[i]);
            }

            Assert.Throws<ArgumentException>(() => QuantGenDepthwiseKernels.PadBorderU(img, c, h, w, pt, pl, pt + h - 1, pw, 5));
            Assert.Throws<ArgumentException>(() => QuantGenDepthwiseKernels.PadBorderU(img, c, h, w, pt, pl, ph, pl + w - 1, 5));
            Assert.Throws<ArgumentException>(() => QuantGenDepthwiseKernels.PadBorderU(img.AsSpan(0, (ph * pw * c) - 1), c, h, w, pt, pl, ph, pw, 5));
        }

        [Fact]
        public void FlipImageGivesTheImageOfX()
        {
            var src = new sbyte[77];
            new Random(3).NextBytes((byte[])(object)src);
            var dst = new sbyte[80];
            Array.Fill(dst, (sbyte)0x22);
            QuantGenDepthwiseKernels.FlipImage(src, dst, 77);
            for (int i = 0; i < 77; i++)
            {
                Assert.Equal((sbyte)(src[i] >= 0 ? src[i] - 128 : src[i] + 128), dst[i]);
            }

            Assert.Equal(new sbyte[] { 0x22, 0x22, 0x22 }, dst.AsSpan(77).ToArray());
        }

        private static void Check(int h, int w, int k, int n, int pt, int pl, int ph, int pw, int mode, int zo, int zx, int lo, int hi)
        {
            int rows = h * w;
            var rng = new Random((rows * 131) + (k * 7) + n + mode + zo);
            sbyte Value(int i) => mode switch
            {
                1 => (sbyte)(rng.Next(2) == 0 ? -128 : 127),
                2 => (sbyte)-128,
                3 => (sbyte)(i % 2 == 0 ? -128 : 127),
                _ => (sbyte)rng.Next(-128, 128),
            };

            var a = new sbyte[rows * k];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = Value(i);
            }

            var wt = new int[n * k];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : (i % 3 == 0 ? -128 : 127);
            }

            // Shifts from 33 to the top of the proof (t <= 30 with |2^(t - 1) + zo 2^t| < 2^30), multipliers up to 2^31 - 1.
            var bias = new long[n];
            var mul = new int[n];
            var shift = new int[n];
            int tMax = 22;
            for (int o = 0; o < n; o++)
            {
                bias[o] = rng.Next(-100000, 100000);
                mul[o] = o % 5 == 0 ? int.MaxValue : o % 5 == 1 ? 1 << 30 : rng.Next(1 << 28, int.MaxValue);
                shift[o] = 32 + (o % 3 == 0 ? 1 : o % 3 == 1 ? tMax : rng.Next(2, tMax));
            }

            // Build-time packing (CpuEmitter.EmitConvGemm): weights [kQuads][np8][4], bias - 128 * sum(w), constants np16 + 1 long.
            (sbyte[] rowsA, int aStride, sbyte[] packed, int kQuads, int np8, int[] biasU, int[] mulHi, int[] addHi, int[] shiftHi) =
                PointwiseGemmKernelTests.Pack(a, rows, k, wt, n, bias, mul, shift, zo);

            // The definition: the window's bytes.
            int window = ph * pw * n;
            var expected = new sbyte[window + 32];
            Array.Fill(expected, (sbyte)(zx ^ 0x80));
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < n; o++)
                {
                    long acc = bias[o];
                    for (int j = 0; j < k; j++)
                    {
                        acc += a[(r * k) + j] * wt[(o * k) + j];
                    }

                    Assert.InRange(acc, int.MinValue, int.MaxValue);
                    long v = Math.Clamp(zo + (((acc * mul[o]) + (1L << (shift[o] - 1))) >> shift[o]), lo, hi);
                    expected[((((pt + (r / w)) * pw) + pl + (r % w)) * n) + o] = (sbyte)(v ^ 0x80);
                }
            }

            for (int i = window; i < expected.Length; i++)
            {
                expected[i] = 0x5A;
            }

            var img = new sbyte[window + 32];
            Array.Fill(img, (sbyte)0x5A);
            int interior = ((pt * pw) + pl) * n, gap = (pw - w) * n;
            if (!AvxVnni.IsSupported)
            {
                Assert.Throws<PlatformNotSupportedException>(() => QuantGenPointwiseKernels.GemmVnniHighImage(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n,
                    ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref img[interior], n, w, gap));
                return;
            }

            foreach (bool zmm in new[] { false, true })
            {
                // Both forms of the 32-channel tiles' store (QuantGenPointwiseKernels.ZmmStore: ymm Row32 or zmm Pack4).
                Array.Fill(img, (sbyte)0x5A);
                bool was = QuantGenPointwiseKernels.ZmmStore;
                QuantGenPointwiseKernels.ZmmStore = zmm;
                try
                {
                    QuantGenPointwiseKernels.GemmVnniHighImage(ref rowsA[0], rows, aStride, ref packed[0], kQuads, np8, n, ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0],
                        lo, hi, ref img[interior], n, w, gap);
                }
                finally
                {
                    QuantGenPointwiseKernels.ZmmStore = was;
                }

                // The GEMM writes the interior only: every border byte still holds the sentinel.
                for (int i = 0; i < window; i++)
                {
                    int r = i / (pw * n), x = i / n % pw;
                    if (r < pt || r >= pt + h || x < pl || x >= pl + w)
                    {
                        Assert.Equal((sbyte)0x5A, img[i]);
                    }
                }

                QuantGenDepthwiseKernels.PadBorderU(img, n, h, w, pt, pl, ph, pw, (sbyte)zx);
                Assert.Equal(expected, img);
            }
        }
    }
}
