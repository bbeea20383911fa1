using System;
using System.Globalization;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `store-ab [rounds]`: the 32-channel tiles' two store forms (QuantGenPointwiseKernels.ZmmStore: ymm Row32 or zmm Pack4)
    /// A/B interleaved in one process, per-call process CPU time (PwProbe.CpuMicros), medians over the rounds: the pointwise
    /// GEMMs of DS-CNN and MobileNetV1-0.25 from K = 32 (GemmVnniHigh) and the 4 x 32 implicit conv tiles of DS-CNN's stem and
    /// ResNet-8's stride-2 convs (ConvImplicit32High). Random operands; the two forms' bytes are compared.
    /// </summary>
    public static class StoreAbProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool was = QuantGenPointwiseKernels.ZmmStore, ok = true;
            Console.WriteLine($"this machine's default: {(was ? "zmm" : "ymm")} store");
            foreach ((string name, int rows, int k, int n) in new[]
            {
                ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 18", 576, 32, 32), ("mobilenet 24", 144, 32, 64), ("mobilenet 30", 144, 64, 64),
                ("mobilenet 36", 36, 64, 128), ("mobilenet 42", 36, 128, 128), ("mobilenet 78", 9, 256, 256),
            })
            {
                int kq = k / 4;
                var rng = new Random(rows + k + n);
                var a = new sbyte[rows * k];
                var w = new sbyte[kq * n * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)w);
                (int[] bias, int[] mulHi, int[] addHi, int[] shiftHi) = Constants(rng, n);
                var ya = new sbyte[rows * n];
                var yb = new sbyte[rows * n];
                ok &= Compare(name, (double)rows * k * n, rounds,
                    () => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, k, ref w[0], kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref ya[0], n),
                    () => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, k, ref w[0], kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yb[0], n),
                    ya, yb);
            }

            // c, h, w, kh, kw, stride, pad, n: DS-CNN's stem, ResNet-8's stride-2 convs to 32 and 64 channels.
            foreach ((string name, int c, int h, int wd, int kh, int kw, int s, int pad, int n) in new[]
            {
                ("ds_cnn conv1", 1, 49, 10, 10, 4, 2, 2, 64), ("resnet8 stack2 conv1", 16, 32, 32, 3, 3, 2, 1, 32), ("resnet8 stack3 conv1", 32, 16, 16, 3, 3, 2, 1, 64),
            })
            {
                int oh = ((h + (2 * pad) - kh) / s) + 1, ow = ((wd + (2 * pad) - kw) / s) + 1, ph = ((oh - 1) * s) + kh, pw = ((ow - 1) * s) + kw, kq = kh * kw * c / 4;
                var rng = new Random(c + h + n);
                var img = new sbyte[(ph * pw * c) + 64];
                var w = new sbyte[kq * n * 4];
                rng.NextBytes((byte[])(object)img);
                rng.NextBytes((byte[])(object)w);
                (int[] bias, int[] mulHi, int[] addHi, int[] shiftHi) = Constants(rng, n);
                var ya = new sbyte[oh * ow * n];
                var yb = new sbyte[oh * ow * n];
                ok &= Compare(name, (double)oh * ow * kh * kw * c * n, rounds,
                    () => QuantGenPointwiseKernels.ConvImplicit32High(img, pw, c, kh, kw, s, s, oh, ow, ref w[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref ya[0], n),
                    () => QuantGenPointwiseKernels.ConvImplicit32High(img, pw, c, kh, kw, s, s, oh, ow, ref w[0], n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref yb[0], n),
                    ya, yb);
            }

            // Whole models: Infer with each form, interleaved the same way (the outputs compared).
            var rngM = new Random(7);
            var ds = new DsCnn();
            var mn = new MobileNetV1();
            var rn = new ResNet8();
            foreach ((string name, int inLen, int outLen, double macs) in new[] { ("ds_cnn Infer", 490, 12, (double)DsCnn.Info.Macs), ("mobilenet_v1 Infer", 3 * 96 * 96, 2, (double)MobileNetV1.Info.Macs), ("resnet8 Infer", 3 * 32 * 32, 10, (double)ResNet8.Info.Macs) })
            {
                var input = new sbyte[inLen];
                rngM.NextBytes((byte[])(object)input);
                var ya = new sbyte[outLen];
                var yb = new sbyte[outLen];
                Action<sbyte[]> infer = name[0] == 'd' ? y => ds.Infer(input, y) : name[0] == 'm' ? y => mn.Infer(input, y) : y => rn.Infer(input, y);
                ok &= Compare(name, macs, rounds, () => infer(ya), () => infer(yb), ya, yb);
            }

            QuantGenPointwiseKernels.ZmmStore = was;
            return ok ? 0 : 1;
        }

        private static (int[] Bias, int[] MulHi, int[] AddHi, int[] ShiftHi) Constants(Random rng, int n)
        {
            var bias = new int[n + 1];
            var mulHi = new int[n + 1];
            var addHi = new int[n + 1];
            var shiftHi = new int[n + 1];
            for (int o = 0; o < n; o++)
            {
                int t = rng.Next(6, 12);
                bias[o] = rng.Next(-5000, 5000);
                mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                addHi[o] = 1 << (t - 1);
                shiftHi[o] = t;
            }

            return (bias, mulHi, addHi, shiftHi);
        }

        private static bool Compare(string name, double macs, int rounds, Action ymm, Action zmm, sbyte[] ya, sbyte[] yb)
        {
            void A()
            {
                QuantGenPointwiseKernels.ZmmStore = false;
                ymm();
            }

            void B()
            {
                QuantGenPointwiseKernels.ZmmStore = true;
                zmm();
            }

            A();
            B();
            var ta = new double[rounds];
            var tb = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                ta[r] = PwProbe.CpuMicros(A);
                tb[r] = PwProbe.CpuMicros(B);
            }

            double ma = PwProbe.Median(ta), mb = PwProbe.Median(tb);
            bool same = ya.AsSpan().SequenceEqual(yb);
            Console.WriteLine(FormattableString.Invariant($"{name,-22}: ymm store {ma,7:F3} us ({macs / ma / 1000,6:F1} GMAC/s)  zmm store {mb,7:F3} us ({macs / mb / 1000,6:F1} GMAC/s)  zmm {ma / mb:F3}x  {(same ? "same bytes" : "DIFFERENT")}"));
            return same;
        }
    }
}
