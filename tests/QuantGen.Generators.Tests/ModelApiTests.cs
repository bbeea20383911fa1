using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using QuantGen.CpuCheck;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The API beside the span API: float Run, single and batched Predict, TopK with confidences, and the
    /// IQuantizedModel / IQuantizedClassifier implementation, checked against the reference interpreter on the digits
    /// test split (the expected numbers never come from the generated code).
    /// </summary>
    public class ModelApiTests
    {
        private static IReadOnlyList<Sample> TestSplit { get; } =
            LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"))).Split("test");

        private static ReferenceInterpreter Reference(string model, out ModelGraph graph)
        {
            graph = ModelLoader.Load(Path.Combine(GeneratorHarness.RepoModels, model + ".qmodel.json")).GetGraphOrThrow();
            return new ReferenceInterpreter(graph);
        }

        private static float[] Dequantized(ModelGraph graph, int[] q) =>
            q.Select(v => (float)(graph.Output.Quant!.Scale * (v - graph.Output.Quant.ZeroPoint))).ToArray();

        private static int ArgMax(int[] y)
        {
            int best = 0;
            for (int i = 1; i < y.Length; i++)
            {
                best = y[i] > y[best] ? i : best;
            }

            return best;
        }

        public static TheoryData<string> Models => new TheoryData<string> { "digits_mlp", "digits_vit", "digits_cnn" };

        private static IQuantizedClassifier Create(string model) => model switch
        {
            "digits_mlp" => new Mlp(),
            "digits_vit" => new Vit(),
            _ => new Cnn(),
        };

        [Theory]
        [MemberData(nameof(Models))]
        public void RunIsQuantizeInferDequantizeOfTheReference(string model)
        {
            ReferenceInterpreter reference = Reference(model, out ModelGraph graph);
            IQuantizedClassifier m = Create(model);
            var into = new float[m.OutputLength];
            foreach (Sample s in TestSplit.Take(120))
            {
                float[] expected = Dequantized(graph, reference.Run(reference.Quantize(s.Features)));
                Assert.Equal(expected, m.Run(s.Features));
                m.Run(s.Features, into);
                Assert.Equal(expected, into);
            }
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void BatchedPredictEqualsTheReferenceArgMaxAcrossChunkBoundaries(string model)
        {
            ReferenceInterpreter reference = Reference(model, out _);
            IQuantizedClassifier m = Create(model);
            // 150 samples: the MLP's batched path runs them as GEMM rows in chunks of 64 (64, 64, 22).
            List<Sample> samples = TestSplit.Take(150).ToList();
            float[] inputs = samples.SelectMany(s => s.Features).ToArray();
            int[] expected = samples.Select(s => ArgMax(reference.Run(reference.Quantize(s.Features)))).ToArray();
            Assert.Equal(expected, m.Predict(inputs, samples.Count));
            var labels = new int[samples.Count];
            m.Predict(inputs, labels);
            Assert.Equal(expected, labels);
            Assert.Equal(expected, samples.Select(s => m.Predict(s.Features)));
            Assert.Empty(m.Predict(ReadOnlySpan<float>.Empty, 0));
            Assert.Throws<ArgumentException>(() => m.Predict(inputs.AsSpan(1), samples.Count));
            Assert.Throws<ArgumentOutOfRangeException>(() => m.Predict(inputs, -1));
        }

        [Fact]
        public void DigitsAccuracyThroughTheBatchedPredictIsTheReferenceAccuracy()
        {
            var mlp = new Mlp();
            int[] labels = mlp.Predict(TestSplit.SelectMany(s => s.Features).ToArray(), TestSplit.Count);
            Assert.Equal(443, labels.Zip(TestSplit, (l, s) => l == s.Label ? 1 : 0).Sum()); // 98.44 %, docs/fidelity.md
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void TopKGivesSoftmaxOfTheDequantizedLogitsBestFirstWithLabels(string model)
        {
            ReferenceInterpreter reference = Reference(model, out ModelGraph graph);
            IQuantizedClassifier m = Create(model);
            Assert.Equal(10, m.ClassCount);
            Assert.False(m.OutputsAreProbabilities);
            foreach (Sample s in TestSplit.Take(40))
            {
                int[] q = reference.Run(reference.Quantize(s.Features));
                double[] logits = q.Select(v => graph.Output.Quant!.Scale * (v - graph.Output.Quant.ZeroPoint)).ToArray();
                double max = logits.Max();
                double[] p = logits.Select(l => Math.Exp(l - max)).ToArray();
                double sum = p.Sum();
                int[] order = Enumerable.Range(0, 10).OrderByDescending(i => q[i]).ThenBy(i => i).ToArray();

                Prediction[] top3 = m.TopK(s.Features, 3);
                Assert.Equal(order.Take(3), top3.Select(t => t.Index));
                // Labels where the model file has them (the MLP and ViT: "0".."9"); the imported CNN has none.
                Assert.Equal(order.Take(3).Select(i => graph.Spec.Labels.Count == 10 ? graph.Spec.Labels[i] : null), top3.Select(t => t.Label));
                for (int j = 0; j < 3; j++)
                {
                    Assert.Equal(p[order[j]] / sum, top3[j].Confidence, 1e-6);
                }

                Prediction[] all = m.TopK(s.Features, 99);
                Assert.Equal(order, all.Select(t => t.Index));
                Assert.Equal(1.0, all.Sum(t => (double)t.Confidence), 5);
                Assert.Equal(m.Predict(s.Features), all[0].Index);
                (int label, float confidence) = all[0];
                Assert.Equal((all[0].Index, all[0].Confidence), (label, confidence));

                var span = new Prediction[2];
                Assert.Equal(2, m.TopK(s.Features, span));
                Assert.Equal(top3.Take(2), span);
                Assert.Equal(0, m.TopK(s.Features, Span<Prediction>.Empty));
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => m.TopK(TestSplit[0].Features, 0));
            Assert.Throws<ArgumentException>(() => m.TopK(new float[3], 1));
        }

        [Fact]
        public void EveryGeneratedClassImplementsTheInterfaceWithItsTensors()
        {
            IQuantizedModel mlp = new Mlp();
            Assert.Equal(64, mlp.InputLength);
            Assert.Equal(10, mlp.OutputLength);
            Assert.Same(Mlp.Info, mlp.Info);
            ModelTensorInfo input = Assert.Single(mlp.Inputs);
            Assert.Equal(("pixels", "int8", 64), (input.Name, input.ElementType, input.Length));
            Assert.Equal(new[] { 64 }, input.Shape);
            Assert.Equal(new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }, mlp.Info.Labels);
            Assert.Equal(Mlp.Info.InputScale, input.Scale);
            Assert.Equal(-128, input.ZeroPoint);
            Assert.Equal("logits", Assert.Single(mlp.Outputs).Name);

            // The CNN's output is [1, 10]: a classifier too (all dimensions but the last are 1).
            IQuantizedModel cnn = new Cnn();
            Assert.IsAssignableFrom<IQuantizedClassifier>(cnn);
            Assert.Equal(new[] { 1, 10 }, Assert.Single(cnn.Outputs).Shape);

            // The encoder block's output is [197, 192]: a model, not a classifier.
            IQuantizedModel encoder = new Encoder();
            Assert.False(encoder is IQuantizedClassifier);
            Assert.Equal(197 * 192, encoder.OutputLength);
        }

        [Fact]
        public void FloatApiRejectsBadInputAndStaysUsable()
        {
            var mlp = new Mlp();
            Assert.Throws<ArgumentException>(() => mlp.Run(new float[63]));
            Assert.Throws<ArgumentException>(() => mlp.Run(new float[64], new float[9]));
            float[] nan = new float[64];
            nan[5] = float.NaN;
            Assert.Throws<ArgumentException>(() => mlp.Run(nan)); // thrown inside the guard: the flag is released
            ReferenceInterpreter reference = Reference("digits_mlp", out ModelGraph graph);
            Assert.Equal(Dequantized(graph, reference.Run(reference.Quantize(TestSplit[0].Features))), mlp.Run(TestSplit[0].Features));
        }

        [Fact]
        public void FloatApiAllocatesNothing()
        {
            var mlp = new Mlp();
            var cnn = new Cnn();
            float[] x = TestSplit[0].Features;
            float[] batch = TestSplit.Take(70).SelectMany(s => s.Features).ToArray();
            var y = new float[10];
            var labels = new int[70];
            var best = new Prediction[3];
            void Once()
            {
                mlp.Run(x, y);
                cnn.Run(x, y);
                mlp.Predict(x);
                mlp.Predict(batch, labels);
                cnn.Predict(batch, labels);
                mlp.TopK(x, best);
                cnn.TopK(x, best);
            }

            Assert.Equal(0, QuantGen.Testing.Allocations.Fewest(() =>
            {
                for (int i = 0; i < 20; i++)
                {
                    Once();
                }
            }));
        }

        /// <summary>A model whose last layer is a Softmax: TopK's confidences are its own dequantized probabilities.</summary>
        [Fact]
        public void SoftmaxModelsReportTheirOwnProbabilities()
        {
            JsonNode spec = JsonNode.Parse(File.ReadAllText(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.qmodel.json")))!;
            spec["name"] = "digits_probs";
            spec["outputs"] = new JsonArray("probs");
            spec["activations"]!["probs"] = JsonNode.Parse("""{ "type": "int8", "scale": 0.0078125, "zeroPoint": 0 }""");
            spec["layers"]!.AsArray().Add(JsonNode.Parse("""{ "name": "probs", "op": "Softmax", "inputs": ["logits"], "output": "probs", "method": "shiftmax", "x0": -6, "n": 15, "outBits": 8 }"""));
            string text = spec.ToJsonString();
            byte[] weights = File.ReadAllBytes(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.safetensors"));
            const string Source = """
                using QuantGen;

                [QuantizedModel("models/digits_probs.qmodel.json")]
                public partial class Probs { }
                """;
            GeneratorHarness.Run run = GeneratorHarness.Generate(
                Source,
                new MemoryText(GeneratorHarness.ModelsDir + "digits_probs.qmodel.json", text),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "digits_mlp.safetensors", weights));
            Assert.Empty(run.Diagnostics);
            List<Diagnostic> problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            ModelGraph graph = ModelLoader.Load(text, "digits_probs.qmodel.json", weights, "digits_mlp.safetensors").GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);

            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("probs", isCollectible: true);
            try
            {
                pe.Position = 0;
                Assembly assembly = context.LoadFromStream(pe);
                var m = (IQuantizedClassifier)Activator.CreateInstance(assembly.GetType("Probs")!)!;
                Assert.True(m.OutputsAreProbabilities);
                foreach (Sample s in TestSplit.Take(30))
                {
                    int[] q = reference.Run(reference.Quantize(s.Features));
                    int[] order = Enumerable.Range(0, 10).OrderByDescending(i => q[i]).ThenBy(i => i).ToArray();
                    Prediction[] top = m.TopK(s.Features, 4);
                    Assert.Equal(order.Take(4), top.Select(t => t.Index));
                    Assert.Equal(order.Take(4).Select(i => (float)(graph.Output.Quant!.Scale * (q[i] - graph.Output.Quant.ZeroPoint))), top.Select(t => t.Confidence));
                }
            }
            finally
            {
                context.Unload();
            }
        }

        [Fact]
        public void TheGuardIsOnByDefaultAndConcurrencyCheckFalseRemovesIt()
        {
            const string Source = """
                using QuantGen;

                namespace Consumer
                {
                    [QuantizedModel("models/digits_mlp.qmodel.json")]
                    public partial class Guarded { }

                    [QuantizedModel("models/digits_mlp.qmodel.json", ConcurrencyCheck = false)]
                    public partial class Unguarded { }
                }
                """;
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, GeneratorHarness.ModelFiles("digits_mlp"));
            Assert.Empty(run.Diagnostics);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
            string guarded = run.Source("Consumer.Guarded.QuantGen.g.cs"), unguarded = run.Source("Consumer.Unguarded.QuantGen.g.cs");
            Assert.Contains("global::System.Threading.Interlocked.CompareExchange(ref _quantGenBusy, 1, 0)", guarded, StringComparison.Ordinal);
            Assert.Contains("QuantGenEnter();", run.Source("Consumer.Guarded.QuantGen.Boundary.g.cs"), StringComparison.Ordinal);
            Assert.DoesNotContain("_quantGenBusy", unguarded, StringComparison.Ordinal);
            Assert.DoesNotContain("QuantGenEnter", run.Source("Consumer.Unguarded.QuantGen.Boundary.g.cs"), StringComparison.Ordinal);
        }

        /// <summary>After a model error the stub has the whole new surface too: the QG error stays the only error.</summary>
        [Fact]
        public void ModelErrorDoesNotCascadeThroughTheNewApi()
        {
            const string Source = """
                using System;
                using QuantGen;

                [QuantizedModel("models/nope.qmodel.json")]
                public partial class M { }

                public static class Use
                {
                    public static float Go(float[] x)
                    {
                        var m = new M();
                        IQuantizedClassifier c = m;
                        IQuantizedModel plain = m;
                        int[] labels = m.Predict(x, 2);
                        m.Predict(x, labels.AsSpan());
                        Prediction[] top = m.TopK(x, 3);
                        return m.Run(x)[0] + c.TopK(x, 1)[0].Confidence + plain.OutputLength + M.ClassCount + top.Length + (M.OutputsAreProbabilities ? 1 : 0);
                    }
                }
                """;
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, GeneratorHarness.ModelFiles("digits_mlp"));
            Assert.Equal("QG2001", Assert.Single(run.Diagnostics).Id);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }
}
