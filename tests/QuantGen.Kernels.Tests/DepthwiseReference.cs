using System;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// What the depthwise kernel tests share (DepthwiseVnniKernelTests, DepthwiseQuadRegsKernelTests): the operands of a case
    /// mode, a direct int64 depthwise convolution written from the definition, and the layout conversions.
    /// </summary>
    internal static class DepthwiseReference
    {
        /// <summary>Input [c][h][w] and weights [c][taps] of a case mode: 0 random, 1 all 127, 2 all -128, 3 alternating extremes.</summary>
        public static (sbyte[] X, int[] W) Operands(int c, int h, int w, int taps, int mode, Random rng)
        {
            sbyte[] x = new sbyte[c * h * w];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = mode switch { 1 => sbyte.MaxValue, 2 => sbyte.MinValue, 3 => i % 3 == 0 ? sbyte.MinValue : sbyte.MaxValue, _ => (sbyte)rng.Next(-128, 128) };
            }

            var wt = new int[c * taps];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode == 0 ? rng.Next(-128, 128) : mode == 1 ? 127 : mode == 2 ? -128 : (i % 2 == 0 ? -128 : 127);
            }

            return (x, wt);
        }

        /// <summary>The reference semantics (padding adds 0; pt / pl padded at the top / left), int64 accumulation, NCHW out.</summary>
        public static sbyte[] Direct(sbyte[] x, int c, int h, int w, int[] wt, int kh, int kw, int stride, int pt, int pl, int oh, int ow, int zx, DepthwiseConstants q, int lo, int hi)
        {
            int positions = oh * ow;
            var y = new sbyte[c * positions];
            for (int o = 0; o < c; o++)
            {
                for (int p = 0; p < positions; p++)
                {
                    long a = q.Bias[o];
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            int ih = ((p / ow) * stride) - pt + i, iw = ((p % ow) * stride) - pl + j;
                            if ((uint)ih < (uint)h && (uint)iw < (uint)w)
                            {
                                a += (long)(x[(((o * h) + ih) * w) + iw] - zx) * wt[(((o * kh) + i) * kw) + j];
                            }
                        }
                    }

                    long v = q.Zo + (((a * q.Mul[o]) + (1L << (q.Shift[o] - 1))) >> q.Shift[o]);
                    y[(o * positions) + p] = (sbyte)Math.Clamp(v, lo, hi);
                }
            }

            return y;
        }

        public static sbyte[] ToHwc(sbyte[] chw, int c, int positions)
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

        public static sbyte[] ToChw(sbyte[] hwc, int positions, int c)
        {
            var chw = new sbyte[hwc.Length];
            for (int p = 0; p < positions; p++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    chw[(ch * positions) + p] = hwc[(p * c) + ch];
                }
            }

            return chw;
        }
    }

    /// <summary>Per-channel bias, multiplier and shift (rounding 2^(shift - 1)), one output zero point.</summary>
    internal sealed class DepthwiseConstants
    {
        public DepthwiseConstants(int c, int zo)
        {
            Bias = new int[c];
            Mul = new int[c];
            Shift = new int[c];
            Zo = zo;
        }

        public int[] Bias { get; }

        public int[] Mul { get; }

        public int[] Shift { get; }

        public int Zo { get; }

        /// <summary>The multiply-high proof's conditions, written from its statement: s &gt;= 33, |2^(t-1) + zo 2^t| &lt; 2^30.</summary>
        public static bool HighApplies(int shift, int zo)
        {
            int t = shift - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + ((long)zo << t)) < (1L << 30);
        }

        /// <summary>trial 0 and 1: shifts 33..45 (the multiply-high form applies); 2: 20..32 (it does not); 3: mixed.</summary>
        public static DepthwiseConstants Random(int c, int zo, int trial, Random rng)
        {
            var q = new DepthwiseConstants(c, zo);
            for (int o = 0; o < c; o++)
            {
                q.Bias[o] = rng.Next(-100000, 100000);
                q.Mul[o] = rng.Next(1 << 30, int.MaxValue);
                q.Shift[o] = trial switch { 2 => rng.Next(20, 33), 3 => rng.Next(28, 46), _ => rng.Next(33, 46) };
            }

            return q;
        }
    }
}
