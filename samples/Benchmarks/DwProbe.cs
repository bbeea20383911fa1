using System;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `dw-probe`: the depthwise kernels against each other on DS-CNN's and MobileNet's depthwise shapes (3x3, pad 1),
    /// interleaved and best of 5 rounds of Stopwatch medians (<see cref="ConvProbe.Interleaved"/>), so that a loaded machine
    /// hits both alike: the int32 `DepthwiseNhwc` (zero-point padded image, the lane mode the emitter picks) against tap
    /// quads + vpdpbusd (`PadImageXor`, `TapQuads`, `DepthwiseVnniHigh`), each with its padding pass. Also checks that
    /// the two give the same bytes, and the int64-requantizing `DepthwiseVnni` the same bytes as the multiply-high form.
    /// </summary>
    public static class DwProbe
    {
        public static int Run()
        {
            if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                Console.WriteLine("dw-probe needs AVX-VNNI");
                return 1;
            }

            bool same = true;
            foreach ((int c, int h, int w, int s) in new[] { (64, 25, 5, 1), (8, 48, 48, 1), (16, 48, 48, 2), (32, 24, 24, 1), (32, 24, 24, 2), (64, 12, 12, 1), (128, 6, 6, 1), (256, 3, 3, 1) })
            {
                int oh = ((h + 2 - 3) / s) + 1, ow = ((w + 2 - 3) / s) + 1, ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3;
                const int zx = 3;
                var rng = new Random(2);
                var x = new sbyte[h * w * c];
                rng.NextBytes((byte[])(object)x);
                var wt = new int[c * 9];
                for (int i = 0; i < wt.Length; i++)
                {
                    wt[i] = rng.Next(-128, 128);
                }

                // The emitter's two packings: int32 [9][cp] per lane (lanes: a pixel's channels, or a stride-1 row when c % 16 != 0)
                // and tap quads [3][lp][4] per lane of an output row; biases folded for x - zx and for u = x + 128.
                bool rows = s == 1 && c % 16 != 0;
                int groups = rows ? 1 : ow, lanes = rows ? ow * c : c, groupStride = rows ? 0 : s * c, cp = (lanes + 15) / 16 * 16;
                int qLanes = ow * c, lp = ((qLanes + 15) / 16 * 16) + 16;
                var packed = new int[9 * cp];
                var bias = new int[cp];
                var mul = new long[cp];
                var round = new long[cp];
                var shift = new long[cp];
                for (int l = 0; l < lanes; l++)
                {
                    int sum = 0;
                    for (int t = 0; t < 9; t++)
                    {
                        packed[(t * cp) + l] = wt[((l % c) * 9) + t];
                        sum += wt[((l % c) * 9) + t];
                    }

                    bias[l] = -zx * sum;
                    mul[l] = 1 << 30;
                    shift[l] = 38;
                    round[l] = 1L << 37;
                }

                var quads = new sbyte[3 * lp * 4];
                var biasU = new int[lp + 1];
                var mulHi = new int[lp + 1];
                var addHi = new int[lp + 1];
                var shiftHi = new int[lp + 1];
                var mul64 = new long[lp + 1];
                var round64 = new long[lp + 1];
                var shift64 = new long[lp + 1];
                for (int l = 0; l < qLanes; l++)
                {
                    int ch = l % c, sum = 0;
                    for (int i = 0; i < 3; i++)
                    {
                        for (int j = 0; j < 3; j++)
                        {
                            quads[(((i * lp) + l) * 4) + j] = (sbyte)wt[(ch * 9) + (i * 3) + j];
                            sum += wt[(ch * 9) + (i * 3) + j];
                        }
                    }

                    biasU[l] = -(zx + 128) * sum;
                    mulHi[l] = 1 << 30;
                    addHi[l] = 1 << 5;
                    shiftHi[l] = 6;
                    mul64[l] = 1 << 30;
                    shift64[l] = 38;
                    round64[l] = 1L << 37;
                }

                var img = new sbyte[(ph * pw * c) + 16];
                var t4 = new sbyte[ph * lp * 4];
                var y = new sbyte[oh * ow * c];
                var y2 = new sbyte[oh * ow * c];
                var y3 = new sbyte[oh * ow * c];
                void Int32Lanes()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, 1, 1, ph, pw, zx, img);
                    QuantGenConvKernels.DepthwiseNhwc(img, pw, c, 3, 3, s, oh, groups, groupStride, lanes, ref packed[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y);
                }

                void Quads()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, w, 1, 1, ph, pw, zx, img, 0x80);
                    QuantGenDepthwiseKernels.TapQuads(img, pw, c, 3, s, ph, ow, t4, lp);
                    QuantGenDepthwiseKernels.DepthwiseVnniHigh(t4, lp, 3, s, oh, qLanes, ref quads[0], ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, y2);
                }

                void QuadsInt64()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, w, 1, 1, ph, pw, zx, img, 0x80);
                    QuantGenDepthwiseKernels.TapQuads(img, pw, c, 3, s, ph, ow, t4, lp);
                    QuantGenDepthwiseKernels.DepthwiseVnni(t4, lp, 3, s, oh, qLanes, ref quads[0], ref biasU[0], ref mul64[0], ref round64[0], ref shift64[0], 0, -128, 127, y3);
                }

                if (Environment.GetEnvironmentVariable("QUANTGEN_DW_PARTS") != null)
                {
                    (double pad, double tq) = ConvProbe.Interleaved(() => QuantGenConvKernels.PadImageXor(x, true, c, h, w, 1, 1, ph, pw, zx, img, 0x80), () => QuantGenDepthwiseKernels.TapQuads(img, pw, c, 3, s, ph, ow, t4, lp));
                    (double kern, _) = ConvProbe.Interleaved(() => QuantGenDepthwiseKernels.DepthwiseVnniHigh(t4, lp, 3, s, oh, qLanes, ref quads[0], ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, y2), () => { });
                    Console.WriteLine($"  parts: pad {pad:F2} us, tap quads {tq:F2} us, vpdpbusd kernel {kern:F2} us");
                }

                (double a, double b) = ConvProbe.Interleaved(Int32Lanes, Quads);
                (double d, _) = ConvProbe.Interleaved(QuadsInt64, Quads);
                Int32Lanes();
                Quads();
                QuadsInt64();
                bool eq = y.AsSpan().SequenceEqual(y2) && y3.AsSpan().SequenceEqual(y2);
                same &= eq;
                double macs = (double)oh * ow * c * 9;
                Console.WriteLine($"depthwise c {c,3} {h,2}x{w,-2} stride {s}: int32 lanes {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   tap quads {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s ({a / b:F2}x)   quads + int64 requant {d,8:F2} us   same bytes: {eq}");
            }

            return same ? 0 : 1;
        }
    }
}
