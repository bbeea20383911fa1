using System;
using System.Linq;
using System.Runtime.Intrinsics;
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
            if (!HasVnni("conv-probe"))
            {
                return 1;
            }

            // c, h, w, n, stride (3x3, pad 1): ResNet-8's 3x3 convs.
            foreach ((int c, int h, int w, int n, int s) in new[] { (16, 32, 32, 16, 1), (16, 32, 32, 32, 2), (32, 16, 16, 32, 1), (32, 16, 16, 64, 2), (64, 8, 8, 64, 1) })
            {
                (int oh, int ow, int positions, int ph, int pw, int np8, int np16) = Geometry3x3(h, w, n, s);
                int k = 9 * c, kq = k / 4;
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

            // Depthwise 3x3, pad 1: c, h, w, stride (DS-CNN's and MobileNet's layers).
            foreach ((int c, int h, int w, int s) in new[] { (64, 25, 5, 1), (16, 48, 48, 2), (32, 24, 24, 1), (64, 12, 12, 1), (128, 6, 6, 1), (32, 24, 24, 2) })
            {
                int oh = ((h + 2 - 3) / s) + 1, ow = ((w + 2 - 3) / s) + 1, ph = ((oh - 1) * s) + 3, pw = ((ow - 1) * s) + 3, cp = (c + 15) / 16 * 16;
                var rng = new Random(2);
                var x = new sbyte[h * w * c];
                rng.NextBytes((byte[])(object)x);
                var wt = new int[9 * cp];
                for (int i = 0; i < wt.Length; i++)
                {
                    wt[i] = rng.Next(-128, 128);
                }

                var bias = new int[cp];
                var mul = new long[cp];
                var round = new long[cp];
                var shift = new long[cp];
                for (int o = 0; o < cp; o++)
                {
                    mul[o] = 1 << 20;
                    shift[o] = 30;
                    round[o] = 1L << 29;
                }

                var img = new sbyte[(ph * pw * c) + 16];
                var y = new sbyte[oh * ow * c];
                var y2 = new sbyte[oh * ow * c];
                void Per(sbyte[] dst)
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, 1, 1, ph, pw, 3, img);
                    QuantGenConvKernels.DepthwiseNhwc(img, pw, c, 3, 3, s, oh, ow, s * c, c, ref wt[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, dst);
                }

                void Base()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, 1, 1, ph, pw, 3, img);
                    DepthwiseBaseline(img, pw, c, 3, 3, s, oh, ow, s * c, c, ref wt[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y2, false);
                }

                int[] w16 = wt.Select(v => v & 0xFFFF).ToArray();
                var y3 = new sbyte[oh * ow * c];
                void Madd()
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, w, 1, 1, ph, pw, 3, img);
                    DepthwiseBaseline(img, pw, c, 3, 3, s, oh, ow, s * c, c, ref w16[0], cp, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, y3, true);
                }

                (double a, double b) = Interleaved(Base, () => Per(y));
                (double m, _) = Interleaved(Madd, Base);
                Madd();
                Console.WriteLine($"  one pixel with vpmaddwd {m:F2} us, same bytes: {y3.AsSpan().SequenceEqual(y2)}");
                Per(y);
                Base();
                double macs = (double)oh * ow * c * 9;
                Console.WriteLine($"depthwise c {c,3} {h,2}x{w,-2} stride {s}: one pixel {a,8:F2} us {macs / a / 1000,6:F1} GMAC/s   four pixels {b,8:F2} us {macs / b / 1000,6:F1} GMAC/s   ({a / b:F2}x, same bytes: {y.AsSpan().SequenceEqual(y2)})");
            }

            return 0;
        }

        /// <summary>The depthwise kernel's AVX-512 loop before the four-pixel blocking (one pixel per 16 lanes), for the probe.</summary>
        private static void DepthwiseBaseline(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int oh, int groups, int groupStride, int lanes,
            ref int wt, int cp, ref int bias, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, Span<sbyte> y, bool madd)
        {
            int rowStride = pw * c;
            ref sbyte src = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(img);
            ref sbyte dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            var zv = System.Runtime.Intrinsics.Vector512.Create(zo);
            System.Runtime.Intrinsics.Vector512<int> lv = System.Runtime.Intrinsics.Vector512.Create((int)lo), hv = System.Runtime.Intrinsics.Vector512.Create((int)hi);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int g = 0; g < groups; g++)
                {
                    ref sbyte s = ref Unsafe.Add(ref src, ((oy * sh) * rowStride) + (g * groupStride));
                    ref sbyte d = ref Unsafe.Add(ref dst, ((oy * groups) + g) * lanes);
                    for (int l0 = 0; l0 < lanes; l0 += 16)
                    {
                        System.Runtime.Intrinsics.Vector512<int> acc = System.Runtime.Intrinsics.Vector512<int>.Zero;
                        ref int wl = ref Unsafe.Add(ref wt, l0);
                        if (madd)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                ref sbyte si = ref Unsafe.Add(ref s, (i * rowStride) + l0);
                                ref int wi = ref Unsafe.Add(ref wl, i * kw * cp);
                                for (int j = 0; j < kw; j++)
                                {
                                    var xv = System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(System.Runtime.Intrinsics.Vector128.LoadUnsafe(ref si, (nuint)(j * c)));
                                    acc += System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent(xv.AsInt16(), System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref wi, (nuint)(j * cp)).AsInt16());
                                }
                            }

                            QuantGenKernels.Requant16(acc, l0, lanes - l0, ref bias, ref mul, ref round, ref shift, zv, lv, hv, ref Unsafe.Add(ref d, l0));
                            continue;
                        }

                        for (int i = 0; i < kh; i++)
                        {
                            ref sbyte si = ref Unsafe.Add(ref s, (i * rowStride) + l0);
                            ref int wi = ref Unsafe.Add(ref wl, i * kw * cp);
                            for (int j = 0; j < kw; j++)
                            {
                                var xv = System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(System.Runtime.Intrinsics.Vector128.LoadUnsafe(ref si, (nuint)(j * c)));
                                acc += xv * System.Runtime.Intrinsics.Vector512.LoadUnsafe(ref wi, (nuint)(j * cp));
                            }
                        }

                        QuantGenKernels.Requant16(acc, l0, lanes - l0, ref bias, ref mul, ref round, ref shift, zv, lv, hv, ref Unsafe.Add(ref d, l0));
                    }
                }
            }
        }

        /// <summary>The best of 5 interleaved Stopwatch medians of each alternative.</summary>
        /// <summary>Whether the probes' kernels can run here (AVX-VNNI); prints why not.</summary>
        internal static bool HasVnni(string probe)
        {
            if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                return true;
            }

            Console.WriteLine(probe + " needs AVX-VNNI");
            return false;
        }

        /// <summary>A 3x3 pad-1 conv of an h x w map at stride s into n channels: output size, positions, padded window, channels rounded up to 8 and 16.</summary>
        internal static (int Oh, int Ow, int Positions, int Ph, int Pw, int Np8, int Np16) Geometry3x3(int h, int w, int n, int s)
        {
            int oh = ((h + 2 - 3) / s) + 1, ow = ((w + 2 - 3) / s) + 1;
            return (oh, ow, oh * ow, ((oh - 1) * s) + 3, ((ow - 1) * s) + 3, (n + 7) / 8 * 8, (n + 15) / 16 * 16);
        }

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
