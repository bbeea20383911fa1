using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The AVX-VNNI convolution (quad planes -> im2col -> vpdpbusd tiles -> requantization) against a direct int64
    /// convolution written from the definition, on odd channel counts, 1x1 / 3x3 / strided / padded windows, position
    /// counts that leave 8- and 32-position tails, and adversarial operands (all 127, all -128, alternating). The packing
    /// of the weights and the folded bias repeat what CpuEmitter.EmitConv2dVnni does at build time.
    /// </summary>
    public class ConvVnniKernelTests
    {
        public static TheoryData<int, int, int, int, int, int, int, int> Shapes => new TheoryData<int, int, int, int, int, int, int, int>
        {
            // c, h, w, outC, k, stride, pad, mode (0 random, 1 all 127, 2 all -128, 3 alternating extremes)
            { 16, 32, 32, 16, 3, 1, 1, 0 },
            { 3, 9, 8, 6, 3, 2, 1, 0 },
            { 5, 7, 11, 7, 3, 1, 1, 1 },
            { 5, 7, 11, 7, 3, 1, 1, 2 },
            { 13, 6, 6, 9, 1, 1, 0, 3 },
            { 8, 12, 12, 33, 1, 2, 0, 0 },
            { 1, 49, 10, 8, 4, 2, 2, 0 },
            { 64, 3, 3, 12, 1, 1, 0, 2 },
            { 7, 5, 5, 5, 3, 2, 0, 3 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void ConvGemmVnniEqualsTheDirectConvolution(int c, int h, int w, int outC, int k, int stride, int pad, int mode)
        {
            if (!AvxVnni.IsSupported)
            {
                return;
            }

            var rng = new Random((c * 31) + (h * 7) + outC + mode);
            sbyte Value(int i) => mode switch
            {
                1 => sbyte.MaxValue,
                2 => sbyte.MinValue,
                3 => i % 2 == 0 ? sbyte.MinValue : sbyte.MaxValue,
                _ => (sbyte)rng.Next(-128, 128),
            };
            var x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = Value(i);
            }

            var wt = new int[outC * c * k * k];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : mode == 1 ? -128 : mode == 2 ? -128 : (i % 3 == 0 ? 127 : -128);
            }

            int zx = mode == 0 ? rng.Next(-128, 128) : mode == 2 ? 127 : -128, zo = rng.Next(-20, 20);
            int oh = ((h + (2 * pad) - k) / stride) + 1, ow = ((w + (2 * pad) - k) / stride) + 1, positions = oh * ow;
            var bias = new int[outC];
            var mul = new int[outC];
            var shift = new byte[outC];
            for (int o = 0; o < outC; o++)
            {
                bias[o] = rng.Next(-100000, 100000);
                mul[o] = rng.Next(1 << 20, 1 << 30);
                shift[o] = (byte)rng.Next(36, 50);
            }

            // Expected: the reference semantics (padding adds 0), int64 accumulation.
            var expected = new sbyte[outC * positions];
            for (int o = 0; o < outC; o++)
            {
                for (int p = 0; p < positions; p++)
                {
                    long a = bias[o];
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < k; i++)
                        {
                            for (int j = 0; j < k; j++)
                            {
                                int ih = ((p / ow) * stride) - pad + i, iw = ((p % ow) * stride) - pad + j;
                                if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                                {
                                    a += (long)(x[((ci * h) + ih) * w + iw] - zx) * wt[((((o * c) + ci) * k) + i) * k + j];
                                }
                            }
                        }
                    }

                    long round = 1L << (shift[o] - 1);
                    long v = zo + (((a * mul[o]) + round) >> shift[o]);
                    expected[(o * positions) + p] = (sbyte)Math.Clamp(v, -128, 127);
                }
            }

            // Build-time packing (CpuEmitter.EmitConv2dVnni).
            int cq = (c + 3) / 4, kq = k * k * cq, pp = (positions + 7) / 8 * 8;
            var packed = new int[outC * kq];
            var folded = new int[outC];
            for (int o = 0; o < outC; o++)
            {
                long sum = 0;
                for (int i = 0; i < k; i++)
                {
                    for (int j = 0; j < k; j++)
                    {
                        for (int q = 0; q < cq; q++)
                        {
                            uint quad = 0;
                            for (int b = 0; b < 4 && (4 * q) + b < c; b++)
                            {
                                int v = wt[((((o * c) + (4 * q) + b) * k) + i) * k + j];
                                sum += v;
                                quad |= (uint)(byte)(sbyte)v << (8 * b);
                            }

                            packed[(o * kq) + (((i * k) + j) * cq) + q] = unchecked((int)quad);
                        }
                    }
                }

                folded[o] = unchecked((int)(bias[o] - ((zx + 128L) * sum)));
            }

            int ph = ((oh - 1) * stride) + k, pw = ((ow - 1) * stride) + k;
            var planes = new int[cq * ph * pw];
            var col = new int[kq * pp];
            var acc = new int[32 * outC];
            var y = new sbyte[outC * positions];
            QuantGenConvKernels.PackQuadPlanes(x, 0, c, h, w, pad, pad, ph, pw, zx, planes, ph * pw);
            QuantGenConvKernels.Im2ColQuads(planes, cq, ph * pw, pw, k, k, stride, stride, oh, ow, col, pp);
            QuantGenConvKernels.ConvGemmVnni(ref col[0], pp, positions, kq, ref packed[0], outC, ref folded[0], ref mul[0], ref shift[0], zo, -128, 127, ref y[0], acc);
            Assert.Equal(expected, y);
        }

        [Theory]
        [InlineData(8, 48, 48, 3, 1, 1, 0)]
        [InlineData(5, 9, 7, 3, 2, 1, 1)]
        [InlineData(3, 25, 5, 3, 1, 1, 2)]
        [InlineData(4, 6, 6, 3, 2, 0, 3)]
        [InlineData(2, 17, 19, 5, 2, 2, 0)]
        public void DepthwiseEqualsTheDirectConvolution(int c, int h, int w, int k, int stride, int pad, int mode)
        {
            var rng = new Random((c * 17) + h + mode);
            var x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MinValue, 3 => i % 2 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            var wt = new int[c * k * k];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : (i % 2 == 0 ? -128 : 127);
            }

            int zx = mode == 1 ? -128 : mode == 2 ? 127 : rng.Next(-128, 128), zo = rng.Next(-20, 20);
            int oh = ((h + (2 * pad) - k) / stride) + 1, ow = ((w + (2 * pad) - k) / stride) + 1;
            var bias = new int[c];
            var mul = new int[c];
            var shift = new byte[c];
            var expected = new sbyte[c * oh * ow];
            for (int ch = 0; ch < c; ch++)
            {
                bias[ch] = rng.Next(-100000, 100000);
                mul[ch] = rng.Next(1 << 20, 1 << 30);
                shift[ch] = (byte)rng.Next(30, 44);
                for (int p = 0; p < oh * ow; p++)
                {
                    long a = bias[ch];
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = ((p / ow) * stride) - pad + i, iw = ((p % ow) * stride) - pad + j;
                            if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                            {
                                a += (long)(x[((ch * h) + ih) * w + iw] - zx) * wt[(ch * k * k) + (i * k) + j];
                            }
                        }
                    }

                    long v = zo + (((a * mul[ch]) + (1L << (shift[ch] - 1))) >> shift[ch]);
                    expected[(ch * oh * ow) + p] = (sbyte)Math.Clamp(v, -128, 127);
                }
            }

            int owp = (ow + 15) / 16 * 16, ph = ((oh - 1) * stride) + k;
            var plane = new short[stride * ph * (owp + k)];
            var acc = new int[(oh * ow) + owp];
            var y = new sbyte[c * oh * ow];
            QuantGenConvKernels.DepthwiseS8(x, c, h, w, k, k, stride, stride, pad, pad, oh, ow, zx, ref wt[0], ref bias[0], ref mul[0], ref shift[0], zo, -128, 127, y, plane, acc);
            Assert.Equal(expected, y);
        }
    }
}
