using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using QuantGen.Model;
using QuantGen.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// The corpus of past failures (Corpus/, committed), replayed every run: every file with the id its case must end in
    /// (expect.txt: "kind/file id", "ok" for accepted), and seeds.txt: fuzz seeds that once failed ("kind seed"),
    /// replayed through the same fuzzer. QUANTGEN_FUZZ_WRITE_CORPUS=1 regenerates the built files in the source tree.
    /// </summary>
    public sealed class CorpusTests : IDisposable
    {
        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("corpus");

        public CorpusTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public void Dispose() => Directory.Delete(dir, true);

        private static string SourceCorpus => Path.Combine(TestFiles.Repo, "tests", "QuantGen.Fuzz.Tests", "Corpus");

        [Fact]
        public void EveryCorpusFileEndsInItsExpectedDiagnostic()
        {
            if (Environment.GetEnvironmentVariable("QUANTGEN_FUZZ_WRITE_CORPUS") == "1")
            {
                Write(SourceCorpus);
            }

            string[] lines = File.ReadAllLines(Path.Combine(TestFiles.Corpus, "expect.txt")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
            Assert.True(lines.Length >= 25, "the corpus lost entries");
            foreach (string line in lines)
            {
                string[] parts = line.Split(' ', 2);
                string file = Path.Combine(TestFiles.Corpus, parts[0].Replace('/', Path.DirectorySeparatorChar));
                string expected = parts[1];
                Assert.True(File.Exists(file), file);
                string? failure = FuzzRunner.RunOne(1, _ => Replay(file), 64L << 20, out bool accepted);
                Assert.True(failure == null, parts[0] + ": " + failure);
                if (expected == "ok")
                {
                    Assert.True(accepted, parts[0] + " was rejected");
                }
                else
                {
                    Assert.False(accepted, parts[0] + " was accepted");
                    string detail = Replay(file).Detail;
                    Assert.True(detail.Contains(" " + expected + ":", StringComparison.Ordinal) || detail.Contains("error " + expected, StringComparison.Ordinal), parts[0] + ": expected " + expected + ", got " + detail);
                }
            }

            output.WriteLine($"replayed {lines.Length} corpus files");
        }

        private CaseOutcome Replay(string file)
        {
            string kind = Path.GetFileName(Path.GetDirectoryName(file)!);
            switch (kind)
            {
                case "spec":
                    string folder = Path.Combine(dir, "spec-" + Path.GetFileNameWithoutExtension(file));
                    Directory.CreateDirectory(folder);
                    File.Copy(file, Path.Combine(folder, "model.qmodel.json"), true);
                    File.WriteAllBytes(Path.Combine(folder, "weights.safetensors"), TestFiles.BaseModels[0].Weights);
                    return TestFiles.Check(ModelLoader.Load(Path.Combine(folder, "model.qmodel.json")), runBackends: false);
                case "onnx":
                    Directory.CreateDirectory(Path.Combine(dir, "onnx"));
                    return OnnxFuzzTests.Import(Path.Combine(dir, "onnx"), File.ReadAllBytes(file));
                case "npy":
                    try
                    {
                        CalibrationData.Load(file, 64);
                        return CaseOutcome.Ok();
                    }
                    catch (OnnxImportException e)
                    {
                        return TestFiles.Rejection(e.Diagnostics);
                    }

                case "cli":
                    if (File.ReadAllText(file).Contains("{tmp}/fifo", StringComparison.Ordinal) && !File.Exists(Path.Combine(dir, "fifo")))
                    {
                        Native.MakeFifo(Path.Combine(dir, "fifo"));
                    }

                    string[] args = File.ReadAllLines(file).Select(a => a.Replace("{models}", TestFiles.Models).Replace("{csv}", TestFiles.DigitsCsv).Replace("{tmp}", dir).Replace("\\n", "\n")).ToArray();
                    return CliFuzzTests.RunCli(args);
                default:
                    throw new InvalidOperationException("unknown corpus kind " + kind);
            }
        }

        [Fact]
        public void PastFailingSeedsPass()
        {
            int replayed = 0;
            foreach (string line in File.ReadAllLines(Path.Combine(TestFiles.Corpus, "seeds.txt")).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                string[] parts = line.Split(' ');
                Assert.Equal(2, parts.Length);
                int seed = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                Func<Random, CaseOutcome> oneCase = parts[0] switch
                {
                    "onnx" => rng => OnnxFuzzTests.Import(OnnxFolder(), OnnxFuzzTests.Case(rng)),
                    "hls-knobs" => rng => KnobFuzzTests.Case(rng, KnobFolder()),
                    "spec-json" => rng => SpecFuzzTests.SpecJsonCase(rng, SpecFolder()),
                    _ => throw new InvalidOperationException("no replay for kind " + parts[0]),
                };
                string? failure = FuzzRunner.RunOne(seed, oneCase, 64L << 20, out _);
                Assert.True(failure == null, line + ": " + failure);
                replayed++;
            }

            output.WriteLine($"replayed {replayed} seeds");
        }

        /// <summary>Replays one fuzz case named by QUANTGEN_FUZZ_REPLAY ("kind:seed") and describes it (a debugging aid; passes when unset).</summary>
        [Fact]
        public void ReplayOneSeedFromTheEnvironment()
        {
            string? spec = Environment.GetEnvironmentVariable("QUANTGEN_FUZZ_REPLAY");
            if (spec == null)
            {
                return;
            }

            string[] parts = spec.Split(':');
            byte[] model = OnnxFuzzTests.Case(new Random(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
            File.WriteAllBytes(Path.Combine(Path.GetTempPath(), "quantgen-replay.onnx"), model);
            long before = GC.GetAllocatedBytesForCurrentThread();
            CaseOutcome outcome = OnnxFuzzTests.Import(OnnxFolder(), model);
            output.WriteLine($"{model.Length} bytes, allocated {GC.GetAllocatedBytesForCurrentThread() - before}, accepted {outcome.Accepted}: {FuzzRunner.Clip(outcome.Detail)}");
        }

        private string SpecFolder()
        {
            string d = Path.Combine(dir, "spec-seeds");
            Directory.CreateDirectory(d);
            return d;
        }

        private string KnobFolder()
        {
            string d = Path.Combine(dir, "knob-seeds");
            Directory.CreateDirectory(d);
            KnobFuzzTests.Prepare(d);
            return d;
        }

        private string OnnxFolder()
        {
            string d = Path.Combine(dir, "onnx-seeds");
            Directory.CreateDirectory(d);
            return d;
        }

        /// <summary>Builds the corpus files of the cases named in issue 17 (run once with QUANTGEN_FUZZ_WRITE_CORPUS=1).</summary>
        private static void Write(string root)
        {
            string spec = TestFiles.BaseModels[0].Spec;
            void Spec(string name, Action<JsonNode> edit)
            {
                JsonNode n = JsonNode.Parse(spec)!;
                edit(n);
                Directory.CreateDirectory(Path.Combine(root, "spec"));
                File.WriteAllText(Path.Combine(root, "spec", name + ".qmodel.json"), n.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            }

            Spec("weights-dev-zero", n => n["weights"] = "/dev/zero");
            Spec("weights-etc-passwd", n => n["weights"] = "../../../../etc/passwd");
            Spec("weights-absolute", n => n["weights"] = "/etc/passwd");
            Spec("weights-folder", n => n["weights"] = ".");
            Spec("label-newline", n => n["labels"] = new JsonArray("a\nb", "c\u2028d", "e\u2029f", "g\u0085h", "\"q\"\\", "\u0001"));
            Spec("label-too-long", n => n["labels"] = new JsonArray(new string('x', 300)));
            Spec("qg-prefix-layer", n => n["layers"]![0]!["name"] = "qg_fc");

            byte[] Model(string name) => File.ReadAllBytes(Path.Combine(TestFiles.OnnxModels, name));
            void Onnx(string name, byte[] bytes)
            {
                Directory.CreateDirectory(Path.Combine(root, "onnx"));
                File.WriteAllBytes(Path.Combine(root, "onnx", name + ".onnx"), bytes);
            }

            Onnx("conv-strides-0", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "strides", OnnxRegressionTests.Ints(0, 0)));
            Onnx("maxpool-strides-0", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "MaxPool", "strides", OnnxRegressionTests.Ints(0, 0)));
            Onnx("conv-group-0", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "group", OnnxRegressionTests.Int(0)));
            Onnx("conv-group-2p40", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "group", OnnxRegressionTests.Int(1L << 40)));
            Onnx("conv-dilations-0", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "dilations", OnnxRegressionTests.Ints(0, 0)));
            Onnx("conv-pads-negative", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "pads", OnnxRegressionTests.Ints(-1, -1, -1, -1)));
            Onnx("conv-kernel-shape-mismatch", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Conv", "kernel_shape", OnnxRegressionTests.Ints(5, 5)));
            Onnx("flatten-axis-2p40", OnnxRegressionTests.WithAttribute(Model("cnn_qdq.onnx"), "Flatten", "axis", OnnxRegressionTests.Int(1L << 40)));
            Onnx("layernorm-eps-inf", OnnxRegressionTests.WithAttribute(Model("vit_qdq.onnx"), "LayerNormalization", "epsilon", OnnxRegressionTests.Float(float.PositiveInfinity)));
            Onnx("layernorm-eps-neg", OnnxRegressionTests.WithAttribute(Model("vit_qdq.onnx"), "LayerNormalization", "epsilon", OnnxRegressionTests.Float(-1f)));
            Onnx("layernorm-eps-0", OnnxRegressionTests.WithAttribute(Model("vit_qdq.onnx"), "LayerNormalization", "epsilon", OnnxRegressionTests.Float(0f)));
            Onnx("batchnorm-eps-neg", OnnxRegressionTests.WithAttribute(Model("cnn_float.onnx"), "BatchNormalization", "epsilon", OnnxRegressionTests.Float(-1f)));

            List<ProtoField> r = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            r.First(f => f.Number == 7).LengthOverride = (1UL << 32) + 1;
            Onnx("length-2p32p1", ProtoTree.Write(r));

            r = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            ProtoField init = r.First(f => f.Number == 7).Children!.First(f => f.Number == 5);
            init.Children!.InsertRange(0, Enumerable.Range(0, 1000).Select(_ => ProtoTree.Varint(1, 1)));
            Onnx("thousand-dims", ProtoTree.Write(r));

            r = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            init = r.First(f => f.Number == 7).Children!.First(f => f.Number == 5 && f.Children!.Any(c => c.Number == 9));
            init.Children!.Add(new ProtoField { Number = 4, WireType = 5, Payload = BitConverter.GetBytes(1f) });
            Onnx("raw-and-float-data", ProtoTree.Write(r));

            Directory.CreateDirectory(Path.Combine(root, "npy"));
            File.WriteAllBytes(Path.Combine(root, "npy", "shape-1e3.npy"), DataFuzzTests.NpyFile("<f4", "(1e3,)", 256, "False", 1));
            File.WriteAllBytes(Path.Combine(root, "npy", "shape-negative.npy"), DataFuzzTests.NpyFile("<f4", "(-1, 64)", 256, "False", 1));
        }
    }
}
