using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.CpuCheck
{
    [QuantizedModel("models/digits_mlp.qmodel.json")]
    public partial class Mlp
    {
    }

    [QuantizedModel("models/digits_vit.qmodel.json")]
    public partial class Vit
    {
    }

    /// <summary>The digits CNN: Conv2d 3x3 pad 1, MaxPool2d 2x2, depthwise 3x3 (group 8), 1x1 Conv2d, AvgPool, Dense.</summary>
    [QuantizedModel("models/digits_cnn.qmodel.json")]
    public partial class Cnn
    {
    }

    /// <summary>
    /// What the CNN lacks (models/conv_synthetic.qmodel.json, written by the generator tests' SyntheticConvModel): two
    /// images per input, stride 2, asymmetric pads, group 2, a 2x3 kernel, MaxPool2d with pads and stride != kernel,
    /// int16 and int4 activations, int16 weights, extreme random weights.
    /// </summary>
    [QuantizedModel("models/conv_synthetic.qmodel.json")]
    public partial class ConvSynthetic
    {
    }

    /// <summary>The DeiT-Tiny-sized encoder block of the benchmarks (197 tokens, 192 channels, 3 heads, MLP 768).</summary>
    [QuantizedModel("models/encoder_block.qmodel.json")]
    public partial class Encoder
    {
    }

    /// <summary>Result of comparing one generated model with the reference interpreter.</summary>
    public sealed class CheckResult
    {
        public string Model { get; set; } = string.Empty;

        public int Inputs { get; set; }

        public int Mismatches { get; set; }

        public string FirstMismatch { get; set; } = string.Empty;

        public override string ToString() => $"{Model}: {Inputs} inputs, {Mismatches} mismatches{(Mismatches > 0 ? " (first: " + FirstMismatch + ")" : string.Empty)}";
    }

    public static class Program
    {
        /// <summary>Prints the SIMD path and one line per model; exit code 0 only when every output is bit-exact.</summary>
        public static int Main()
        {
            Console.WriteLine("path=" + Mlp.SimdPath);
            List<CheckResult> results = CheckAll();
            results.Add(CheckSynthetic());
            results.Add(CheckEncoder());
            results.ForEach(r => Console.WriteLine(r));
            return results.All(r => r.Mismatches == 0 && r.Inputs > 0) ? 0 : 1;
        }

        public static List<CheckResult> CheckAll()
        {
            string models = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
            LabeledDataset data = LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv")));
            var mlp = new Mlp();
            var vit = new Vit();
            var cnn = new Cnn();
            return new List<CheckResult>
            {
                Check("digits_mlp", Path.Combine(models, "digits_mlp.qmodel.json"), data, (x, y) => mlp.Infer(x, y), (x, y, n) => mlp.Infer(x, y, n)),
                Check("digits_vit", Path.Combine(models, "digits_vit.qmodel.json"), data, (x, y) => vit.Infer(x, y), (x, y, n) => vit.Infer(x, y, n)),
                Check("digits_cnn", Path.Combine(models, "digits_cnn.qmodel.json"), data, (x, y) => cnn.Infer(x, y), (x, y, n) => cnn.Infer(x, y, n)),
            };
        }

        /// <summary>The synthetic convolution model on the adversarial inputs of <see cref="Adversarial"/> (no data set fits it).</summary>
        public static CheckResult CheckSynthetic()
        {
            string spec = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("tests", "QuantGen.CpuCheck", "models", "conv_synthetic.qmodel.json"));
            var model = new ConvSynthetic();
            return CheckInputs("conv_synthetic", spec, graph => Adversarial(graph.Input.ElementCount, 200), (x, y) => model.Infer(x, y), (x, y, n) => model.Infer(x, y, n));
        }

        /// <summary>All 127, all -128, both alternations, zeros, then <paramref name="random"/> uniform int8 inputs (fixed seed).</summary>
        public static List<int[]> Adversarial(int n, int random)
        {
            var inputs = new List<int[]>
            {
                Enumerable.Repeat(127, n).ToArray(),
                Enumerable.Repeat(-128, n).ToArray(),
                Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 127 : -128).ToArray(),
                Enumerable.Range(0, n).Select(i => i % 2 == 0 ? -128 : 127).ToArray(),
                new int[n],
            };
            var rng = new Random(20261124);
            for (int r = 0; r < random; r++)
            {
                inputs.Add(Enumerable.Range(0, n).Select(_ => rng.Next(-128, 128)).ToArray());
            }

            return inputs;
        }

        /// <summary>
        /// The encoder block on a few inputs (the reference interpreter needs about a second each): two realistic ones
        /// (N(0, 1) tokens quantized at the input scale), all max, all min, both alternations (of the declared input range),
        /// zeros and one uniform random;
        /// single calls and one batched call over all of them.
        /// </summary>
        public static CheckResult CheckEncoder()
        {
            string models = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(models, "encoder_block.qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int n = graph.Input.ElementCount, m = graph.Output.ElementCount;
            var rng = new Random(20261124);
            var inputs = new List<int[]>();
            for (int s = 0; s < 2; s++)
            {
                inputs.Add(reference.Quantize(Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - rng.NextDouble())) * Math.Cos(2.0 * Math.PI * rng.NextDouble()))).ToArray()));
            }

            int lo = Encoder.InputMin, hi = Encoder.InputMax; // the declared input range (Infer rejects values outside it)
            inputs.Add(Enumerable.Repeat(hi, n).ToArray());
            inputs.Add(Enumerable.Repeat(lo, n).ToArray());
            inputs.Add(Enumerable.Range(0, n).Select(i => i % 2 == 0 ? hi : lo).ToArray());
            inputs.Add(Enumerable.Range(0, n).Select(i => i % 2 == 0 ? lo : hi).ToArray());
            inputs.Add(new int[n]);
            inputs.Add(Enumerable.Range(0, n).Select(_ => rng.Next(lo, hi + 1)).ToArray());
            var result = new CheckResult { Model = "encoder_block", Inputs = inputs.Count };
            var encoder = new Encoder();
            var x = new sbyte[n];
            var y = new sbyte[m];
            var expected = new List<int[]>();
            for (int s = 0; s < inputs.Count; s++)
            {
                expected.Add(reference.Run(inputs[s]));
                for (int i = 0; i < n; i++)
                {
                    x[i] = (sbyte)inputs[s][i];
                }

                encoder.Infer(x, y);
                Compare(result, expected[s], y, s);
            }

            sbyte[] all = inputs.SelectMany(v => v.Select(b => (sbyte)b)).ToArray();
            var outAll = new sbyte[inputs.Count * m];
            encoder.Infer(all, outAll, inputs.Count);
            for (int s = 0; s < inputs.Count; s++)
            {
                Compare(result, expected[s], outAll.AsSpan(s * m, m).ToArray(), s);
            }

            // The opt-in parallel path must give the same bytes as well.
            Array.Clear(outAll);
            encoder.InferParallel(all, outAll, inputs.Count, 2);
            for (int s = 0; s < inputs.Count; s++)
            {
                Compare(result, expected[s], outAll.AsSpan(s * m, m).ToArray(), s);
            }

            return result;
        }

        private delegate void InferOne(ReadOnlySpan<sbyte> input, Span<sbyte> output);

        private delegate void InferBatch(ReadOnlySpan<sbyte> inputs, Span<sbyte> outputs, int batch);

        private static CheckResult Check(string name, string spec, LabeledDataset data, InferOne infer, InferBatch batch) =>
            CheckInputs(name, spec, graph =>
            {
                var reference = new ReferenceInterpreter(graph);
                var inputs = new List<int[]>();
                inputs.AddRange(data.Split("test").Select(s => reference.Quantize(s.Features)));
                inputs.AddRange(Adversarial(graph.Input.ElementCount, 100));
                return inputs;
            }, infer, batch);

        private static CheckResult CheckInputs(string name, string spec, Func<ModelGraph, List<int[]>> makeInputs, InferOne infer, InferBatch batch)
        {
            ModelGraph graph = ModelLoader.Load(spec).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int n = graph.Input.ElementCount, m = graph.Output.ElementCount;
            List<int[]> inputs = makeInputs(graph);
            var result = new CheckResult { Model = name, Inputs = inputs.Count };
            var x = new sbyte[n];
            var y = new sbyte[m];
            foreach (int[] input in inputs)
            {
                for (int i = 0; i < n; i++)
                {
                    x[i] = (sbyte)input[i];
                }

                infer(x, y);
                Compare(result, reference.Run(input), y, inputs.IndexOf(input));
            }

            // The batched overload on all inputs at once must give the same bytes.
            sbyte[] all = inputs.SelectMany(v => v.Select(b => (sbyte)b)).ToArray();
            var outAll = new sbyte[inputs.Count * m];
            batch(all, outAll, inputs.Count);
            for (int s = 0; s < inputs.Count; s++)
            {
                Compare(result, reference.Run(inputs[s]), outAll.AsSpan(s * m, m).ToArray(), s);
            }

            return result;
        }

        private static void Compare(CheckResult result, int[] expected, sbyte[] actual, int index)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                if (expected[i] != actual[i])
                {
                    if (result.Mismatches++ == 0)
                    {
                        result.FirstMismatch = $"input {index} element {i}: reference {expected[i]}, generated {actual[i]}";
                    }

                    return;
                }
            }
        }
    }
}
