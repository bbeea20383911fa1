using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using QuantGen.Data;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Samples.DigitsGpu
{
    /// <summary>
    /// Runs the three digits models through the generated ILGPU kernels and prints how the GPU outputs agree with the
    /// generated CPU path and with the reference interpreter, element for element, plus top-1 accuracy. Exits with 3
    /// when any output differs, so that `--device cuda` on a machine with a GPU is the hardware check of the kernels.
    ///   dotnet run --project samples/DigitsGpu                    CUDA, else OpenCL, else the CPU accelerator
    ///   dotnet run --project samples/DigitsGpu -- --device cpu    force one: cpu | cuda | opencl | auto
    ///   dotnet run --project samples/DigitsGpu -- --batch 128     inputs per GPU call (default 64)
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            string device = "auto";
            int batch = 64;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--device" && i + 1 < args.Length)
                {
                    device = args[++i];
                }
                else if (args[i] == "--batch" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b > 0)
                {
                    batch = b;
                    i++;
                }
                else
                {
                    Console.Error.WriteLine($"unknown argument \"{args[i]}\"; use: [--device auto|cpu|cuda|opencl] [--batch N]");
                    return 2;
                }
            }

            try
            {
                // CUDA and OpenCL devices when their drivers are present, plus a small simulated CPU "GPU" (2 threads per warp,
                // 1 warp, 2 multiprocessors): every simulated thread is an OS thread, so fewer run faster on a small machine.
                using Context context = Context.Create(builder => builder.Cuda().OpenCL().CPU(new CPUDevice(2, 1, 2)).Optimize(OptimizationLevel.O1));
                using Accelerator accelerator = PickAccelerator(context, device);
                Console.WriteLine($"QuantGen digits on the GPU backend: {accelerator.AcceleratorType} accelerator \"{accelerator.Name}\", batch {batch}");
                string models = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
                LabeledDataset data = LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv")));
                var test = data.Split("test");
                Console.WriteLine($"{test.Count} held-out images from samples/data/digits/digits.csv");
                Console.WriteLine();

                bool exact = true;
                var mlp = new DigitsMlp();
                using (var gpu = new DigitsMlp.GpuSession(accelerator, batch))
                {
                    exact &= Evaluate("digits_mlp", Path.Combine(models, "digits_mlp.qmodel.json"), test, DigitsMlp.InputLength, DigitsMlp.OutputLength,
                        x => { var q = new sbyte[x.Length]; DigitsMlp.QuantizeInput(x, q); return q; },
                        (x, y, n) => mlp.Infer(x, y, n), (x, y, n) => gpu.Infer(x, y, n), batch);
                }

                var vit = new DigitsVit();
                using (var gpu = new DigitsVit.GpuSession(accelerator, batch))
                {
                    exact &= Evaluate("digits_vit", Path.Combine(models, "digits_vit.qmodel.json"), test, DigitsVit.InputLength, DigitsVit.OutputLength,
                        x => { var q = new sbyte[x.Length]; DigitsVit.QuantizeInput(x, q); return q; },
                        (x, y, n) => vit.Infer(x, y, n), (x, y, n) => gpu.Infer(x, y, n), batch);
                }

                var cnn = new DigitsCnn();
                using (var gpu = new DigitsCnn.GpuSession(accelerator, batch))
                {
                    exact &= Evaluate("digits_cnn", Path.Combine(models, "digits_cnn.qmodel.json"), test, DigitsCnn.InputLength, DigitsCnn.OutputLength,
                        x => { var q = new sbyte[x.Length]; DigitsCnn.QuantizeInput(x, q); return q; },
                        (x, y, n) => cnn.Infer(x, y, n), (x, y, n) => gpu.Infer(x, y, n), batch);
                }

                Console.WriteLine(exact ? $"all outputs bit-exact on {accelerator.AcceleratorType} {accelerator.Name}" : $"MISMATCH on {accelerator.AcceleratorType} {accelerator.Name}: see above");
                return exact ? 0 : 3;
            }
            catch (ModelException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            catch (Exception e) when (e is IOException || e is NotSupportedException || e is ArgumentException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }

        /// <summary>CUDA, else OpenCL, else ILGPU's CPU accelerator ("auto"); or exactly the kind asked for.</summary>
        public static Accelerator PickAccelerator(Context context, string kind)
        {
            Device? Find(AcceleratorType type) => context.Devices.FirstOrDefault(d => d.AcceleratorType == type);
            Device? chosen = kind switch
            {
                "auto" => Find(AcceleratorType.Cuda) ?? Find(AcceleratorType.OpenCL) ?? Find(AcceleratorType.CPU),
                "cuda" => Find(AcceleratorType.Cuda),
                "opencl" => Find(AcceleratorType.OpenCL),
                "cpu" => Find(AcceleratorType.CPU),
                _ => throw new ArgumentException($"unknown device \"{kind}\"; use auto, cpu, cuda or opencl"),
            };
            if (chosen == null)
            {
                throw new NotSupportedException($"no {kind} device found; devices: {string.Join(", ", context.Devices.Select(d => d.AcceleratorType + " " + d.Name))}");
            }

            return chosen.CreateAccelerator(context);
        }

        private delegate void Run(ReadOnlySpan<sbyte> inputs, Span<sbyte> outputs, int batchSize);

        private static bool Evaluate(string name, string spec, System.Collections.Generic.IReadOnlyList<Sample> test, int inLen, int outLen, Func<float[], sbyte[]> quantize, Run cpu, Run gpu, int batch)
        {
            var reference = new ReferenceInterpreter(ModelLoader.Load(spec).GetGraphOrThrow());
            int count = test.Count;
            sbyte[] inputs = test.SelectMany(s => quantize(s.Features)).ToArray();
            var cpuOut = new sbyte[count * outLen];
            var gpuOut = new sbyte[count * outLen];
            var refOut = new sbyte[count * outLen];
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                int[] r = reference.Run(inputs.AsSpan(i * inLen, inLen).ToArray().Select(v => (int)v).ToArray());
                for (int j = 0; j < outLen; j++)
                {
                    refOut[i * outLen + j] = checked((sbyte)r[j]);
                }
            }

            double refUs = clock.Elapsed.TotalMilliseconds * 1000 / count;
            clock.Restart();
            cpu(inputs, cpuOut, count);
            double cpuUs = clock.Elapsed.TotalMilliseconds * 1000 / count;
            gpu(inputs.AsSpan(0, Math.Min(batch, count) * inLen), gpuOut.AsSpan(0, Math.Min(batch, count) * outLen), Math.Min(batch, count)); // warm-up (kernel compilation is lazy on some accelerators)
            clock.Restart();
            for (int start = 0; start < count; start += batch)
            {
                int n = Math.Min(batch, count - start);
                gpu(inputs.AsSpan(start * inLen, n * inLen), gpuOut.AsSpan(start * outLen, n * outLen), n);
            }

            double gpuUs = clock.Elapsed.TotalMilliseconds * 1000 / count;
            int SameImages(sbyte[] a, sbyte[] b) => Enumerable.Range(0, count).Count(i => a.AsSpan(i * outLen, outLen).SequenceEqual(b.AsSpan(i * outLen, outLen)));
            int ArgMax(sbyte[] o, int i)
            {
                int best = 0;
                for (int j = 1; j < outLen; j++)
                {
                    if (o[i * outLen + j] > o[i * outLen + best])
                    {
                        best = j;
                    }
                }

                return best;
            }

            int correct = Enumerable.Range(0, count).Count(i => ArgMax(gpuOut, i) == test[i].Label);
            Console.WriteLine($"{name}:");
            Console.WriteLine($"  GPU == reference interpreter: {SameImages(gpuOut, refOut)}/{count} images bit-exact");
            Console.WriteLine($"  GPU == generated CPU path:    {SameImages(gpuOut, cpuOut)}/{count} images bit-exact");
            Console.WriteLine($"  top-1 accuracy on the GPU: {100.0 * correct / count:F2} %");
            Console.WriteLine($"  time per image: reference {refUs:F1} us, generated CPU {cpuUs:F1} us, GPU {gpuUs:F1} us (batches of {batch}; the CPU accelerator simulates a GPU with OS threads and is slow)");
            return SameImages(gpuOut, refOut) == count && SameImages(gpuOut, cpuOut) == count;
        }
    }
}
