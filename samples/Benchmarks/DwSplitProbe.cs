using System;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `dw-split`: where the time of a register-quad depthwise layer goes: the kernel on sub-rectangles of the output
    /// (even part only, even rows with all columns, everything) and the padding pass, process CPU time, interleaved.
    /// QUANTGEN_DW_SHAPES as in dw-regs.
    /// </summary>
    public static class DwSplitProbe
    {
        public static int Run()
        {
            (int C, int H, int W, int S)[] shapes = DwLayer.SelectedShapes();
            foreach ((int c, int h, int w, int s) in shapes)
            {
                var d = new DwLayer(c, h, w, s, 1);
                sbyte[] y = d.NewOutput();
                d.PadU();
                int oh2 = d.Oh & ~1, ow2 = d.Ow & ~1;
                (double even, double evenRows) = DwRegsProbe.CpuInterleaved(() => d.RegsKernelPart(oh2, ow2, y), () => d.RegsKernelPart(oh2, d.Ow, y));
                (double all, double pad) = DwRegsProbe.CpuInterleaved(() => d.RegsKernelPart(d.Oh, d.Ow, y), d.PadU);
                double n = (double)d.Oh * d.Ow * c;
                Console.WriteLine($"c {c,3} {h,2}x{w,-2} s{s}: even {oh2}x{ow2} {even:F2} us ({even * 1000 / (oh2 * ow2 * c):F3} ns/out), +odd column {evenRows - even:F2} us, +odd row {all - evenRows:F2} us, all {all:F2} us ({all * 1000 / n:F3} ns/out), PadImageU {pad:F2} us");
            }

            return 0;
        }
    }
}
