using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `pw-alias`: QuantGenPointwiseKernels.GemmVnniHigh on MobileNet's and DS-CNN's pointwise shapes with the packed weights (w),
    /// the activations (a) and the output (y) placed in one pinned buffer at chosen distances modulo 4096 (4K aliasing: a load
    /// whose address matches a pending store's in bits 0-11 waits for it). Sweep "y-w": y moves against w, a stays 2048 bytes
    /// (mod 4096) after y; sweep "y-a": a moves against y, y stays at w + 2048. Median of the rounds' per-call process CPU time.
    /// </summary>
    public static unsafe class PwAliasProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
            if (args.Length > 1 && args[1] == "model")
            {
                foreach (int l in args.Length > 2 ? new[] { int.Parse(args[2], CultureInfo.InvariantCulture) } : new[] { 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66, 72, 78 })
                {
                    InModel(rounds, $"features_features_{l}_Conv");
                }

                return 0;
            }

            int[] ds = { 0, 256, 512, 768, 1024, 1536, 2048, 2560, 3072, 3584, 3840, 4032 };
            if (args.Length > 1 && args[1] == "fine")
            {
                ds = new[] { 0, 32, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 3584, 3840, 3968, 4032, 4064 };
            }

            if (args.Length > 1 && args[1] == "ds")
            {
                ds = new[] { 0, 64, 128, 192, 256, 320, 448, 3648, 3776, 3904, 4032 };
            }

            foreach ((string name, int rows, int k, int n) in new[]
            {
                ("mobilenet 42", 36, 128, 128), ("mobilenet 78", 9, 256, 256), ("mobilenet 72", 9, 128, 256), ("mobilenet 30", 144, 64, 64),
                ("mobilenet 18", 576, 32, 32), ("ds_cnn pw", 125, 64, 64), ("mobilenet 6", 2304, 8, 16),
            })
            {
                int kq = k / 4;
                byte[] buf = GC.AllocateArray<byte>(1 << 21, pinned: true);
                new Random(7).NextBytes(buf);
                int b0;
                fixed (byte* p = buf)
                {
                    b0 = (int)((65536 - ((long)p % 65536)) % 65536);
                }

                var bias = new int[n + 17];
                var mulHi = new int[n + 17];
                var addHi = new int[n + 17];
                var shiftHi = new int[n + 17];
                for (int o = 0; o < n; o++)
                {
                    mulHi[o] = 1 << 30;
                    addHi[o] = 1 << 5;
                    shiftHi[o] = 6;
                }

                int wAt = b0, region = 1 << 18;
                double Time(int aAt, int yAt) => PwProbe.CpuMicros(() => QuantGenPointwiseKernels.GemmVnniHigh(ref Unsafe.As<byte, sbyte>(ref buf[aAt]), rows, k,
                    ref Unsafe.As<byte, sbyte>(ref buf[wAt]), kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref Unsafe.As<byte, sbyte>(ref buf[yAt]), n));
                foreach (string sweep in new[] { "y-w", "y-a" })
                {
                    var t = new double[ds.Length][];
                    for (int i = 0; i < ds.Length; i++)
                    {
                        t[i] = new double[rounds];
                    }

                    for (int r = 0; r < rounds; r++)
                    {
                        for (int i = 0; i < ds.Length; i++)
                        {
                            (int aAt, int yAt) = sweep == "y-w"
                                ? (b0 + (2 * region) + ((ds[i] + 2048) % 4096), b0 + region + ds[i])
                                : (b0 + (2 * region) + ((2048 + ds[i]) % 4096), b0 + region + 2048);
                            t[i][r] = Time(aAt, yAt);
                        }
                    }

                    Console.Write(FormattableString.Invariant($"{name,-13} {rows}x{k}x{n} {sweep} mod 4096:"));
                    for (int i = 0; i < ds.Length; i++)
                    {
                        Console.Write(FormattableString.Invariant($" {ds[i]}:{PwProbe.Median(t[i]):F2}"));
                    }

                    Console.WriteLine();
                }
            }

            return 0;
        }

        /// <summary>
        /// One MobileNet pointwise layer three ways, interleaved: the generated layer method (LayerRunner, random operands), GemmVnniHigh
        /// on the model's own weights (s_blob) and constants with the runner's kind of arrays, and the same on a 64-byte aligned copy.
        /// </summary>
        private static int InModel(int rounds, string layer)
        {
            string zoo = QuantGen.Data.LabeledDataset.FindUpwards(AppContext.BaseDirectory, System.IO.Path.Combine("samples", "Benchmarks", "zoo"));
            QuantGen.Graph.ModelGraph graph = QuantGen.Model.ModelLoader.Load(System.IO.Path.Combine(zoo, "mobilenet_v1.qmodel.json")).GetGraphOrThrow();
            var model = new MobileNetV1();
            QuantGen.Graph.GraphNode node = System.Linq.Enumerable.First(graph.Nodes, n => n.Layer.Name == layer);
            var runner = new LayerRunner(model, node);
            const System.Reflection.BindingFlags st = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static;
            int[] F(string suffix) => (int[])typeof(MobileNetV1).GetField("s_" + layer + suffix, st)!.GetValue(null)!;
            byte[] blob = (byte[])typeof(MobileNetV1).GetField("s_blob", st)!.GetValue(null)!;
            int[] bias = F("_BiasU32"), mulHi = F("_MulHi"), addHi = F("_AddHi"), shiftHi = F("_ShiftHi");
            int cin = node.Inputs[0].Shape[1], n = node.Output.Shape[1], rows = node.Output.Shape[2] * node.Output.Shape[3], kq = cin / 4;
            // The blob's data starts at s_blobAt (its first 64-byte aligned byte, since session 13); before, at 0 (40 mod 64 here).
            int off = Args2Offset(layer) + (int)typeof(MobileNetV1).GetField("s_blobAt", st)!.GetValue(null)!;
            byte[] wAl = GC.AllocateArray<byte>((kq * n * 4) + 64, pinned: true);
            int wa;
            fixed (byte* p = wAl)
            {
                wa = (int)((64 - ((long)p % 64)) % 64);
            }

            Array.Copy(blob, off, wAl, wa, kq * n * 4);
            fixed (byte* p = blob)
            {
                Console.WriteLine($"{layer}: {rows} x {cin} -> {n}, weights at blob + {off}, {(long)(p + off) % 64} mod 64");
            }

            var rng = new Random(5);
            var a = new sbyte[rows * cin];
            var y1 = new sbyte[rows * n];
            var y2 = new sbyte[rows * n];
            rng.NextBytes((byte[])(object)a);
            void Blob() => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, cin, ref Unsafe.As<byte, sbyte>(ref blob[off]), kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y1[0], n);
            void Aligned() => QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, cin, ref Unsafe.As<byte, sbyte>(ref wAl[wa]), kq, n, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y2[0], n);
            fixed (sbyte* pa = a, py = y1, py2 = y2)
            {
                Console.WriteLine($"y - a mod 4096: {((long)py - (long)pa) & 4095}, aligned copy's y - a: {((long)py2 - (long)pa) & 4095}");
            }

            Blob();
            Aligned();
            Console.WriteLine(y1.AsSpan().SequenceEqual(y2) ? "same bytes" : "DIFFERENT");
            var t = new double[3][];
            for (int i = 0; i < 3; i++)
            {
                t[i] = new double[rounds];
            }

            for (int r = 0; r < rounds; r++)
            {
                t[0][r] = PwProbe.CpuMicros(runner.Run);
                t[1][r] = PwProbe.CpuMicros(Blob);
                t[2][r] = PwProbe.CpuMicros(Aligned);
            }

            Console.WriteLine(FormattableString.Invariant($"layer method {PwProbe.Median(t[0]):F2} us, GemmVnniHigh on s_blob {PwProbe.Median(t[1]):F2} us, on an aligned copy {PwProbe.Median(t[2]):F2} us"));
            return 0;
        }

        /// <summary>Blob offsets of MobileNet's pointwise weights (the generated layer methods' GemmVnniHigh calls).</summary>
        private static int Args2Offset(string layer) => layer switch
        {
            "features_features_6_Conv" => 16640,
            "features_features_12_Conv" => 17728,
            "features_features_18_Conv" => 20160,
            "features_features_24_Conv" => 23104,
            "features_features_30_Conv" => 28992,
            "features_features_36_Conv" => 36928,
            "features_features_42_Conv" => 52800,
            "features_features_48_Conv" => 76864,
            "features_features_54_Conv" => 100928,
            "features_features_60_Conv" => 124992,
            "features_features_66_Conv" => 149056,
            "features_features_72_Conv" => 173120,
            "features_features_78_Conv" => 221248,
            _ => throw new ArgumentException(layer),
        };
    }
}
