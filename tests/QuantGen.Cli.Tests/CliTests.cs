using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Xml.Linq;
using QuantGen.Cli;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Cli
{
    /// <summary>Every quantgen command, run in-process with captured output, on the committed digits models and data.</summary>
    public sealed class CliTests : IDisposable
    {
        private readonly string temp = Path.Combine(Path.GetTempPath(), "quantgen-cli-" + Guid.NewGuid().ToString("N"));

        public CliTests()
        {
            Directory.CreateDirectory(temp);
        }

        public void Dispose() => Directory.Delete(temp, true);

        private static string Models => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));

        private static string Csv => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"));

        private static (int Code, string Out, string Err) Run(params string[] args)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int code = CliApp.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }

        [Fact]
        public void HelpListsEveryCommand()
        {
            (int code, string output, _) = Run("--help");
            Assert.Equal(0, code);
            foreach (string c in new[] { "inspect", "quantize", "verify", "bench" })
            {
                Assert.Contains(c, output, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void InspectPrintsLayersRangesAndTotals()
        {
            (int code, string output, string error) = Run("inspect", Path.Combine(Models, "digits_mlp.qmodel.json"));
            Assert.True(code == 0, error);
            Assert.Contains("fc1    Dense  [64]   [128]   int8  8192", output, StringComparison.Ordinal);
            Assert.Contains("[-646215, 533013] (21)", output, StringComparison.Ordinal);

            // 64*128 + 128*64 + 64*10 MACs; int8 weights 8192 + 8192 + 640 bytes plus int32 biases 4 * (128 + 64 + 10).
            Assert.Contains("total: 17,024 MACs per inference, 17,832 bytes of weights", output, StringComparison.Ordinal);
        }

        [Fact]
        public void InspectCountsConvolutionMacs()
        {
            (int code, string output, string error) = Run("inspect", Path.Combine(Models, "digits_cnn.qmodel.json"));
            Assert.True(code == 0, error);

            // conv1: 8 x 8x8 outputs x (1 x 3 x 3) taps; depthwise: 8 x 4x4 x (1 x 3 x 3); pointwise: 16 x 4x4 x 8; fc: 10 x 16.
            Assert.Contains("conv1         Conv2d     [1, 1, 8, 8]   [1, 8, 8, 8]   int8  4608 ", output, StringComparison.Ordinal);
            Assert.Contains("dw            Conv2d     [1, 8, 4, 4]   [1, 8, 4, 4]   int8  1152 ", output, StringComparison.Ordinal);
            Assert.Contains("total: 7,968 MACs per inference", output, StringComparison.Ordinal);
        }

        [Fact]
        public void InspectJsonIsMachineReadable()
        {
            (int code, string output, _) = Run("inspect", Path.Combine(Models, "digits_vit.qmodel.json"), "--json");
            Assert.Equal(0, code);
            using JsonDocument doc = JsonDocument.Parse(output);
            Assert.Equal("digits_vit", doc.RootElement.GetProperty("name").GetString());
            Assert.Equal(30, doc.RootElement.GetProperty("layers").GetArrayLength());
            JsonElement ctx = doc.RootElement.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "b0_ctx");
            Assert.Equal(28, ctx.GetProperty("accumulatorBits").GetInt32());
        }

        /// <summary>A model with token ids and a mask (two inputs) and two outputs, written next to the test.</summary>
        private string TwoInputModel()
        {
            string spec = Path.Combine(temp, "masked.qmodel.json");
            File.WriteAllText(spec, """
                {
                  "format": "quantgen", "version": 1, "name": "masked", "kind": "quantized", "weights": "masked.safetensors",
                  "inputs": [
                    { "name": "input_ids", "shape": [1, 3], "range": [0, 3], "type": "index" },
                    { "name": "attention_mask", "shape": [1, 3], "range": [0, 1], "type": "int8", "scale": 1, "zeroPoint": 0 }
                  ],
                  "outputs": ["p", "e"],
                  "initializers": { "tok": { "type": "int8", "shape": [4, 3], "scale": 0.1 } },
                  "activations": { "e": { "type": "int8", "scale": 0.1, "zeroPoint": 0 }, "p": { "type": "int8", "scale": 0.0078125, "zeroPoint": 0 } },
                  "layers": [
                    { "name": "emb", "op": "Embedding", "inputs": ["input_ids"], "output": "e", "table": "tok" },
                    { "name": "attn", "op": "MaskedSoftmax", "inputs": ["e", "attention_mask"], "output": "p", "x0": -10, "n": 4, "outBits": 8 }
                  ]
                }
                """);
            File.WriteAllBytes(Path.Combine(temp, "masked.safetensors"), SafeTensors.Write(new[] { TensorCodec.EncodeInts("tok", Numerics.ElementType.Int8, new[] { 4, 3 }, new[] { 1, 2, 3, -6, -5, -4, 50, 60, 70, 127, -128, 0 }) }));
            return spec;
        }

        [Fact]
        public void InspectPrintsEveryInputAndOutput()
        {
            (int code, string output, string error) = Run("inspect", TwoInputModel());
            Assert.True(code == 0, error);
            Assert.Contains("input  input_ids [1, 3] index (int32 ids), valid ids [0, 3]\n", output, StringComparison.Ordinal);
            Assert.Contains("input  attention_mask [1, 3] int8 scale 1 zero point 0, declared range [0, 1]\n", output, StringComparison.Ordinal);
            Assert.Contains("output p [1, 3, 3] int8 scale 0.0078125 zero point 0\noutput e [1, 3, 3] int8 scale 0.1 zero point 0\n", output, StringComparison.Ordinal);
            Assert.Contains("attn   MaskedSoftmax  [1, 3, 3] x [1, 3]", output, StringComparison.Ordinal);
        }

        [Fact]
        public void InspectPrintsOutputQuantizationAndJsonListsEveryInputAndOutput()
        {
            string spec = TwoInputModel();
            (int code, string output, string error) = Run("inspect", spec);
            Assert.True(code == 0, error);
            Assert.Contains("output p [1, 3, 3] int8 scale 0.0078125 zero point 0\noutput e [1, 3, 3] int8 scale 0.1 zero point 0\n", output, StringComparison.Ordinal);
            (code, output, error) = Run("inspect", spec, "--json");
            Assert.True(code == 0, error);
            using JsonDocument doc = JsonDocument.Parse(output);
            JsonElement[] inputs = doc.RootElement.GetProperty("inputs").EnumerateArray().ToArray();
            Assert.Equal(new[] { "input_ids", "attention_mask" }, inputs.Select(i => i.GetProperty("name").GetString()));
            Assert.Equal("index", inputs[0].GetProperty("type").GetString());
            Assert.Equal(new[] { 0.0, 3.0 }, inputs[0].GetProperty("validIds").EnumerateArray().Select(v => v.GetDouble()));
            Assert.False(inputs[0].TryGetProperty("scale", out _));
            Assert.Equal("int8", inputs[1].GetProperty("type").GetString());
            Assert.Equal(new[] { 1, 3 }, inputs[1].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal((1.0, 0), (inputs[1].GetProperty("scale").GetDouble(), inputs[1].GetProperty("zeroPoint").GetInt32()));
            Assert.Equal(new[] { 0.0, 1.0 }, inputs[1].GetProperty("range").EnumerateArray().Select(v => v.GetDouble()));
            JsonElement[] outputs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToArray();
            Assert.Equal(new[] { "p", "e" }, outputs.Select(o => o.GetProperty("name").GetString()));
            Assert.Equal((0.0078125, 0), (outputs[0].GetProperty("scale").GetDouble(), outputs[0].GetProperty("zeroPoint").GetInt32()));
            Assert.Equal(new[] { 1, 3, 3 }, outputs[1].GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        }

        [Fact]
        public void BenchRunsAModelWithSeveralInputsOnRandomInputsAndChecksIt()
        {
            (int code, string output, string error) = Run("bench", TwoInputModel(), "--seconds", "0.05");
            Assert.True(code == 0, error);
            Assert.Contains("masked: 0 MACs per inference, 256 inputs (random: input_ids ids in [0, 3], attention_mask int8 in [0, 1])", output, StringComparison.Ordinal);
            Assert.Contains("bit-exact on 256/256", output, StringComparison.Ordinal);
        }

        [Fact]
        public void BenchRefusesCsvDataForAModelWithSeveralInputs()
        {
            (int code, _, string error) = Run("bench", TwoInputModel(), "--data", Csv);
            Assert.Equal(1, code);
            Assert.Contains("masked.qmodel.json: error QG5012: --data digits.csv: a CSV row is one feature vector, but model \"masked\" has 2 input(s) (input_ids (token ids), attention_mask)", error, StringComparison.Ordinal);
        }

        [Fact]
        public void VerifyStillRefusesAModelWithSeveralOutputsByName()
        {
            (int code, _, string error) = Run("verify", TwoInputModel(), "-f", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-d", Csv);
            Assert.Equal(1, code);
            Assert.Contains("masked.qmodel.json: error QG5008: model \"masked\" has 2 outputs (p, e); a --data CSV's label column cannot say which output it scores: give --input NAME=FILE per input and --labels OUTPUT=FILE per classifier output instead", error, StringComparison.Ordinal);
        }

        private string Write(string name, string text)
        {
            string path = Path.Combine(temp, name);
            File.WriteAllText(path, text);
            return path;
        }

        [Fact]
        public void RunTakesOneNamedFilePerInputAndPrintsEveryOutput()
        {
            string spec = TwoInputModel();
            string ids = Write("ids.txt", "3 0\n2\n"), mask = Write("mask.txt", "1, 1, 0");

            // The reference interpreter on the same integers: the expected outputs, not computed by the command.
            var reference = new QuantGen.Interpreters.ReferenceInterpreter(ModelLoader.Load(spec).GetGraphOrThrow());
            int[][] expected = reference.RunMany(new[] { new[] { 3, 0, 2 }, new[] { 1, 1, 0 } });

            // Embedding rows 3, 0, 2 of the table: (127, -128, 0), (1, 2, 3), (50, 60, 70).
            Assert.Equal(new[] { 127, -128, 0, 1, 2, 3, 50, 60, 70 }, expected[1]);
            (int code, string output, string error) = Run("run", spec, "--input", "attention_mask=" + mask, "--input", "input_ids=" + ids);
            Assert.True(code == 0, error);
            Assert.Contains("output p [1, 3, 3] int8 (scale 0.0078125, zero point 0)\n  integers: " + string.Join(" ", expected[0]) + "\n", output, StringComparison.Ordinal);
            Assert.Contains("output e [1, 3, 3] int8 (scale 0.1, zero point 0)\n  integers: 127 -128 0 1 2 3 50 60 70\n  real:     12.7 -12.8 0 0.1 0.2 0.3 5 6 7\n", output, StringComparison.Ordinal);

            (code, output, error) = Run("run", spec, "-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "--json");
            Assert.True(code == 0, error);
            using JsonDocument doc = JsonDocument.Parse(output);
            JsonElement[] outs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToArray();
            Assert.Equal(expected[0], outs[0].GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(expected[1], outs[1].GetProperty("values").EnumerateArray().Select(v => v.GetInt32()));
        }

        [Fact]
        public void RunOfAOneInputModelTakesAFileWithoutAName()
        {
            var reference = new QuantGen.Interpreters.ReferenceInterpreter(ModelLoader.Load(Path.Combine(Models, "digits_mlp.qmodel.json")).GetGraphOrThrow());
            float[] x = Enumerable.Range(0, 64).Select(i => (float)(i % 17)).ToArray();
            int[] expected = reference.Run(reference.Quantize(x));
            string file = Write("x.txt", string.Join(" ", x.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            (int code, string output, string error) = Run("run", Path.Combine(Models, "digits_mlp.qmodel.json"), "--input", file);
            Assert.True(code == 0, error);
            Assert.Contains("  integers: " + string.Join(" ", expected) + "\n", output, StringComparison.Ordinal);
        }

        [Fact]
        public void EmitHlsTakesOneGoldenSampleFromNamedInputFiles()
        {
            string spec = TwoInputModel();
            string ids = Write("ids.txt", "3 0 2"), mask = Write("mask.txt", "1 1 0");
            string outDir = Path.Combine(temp, "hls");
            (int code, string output, string error) = Run("emit-hls", spec, "-o", outDir, "--test-input", "input_ids=" + ids, "--test-input", "attention_mask=" + mask, "--csim");
            Assert.True(code == 0, error + output);
            Assert.Contains("csim with", output, StringComparison.Ordinal);
            Assert.Contains("PASS", output, StringComparison.Ordinal);

            // The first golden sample of each input's file is the one given (ids as they are, the mask's 1 1 0 quantized at scale 1).
            string[] golden = Directory.GetFiles(Path.Combine(outDir, "masked"), "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".dat", StringComparison.Ordinal)).ToArray();
            Assert.Contains(golden, f => File.ReadLines(f).FirstOrDefault()?.Trim() == "3 0 2");
            Assert.Contains(golden, f => File.ReadLines(f).FirstOrDefault()?.Trim() == "1 1 0");

            (code, _, error) = Run("emit-hls", spec, "-o", Path.Combine(temp, "hls2"), "--test-input", "input_ids=" + ids);
            Assert.Equal(2, code);
            Assert.Contains("error QG5009: model \"masked\" needs a file for input attention_mask; add --test-input attention_mask=FILE", error, StringComparison.Ordinal);
        }

        [Fact]
        public void RunReportsBadInputArgumentsAndFilesWithLocatedIds()
        {
            string spec = TwoInputModel();
            string ids = Write("ids.txt", "3 0 2"), mask = Write("mask.txt", "1 1 0");

            (int code, _, string error) = Run("run", spec, "--input", "input_ids=" + ids);
            Assert.Equal(2, code);
            Assert.Contains("error QG5009: model \"masked\" needs a file for input attention_mask; add --input attention_mask=FILE", error, StringComparison.Ordinal);

            (code, _, error) = Run("run", spec, "--input", "tokens=" + ids, "--input", "attention_mask=" + mask);
            Assert.Equal(2, code);
            Assert.Contains("error QG5009: --input tokens=" + ids + ": model \"masked\" has no input \"tokens\" (its inputs: input_ids, attention_mask)", error, StringComparison.Ordinal);

            (code, _, error) = Run("run", spec, "--input", ids, "--input", "attention_mask=" + mask);
            Assert.Equal(2, code);
            Assert.Contains("has 2 inputs (input_ids, attention_mask); name each: --input NAME=FILE", error, StringComparison.Ordinal);

            (code, _, error) = Run("run", spec, "-i", "input_ids=" + ids, "-i", "input_ids=" + ids, "-i", "attention_mask=" + mask);
            Assert.Equal(2, code);
            Assert.Contains("error QG5009: --input input_ids=" + ids + ": input \"input_ids\" is given twice", error, StringComparison.Ordinal);

            string badIds = Write("bad_ids.txt", "3 0\n  4\n");
            (code, _, error) = Run("run", spec, "-i", "input_ids=" + badIds, "-i", "attention_mask=" + mask);
            Assert.Equal(1, code);
            Assert.Contains("bad_ids.txt(2,3): error QG5011: 4 at position 2 is not a valid id of input \"input_ids\" (0 to 3)", error, StringComparison.Ordinal);

            string word = Write("word.txt", "1 x 0");
            (code, _, error) = Run("run", spec, "-i", "input_ids=" + ids, "-i", "attention_mask=" + word);
            Assert.Equal(1, code);
            Assert.Contains("word.txt(1,3): error QG5010: \"x\" is not a number (input \"attention_mask\" takes real values; '.' as the decimal point)", error, StringComparison.Ordinal);

            string shortMask = Write("short.txt", "1 1");
            (code, _, error) = Run("run", spec, "-i", "input_ids=" + ids, "-i", "attention_mask=" + shortMask);
            Assert.Equal(1, code);
            Assert.Contains("short.txt: error QG5010: has 2 values; input \"attention_mask\" [1, 3] takes 3", error, StringComparison.Ordinal);

            string wide = Write("wide.txt", "1 2 0");
            (code, _, error) = Run("run", spec, "-i", "input_ids=" + ids, "-i", "attention_mask=" + wide);
            Assert.Equal(1, code);
            Assert.Contains("wide.txt(1,3): error QG5011: 2 at position 1 quantizes to 2, outside the declared range [0, 1] of input \"attention_mask\"", error, StringComparison.Ordinal);
        }

        [Fact]
        public void InspectOfAMalformedModelExitsOneWithTheLocatedDiagnostic()
        {
            string bad = Path.Combine(temp, "bad.qmodel.json");
            File.WriteAllText(bad, File.ReadAllText(Path.Combine(Models, "digits_mlp.qmodel.json")).Replace("\"op\": \"Dense\"", "\"op\": \"Conv9\""));
            File.Copy(Path.Combine(Models, "digits_mlp.safetensors"), Path.Combine(temp, "digits_mlp.safetensors"));
            (int code, _, string error) = Run("inspect", bad);
            Assert.Equal(1, code);
            Assert.Contains("bad.qmodel.json(83,13): error QG1006: unknown operator \"Conv9\"", error, StringComparison.Ordinal);
        }

        [Fact]
        public void MissingArgumentIsAUsageError()
        {
            (int code, _, string error) = Run("inspect");
            Assert.Equal(2, code);
            Assert.Contains("quantgen --help", error, StringComparison.Ordinal);
        }

        [Fact]
        public void QuantizeWritesALoadableModelAndShowsProgress()
        {
            string output = Path.Combine(temp, "mlp.qmodel.json");
            (int code, string stdout, string stderr) = Run("quantize", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "--calibration", Csv, "--limit", "200", "--output", output);
            Assert.True(code == 0, stderr);
            Assert.Contains("(200 calibration samples)", stdout, StringComparison.Ordinal);
            Assert.Contains("calibrating digits_mlp [####################] 100% (200/200)", stderr, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(temp, "mlp.safetensors")));
            Assert.Equal("mlp", ModelLoader.Load(output).GetGraphOrThrow().Name);
        }

        [Fact]
        public void QuantizeRejectsDataThatDoesNotFitTheModel()
        {
            string csv = Path.Combine(temp, "small.csv");
            File.WriteAllText(csv, "split,label,a,b\ntrain,1,0,1\n");
            (int code, _, string error) = Run("quantize", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-c", csv, "-o", Path.Combine(temp, "x.qmodel.json"));
            Assert.Equal(1, code);
            Assert.Contains("has 2 features per row but model \"digits_mlp\" takes 64", error, StringComparison.Ordinal);
        }

        [Fact]
        public void QuantizeRejectsAnUnknownMethod()
        {
            (int code, _, string error) = Run("quantize", Path.Combine(Models, "digits_vit.float.qmodel.json"), "-c", Csv, "-o", Path.Combine(temp, "x.qmodel.json"), "--softmax", "sparsemax");
            Assert.Equal(2, code);
            Assert.Contains("sparsemax", error, StringComparison.Ordinal);
        }

        [Fact]
        public void VerifyWritesJsonMarkdownAndPlots()
        {
            string report = Path.Combine(temp, "report");
            (int code, string output, string error) = Run("verify", Path.Combine(Models, "digits_vit.qmodel.json"), "--float", Path.Combine(Models, "digits_vit.float.qmodel.json"), "--data", Csv, "--limit", "60", "--report", report);
            Assert.True(code == 0, error);
            Assert.Contains("| digits_vit |", output, StringComparison.Ordinal);
            Assert.Contains("b0_attn (Softmax, shiftmax): max abs error", output, StringComparison.Ordinal);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "fidelity.json")));
            Assert.Equal(60, doc.RootElement.GetProperty("samples").GetInt32());
            Assert.InRange(doc.RootElement.GetProperty("top1Agreement").GetDouble(), 0.9, 1.0);
            Assert.Equal(3, doc.RootElement.GetProperty("operatorErrors").EnumerateArray().Count(e => e.GetProperty("op").GetString() == "LayerNorm"));
            Assert.Contains("## Per-layer SQNR", File.ReadAllText(Path.Combine(report, "fidelity.md")), StringComparison.Ordinal);
            Assert.Contains("![per-layer SQNR](sqnr.svg)", File.ReadAllText(Path.Combine(report, "fidelity.md")), StringComparison.Ordinal);
            Assert.Contains("(+ fidelity.json, sqnr.svg, operators.svg)", output, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(report, "*.png"));

            // every layer of the report is a bar of sqnr.svg; each operator kind (Softmax, LayerNorm, Gelu) has its own panel
            XDocument sqnr = XDocument.Load(Path.Combine(report, "sqnr.svg"));
            string[] layers = doc.RootElement.GetProperty("layerSqnrDb").EnumerateArray().Select(e => e.GetProperty("layer").GetString()!).ToArray();
            Assert.NotEmpty(layers);
            Assert.Equal(layers, ReportPlotsTests.Bars(sqnr).Select(b => (string)b.Attribute("data-label")!));
            XDocument operators = XDocument.Load(Path.Combine(report, "operators.svg"));
            Assert.Equal(new[] { "Gelu", "LayerNorm", "Softmax" }, ReportPlotsTests.Panels(operators).Select(p => ((string)p.Attribute("data-title")!).Split(' ')[0]));
        }

        [Fact]
        public void VerifyFailsWhenTheAccuracyDropExceedsTheThreshold()
        {
            (int code, _, string error) = Run("verify", Path.Combine(Models, "digits_mlp.qmodel.json"), "-f", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-d", Csv, "--limit", "50", "--max-accuracy-drop", "-1");
            Assert.Equal(1, code);
            Assert.Contains("below float accuracy", error, StringComparison.Ordinal);
        }

        [Fact]
        public void VerifyRejectsSwappedModels()
        {
            (int code, _, string error) = Run("verify", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-f", Path.Combine(Models, "digits_mlp.qmodel.json"), "-d", Csv);
            Assert.Equal(1, code);
            Assert.Contains("verify compares a quantized model", error, StringComparison.Ordinal);
        }

        [Fact]
        public void BenchCompilesTheGeneratedCodeAndChecksIt()
        {
            (int code, string output, string error) = Run("bench", Path.Combine(Models, "digits_mlp.qmodel.json"), "--data", Csv, "--seconds", "0.1");
            Assert.True(code == 0, error);
            Assert.Contains("bit-exact on 450/450", output, StringComparison.Ordinal);
            Assert.Contains("17,024 MACs per inference", output, StringComparison.Ordinal);
        }

        [Fact]
        public void BenchRejectsAFloatModel()
        {
            (int code, _, string error) = Run("bench", Path.Combine(Models, "digits_mlp.float.qmodel.json"));
            Assert.Equal(1, code);
            Assert.Contains("is a float model", error, StringComparison.Ordinal);
        }

        private static string OnnxModels => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("tests", "QuantGen.Onnx.Tests", "Models"));

        [Fact]
        public void EmitHlsWritesTheProjectAndItsTestbenchPasses()
        {
            (int code, string output, string error) = Run("emit-hls", Path.Combine(Models, "digits_mlp.qmodel.json"), "-o", temp, "--test-data", Csv, "--test-vectors", "10", "--reuse-factor", "2", "--csim");
            Assert.True(code == 0, error + output);
            Assert.True(File.Exists(Path.Combine(temp, "digits_mlp", "firmware", "digits_mlp.cpp")));
            Assert.Contains("(io_parallel, reuse 2,", output, StringComparison.Ordinal);
            Assert.Contains("csim with g++: PASS: 15 samples, 150 output elements", output, StringComparison.Ordinal);
        }

        [Fact]
        public void EmitHlsCompilesTheCnnWithPerLayerReuse()
        {
            (int code, string output, string error) = Run("emit-hls", Path.Combine(Models, "digits_cnn.qmodel.json"), "-o", temp, "--test-data", Csv, "--test-vectors", "10", "--io-mode", "io_stream", "--layer-reuse", "conv1=3;dw=9", "--csim");
            Assert.True(code == 0, error + output);
            Assert.Contains("(io_stream, reuse 1 (conv1=3;dw=9),", output, StringComparison.Ordinal);
            Assert.Contains("csim with g++: PASS: 15 samples, 150 output elements", output, StringComparison.Ordinal);
        }

        [Fact]
        public void EmitHlsRejectsAnInvalidKnobWithItsCode()
        {
            (int code, _, string error) = Run("emit-hls", Path.Combine(Models, "digits_mlp.qmodel.json"), "-o", temp, "--io-mode", "io_serial");
            Assert.Equal(1, code);
            Assert.Contains("error QG3001", error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(temp));
        }

        [Fact]
        public void ImportQuantizesAFloatOnnxModelFromCsvCalibration()
        {
            string output = Path.Combine(temp, "mlp.qmodel.json");
            (int code, string stdout, string stderr) = Run("import", Path.Combine(OnnxModels, "mlp_float.onnx"), "-o", output, "-c", Csv, "--range", "percentile");
            Assert.True(code == 0, stderr);
            Assert.Contains("(float + calibration): 3 layers", stdout, StringComparison.Ordinal);
            Assert.True(ModelLoader.Load(output).GetGraphOrThrow().IsQuantized);
        }

        /// <summary>
        /// --activation-bits 16 makes the post-training quantizer give every layer int16 activations (weights stay int8);
        /// widths outside 8..16, or widths without --calibration (nothing to quantize from), are QG5001 and write nothing.
        /// </summary>
        [Fact]
        public void ImportActivationBitsWidenEveryLayerAndRefuseWhatTheyCannotDo()
        {
            string output = Path.Combine(temp, "wide.qmodel.json");
            (int code, string stdout, string stderr) = Run("import", Path.Combine(OnnxModels, "mlp_float.onnx"), "-o", output, "-c", Csv, "--activation-bits", "16");
            Assert.True(code == 0, stderr);
            Assert.Contains("(float + calibration): 3 layers", stdout, StringComparison.Ordinal);
            ModelGraph g = ModelLoader.Load(output).GetGraphOrThrow();
            Assert.Equal(3, g.Nodes.Count);
            Assert.All(g.Nodes, n => Assert.Equal(ElementType.Int16, n.Output.Type));
            Assert.All(g.Nodes.Where(n => n.Weight != null), n => Assert.Equal(ElementType.Int8, n.Weight!.Type));

            (code, string narrowOut, string narrowErr) = Run("import", Path.Combine(OnnxModels, "mlp_float.onnx"), "-o", Path.Combine(temp, "narrow.qmodel.json"), "-c", Csv);
            Assert.True(code == 0, narrowErr);
            Assert.All(ModelLoader.Load(Path.Combine(temp, "narrow.qmodel.json")).GetGraphOrThrow().Nodes, n => Assert.Equal(ElementType.Int8, n.Output.Type));

            foreach (string[] bad in new[]
            {
                new[] { "--activation-bits", "17" },
                new[] { "--activation-bits", "4" },
                new[] { "--activation-bits", "16", "--attention-bits", "7" },
            })
            {
                string dir = Path.Combine(temp, "bad" + Guid.NewGuid().ToString("N"));
                (code, _, string error) = Run(new[] { "import", Path.Combine(OnnxModels, "mlp_float.onnx"), "-o", Path.Combine(dir, "x.qmodel.json"), "-c", Csv }.Concat(bad).ToArray());
                Assert.Equal(2, code);
                Assert.Contains("error QG5001", error, StringComparison.Ordinal);
                Assert.Contains("outside 8..16", error, StringComparison.Ordinal);
                Assert.False(Directory.Exists(dir) && Directory.GetFileSystemEntries(dir).Length > 0);
            }

            (code, _, string noData) = Run("import", Path.Combine(OnnxModels, "mlp_qdq.onnx"), "-o", Path.Combine(temp, "q16.qmodel.json"), "--activation-bits", "16");
            Assert.Equal(2, code);
            Assert.Contains("error QG5001", noData, StringComparison.Ordinal);
            Assert.Contains("need --calibration", noData, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(temp, "q16.qmodel.json")));
        }

        [Fact]
        public void ImportKeepsTheScalesOfAQdqModel()
        {
            (int code, string stdout, string stderr) = Run("import", Path.Combine(OnnxModels, "mlp_qdq.onnx"), "-o", Path.Combine(temp, "q.qmodel.json"));
            Assert.True(code == 0, stderr);
            Assert.Contains("(QDQ)", stdout, StringComparison.Ordinal);
        }

        [Fact]
        public void ImportOfAFloatModelWithoutCalibrationExplainsWhatIsMissing()
        {
            (int code, _, string error) = Run("import", Path.Combine(OnnxModels, "mlp_float.onnx"), "-o", Path.Combine(temp, "x.qmodel.json"));
            Assert.Equal(1, code);
            Assert.Contains("error QG4011: a float model needs calibration inputs", error, StringComparison.Ordinal);
        }

        /// <summary>
        /// --free-dim gives a symbolic non-batch input dimension a value (malformed/dynamic-shape.onnx: x [batch, features]):
        /// without it QG4004 names the option; with features=4 the float model imports from a 4-feature CSV. A malformed
        /// --free-dim is QG5001.
        /// </summary>
        [Fact]
        public void ImportFreeDimFixesASymbolicInputDimension()
        {
            string onnx = Path.Combine(OnnxModels, "malformed", "dynamic-shape.onnx");
            string csv = Path.Combine(temp, "four.csv");
            File.WriteAllText(csv, "split,label,a,b,c,d\ntrain,0,0.1,0.2,0.3,0.4\ntrain,1,-0.5,0.5,1,0\n");
            (int code, _, string error) = Run("import", onnx, "-o", Path.Combine(temp, "x.qmodel.json"), "-c", csv);
            Assert.Equal(1, code);
            Assert.Contains("error QG4004", error, StringComparison.Ordinal);
            Assert.Contains("FreeDimensions", error, StringComparison.Ordinal);

            (code, string stdout, string stderr) = Run("import", onnx, "-o", Path.Combine(temp, "y.qmodel.json"), "-c", csv, "--free-dim", "features=4");
            Assert.True(code == 0, stderr);
            Assert.Contains("(float + calibration): 1 layers", stdout, StringComparison.Ordinal);
            Assert.Equal(new[] { 1, 4 }, ModelLoader.Load(Path.Combine(temp, "y.qmodel.json")).GetGraphOrThrow().Inputs[0].Shape);

            (code, _, error) = Run("import", onnx, "-o", Path.Combine(temp, "z.qmodel.json"), "-c", csv, "--free-dim", "features");
            Assert.Equal(2, code);
            Assert.Contains("QG5001", error, StringComparison.Ordinal);
        }
    }
}
