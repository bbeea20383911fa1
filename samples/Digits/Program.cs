using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Fidelity;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using QuantGen.Quantization;
using QuantGen.Hls;

namespace QuantGen.Samples.Digits
{
    /// <summary>
    /// The digits sample: the float MLP and ViT trained on the 8x8 digits, their W8A8 integer versions
    /// (produced by the C# post-training quantizer), the CNN imported from a QDQ ONNX model, and how faithful the
    /// integer models are.
    ///   dotnet run --project samples/Digits              evaluate the committed quantized models
    ///   dotnet run --project samples/Digits -- quantize  re-run post-training quantization and rewrite them
    /// </summary>
    public static class Program
    {
        private static readonly string[] Models = { "digits_mlp", "digits_vit", "digits_cnn" };

        /// <summary>The models with a float graph that the quantize command re-quantizes (the CNN comes from a QDQ ONNX model).</summary>
        private static readonly string[] Quantizable = { "digits_mlp", "digits_vit" };

        public static int Main(string[] args)
        {
            try
            {
                string command = args.Length > 0 ? args[0] : "evaluate";
                string modelsDir = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
                string dataPath = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"));
                LabeledDataset data = LabeledDataset.Load(dataPath);
                switch (command)
                {
                    case "evaluate":
                        return Evaluate(modelsDir, dataPath, data);
                    case "quantize":
                        return Quantize(modelsDir, data);
                    default:
                        Console.Error.WriteLine($"unknown command \"{command}\"; use: evaluate (default) | quantize");
                        return 2;
                }
            }
            catch (ModelException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            catch (Exception e) when (e is IOException || e is FormatException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }

        private static int Quantize(string modelsDir, LabeledDataset data)
        {
            List<float[]> calibration = data.Split("train").Select(s => s.Features).ToList();
            foreach (string name in Quantizable)
            {
                ModelGraph floatGraph = ModelLoader.Load(Path.Combine(modelsDir, name + ".float.qmodel.json")).GetGraphOrThrow();
                ConsoleProgressBar progress = ConsoleProgressBar.OnStandardError($"calibrating {name}");
                QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, calibration, new QuantizationOptions(), progress);
                progress.Finish();
                string specPath = Path.Combine(modelsDir, name + ".qmodel.json");
                q.Save(specPath);
                Console.WriteLine($"wrote {Relative(specPath)} and {Relative(ModelLoader.ResolveWeightsPath(specPath, q.Spec.Weights))}");
            }

            return 0;
        }

        private static int Evaluate(string modelsDir, string dataPath, LabeledDataset data)
        {
            IReadOnlyList<Sample> test = data.Split("test");
            List<float[]> inputs = test.Select(s => s.Features).ToList();
            int[] labels = LabeledDataset.Labels(test);
            Console.WriteLine($"QuantGen digits sample: {test.Count} held-out images from {Relative(dataPath)}");
            Console.WriteLine();
            var rows = new List<string>();
            var artifacts = new List<string>();
            using Context gpuContext = Context.Create(b => b.Cuda().OpenCL().CPU(new CPUDevice(2, 1, 2)).Optimize(OptimizationLevel.O1));
            Device device = gpuContext.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda)
                ?? gpuContext.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.OpenCL)
                ?? gpuContext.Devices.First(d => d.AcceleratorType == AcceleratorType.CPU);
            using Accelerator accelerator = device.CreateAccelerator(gpuContext);
            foreach (string name in Models)
            {
                string floatPath = Path.Combine(modelsDir, name + ".float.qmodel.json");
                string qPath = Path.Combine(modelsDir, name + ".qmodel.json");
                ModelGraph qGraph = ModelLoader.Load(qPath).GetGraphOrThrow();
                var diagnostics = new List<ModelDiagnostic>();
                RangeReport ranges = RangeAnalysis.Analyze(qGraph, diagnostics) ?? throw new ModelException(diagnostics);
                FidelityReport? report = File.Exists(floatPath)
                    ? FidelityMetrics.Evaluate(ModelLoader.Load(floatPath).GetGraphOrThrow(), qGraph, inputs, labels)
                    : null;

                var reference = new ReferenceInterpreter(qGraph);
                int[][] quantized = inputs.Select(reference.Quantize).ToArray();
                var referenceOutputs = new int[quantized.Length][];
                var sw = Stopwatch.StartNew();
                for (int s = 0; s < quantized.Length; s++)
                {
                    referenceOutputs[s] = reference.Run(quantized[s]);
                }

                double usPerImage = sw.Elapsed.TotalMilliseconds * 1000 / quantized.Length;
                double referenceAccuracy = (double)Enumerable.Range(0, labels.Length).Count(s => FidelityMetrics.ArgMax(referenceOutputs[s].Select(v => (double)v).ToArray()) == labels[s]) / labels.Length;
                GeneratedRun generated = RunGenerated(name, reference, quantized, labels);
                int widest = ranges.Layers.SelectMany(l => l.Intermediates).Where(kv => kv.Key == "acc").Select(kv => kv.Value.Bits).DefaultIfEmpty(0).Max();
                Console.WriteLine($"{name}: {qGraph.Nodes.Count} layers, {Relative(qPath)}");
                if (report != null)
                {
                    Console.WriteLine($"  float accuracy {Pct(report.FloatAccuracy)}, integer accuracy {Pct(report.IntegerAccuracy)}, " +
                                      $"top-1 agreement {Pct(report.Top1Agreement)} ({report.Flips} flips: {report.FlipsToWrong} to wrong, {report.FlipsToRight} to right), " +
                                      $"mean KLD {report.MeanKlDivergence.ToString("0.00000", CultureInfo.InvariantCulture)}");
                }
                else
                {
                    string source = qGraph.Spec.Metadata.Where(kv => kv.Key == "source").Select(kv => kv.Value).FirstOrDefault() ?? "another tool";
                    Console.WriteLine($"  integer accuracy {Pct(referenceAccuracy)} (imported from {source}: no float model here, so no float accuracy, agreement or KLD)");
                }

                Console.WriteLine($"  widest accumulator {widest} bits; reference interpreter {usPerImage.ToString("0.0", CultureInfo.InvariantCulture)} us/image (scalar oracle)");
                Console.WriteLine($"  generated C# ({generated.SimdPath}): accuracy {Pct(generated.Accuracy)}, bit-exact with the reference on {generated.Exact}/{quantized.Length} images, " +
                                  $"{generated.MicrosecondsPerImage.ToString("0.00", CultureInfo.InvariantCulture)} us/image, {generated.AllocatedBytesPerCall} bytes allocated per call");
                Console.WriteLine("  " + RunGpu(name, accelerator, quantized));
                string hls = Path.Combine(AppContext.BaseDirectory, "hls", name);
                if (File.Exists(Path.Combine(hls, "firmware", name + ".cpp")))
                {
                    CsimResult sim = HlsCsim.Run(hls, name);
                    Console.WriteLine(sim.Ran
                        ? $"  HLS C++ ({Relative(hls)}): {Path.GetFileName(sim.Compiler)} testbench {(sim.Passed ? "passed" : "FAILED")}: {sim.Output.Trim().Split('\n').Last()}"
                        : $"  HLS C++ ({Relative(hls)}): written; testbench not run ({sim.Output})");
                    artifacts.Add(Relative(hls));
                }
                else
                {
                    Console.WriteLine($"  HLS C++: no project in {Relative(hls)} (the build writes it; was the HLS target disabled?)");
                }

                if (report != null)
                {
                    Console.WriteLine("  per-layer SQNR (dB): " + string.Join(", ", report.LayerSqnr.Select(s => s.Layer + " " + s.Decibels.ToString("0.0", CultureInfo.InvariantCulture))));
                    rows.Add(report.ToMarkdown(name).Split('\n')[2]);
                }
                else
                {
                    rows.Add($"| {name} | n/a | {Pct(referenceAccuracy)} | n/a | n/a | n/a |");
                }

                Console.WriteLine();
            }

