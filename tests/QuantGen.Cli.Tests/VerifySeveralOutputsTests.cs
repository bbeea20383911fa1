using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuantGen.Cli;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Cli
{
    /// <summary>
    /// quantgen verify on a model with two outputs: the digits MLP with its last hidden layer (h2, ReLU, [64]) exposed beside
    /// the logits (a classifier head plus an auxiliary output). The expected numbers come from the float and reference
    /// interpreters run here, sample by sample, not from the command.
    /// </summary>
    public sealed class VerifySeveralOutputsTests : IDisposable
    {
        private const int Samples = 40;

        private readonly string temp = Path.Combine(Path.GetTempPath(), "quantgen-verify-outputs-" + Guid.NewGuid().ToString("N"));

        public VerifySeveralOutputsTests()
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

        private string Write(string name, IEnumerable<string> lines)
        {
            string path = Path.Combine(temp, name);
            File.WriteAllText(path, string.Join("\n", lines) + "\n");
            return path;
        }

        /// <summary>The float digits MLP with outputs [logits, h2], and its quantization (PTQ on 200 training rows).</summary>
        private (string Float, string Quantized) TwoOutputModels()
        {
            JsonNode spec = JsonNode.Parse(File.ReadAllText(Path.Combine(Models, "digits_mlp.float.qmodel.json")))!;
            spec["name"] = "digits_aux";
            spec["outputs"] = new JsonArray("logits", "h2");
            string floatSpec = Path.Combine(temp, "digits_aux.float.qmodel.json");
            File.WriteAllText(floatSpec, spec.ToJsonString());
            File.Copy(Path.Combine(Models, "digits_mlp.float.safetensors"), Path.Combine(temp, "digits_mlp.float.safetensors"));
            ModelGraph f = ModelLoader.Load(floatSpec).GetGraphOrThrow();
            Assert.Equal(new[] { "logits", "h2" }, f.Outputs.Select(t => t.Name));
            List<float[]> calibration = LabeledDataset.Load(Csv).Split("train").Take(200).Select(s => s.Features).ToList();
            string quantized = Path.Combine(temp, "digits_aux.qmodel.json");
            PostTrainingQuantizer.Quantize(f, calibration, new QuantizationOptions { Name = "digits_aux" }).Save(quantized);
            return (floatSpec, quantized);
        }

        private (string Pixels, string Labels, List<Sample> Rows) TestRows()
        {
            List<Sample> rows = LabeledDataset.Load(Csv).Split("test").Take(Samples).ToList();
            string x = Write("pixels.txt", rows.Select(r => string.Join(" ", r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            string y = Write("labels.txt", rows.Select(r => r.Label.ToString(CultureInfo.InvariantCulture)));
            return (x, y, rows);
        }

        private static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %";

        private static string F2(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

        private static string Db(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " dB";

        private static int Top(double[] v) => Array.IndexOf(v, v.Max());

        [Fact]
        public void EveryOutputIsComparedInItsOwnLsbAndTheLabelledOneIsScored()
        {
            (string floatSpec, string quantized) = TwoOutputModels();
            (string pixels, string labels, List<Sample> rows) = TestRows();

            // Expected, from the interpreters: per output, |q - (f / S + z)|, the share <= 1, SQNR; top-1 of the logits.
            ModelGraph q = ModelLoader.Load(quantized).GetGraphOrThrow();
            ModelGraph f = ModelLoader.Load(floatSpec).GetGraphOrThrow();
            var fl = new FloatInterpreter(f);
            var oracle = new ReferenceInterpreter(q);
            var max = new Dictionary<string, double> { ["logits"] = 0, ["h2"] = 0 };
            var within = new Dictionary<string, int> { ["logits"] = 0, ["h2"] = 0 };
            var signal = new Dictionary<string, double> { ["logits"] = 0, ["h2"] = 0 };
            var noise = new Dictionary<string, double> { ["logits"] = 0, ["h2"] = 0 };
            int floatRight = 0, intRight = 0, agree = 0, toWrong = 0, toRight = 0;
            foreach (Sample s in rows)
            {
                IReadOnlyDictionary<string, double[]> real = fl.RunAll(s.Features);
                IReadOnlyDictionary<string, int[]> ints = oracle.RunAll(oracle.Quantize(s.Features));
                foreach (string name in new[] { "logits", "h2" })
                {
                    TensorQuant quant = q.Outputs.Single(t => t.Name == name).Quant!;
                    for (int i = 0; i < ints[name].Length; i++)
                    {
                        double lsb = Math.Abs(ints[name][i] - ((real[name][i] / quant.Scale) + quant.ZeroPoint));
                        max[name] = Math.Max(max[name], lsb);
                        within[name] += lsb <= 1 ? 1 : 0;
                        double d = real[name][i] - quant.Dequantize(ints[name][i]);
                        signal[name] += real[name][i] * real[name][i];
                        noise[name] += d * d;
                    }
                }

                int fTop = Top(real["logits"]), qTop = Top(ints["logits"].Select(v => (double)v).ToArray());
                floatRight += fTop == s.Label ? 1 : 0;
                intRight += qTop == s.Label ? 1 : 0;
                agree += fTop == qTop ? 1 : 0;
                toWrong += fTop != qTop && fTop == s.Label ? 1 : 0;
                toRight += fTop != qTop && qTop == s.Label ? 1 : 0;
            }

            Assert.True(max["h2"] > 0, "the hidden output is not exact, so the columns are exercised");
            string report = Path.Combine(temp, "report");
            (int code, string output, string error) = Run("verify", quantized, "-f", floatSpec, "--input", "pixels=" + pixels, "--labels", "logits=" + labels, "--report", report);
            Assert.True(code == 0, error + output);
            Assert.Contains($"digits_aux: {Samples} samples from pixels=pixels.txt, labels logits=labels.txt; 2 outputs, each against the float model's output of the same name\n", output, StringComparison.Ordinal);
            double sl = q.Outputs[0].Quant!.Scale, sh = q.Outputs[1].Quant!.Scale;
            Assert.Contains(
                $"| logits | [10] | {sl.ToString("G6", CultureInfo.InvariantCulture)} | {F2(max["logits"])} | {Pct(within["logits"] / (10.0 * Samples))} | {Db(10 * Math.Log10(signal["logits"] / noise["logits"]))} | "
                + $"{Pct((double)floatRight / Samples)} | {Pct((double)intRight / Samples)} | {Pct((double)agree / Samples)} | {Samples - agree} ({toWrong} / {toRight}) |\n",
                output,
                StringComparison.Ordinal);
            Assert.Contains(
                $"| h2 | [64] | {sh.ToString("G6", CultureInfo.InvariantCulture)} | {F2(max["h2"])} | {Pct(within["h2"] / (64.0 * Samples))} | {Db(10 * Math.Log10(signal["h2"] / noise["h2"]))} | - | - | - | - |\n",
                output,
                StringComparison.Ordinal);

            // The report carries the same numbers unrounded.
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "fidelity.json")));
            JsonElement[] outs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToArray();
            Assert.Equal(Samples, doc.RootElement.GetProperty("samples").GetInt32());
            Assert.Equal(new[] { "logits", "h2" }, outs.Select(o => o.GetProperty("name").GetString()));
            Assert.Equal(max["h2"], outs[1].GetProperty("maxAbsDiffLsb").GetDouble(), 12);
            Assert.Equal((double)intRight / Samples, outs[0].GetProperty("integerAccuracy").GetDouble(), 12);
            Assert.False(outs[1].TryGetProperty("integerAccuracy", out _));
            Assert.Contains("| h2 | [64] |", File.ReadAllText(Path.Combine(report, "fidelity.md")), StringComparison.Ordinal);

            // Without labels every output still gets its agreement columns; --limit keeps the first rows.
            (code, output, error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--limit", "3");
            Assert.True(code == 0, error + output);
            Assert.Contains("digits_aux: 3 samples from pixels=pixels.txt; 2 outputs", output, StringComparison.Ordinal);
            Assert.Contains("| - | - | - | - |\n| h2 |", output, StringComparison.Ordinal);
        }

        [Fact]
        public void MaxAccuracyDropIsCheckedPerLabelledOutput()
        {
            (string floatSpec, string quantized) = TwoOutputModels();
            (string pixels, _, List<Sample> rows) = TestRows();

            // Labels = the float model's own top-1: float accuracy 100 %, integer accuracy = agreement, so the drop is >= 0:
            // a limit of 1 never fails, a limit of -0.5 always does.
            ModelGraph f = ModelLoader.Load(floatSpec).GetGraphOrThrow();
            var fl = new FloatInterpreter(f);
            string labels = Write("float_top.txt", rows.Select(s => Top(fl.RunAll(s.Features)["logits"]).ToString(CultureInfo.InvariantCulture)));
            (int code, string output, string error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "logits=" + labels, "--max-accuracy-drop", "1");
            Assert.True(code == 0, error + output);
            Assert.Contains("| 100.00 % |", output, StringComparison.Ordinal);
            (code, _, error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "logits=" + labels, "--max-accuracy-drop", "-0.5");
            Assert.Equal(1, code);
            Assert.Contains("error QG5005: output \"logits\": integer accuracy", error, StringComparison.Ordinal);
        }

        [Fact]
        public void LabelsForAnUnknownOutputOrWithoutAnOutputNameAreLocatedErrors()
        {
            (string floatSpec, string quantized) = TwoOutputModels();
            (string pixels, string labels, _) = TestRows();
            (int code, _, string error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "head=" + labels);
            Assert.Equal(1, code);
            Assert.Contains("digits_aux.qmodel.json: error QG5015: --labels head=" + labels + ": model \"digits_aux\" has no output \"head\" (its outputs: logits, h2)", error, StringComparison.Ordinal);

            (code, _, error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", labels);
            Assert.Equal(1, code);
            Assert.Contains("digits_aux.qmodel.json: error QG5015: --labels " + labels + ": model \"digits_aux\" has 2 outputs (logits, h2); say which output the classes score: --labels OUTPUT=FILE", error, StringComparison.Ordinal);

            (code, _, error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "logits=" + labels, "--labels", "logits=" + labels);
            Assert.Equal(1, code);
            Assert.Contains("error QG5015: --labels logits=" + labels + ": output \"logits\" is given labels twice", error, StringComparison.Ordinal);

            // A class outside the labelled output's element count names the output and the place.
            string bad = Write("bad.txt", new[] { "3", "64" });
            (code, _, error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "logits=" + bad);
            Assert.Equal(1, code);
            Assert.Contains("bad.txt(2,1): error QG5011: class 64 is outside the model's 10 classes of output \"logits\" (0 to 9)", error, StringComparison.Ordinal);
        }

        [Fact]
        public void ALabelFileWithAnotherRowCountIsLocated()
        {
            (string floatSpec, string quantized) = TwoOutputModels();
            (string pixels, _, List<Sample> rows) = TestRows();
            string longer = Write("longer.txt", rows.Select(r => r.Label.ToString(CultureInfo.InvariantCulture)).Concat(new[] { "1" }));
            (int code, _, string error) = Run("verify", quantized, "-f", floatSpec, "-i", "pixels=" + pixels, "--labels", "logits=" + longer);
            Assert.Equal(1, code);
            Assert.Contains($"longer.txt({Samples + 1},1): error QG5013: --labels of output \"logits\" has {Samples + 1} samples but input \"pixels\" (", error, StringComparison.Ordinal);
        }

        [Fact]
        public void ACsvAndAFloatModelWithoutTheOutputsAreStillRefused()
        {
            (string floatSpec, string quantized) = TwoOutputModels();
            (string pixels, _, _) = TestRows();
            (int code, _, string error) = Run("verify", quantized, "-f", floatSpec, "-d", Csv);
            Assert.Equal(1, code);
            Assert.Contains("digits_aux.qmodel.json: error QG5008: model \"digits_aux\" has 2 outputs (logits, h2); a --data CSV's label column cannot say which output it scores", error, StringComparison.Ordinal);

            (code, _, error) = Run("verify", quantized, "-f", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-i", "pixels=" + pixels);
            Assert.Equal(1, code);
            Assert.Contains("error QG5014: float model \"digits_mlp\" gives logits [10]; the quantized model \"digits_aux\" gives logits [10], h2 [64]", error, StringComparison.Ordinal);
        }
    }
}
