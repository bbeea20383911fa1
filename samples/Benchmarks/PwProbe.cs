using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `pw-probe`: the pointwise convs of DS-CNN and MobileNetV1-0.25 (rows = positions, K = input channels, n = output
    /// channels) on QuantGenKernels.GemmVnni (int64 requantization in the store) and QuantGenPointwiseKernels.GemmVnniHigh
    /// (int32 multiply-high), A/B interleaved in one process: per round each kernel runs for a slice of process CPU time,
    /// and the medians of the per-call CPU times over the rounds are printed with their ratio. The two outputs are
    /// compared (the same integers, or the probe fails).
    /// </summary>
    public static class PwProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool ok = true;
            // Which layers of the zoo CNNs the plan gave the multiply-high store: their s_<layer>_MulHi statics.
            foreach (Type model in new[] { typeof(DsCnn), typeof(MobileNetV1), typeof(ResNet8) })
            {
                string[] high = model.GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
                    .Select(f => f.Name).Where(f => f.EndsWith("_MulHi", StringComparison.Ordinal)).ToArray();
                Console.WriteLine($"{model.Name}: {high.Length} layers with the int32 multiply-high store: {string.Join(", ", high)}");
            }

            foreach ((string name, int rows, int k, int n) in new[]
            {
                ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 6", 2304, 8, 16), ("mobilenet 12", 576, 16, 32), ("mobilenet 18", 576, 32, 32),
                ("mobilenet 24", 144, 32, 64), ("mobilenet 30", 144, 64, 64), ("mobilenet 36", 36, 64, 128), ("mobilenet 42", 36, 128, 128),
                ("mobilenet 72", 9, 128, 256), ("mobilenet 78", 9, 256, 256),
            })
            {
                int kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(rows + k + n);
                var a = new sbyte[(rows * kq * 4) + 4];
                var w = new sbyte[kq * np8 * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)w);
                var bias = new int[np16 + 1];
                var mul = new long[np16];
                var round = new long[np16];
                var shift = new long[np16];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                const int zo = -5;
                for (int o = 0; o < n; o++)
                {
                    int m = rng.Next(1 << 30, int.MaxValue), s = rng.Next(38, 44), t = s - 32;
                    bias[o] = rng.Next(-5000, 5000);
                    mul[o] = m;
                    shift[o] = s;
                    round[o] = (1L << (s - 1)) + ((long)zo << s);
                    mulHi[o] = m;
                    addHi[o] = (1 << (t - 1)) + (zo << t);
                    shiftHi[o] = t;
                }

                var y64 = new sbyte[rows * n];
                var y32 = new sbyte[rows * n];
                void A() => QuantGenKernels.GemmVnni(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref Unsafe.NullRef<int>(),
                    ref mul[0], ref round[0], ref shift[0], 0, -5, 127, ref y64[0], n);
                void B() => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref y32[0], n);
                A();
                B();
                bool same = y64.AsSpan().SequenceEqual(y32);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ta[r] = CpuMicros(A);
                    tb[r] = CpuMicros(B);
                }

                double ma = Median(ta), mb = Median(tb), macs = (double)rows * k * n;
                Console.WriteLine(FormattableString.Invariant($"{name,-18} M {rows,5} K {k,4} N {n,4}: int64 store {ma,8:F2} us ({macs / ma / 1000,6:F1} GMAC/s)  multiply-high {mb,8:F2} us ({macs / mb / 1000,6:F1} GMAC/s)  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            }

            ok &= Stem("ds_cnn stem", 1, 49, 10, 10, 4, 2, 4, 1, 64, rounds);
            ok &= Stem("mobilenet stem", 3, 96, 96, 3, 3, 2, 1, 1, 8, rounds);
            return ok ? 0 : 1;
        }

        /// <summary>
        /// A stem conv (channels-last input, padded): QuantGenConvKernels.ConvGemmImplicit on the u = x + 128 image (what the
        /// generated code runs today) against PadImage + Im2ColNhwc + GemmVnniHigh (explicit im2col rows, multiply-high store).
        /// </summary>
        private static bool Stem(string name, int c, int h, int wd, int kh, int kw, int stride, int pt, int pl, int n, int rounds)
        {
            int oh = ((h + (2 * pt) - kh) / stride) + 1, ow = ((wd + (2 * pl) - kw) / stride) + 1, positions = oh * ow;
            int ph = ((oh - 1) * stride) + kh, pw = ((ow - 1) * stride) + kw;
            int cImg = c == 3 ? 4 : c, k = kh * kw * cImg, kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
            var rng = new Random(k + n);
            var x = new sbyte[c * h * wd];
            rng.NextBytes((byte[])(object)x);
            var w = new sbyte[kq * np8 * 4];
            for (int q = 0; q < kq; q++)
            {
                for (int o = 0; o < n; o++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        // The 4th channel of a 3-channel image meets zero weights.
                        int tap = (q * 4) + j;
                        w[(((q * np8) + o) * 4) + j] = tap < k && tap % cImg < c ? (sbyte)rng.Next(-128, 128) : (sbyte)0;
                    }
                }
            }

            var bias = new int[np16 + 1];
            var mul = new long[np16];
            var round = new long[np16];
            var shift = new long[np16];
            var mulHi = new int[np16 + 1];
            var addHi = new int[np16 + 1];
            var shiftHi = new int[np16 + 1];
            for (int o = 0; o < n; o++)
            {
                int m = rng.Next(1 << 30, int.MaxValue), s = rng.Next(38, 44), t = s - 32;
                bias[o] = rng.Next(-5000, 5000);
                mul[o] = m;
                shift[o] = s;
                round[o] = 1L << (s - 1);
                mulHi[o] = m;
                addHi[o] = 1 << (t - 1);
                shiftHi[o] = t;
            }

            var imgA = new sbyte[(ph * pw * cImg) + 16];
            var imgB = new sbyte[(ph * pw * cImg) + 16];
            var col = new sbyte[positions * kq * 4];
            var ya = new sbyte[positions * n];
            var yb = new sbyte[positions * n];
            void A()
            {
                if (cImg == c)
                {
                    QuantGenConvKernels.PadImageXor(x, true, c, h, wd, pt, pl, ph, pw, 3, imgA, 0x80);
                }
                else
                {
                    QuantGenConvKernels.PadImageWide(x, true, c, h, wd, pt, pl, ph, pw, 3, imgA, 0x80, cImg);
                }

                QuantGenConvKernels.ConvGemmImplicit(imgA, pw, cImg, kh, kw, stride, stride, oh, ow, ref w[0], np8, n, ref bias[0], ref mul[0], ref round[0], ref shift[0], 0, -128, 127, ref ya[0], n);
            }

            void B()
            {
                if (cImg == c)
                {
                    QuantGenConvKernels.PadImage(x, true, c, h, wd, pt, pl, ph, pw, 3, imgB);
                }
                else
                {
                    QuantGenConvKernels.PadImageWide(x, true, c, h, wd, pt, pl, ph, pw, 3, imgB, 0, cImg);
                }

                QuantGenConvKernels.Im2ColNhwc(imgB, pw, cImg, kh, kw, stride, stride, oh, ow, col, kq * 4, false);
                QuantGenPointwiseKernels.GemmVnniHigh(ref col[0], positions, kq * 4, ref w[0], kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yb[0], n);
            }

            A();
            B();
            bool same = ya.AsSpan().SequenceEqual(yb);
            var ta = new double[rounds];
            var tb = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                ta[r] = CpuMicros(A);
                tb[r] = CpuMicros(B);
            }

            double ma = Median(ta), mb = Median(tb), macs = (double)positions * kh * kw * c * n;
            Console.WriteLine(FormattableString.Invariant($"{name,-18} M {positions,5} K {k,4} N {n,4}: implicit+int64 {ma,8:F2} us ({macs / ma / 1000,6:F1} GMAC/s)  im2col+multiply-high {mb,8:F2} us ({macs / mb / 1000,6:F1} GMAC/s)  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            return same;
        }

        /// <summary>Process CPU microseconds per call over about 40 ms of calls (after a short warm-up).</summary>
        internal static double CpuMicros(Action f)
        {
            for (int i = 0; i < 20; i++)
            {
                f();
            }

            var p = Process.GetCurrentProcess();
            TimeSpan c0 = p.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            long calls = 0;
            while (sw.ElapsedMilliseconds < 40)
            {
                for (int i = 0; i < 16; i++)
                {
                    f();
                }

                calls += 16;
            }

            p.Refresh();
            return (p.TotalProcessorTime - c0).TotalMilliseconds * 1000 / calls;
        }

        internal static double Median(double[] v)
        {
            double[] s = v.OrderBy(x => x).ToArray();
            return s[s.Length / 2];
        }
    }
}