            Console.WriteLine("| model | float acc | integer acc | top-1 agreement | flips (to wrong / to right) | mean KLD |");
            Console.WriteLine("|---|---|---|---|---|---|");
            rows.ForEach(Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine("artifacts:");
            Console.WriteLine("  models:        " + Relative(modelsDir));
            DirectoryInfo bin = new DirectoryInfo(AppContext.BaseDirectory);
            Console.WriteLine("  generated C#:  " + Relative(Path.Combine(bin.Parent!.Parent!.Parent!.FullName, "obj", bin.Parent.Name, bin.Name, "generated")));
            artifacts.ForEach(a => Console.WriteLine("  HLS project:   " + a));
            return 0;
        }

        /// <summary>One generated model class behind delegates: its CPU Infer (one image, a batch) and its GPU session.</summary>
        private sealed class Generated
        {
            public Generated(int inputLength, int outputLength, Action<sbyte[], sbyte[]> infer, Action<sbyte[], sbyte[], int> inferBatch, Func<Accelerator, Action<Action<sbyte[], sbyte[], int>>, IDisposable> gpu)
            {
                InputLength = inputLength;
                OutputLength = outputLength;
                Infer = infer;
                InferBatch = inferBatch;
                Gpu = gpu;
            }

            public int InputLength { get; }

            public int OutputLength { get; }

            public Action<sbyte[], sbyte[]> Infer { get; }

            public Action<sbyte[], sbyte[], int> InferBatch { get; }

            /// <summary>Opens a GPU session (batch capacity 64) on the accelerator; the callback receives its Infer.</summary>
            public Func<Accelerator, Action<Action<sbyte[], sbyte[], int>>, IDisposable> Gpu { get; }
        }

