using System;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `conv-probe`: the conv kernels against each other on the zoo models' shapes, Stopwatch medians in one process, the
    /// alternatives interleaved (A B A B ...) and the best median of 5 rounds kept, so that a loaded machine hits both
    /// alike. Explicit im2col + GEMM (the narrow tiles for at most 16 channels, the Dense VNNI tile above) vs the implicit
    /// im2col tiles (<c>ConvGemmImplicit</c>); the padded image is built in both.
    /// </summary>
    public static class ConvProbe
    {
        public static int Run()
        {
            if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                Console.WriteLine("conv-probe needs AVX-VNNI");
                return 1;
            }

            // c, h, w, n, stride (3x3, pad 1): ResNet-8's 3x3 convs.
            foreach ((int c, int h, int w, int n, int s) in new[] { (16, 32, 32, 16, 1), (16, 32, 32, 32, 2), (32, 16, 16, 32, 1), (32, 16, 16, 64, 2), (64, 8, 8, 64, 1) })
            {
                int oh = ((h + 2 - 3) / s) + 1, ow = ((w + 2 - 3) / s) + 1, positions = oh * ow, k = 9 * c, kq = k / 4;
                int ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(1);
                var x = new sbyte[h * w * c];
                var wt = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)x);
                rng.NextBytes((byte[])(object)wt);
                var bias = new int[np16];
                var mul = new long[np16];
                var round = new long[np16];
                var shift = new long[np16];
                for (int o = 0; o < np16; o++)
                {
                    mul[o] = 1 << 20;
                    shift[o] = 36;
                    round[o] = 1L << 35;
                }

                var img = new sbyte[(ph * pw * c) + 16];
                var col = new sbyte[positions * k];
                var y = new sbyte[positions * n];
                var y2 = new sbyte[positions * n];
                void Explicit()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, 1, 1, ph, pw, 3, img);
                    if (n <= 16)
                    {
                        QuantGenConvKernels.Im2ColNhwc(img, pw, c, 3, 3, s, s, oh, ow, col, k, true);
                        QuantGenConvKernels.ConvGemmNarrow(ref col[0], positions, k, ref wt[0], kq, np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
                    }
                    else
                    {
                        QuantGenConvKernels.Im2ColNhwc(img, pw, c, 3, 3, s, s, oh, ow, col, k, false);
                        QuantGenKernels.GemmVnni(ref col[0], positions, k, ref wt[0], kq, np8, n, ref bias[0], ref Unsafe.NullRef<int>(), ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y[0], n);
                    }
                }

                void Implicit()
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, w, 1, 1, ph, pw, 3, img, 0x80);
                    QuantGenConvKernels.ConvGemmImplicit(img, pw, c, 3, 3, s, s, oh, ow, ref wt[0], np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref y2[0], n);
                }

                (double a, double b) = Interleaved(Explicit, Implicit);
                double macs = (double)positions * k * n;
                Console.WriteLine($"3x3 c {c,3} {h,2}x{w,-2} n {n,3} stride {s}: explicit {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   implicit {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s   ({(n <= 16 ? "narrow" : "GemmVnni")} / implicit = {a / b:F2}x)");
            }

            return 0;
        }

        /// <summary>The best of 5 interleaved Stopwatch medians of each alternative.</summary>
        internal static (double A, double B) Interleaved(Action a, Action b)
        {
            double ba = double.MaxValue, bb = double.MaxValue;
            for (int r = 0; r < 5; r++)
            {
                ba = Math.Min(ba, Check.Time(a));
                bb = Math.Min(bb, Check.Time(b));
            }

            return (ba, bb);
        }
    }
}
