using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ILGPU;
using ILGPU.Runtime.CPU;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The ILGPU session of models with several named inputs and outputs, or token ids, on ILGPU's CPU accelerator: the
    /// named batched Infer equals the reference interpreter and the C# class bit for bit, the float Run equals the class's,
    /// and bad ids / out-of-range values throw what the C# class throws, with the same message.
    /// </summary>
    public class GpuMultiInputTests
    {
        private const string TwoSpec = MultiIoSpecs.Two;

        private const string TokSpec = MultiIoSpecs.Tok;

        private static readonly Lazy<(ModelGraph Graph, MultiInputRunner Runner)> Two = new(() => Load(TwoSpec, "two", SafeTensors.Write(Array.Empty<RawTensor>())));

        private static readonly Lazy<(ModelGraph Graph, MultiInputRunner Runner)> Tok = new(() => Load(TokSpec, "tok", SafeTensors.Write(new[]
        {
            TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 2 }, new[] { 1, 2, -3, -4, 50, 60, 127, -128 }),
        })));

        private static (ModelGraph, MultiInputRunner) Load(string spec, string name, byte[] weights)
        {
            ModelGraph g = ModelLoader.Load(spec, name + ".qmodel.json", weights, name + ".safetensors").GetGraphOrThrow();
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport ranges = RangeAnalysis.Analyze(g, diagnostics) ?? throw new InvalidOperationException(string.Join("; ", diagnostics));
            return (g, MultiInputRunner.Compile(g, ranges, name));
        }

        private static (Context, CPUAccelerator) Accelerator()
        {
            // A small simulated GPU (2 threads per warp, 1 warp, 2 multiprocessors), as the GPU tests use on this 2-core machine.
            var device = new CPUDevice(2, 1, 2);
            Context context = Context.Create(b => b.CPU(device).Optimize(OptimizationLevel.O1));
            return (context, device.CreateCPUAccelerator(context));
        }

        /// <summary>Samples [s][tensor] concatenated per tensor: x[tensor] = all samples' values of that tensor.</summary>
        private static int[][] Batch(IReadOnlyList<int[][]> samples) =>
            Enumerable.Range(0, samples[0].Length).Select(k => samples.SelectMany(s => s[k]).ToArray()).ToArray();

        private static void AssertBatchEqualsReference(ModelGraph g, MultiInputRunner runner, CPUAccelerator accelerator, List<int[][]> samples)
        {
            var reference = new ReferenceInterpreter(g);
            int[][] batched = runner.RunGpu(accelerator, Batch(samples), samples.Count);
            Assert.Equal(g.Outputs.Count, batched.Length);
            for (int s = 0; s < samples.Count; s++)
            {
                int[][] expected = reference.RunMany(samples[s]);
                for (int k = 0; k < g.Outputs.Count; k++)
                {
                    int n = g.Outputs[k].ElementCount;
                    Assert.Equal(expected[k], batched[k].Skip(s * n).Take(n).ToArray());
                }

                Assert.Equal(expected, runner.RunCpu(samples[s]));
            }

            // One sample alone (batch 1, the buffers reused at a smaller batch) gives the same numbers.
            Assert.Equal(reference.RunMany(samples[^1]), runner.RunGpu(accelerator, samples[^1], 1));
        }

        [Fact]
        public void TwoNamedInputsAndTwoOutputsAreBitExactOnTheCpuAccelerator()
        {
            (ModelGraph g, MultiInputRunner runner) = Two.Value;
            var rng = new Random(17);

            // right-in's declared range [-0.5, 0.5] at scale 0.02, zero point 3 is [-22, 28]; left_in takes all of int8.
            var samples = new List<int[][]>
            {
                new[] { Enumerable.Repeat(127, 16).ToArray(), Enumerable.Repeat(28, 8).ToArray() },
                new[] { Enumerable.Repeat(-128, 16).ToArray(), Enumerable.Repeat(-22, 8).ToArray() },
                new[] { Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? 127 : -128).ToArray(), Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? -22 : 28).ToArray() },
            };
            for (int s = 0; s < 20; s++)
            {
                samples.Add(new[] { Enumerable.Range(0, 16).Select(_ => rng.Next(-128, 128)).ToArray(), Enumerable.Range(0, 8).Select(_ => rng.Next(-22, 29)).ToArray() });
            }

            (Context context, CPUAccelerator accelerator) = Accelerator();
            using (context)
            using (accelerator)
            {
                AssertBatchEqualsReference(g, runner, accelerator, samples);

                // The float Run on the device gives the class's floats: 0.5 and 0.2 quantize to 50 and 13 (see the C# test).
                float[][] x = { Enumerable.Repeat(0.5f, 16).ToArray(), Enumerable.Repeat(0.2f, 8).ToArray() };
                float[][] gpu = runner.RunFloatGpu(accelerator, x);
                Assert.Equal(runner.RunFloatCpu(x), gpu);
                int[] pos = new ReferenceInterpreter(g).RunMany(new[] { Enumerable.Repeat(50, 16).ToArray(), Enumerable.Repeat(13, 8).ToArray() })[1];
                Assert.Equal(pos.Select(v => (float)(0.02 * (v + 2))), gpu[1]);

                // A value outside right-in's range: the GPU session rejects it with the C# class's exception and message.
                int[][] bad = { new int[16], new[] { 0, 0, 0, 0, 0, 29, 0, 0 } };
                string cpuError = runner.ErrorCpu(bad);
                Assert.StartsWith("ArgumentException rightIn: rightIn[5] = 29 is outside the declared range [-22, 28] of input right-in", cpuError, StringComparison.Ordinal);
                Assert.Equal(cpuError, runner.ErrorGpu(accelerator, bad, 1));

                // Wrong lengths name the tensor and the batch.
                Assert.StartsWith("ArgumentException leftIn: expected 2 x 16 elements of input left_in, got 16", runner.ErrorGpu(accelerator, new[] { new int[16], new int[16] }, 2), StringComparison.Ordinal);
            }
        }

        [Fact]
        public void TokenIdsRunBitExactAndOutOfRangeIdsThrowLikeTheCSharpClass()
        {
            (ModelGraph g, MultiInputRunner runner) = Tok.Value;
            var rng = new Random(3);
            var samples = Enumerable.Range(0, 12).Select(s => new[]
            {
                Enumerable.Range(0, 4).Select(i => s == 0 ? 0 : s == 1 ? 3 : rng.Next(0, 4)).ToArray(),
                Enumerable.Range(0, 2).Select(_ => rng.Next(-10, 11)).ToArray(),
            }).ToList();
            (Context context, CPUAccelerator accelerator) = Accelerator();
            using (context)
            using (accelerator)
            {
                AssertBatchEqualsReference(g, runner, accelerator, samples);
                foreach (int[] ids in new[] { new[] { 0, 1, 4, 2 }, new[] { -1, 1, 3, 2 } })
                {
                    int[][] bad = { ids, new int[2] };
                    string cpuError = runner.ErrorCpu(bad);
                    Assert.Equal(cpuError, runner.ErrorGpu(accelerator, bad, 1));
                    Assert.StartsWith($"ArgumentOutOfRangeException inputIds: inputIds[{Array.FindIndex(ids, v => v < 0 || v > 3)}] = {ids.First(v => v < 0 || v > 3)} is not a valid id of input input_ids (0 to 3)", cpuError, StringComparison.Ordinal);
                }

                // In a batch the position counts from the first sample: the bad id of the second sample is at 4 + 1.
                string batched = runner.ErrorGpu(accelerator, new[] { new[] { 0, 1, 2, 3, 3, 7, 0, 0 }, new int[4] }, 2);
                Assert.StartsWith("ArgumentOutOfRangeException inputIds: inputIds[5] = 7 is not a valid id of input input_ids (0 to 3)", batched, StringComparison.Ordinal);

                // Float Run: ids stay ids.
                float[][] x = { new float[] { 3, 2, 1, 0 }, new[] { 0.3f, -0.5f } };
                Assert.Equal(runner.RunFloatCpu(x), runner.RunFloatGpu(accelerator, x));
            }
        }

        /// <summary>
        /// Tensor names that are not C# identifiers (the spec allows letters, digits and _ . - / :, so a leading digit, a
        /// path, a keyword) reach the session's parameters, constants, messages and doc comments through the plan's names
        /// and escapers: it compiles, runs bit-exact, and its range message names the input.
        /// </summary>
        [Fact]
        public void HostileTensorNamesCompileAndRunBitExact()
        {
            string spec = TwoSpec.Replace("\"left_in\"", "\"0/in.put:x-1\"").Replace("\"right-in\"", "\"class\"");
            (ModelGraph g, MultiInputRunner runner) = Load(spec, "hostile", SafeTensors.Write(Array.Empty<RawTensor>()));
            Assert.Equal("0/in.put:x-1", g.Inputs[0].Name);
            var rng = new Random(5);
            var samples = Enumerable.Range(0, 4).Select(_ => new[] { Enumerable.Range(0, 16).Select(__ => rng.Next(-128, 128)).ToArray(), Enumerable.Range(0, 8).Select(__ => rng.Next(-22, 29)).ToArray() }).ToList();
            (Context context, CPUAccelerator accelerator) = Accelerator();
            using (context)
            using (accelerator)
            {
                AssertBatchEqualsReference(g, runner, accelerator, samples);
                int[][] bad = { new int[16], new[] { 0, 0, 0, 0, 0, 0, 0, 29 } };
                string gpuError = runner.ErrorGpu(accelerator, bad, 1);
                Assert.Equal(runner.ErrorCpu(bad), gpuError);
                Assert.Contains("[7] = 29 is outside the declared range [-22, 28] of input class", gpuError, StringComparison.Ordinal);
            }
        }

        /// <summary>
        /// The zoo's BERT-tiny (ONNX Runtime quantize_static QDQ export; token ids and attention mask [1, 72], Embedding,
        /// MaskedSoftmax, 2 layers) imported and run on the ILGPU CPU accelerator: 3 inputs as one batch, bit-exact with the
        /// reference interpreter and the C# class.
        /// </summary>
        [Fact]
        public void BertTinyImportedFromOnnxIsBitExactOnTheCpuAccelerator()
        {
            string onnx = Path.Combine(Path.GetDirectoryName(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "zoo", "models", "results.json")))!, "bert_tiny_ortqdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(onnx);
            ModelGraph g = r.Model.Graph;
            Assert.Equal(new[] { "input_ids", "attention_mask" }, g.Inputs.Select(t => t.Name));
            Assert.True(g.Inputs[0].IsIndex);
            MultiInputRunner runner = MultiInputRunner.Compile(g, r.Model.Ranges, "bert");
            int length = g.Inputs[0].ElementCount, vocab = (int)r.Lowered.Spec.Inputs[0].RangeMax + 1;
            TensorQuant maskQ = g.Inputs[1].Quant!;
            int keep1 = (int)Numerics.Quantization.Quantize(1, maskQ.Scale, maskQ.ZeroPoint, maskQ.Type), keep0 = (int)Numerics.Quantization.Quantize(0, maskQ.Scale, maskQ.ZeroPoint, maskQ.Type);
            var rng = new Random(29);
            var samples = new List<int[][]>();
            foreach (int keep in new[] { length, 1, 1 + rng.Next(length) })
            {
                int[] ids = Enumerable.Range(0, length).Select(_ => rng.Next(vocab)).ToArray();
                int[] mask = Enumerable.Range(0, length).Select(i => i < keep ? keep1 : keep0).ToArray();
                samples.Add(new[] { ids, mask });
            }

            samples[1][0] = Enumerable.Repeat(vocab - 1, length).ToArray();
            (Context context, CPUAccelerator accelerator) = Accelerator();
            using (context)
            using (accelerator)
            {
                AssertBatchEqualsReference(g, runner, accelerator, samples);
                int[][] bad = { Enumerable.Repeat(vocab, length).ToArray(), samples[0][1] };
                Assert.StartsWith($"ArgumentOutOfRangeException inputIds: inputIds[0] = {vocab} is not a valid id of input input_ids (0 to {vocab - 1})", runner.ErrorGpu(accelerator, bad, 1), StringComparison.Ordinal);
            }
        }
    }
}
