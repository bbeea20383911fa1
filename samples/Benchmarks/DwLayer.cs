using System;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// One depthwise layer (3x3, channels-last int8 input, pad pt at the top / left and 1 at the bottom / right) packed the
    /// ways the emitter packs it, for the probes `dw-probe` and `dw-regs`: the int32 lanes of `DepthwiseNhwc` (a pixel's
    /// channels, or a stride-1 output row when c % 16 != 0), the tap-quad buffer of `DepthwiseVnni` / `DepthwiseVnniHigh`
    /// ([3][lp][4] per lane of an output row) and the register quads of `DepthwiseQuadRegs` ([3][2][c][4] in its lane order),
    /// biases folded for x - zx and for u = x + 128, the requantization 2^30 / 2^38 (multiply-high: t = 6). Every form
    /// includes its padding pass.
    /// </summary>
    internal sealed class DwLayer
    {
        private const int Zx = 3;
        private readonly sbyte[] x;
        private readonly int groups, lanes, groupStride, cp, qLanes, lp;
        private readonly int[] packed, bias;
        private readonly long[] mul, round, shift;
        private readonly sbyte[] quads, rq, img, t4;
        private readonly int[] biasU, mulHi, addHi, shiftHi, rBias, rMulHi, rAddHi, rShiftHi;
        private readonly long[] mul64, round64, shift64;

        public DwLayer(int c, int h, int w, int s, int pt)
        {
            (C, H, W, S, Pt) = (c, h, w, s, pt);
            Oh = ((h + pt + 1 - 3) / s) + 1;
            Ow = ((w + pt + 1 - 3) / s) + 1;
            Ph = ((Oh - 1) * s) + 3;
            Pw = ((Ow - 1) * s) + 3;
            Macs = (double)Oh * Ow * c * 9;
            var rng = new Random(2);
            x = new sbyte[h * w * c];
            rng.NextBytes((byte[])(object)x);
            var wt = new int[c * 9];
            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = rng.Next(-128, 128);
            }

            bool rows = s == 1 && c % 16 != 0;
            groups = rows ? 1 : Ow;
            lanes = rows ? Ow * c : c;
            groupStride = rows ? 0 : s * c;
            cp = (lanes + 15) / 16 * 16;
            packed = new int[9 * cp];
            bias = new int[cp];
            mul = new long[cp];
            round = new long[cp];
            shift = new long[cp];
            for (int l = 0; l < lanes; l++)
            {
                int sum = 0;
                for (int t = 0; t < 9; t++)
                {
                    packed[(t * cp) + l] = wt[((l % c) * 9) + t];
                    sum += wt[((l % c) * 9) + t];
                }

                bias[l] = -Zx * sum;
                mul[l] = 1 << 30;
                shift[l] = 38;
                round[l] = 1L << 37;
            }

            qLanes = Ow * c;
            lp = ((qLanes + 15) / 16 * 16) + 16;
            quads = new sbyte[3 * lp * 4];
            biasU = new int[lp + 1];
            mulHi = new int[lp + 1];
            addHi = new int[lp + 1];
            shiftHi = new int[lp + 1];
            mul64 = new long[lp + 1];
            round64 = new long[lp + 1];
            shift64 = new long[lp + 1];
            for (int l = 0; l < qLanes; l++)
            {
                int ch = l % c, sum = 0;
                for (int t = 0; t < 9; t++)
                {
                    quads[((((t / 3) * lp) + l) * 4) + (t % 3)] = (sbyte)wt[(ch * 9) + t];
                    sum += wt[(ch * 9) + t];
                }

                biasU[l] = -(Zx + 128) * sum;
                (mulHi[l], addHi[l], shiftHi[l]) = (1 << 30, 1 << 5, 6);
                (mul64[l], round64[l], shift64[l]) = (1 << 30, 1L << 37, 38);
            }

            rq = new sbyte[3 * 2 * c * 4];
            rBias = new int[c + 1];
            rMulHi = new int[c + 1];
            rAddHi = new int[c + 1];
            rShiftHi = new int[c + 1];
            for (int l = 0; l < c; l++)
            {
                int ch = QuantGenDepthwiseKernels.QuadRegsChannel(c, l), sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        rq[(((i * 2 * c) + l) * 4) + j] = (sbyte)wt[(ch * 9) + (i * 3) + j];
                        rq[(((((i * 2) + 1) * c) + l) * 4) + j + 1] = (sbyte)wt[(ch * 9) + (i * 3) + j];
                        sum += wt[(ch * 9) + (i * 3) + j];
                    }
                }

                rBias[l] = -(Zx + 128) * sum;
                (rMulHi[l], rAddHi[l], rShiftHi[l]) = (1 << 30, 1 << 5, 6);
            }

            img = new sbyte[(Ph * Pw * c) + c + 32];
            t4 = new sbyte[Ph * lp * 4];
        }

        /// <summary>The shapes of DS-CNN's and MobileNet's depthwise layers (c, h, w, stride).</summary>
        public static (int C, int H, int W, int S)[] Shapes { get; } =
        {
            (64, 25, 5, 1), (8, 48, 48, 1), (16, 48, 48, 2), (32, 24, 24, 1), (32, 24, 24, 2), (64, 12, 12, 1), (64, 12, 12, 2), (128, 6, 6, 1), (128, 6, 6, 2), (256, 3, 3, 1),
        };

        /// <summary>
        /// <see cref="Shapes"/>, or the shapes QUANTGEN_DW_SHAPES names ("c,h,w,s;c,h,w,s") to narrow a probe's run.
        /// </summary>
        public static (int C, int H, int W, int S)[] SelectedShapes()
        {
            string? only = Environment.GetEnvironmentVariable("QUANTGEN_DW_SHAPES");
            return only is null ? Shapes : Array.ConvertAll(only.Split(';'), t =>
            {
                int[] v = Array.ConvertAll(t.Split(','), int.Parse);
                return (v[0], v[1], v[2], v[3]);
            });
        }

        public int C { get; }

        public int H { get; }

        public int W { get; }

        public int S { get; }

        public int Pt { get; }

        public int Oh { get; }

        public int Ow { get; }

        public int Ph { get; }

        public int Pw { get; }

        public double Macs { get; }

        public sbyte[] NewOutput() => new sbyte[Oh * Ow * C];

        public void Pad() => QuantGenConvKernels.PadImage(x, true, C, H, W, Pt, Pt, Ph, Pw, Zx, img);

        public void PadU() => QuantGenDepthwiseKernels.PadImageU(x, true, C, H, W, Pt, Pt, Ph, Pw, Zx, img);

        public void PadXor() => QuantGenConvKernels.PadImageXor(x, true, C, H, W, Pt, Pt, Ph, Pw, Zx, img, 0x80);

        /// <summary>The int32-lane kernel alone (on the image of <see cref="Pad"/>).</summary>
        public void Int32Kernel(sbyte[] y) =>
            QuantGenConvKernels.DepthwiseNhwc(img, Pw, C, 3, 3, S, Oh, groups, groupStride, lanes, ref packed[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y);

        /// <summary>The register-quad kernel alone (on the image of <see cref="PadXor"/>: u = x + 128), multiply-high.</summary>
        public void RegsKernel(sbyte[] y) =>
            QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, Pw, C, S, S, Oh, Ow, ref rq[0], ref rBias[0], true, ref rMulHi[0], ref rAddHi[0], ref rShiftHi[0],
                ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), 0, -128, 127, y);

        /// <summary>The register-quad kernel alone on the first oh x ow outputs (the parts of a layer: `dw-split`).</summary>
        public void RegsKernelPart(int oh, int ow, sbyte[] y) =>
            QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, Pw, C, S, S, oh, ow, ref rq[0], ref rBias[0], true, ref rMulHi[0], ref rAddHi[0], ref rShiftHi[0],
                ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), 0, -128, 127, y);

        /// <summary>The tap quads alone (from the image of <see cref="PadXor"/>).</summary>
        public void TapQuads() => QuantGenDepthwiseKernels.TapQuads(img, Pw, C, 3, S, Ph, Ow, t4, lp);

        /// <summary>The tap-quad kernel alone (on the quads of <see cref="TapQuads"/>): multiply-high or int64 requantization.</summary>
        public void QuadKernel(bool high, sbyte[] y)
        {
            if (high)
            {
                QuantGenDepthwiseKernels.DepthwiseVnniHigh(t4, lp, 3, S, Oh, qLanes, ref quads[0], ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, y);
            }
            else
            {
                QuantGenDepthwiseKernels.DepthwiseVnni(t4, lp, 3, S, Oh, qLanes, ref quads[0], ref biasU[0], ref mul64[0], ref round64[0], ref shift64[0], 0, -128, 127, y);
            }
        }

        /// <summary>The current kernels with their padding pass, as the plan calls them (16 channels at stride 2 from 24x24: in place).</summary>
        public void Plan(sbyte[] y)
        {
            if (C == 16 && S == 2 && QuantGenDepthwiseKernels.Direct16S2(H, W) && H >= 24 && W >= 24)
            {
                RegsDirect(y);
                return;
            }

            Regs(y);
        }

        /// <summary>16 channels, stride 2, padding 1 top / left only: DepthwiseQuadRegs16S2 (no whole-image padding pass).</summary>
        public void RegsDirect(sbyte[] y) =>
            QuantGenDepthwiseKernels.DepthwiseQuadRegs16S2(x, H, W, Zx, img, ref rq[0], ref rBias[0], ref rMulHi[0], ref rAddHi[0], ref rShiftHi[0], -128, 127, y);

        /// <summary>Padding + int32 lanes.</summary>
        public void Int32Lanes(sbyte[] y)
        {
            Pad();
            Int32Kernel(y);
        }

        /// <summary>Padding (u = x + 128, PadImageU) + register quads.</summary>
        public void Regs(sbyte[] y)
        {
            PadU();
            RegsKernel(y);
        }

        /// <summary>Padding (u = x + 128) + tap-quad buffer + its kernel.</summary>
        public void QuadBuffer(bool high, sbyte[] y)
        {
            PadXor();
            TapQuads();
            QuadKernel(high, y);
        }
    }
}
