using System;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `dw-probe`: the depthwise kernels against each other on DS-CNN's and MobileNet's depthwise shapes (3x3, pad 1),
    /// interleaved and best of 5 rounds of Stopwatch medians (<see cref="ConvProbe.Interleaved"/>), so that a loaded machine
    /// hits both alike: the int32 `DepthwiseNhwc` (zero-point padded image, the lane mode the emitter picks) against tap
    /// quads + vpdpbusd (`PadImageXor`, `TapQuads`, `DepthwiseVnniHigh`), each with its padding pass. Also checks that
    /// the two give the same bytes, and the int64-requantizing `DepthwiseVnni` the same bytes as the multiply-high form. The
    /// layers and their packings: <see cref="DwLayer"/> (pad 1 on every side).
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
            foreach ((int c, int h, int w, int s) in DwLayer.Shapes)
            {
                var d = new DwLayer(c, h, w, s, 1);
                sbyte[] y = d.NewOutput(), y2 = d.NewOutput(), y3 = d.NewOutput();
                if (Environment.GetEnvironmentVariable("QUANTGEN_DW_PARTS") != null)
                {
                    (double pad, double tq) = ConvProbe.Interleaved(d.PadXor, d.TapQuads);
                    (double kern, _) = ConvProbe.Interleaved(() => d.QuadKernel(true, y2), () => { });
                    Console.WriteLine($"  parts: pad {pad:F2} us, tap quads {tq:F2} us, vpdpbusd kernel {kern:F2} us");
                }

                (double a, double b) = ConvProbe.Interleaved(() => d.Int32Lanes(y), () => d.QuadBuffer(true, y2));
                (double e, _) = ConvProbe.Interleaved(() => d.QuadBuffer(false, y3), () => d.QuadBuffer(true, y2));
                d.Int32Lanes(y);
                d.QuadBuffer(true, y2);
                d.QuadBuffer(false, y3);
                bool eq = y.AsSpan().SequenceEqual(y2) && y3.AsSpan().SequenceEqual(y2);
                same &= eq;
                Console.WriteLine($"depthwise c {c,3} {h,2}x{w,-2} stride {s}: int32 lanes {a,8:F2} us {d.Macs / a / 1000,6:F1} GMAC/s   tap quads {b,8:F2} us {d.Macs / b / 1000,6:F1} GMAC/s ({a / b:F2}x)   quads + int64 requant {e,8:F2} us   same bytes: {eq}");
            }

            return same ? 0 : 1;
        }
    }
}
