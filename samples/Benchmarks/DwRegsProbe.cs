using System;
using System.Diagnostics;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `dw-regs`: the depthwise kernels on DS-CNN's and MobileNet's depthwise shapes (3x3, pad 1 at the top and left; at
    /// stride 2 the window reads no bottom/right padding of an even map, as in the generated MobileNet) in one process, A/B interleaved: the int32-lane
    /// `DepthwiseNhwc` (zero-point padded image, the emitter's lane mode), the tap quads built in registers
    /// (`PadImageU` + `DepthwiseQuadRegs`, u = x + 128 in the image, multiply-high requantization) and, for 8 channels, the tap-quad buffer
    /// (`TapQuads` + `DepthwiseVnniHigh`, what the plan took there before). Each alternative with its padding pass.
    /// Two measures: best of 5 interleaved Stopwatch medians, and process CPU time per call over interleaved 20 ms
    /// slices (10 slices each; less disturbed by other processes). Checks that all give the same bytes.
    /// QUANTGEN_DW_SHAPES="c,h,w,s;..." runs only those shapes; QUANTGEN_DW_PARTS=1 times the padding passes and kernels
    /// alone. 16 channels at stride 2 (h, w multiples of 4 from 8) also time DepthwiseQuadRegs16S2 against PadImageU +
    /// DepthwiseQuadRegs.
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
            (int C, int H, int W, int S)[] shapes = DwLayer.SelectedShapes();
            foreach ((int c, int h, int w, int s) in shapes)
            {
                var d = new DwLayer(c, h, w, s, 1);
                sbyte[] y = d.NewOutput(), y2 = d.NewOutput(), y3 = d.NewOutput();
                bool withBuffer = s == 1 && c % 16 != 0;
                d.Int32Lanes(y);
                d.Regs(y2);
                bool eq = y.AsSpan().SequenceEqual(y2);
                if (withBuffer)
                {
                    d.QuadBuffer(true, y3);
                    eq &= y3.AsSpan().SequenceEqual(y2);
                }

                same &= eq;
                (double a, double b) = ConvProbe.Interleaved(() => d.Int32Lanes(y), () => d.Regs(y2));
                (double ca, double cb) = CpuInterleaved(() => d.Int32Lanes(y), () => d.Regs(y2));
                string extra = string.Empty;
                if (withBuffer)
                {
                    (double cq, _) = CpuInterleaved(() => d.QuadBuffer(true, y3), () => d.Regs(y2));
                    extra += $"   quad buffer (cpu) {cq,7:F2} us ({cq / cb:F2}x)";
                }

                if (c == 16 && s == 2 && h % 4 == 0 && w % 4 == 0 && h >= 8 && w >= 8)
                {
                    // DepthwiseQuadRegs16S2 (strips padded, the interior read in place) against PadImageU + DepthwiseQuadRegs.
                    sbyte[] y5 = d.NewOutput();
                    d.RegsDirect(y5);
                    bool eqD = y5.AsSpan().SequenceEqual(y2);
                    same &= eqD;
                    (double cp, double cd) = CpuInterleaved(() => d.Regs(y2), () => d.RegsDirect(y5));
                    Console.WriteLine($"  16 channels, stride 2 (cpu): padded {cp:F2} us, in place (DepthwiseQuadRegs16S2) {cd:F2} us ({cp / cd:F2}x) same bytes: {eqD}");
                }

                if (Environment.GetEnvironmentVariable("QUANTGEN_DW_PARTS") != null)
                {
                    (double padA, double padB) = CpuInterleaved(d.Pad, d.PadXor);
                    (double padU, _) = CpuInterleaved(d.PadU, d.PadU);
                    d.Pad();
                    (double kA, _) = CpuInterleaved(() => d.Int32Kernel(y), () => d.Int32Kernel(y));
                    d.PadU();
                    (double kB, _) = CpuInterleaved(() => d.RegsKernel(y2), () => d.RegsKernel(y2));
                    Console.WriteLine($"  parts (cpu): PadImage {padA:F2} us, PadImageXor {padB:F2} us, PadImageU {padU:F2} us, DepthwiseNhwc {kA:F2} us, DepthwiseQuadRegs {kB:F2} us");
                }

                Console.WriteLine($"depthwise c {c,3} {h,2}x{w,-2} stride {s}: wall int32 lanes {a,7:F2} us, regs {b,7:F2} us ({a / b:F2}x); cpu int32 lanes {ca,7:F2} us, regs {cb,7:F2} us {d.Macs / cb / 1000,6:F1} GMAC/s ({ca / cb:F2}x){extra}   same bytes: {eq}");
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
