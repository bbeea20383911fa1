using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Data;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// The model zoo (samples/zoo/models, written by samples/zoo/make_zoo.py) through the importer: what imports, and
    /// for what does not, every problem in one run. Prints the survey table of docs/import.md.
    /// </summary>
    public sealed class ZooSurveyTests
    {
        private readonly ITestOutputHelper output;

        public ZooSurveyTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        internal static string ZooDir => Path.GetDirectoryName(LabeledDataset.FindUpwards(AppContext.BaseDirectory, "samples/zoo/models/results.json"))!;

        internal static string Zoo(string file) => Path.Combine(ZooDir, file);

        /// <summary>Deterministic calibration / test inputs in [0, 1) of the model's input size.</summary>
        internal static List<float[]> Inputs(int count, int size, int seed = 3)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, size).Select(__ => (float)rng.NextDouble()).ToArray()).ToList();
        }

        public sealed class Outcome
        {
            public string File { get; set; } = string.Empty;

            public bool Imported { get; set; }

            public string Summary { get; set; } = string.Empty;

            public IReadOnlyList<ModelDiagnostic> Diagnostics { get; set; } = Array.Empty<ModelDiagnostic>();

            public OnnxImportResult? Result { get; set; }
        }

        /// <summary>Imports one fixture: QDQ files with their own scales, float files with 16 random calibration inputs.</summary>
        internal static Outcome Survey(string path)
        {
            var o = new Outcome { File = Path.GetFileName(path) };
            try
            {
                LoweredModel lowered = OnnxImporter.Lower(path);
                int size = lowered.Spec.Input.Shape.Aggregate(1, (p, d) => p * d);
                OnnxImportResult r = lowered.IsQdq ? OnnxImporter.ImportQdq(path) : OnnxImporter.ImportFloat(path, Inputs(16, size));
                o.Imported = true;
                o.Result = r;
                var ops = r.Model.Graph.Nodes.GroupBy(n => n.Layer.Op).Select(g => $"{g.Key} x{g.Count()}");
                o.Summary = $"imports: {r.Model.Graph.Nodes.Count} layers ({string.Join(", ", ops)})";
            }
            catch (OnnxImportException e)
            {
                o.Diagnostics = e.Diagnostics;
                var byId = e.Diagnostics.GroupBy(d => d.Id).Select(g => $"{g.Key} x{g.Count()}");
                o.Summary = string.Join(", ", byId);
            }

            return o;
        }

        public static IEnumerable<object[]> Files() => Directory.GetFiles(ZooDir, "*.onnx").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).Select(f => new object[] { f! });

        [Theory]
        [MemberData(nameof(Files))]
        public void EveryFixtureImportsOrListsEveryProblemWithAPlace(string file)
        {
            Outcome o = Survey(Zoo(file));
            output.WriteLine($"{file}: {o.Summary}");
            foreach (ModelDiagnostic d in o.Diagnostics)
            {
                output.WriteLine(d.ToString());
            }

            if (!o.Imported)
            {
                Assert.NotEmpty(o.Diagnostics);
                Assert.All(o.Diagnostics, d => Assert.False(string.IsNullOrEmpty(d.Place)));
                Assert.All(o.Diagnostics, d => Assert.StartsWith("QG4", d.Id, StringComparison.Ordinal));
            }
        }

        /// <summary>The models that import: the lowered float graph equals ONNX Runtime on the float exports.</summary>
        [Theory]
        [InlineData("jet_tagger_float13.onnx", new[] { 1, 16 })]
        [InlineData("ad_autoencoder_float13.onnx", new[] { 1, 640 })]
        [InlineData("ad_autoencoder_float17.onnx", new[] { 1, 640 })]
        [InlineData("resnet8_float13.onnx", new[] { 1, 3, 32, 32 })]
        [InlineData("ds_cnn_float13.onnx", new[] { 1, 1, 49, 10 })]
        [InlineData("mobilenet_v1_float13.onnx", new[] { 1, 3, 96, 96 })]
        public void FloatExportsImportAndTheFloatGraphEqualsOnnxRuntime(string file, int[] shape)
        {
            string path = Zoo(file);
            int size = shape.Aggregate(1, (p, d) => p * d);
            OnnxImportResult r = OnnxImporter.ImportFloat(path, Inputs(16, size));
            foreach (string n in r.Notes)
            {
                output.WriteLine(n);
            }

            var fl = new FloatInterpreter(r.FloatGraph);
            using var session = new InferenceSession(path);
            double max = 0, scale = 0;
            foreach (float[] x in Inputs(8, size, seed: 9))
            {
                float[] ort = Fixtures.RunOrt(session, x, shape);
                double[] f = fl.Run(x);
                Assert.Equal(ort.Length, f.Length);
                max = Math.Max(max, f.Zip(ort, (a, b) => Math.Abs(a - b)).Max());
                scale = Math.Max(scale, ort.Max(v => Math.Abs(v)));
            }

            output.WriteLine($"{file}: {r.Model.Graph.Nodes.Count} layers; float graph vs ORT max |diff| {max:G3} (outputs up to {scale:G3})");
            Assert.True(max <= 1e-4 * Math.Max(1, scale), $"max {max}");
        }

        /// <summary>
        /// Quantized exports that import, against ONNX Runtime on the same file (32 random inputs in [0, 1)): the QAT
        /// ConvBn/LinearBn folds, Q -> Cast -> DQ, the Add -> Relu quantization and the per-channel weight-scale folds
        /// must keep the integers within a few LSB of ORT, which evaluates the same graph with float between its Q/DQ nodes
        /// (MobileNet's QAT export: 27 convolutions whose Div/Add/BatchNormalization ORT computes in float, 4 LSB at p99).
        /// </summary>
        [Theory]
        [InlineData("jet_tagger_qat.onnx", new[] { 1, 16 }, 2)]
        [InlineData("jet_tagger_ortqdq.onnx", new[] { 1, 16 }, 2)]
        [InlineData("ad_autoencoder_qat.onnx", new[] { 1, 640 }, 2)]
        [InlineData("ad_autoencoder_convert.onnx", new[] { 1, 640 }, 2)]
        [InlineData("ad_autoencoder_ortqdq.onnx", new[] { 1, 640 }, 2)]
        [InlineData("resnet8_qat.onnx", new[] { 1, 3, 32, 32 }, 2)]
        [InlineData("resnet8_convert.onnx", new[] { 1, 3, 32, 32 }, 2)]
        [InlineData("resnet8_ortqdq.onnx", new[] { 1, 3, 32, 32 }, 2)]
        [InlineData("ds_cnn_qat.onnx", new[] { 1, 1, 49, 10 }, 2)]
        [InlineData("ds_cnn_convert.onnx", new[] { 1, 1, 49, 10 }, 2)]
        [InlineData("ds_cnn_ortqdq.onnx", new[] { 1, 1, 49, 10 }, 2)]
        [InlineData("mobilenet_v1_qat.onnx", new[] { 1, 3, 96, 96 }, 4)]
        [InlineData("mobilenet_v1_convert.onnx", new[] { 1, 3, 96, 96 }, 2)]
        [InlineData("mobilenet_v1_ortqdq.onnx", new[] { 1, 3, 96, 96 }, 2)]
        public void QuantizedExportsAgreeWithOnnxRuntime(string file, int[] shape, int maxP99)
        {
            string path = Zoo(file);
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            foreach (string n in r.Notes)
            {
                output.WriteLine(n);
            }

            int size = shape.Aggregate(1, (p, d) => p * d);
            // ORT's QDQ fusions reject torch 1.13's QAT export of residual models (QLinearAdd: "Scale and Zero-point must
            // be a scalar", the scales are 1-element tensors): compare against ORT's unoptimized graph, the ONNX semantics.
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            int same = 0, samples = 0;
            var lsb = new List<long>();
            foreach (float[] x in Inputs(32, size, seed: 21))
            {
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, shape);
                samples++;
                same += Fixtures.ArgMax(oracle.Dequantize(q)) == Fixtures.ArgMax(ort) ? 1 : 0;
                var oq = oracle.OutputQuant;
                lsb.AddRange(q.Select((v, i) => Math.Abs((long)Math.Round(ort[i] / oq.Scale + oq.ZeroPoint, MidpointRounding.ToEven) - v)));
            }

            lsb.Sort();
            long p99 = lsb[(int)Math.Ceiling(0.99 * lsb.Count) - 1], max = lsb[lsb.Count - 1];
            bool softmaxOut = r.Model.Graph.Nodes[r.Model.Graph.Nodes.Count - 1].Layer is SoftmaxLayer { Method: not SoftmaxMethod.Table };
            output.WriteLine($"{file}: {r.Model.Graph.Nodes.Count} layers; top-1 same {same}/{samples}; outputs differing {lsb.Count(v => v != 0)}/{lsb.Count}, p99 {p99}, max {max} LSB" + (softmaxOut ? " (Shiftmax's int16 output vs ORT's uint8 softmax: LSB not comparable)" : string.Empty));
            Assert.True(same >= samples - 1, $"top-1 {same}/{samples}");
            if (!softmaxOut)
            {
                Assert.True(p99 <= maxP99, $"p99 {p99} LSB");
            }
        }

        /// <summary>Prints the survey table (docs/import.md); asserts nothing beyond the per-file theory.</summary>
        [Fact]
        public void SurveyTable()
        {
            var models = new[] { "jet_tagger", "ad_autoencoder", "resnet8", "ds_cnn", "mobilenet_v1", "deit_tiny", "bert_tiny" };
            var paths = new[] { "float13", "float17", "qat", "convert", "ortqdq" };
            output.WriteLine("| model | " + string.Join(" | ", paths) + " |");
            foreach (string m in models)
            {
                var cells = new List<string>();
                foreach (string p in paths)
                {
                    string f = Zoo($"{m}_{p}.onnx");
                    if (!File.Exists(f))
                    {
                        cells.Add("-");
                        continue;
                    }

                    Outcome o = Survey(f);
                    if (o.Imported)
                    {
                        cells.Add("imports");
                        continue;
                    }

                    var ops = o.Diagnostics.Where(d => d.Place != "graph").Select(d => d.Place ?? string.Empty).Select(d => d.Contains('(') ? d.Substring(d.LastIndexOf('(') + 1).TrimEnd(')') : d)
                        .GroupBy(x => x).Select(g => g.Count() > 1 ? $"{g.Key} x{g.Count()}" : g.Key);
                    cells.Add(string.Join(", ", ops));
                }

                output.WriteLine($"| {m} | " + string.Join(" | ", cells) + " |");
            }
        }
    }
}