        private static Generated Backend(string name)
        {
            switch (name)
            {
                case "digits_mlp":
                {
                    var m = new DigitsMlp();
                    return new Generated(DigitsMlp.InputLength, DigitsMlp.OutputLength, (x, y) => m.Infer(x, y), (x, y, n) => m.Infer(x, y, n), (a, ready) =>
                    {
                        var session = new DigitsMlp.GpuSession(a, 64);
                        ready((x, y, n) => session.Infer(x, y, n));
                        return session;
                    });
                }

                case "digits_vit":
                {
                    var m = new DigitsVit();
                    return new Generated(DigitsVit.InputLength, DigitsVit.OutputLength, (x, y) => m.Infer(x, y), (x, y, n) => m.Infer(x, y, n), (a, ready) =>
                    {
                        var session = new DigitsVit.GpuSession(a, 64);
                        ready((x, y, n) => session.Infer(x, y, n));
                        return session;
                    });
                }

                case "digits_cnn":
                {
                    var m = new DigitsCnn();
                    return new Generated(DigitsCnn.InputLength, DigitsCnn.OutputLength, (x, y) => m.Infer(x, y), (x, y, n) => m.Infer(x, y, n), (a, ready) =>
                    {
                        var session = new DigitsCnn.GpuSession(a, 64);
                        ready((x, y, n) => session.Infer(x, y, n));
                        return session;
                    });
                }

                default:
                    throw new ArgumentException("no generated class for " + name, nameof(name));
            }
        }

        /// <summary>
        /// The same integer inputs through the generated GPU session (CUDA or OpenCL when present, else ILGPU's CPU
        /// accelerator, which runs the kernels' IL and checks their integer semantics), compared with the CPU code.
        /// </summary>
        private static string RunGpu(string name, Accelerator accelerator, int[][] inputs)
        {
            Generated model = Backend(name);
            int count = accelerator.AcceleratorType == AcceleratorType.CPU && name == "digits_vit" ? 64 : inputs.Length;
            int outLength = model.OutputLength;
            sbyte[] x = inputs.Take(count).SelectMany(v => v.Select(b => (sbyte)b)).ToArray();
            var cpu = new sbyte[count * outLength];
            var gpu = new sbyte[count * outLength];
            model.InferBatch(x, cpu, count);
            double ms = 0;
            using (model.Gpu(accelerator, infer =>
            {
                var sw = Stopwatch.StartNew();
                infer(x, gpu, count);
                ms = sw.Elapsed.TotalMilliseconds / count;
            }))
            {
            }

            int exact = Enumerable.Range(0, count).Count(s => cpu.AsSpan(s * outLength, outLength).SequenceEqual(gpu.AsSpan(s * outLength, outLength)));
            return $"ILGPU {accelerator.AcceleratorType} accelerator: bit-exact with the CPU code on {exact}/{count} images{(count < inputs.Length ? " (the first batch: the CPU accelerator simulates every GPU thread)" : string.Empty)}, {ms.ToString("0.00", CultureInfo.InvariantCulture)} ms/image";
        }

        private sealed class GeneratedRun
        {
            public string SimdPath { get; set; } = string.Empty;

            public double Accuracy { get; set; }

            public int Exact { get; set; }

            public double MicrosecondsPerImage { get; set; }

            public long AllocatedBytesPerCall { get; set; }
        }

        /// <summary>Runs the source-generated model (DigitsMlp / DigitsVit / DigitsCnn) on the same integer inputs as the reference.</summary>
        private static GeneratedRun RunGenerated(string name, ReferenceInterpreter reference, int[][] inputs, int[] labels)
        {
            Generated model = Backend(name);
            var input = new sbyte[model.InputLength];
            var output = new sbyte[model.OutputLength];
            var run = new GeneratedRun { SimdPath = DigitsMlp.SimdPath };
            int correct = 0;
            for (int s = 0; s < inputs.Length; s++)
            {
                for (int i = 0; i < input.Length; i++)
                {
                    input[i] = (sbyte)inputs[s][i];
                }

                model.Infer(input, output);
                int[] expected = reference.Run(inputs[s]);
                run.Exact += expected.SequenceEqual(output.Select(v => (int)v)) ? 1 : 0;
                correct += FidelityMetrics.ArgMax(output.Select(v => (double)v).ToArray()) == labels[s] ? 1 : 0;
            }

            run.Accuracy = (double)correct / inputs.Length;
            long before = GC.GetAllocatedBytesForCurrentThread();
            model.Infer(input, output);
            run.AllocatedBytesPerCall = GC.GetAllocatedBytesForCurrentThread() - before;

            // Latency: every test image, converted once, run back to back (after one warm-up pass).
            sbyte[][] converted = inputs.Select(x => x.Select(v => (sbyte)v).ToArray()).ToArray();
            int repeats = name == "digits_vit" ? 10 : 50;
            Stopwatch sw = new Stopwatch();
            for (int pass = 0; pass < 2; pass++)
            {
                sw.Restart();
                for (int r = 0; r < (pass == 0 ? 1 : repeats); r++)
                {
                    foreach (sbyte[] x in converted)
                    {
                        model.Infer(x, output);
                    }
                }
            }

            run.MicrosecondsPerImage = sw.Elapsed.TotalMilliseconds * 1000 / (repeats * inputs.Length);
            return run;
        }

        private static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %";

        private static string Relative(string path) => Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
    }
}
