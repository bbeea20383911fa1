using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `dw-regs`: the depthwise kernels on DS-CNN's and MobileNet's depthwise shapes (3x3, pad 1; MobileNet's stride-2
    /// layers padded bottom/right only, as its ONNX file does) in one process, A/B interleaved: the int32-lane
    /// `DepthwiseNhwc` (zero-point padded image, the emitter's lane mode), the tap quads built in registers
    /// (`PadImage` + `DepthwiseQuadRegs`, u = x + 128 in registers, multiply-high requantization) and, for 8 channels, the tap-quad buffer
    /// (`TapQuads` + `DepthwiseVnniHigh`, what the plan took there before). Each alternative with its padding pass.
    /// Two measures: best of 5 interleaved Stopwatch medians, and process CPU time per call over interleaved 20 ms
    /// slices (10 slices each; less disturbed by other processes). Checks that all give the same bytes.
    /// </summary>
    public static class DwRegsProbe
    {
        public static int Run()
        {
            if (!QuantGenDepthwiseKernels.QuadRegsVector(64, true))
            {
                Console.WriteLine("dw-regs needs AVX-VNNI on .NET 10 and AVX2");
                return 1;
            }

            bool same = true;
            foreach ((int c, int h, int w, int s) in new[] { (64, 25, 5, 1), (8, 48, 48, 1), (16, 48, 48, 2), (32, 24, 24, 1), (32, 24, 24, 2), (64, 12, 12, 1), (64, 12, 12, 2), (128, 6, 6, 1), (128, 6, 6, 2), (256, 3, 3, 1) })
            {
                int pt = s == 1 ? 1 : 0, pb = 1;
                int oh = ((h + pt + pb - 3) / s) + 1, ow = ((w + pt + pb - 3) / s) + 1, ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3;
                const int zx = 3;
                var rng = new Random(2);
                var x = new sbyte[h * w * c];
                rng.NextBytes((byte[])(object)x);
                var wt = new int[c * 9];
                for (int i = 0; i < wt.Length; i++)
                {
                    wt[i] = rng.Next(-128, 128);
                }

                // The int32 lanes as the emitter packs them (a pixel's channels, or a stride-1 row when c % 16 != 0).
                bool rows = s == 1 && c % 16 != 0;
                int groups = rows ? 1 : ow, lanes = rows ? ow * c : c, groupStride = rows ? 0 : s * c, cp = (lanes + 15) / 16 * 16;
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

                // Tap quads in registers ([3][2][c][4], the kernel's lane order).
                var rq = new sbyte[3 * 2 * c * 4];
                var rBias = new int[c + 1];
                var mulHi = new int[c + 1];
                var addHi = new int[c + 1];
                var shiftHi = new int[c + 1];
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

                    rBias[l] = -(zx + 128) * sum;
                    mulHi[l] = 1 << 30;
                    addHi[l] = 1 << 5;
                    shiftHi[l] = 6;
                }

                // The tap-quad buffer (8 channels only, stride 1: what the plan took before).
                int qLanes = ow * c, lp = ((qLanes + 15) / 16 * 16) + 16;
                var quads = new sbyte[3 * lp * 4];
                var qBias = new int[lp + 1];
                var qMulHi = new int[lp + 1];
                var qAddHi = new int[lp + 1];
                var qShiftHi = new int[lp + 1];
                for (int l = 0; l < qLanes; l++)
                {
                    int ch = l % c, sum = 0;
                    for (int t = 0; t < 9; t++)
                    {
                        quads[((((t / 3) * lp) + l) * 4) + (t % 3)] = (sbyte)wt[(ch * 9) + t];
                        sum += wt[(ch * 9) + t];
                    }

                    qBias[l] = -(zx + 128) * sum;
                    qMulHi[l] = 1 << 30;
                    qAddHi[l] = 1 << 5;
                    qShiftHi[l] = 6;
                }

                var img = new sbyte[(ph * pw * c) + c + 32];
                var t4 = new sbyte[ph * lp * 4];
                var y = new sbyte[oh * ow * c];
                var y2 = new sbyte[oh * ow * c];
                var y3 = new sbyte[oh * ow * c];
                void Int32Lanes()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, pt, pt, ph, pw, zx, img);
                    QuantGenConvKernels.DepthwiseNhwc(img, pw, c, 3, 3, s, oh, groups, groupStride, lanes, ref packed[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y);
                }

                void Regs()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, pt, pt, ph, pw, zx, img);
                    QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, pw, c, s, s, oh, ow, ref rq[0], ref rBias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                        ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), 0, -128, 127, y2);
                }

                void Buffer()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, w, pt, pt, ph, pw, zx, img, 0x80);
                    QuantGenDepthwiseKernels.TapQuads(img, pw, c, 3, s, ph, ow, t4, lp);
                    QuantGenDepthwiseKernels.DepthwiseVnniHigh(t4, lp, 3, s, oh, qLanes, ref quads[0], ref qBias[0], ref qMulHi[0], ref qAddHi[0], ref qShiftHi[0], -128, 127, y3);
                }

                bool withBuffer = s == 1 && c % 16 != 0;
                Int32Lanes();
                Regs();
                bool eq = y.AsSpan().SequenceEqual(y2);
                if (withBuffer)
                {
                    Buffer();
                    eq &= y3.AsSpan().SequenceEqual(y2);
                }

                same &= eq;
                (double a, double b) = ConvProbe.Interleaved(Int32Lanes, Regs);
                (double ca, double cb) = CpuInterleaved(Int32Lanes, Regs);
                double macs = (double)oh * ow * c * 9;
                string extra = string.Empty;
                if (withBuffer)
                {
                    (double cq, _) = CpuInterleaved(Buffer, Regs);
                    extra = $"   quad buffer (cpu) {cq,7:F2} us ({cq / cb:F2}x)";
                }

                if (Environment.GetEnvironmentVariable("QUANTGEN_DW_PARTS") != null)
                {
                    (double padA, double padB) = CpuInterleaved(() => QuantGenConvKernels.PadImage(x, true, c, h, w, pt, pt, ph, pw, zx, img), () => QuantGenConvKernels.PadImageXor(x, true, c, h, w, pt, pt, ph, pw, zx, img, 0x80));
                    (double kA, double kB) = CpuInterleaved(
                        () => QuantGenConvKernels.DepthwiseNhwc(img, pw, c, 3, 3, s, oh, groups, groupStride, lanes, ref packed[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y),
                        () => QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, pw, c, s, s, oh, ow, ref rq[0], ref rBias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                            ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), 0, -128, 127, y2));
                    Console.WriteLine($"  parts (cpu): PadImage {padA:F2} us, PadImageXor {padB:F2} us, DepthwiseNhwc {kA:F2} us, DepthwiseQuadRegs {kB:F2} us");
                }

                Console.WriteLine($"depthwise c {c,3} {h,2}x{w,-2} stride {s}: wall int32 lanes {a,7:F2} us, regs {b,7:F2} us ({a / b:F2}x); cpu int32 lanes {ca,7:F2} us, regs {cb,7:F2} us {macs / cb / 1000,6:F1} GMAC/s ({ca / cb:F2}x){extra}   same bytes: {eq}");
            }

            return same ? 0 : 1;
        }

        /// <summary>Process CPU time per call of a and b, each over 10 slices of about 20 ms, interleaved; the smallest slice each.</summary>
        internal static (double A, double B) CpuInterleaved(Action a, Action b)
        {
            int n = Calibrate(a);
            int m = Calibrate(b);
            double ba = double.MaxValue, bb = double.MaxValue;
            for (int r = 0; r < 10; r++)
            {
                ba = Math.Min(ba, CpuPerCall(a, n));
                bb = Math.Min(bb, CpuPerCall(b, m));
            }

            return (ba, bb);
        }

        private static int Calibrate(Action f)
        {
            for (int i = 0; i < 100; i++)
            {
                f();
            }

            var sw = Stopwatch.StartNew();
            int n = 0;
            while (sw.Elapsed.TotalMilliseconds < 20)
            {
                f();
                n++;
            }

            return Math.Max(n, 1);
        }

        private static double CpuPerCall(Action f, int n)
        {
            TimeSpan t0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < n; i++)
            {
                f();
            }

            return (Process.GetCurrentProcess().TotalProcessorTime - t0).TotalMilliseconds * 1000 / n;
        }
    }
}
