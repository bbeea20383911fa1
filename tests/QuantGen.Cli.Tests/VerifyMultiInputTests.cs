using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Cli;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Onnx;
using Xunit;

namespace QuantGen.Tests.Cli
{
    /// <summary>
    /// quantgen verify on a model with several inputs and token ids: the zoo's BERT-tiny (bert_tiny_ortqdq.onnx imported,
    /// against bert_tiny_float13.onnx), fed the digits test rows as make_zoo.py tokenizes them ([CLS] = 1, pixel + 3, 7
    /// [PAD] = 0; the mask 1 on the first 65 tokens), one file per input with one sample per line.
    /// </summary>
    public sealed class VerifyMultiInputTests : IDisposable
    {
        private const int Samples = 6;

        private readonly string temp = Path.Combine(Path.GetTempPath(), "quantgen-verify-" + Guid.NewGuid().ToString("N"));

        public VerifyMultiInputTests()
        {
            Directory.CreateDirectory(temp);
        }

        public void Dispose() => Directory.Delete(temp, true);

        private static string Zoo(string name) => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "zoo", "models", name));

        private static string DigitsFloat => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models", "digits_mlp.float.qmodel.json"));

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

        /// <summary>The first digits test rows as make_zoo.py's token ids and mask, with their labels.</summary>
        private static List<(int[] Ids, int[] Mask, int Label)> DigitRows(int count)
        {
            return LabeledDataset.Load(Csv).Split("test").Take(count).Select(s =>
            {
                int[] ids = new[] { 1 }.Concat(s.Features.Select(p => (int)p + 3)).Concat(Enumerable.Repeat(0, 7)).ToArray();
                int[] mask = Enumerable.Range(0, 72).Select(i => i < 65 ? 1 : 0).ToArray();
                return (ids, mask, s.Label);
            }).ToList();
        }

        private string ImportBert()
        {
            string spec = Path.Combine(temp, "bert.qmodel.json");
            (int code, _, string error) = Run("import", Zoo("bert_tiny_ortqdq.onnx"), "-o", spec);
            Assert.True(code == 0, error);
            return spec;
        }

        private static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %";

        [Fact]
        public void VerifyScoresTokenIdsAndMaskFromOneFilePerInput()
        {
            string spec = ImportBert();
            List<(int[] Ids, int[] Mask, int Label)> rows = DigitRows(Samples);
            string ids = Write("ids.txt", rows.Select(r => string.Join(" ", r.Ids)));
            string mask = Write("mask.txt", rows.Select(r => string.Join(",", r.Mask)));
            string labels = Write("labels.txt", rows.Select(r => r.Label.ToString(CultureInfo.InvariantCulture)));

            // Expected, from the two interpreters directly: the integer model on the ids and the 0/1 mask (int8 at scale 1,
            // zero point 0, so the integers are the values), the float model on the same numbers.
            ModelGraph q = ModelLoader.Load(spec).GetGraphOrThrow();
            Assert.Equal(1.0, q.Inputs[1].Quant!.Scale);
            Assert.Equal(0L, q.Inputs[1].Quant!.ZeroPoint);
            string floatFile = Zoo("bert_tiny_float13.onnx");
            var fl = new FloatInterpreter(OnnxImporter.BuildFloatGraph(OnnxImporter.Lower(floatFile), floatFile));
            var oracle = new ReferenceInterpreter(q);
            int agree = 0, floatRight = 0, intRight = 0, toWrong = 0, toRight = 0;
            foreach ((int[] id, int[] m, int label) in rows)
            {
                int fTop = Top(fl.RunMany(new[] { id.Select(v => (float)v).ToArray(), m.Select(v => (float)v).ToArray() })[0]);
                int qTop = Top(oracle.RunMany(new[] { id, m })[0].Select(v => (double)v).ToArray());
                agree += fTop == qTop ? 1 : 0;
                floatRight += fTop == label ? 1 : 0;
                intRight += qTop == label ? 1 : 0;
                toWrong += fTop != qTop && fTop == label ? 1 : 0;
                toRight += fTop != qTop && qTop == label ? 1 : 0;
            }

            (int code, string output, string error) = Run("verify", spec, "-f", floatFile, "--input", "attention_mask=" + mask, "--input", "input_ids=" + ids, "--labels", labels);
            Assert.True(code == 0, error + output);
            Assert.Contains($"bert_tiny_ortqdq: {Samples} samples from input_ids=ids.txt, attention_mask=mask.txt, labels=labels.txt\n", output, StringComparison.Ordinal);
            string row = $"| bert_tiny_ortqdq | {Pct((double)floatRight / Samples)} | {Pct((double)intRight / Samples)} | {Pct((double)agree / Samples)} | {Samples - agree} ({toWrong} / {toRight}) | ";
            Assert.Contains(row, output, StringComparison.Ordinal);

            // Without labels: no accuracy; --limit keeps the first rows.
            (code, output, error) = Run("verify", spec, "-f", floatFile, "-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "--limit", "2");
            Assert.True(code == 0, error + output);
            Assert.Contains("bert_tiny_ortqdq: 2 samples from input_ids=ids.txt, attention_mask=mask.txt\n", output, StringComparison.Ordinal);
            Assert.Contains("| bert_tiny_ortqdq | - | - | ", output, StringComparison.Ordinal);
        }

        [Fact]
        public void VerifyOfAOneInputModelFromAFileEqualsTheCsvPath()
        {
            // The same 40 digits rows as a --data CSV (the established path) and as --input FILE (bare, one-input model) plus
            // --labels: the fidelity table must be the same line.
            string models = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
            List<Sample> rows = LabeledDataset.Load(Csv).Split("test").Take(40).ToList();
            string x = Write("x.txt", rows.Select(r => string.Join(",", r.Features.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            string y = Write("y.txt", rows.Select(r => r.Label.ToString(CultureInfo.InvariantCulture)));
            string q = Path.Combine(models, "digits_mlp.qmodel.json");
            (int code, string fromCsv, string error) = Run("verify", q, "-f", DigitsFloat, "-d", Csv, "--limit", "40");
            Assert.True(code == 0, error);
            (code, string fromFiles, error) = Run("verify", q, "-f", DigitsFloat, "--input", x, "--labels", y);
            Assert.True(code == 0, error);
            Assert.Contains("digits_mlp: 40 samples from pixels=x.txt, labels=y.txt\n", fromFiles, StringComparison.Ordinal);
            string Row(string text) => text.Split('\n').Single(l => l.StartsWith("| digits_mlp |", StringComparison.Ordinal));
            Assert.Equal(Row(fromCsv), Row(fromFiles));
            Assert.DoesNotContain("| - |", Row(fromFiles), StringComparison.Ordinal);
        }

        private static int Top(double[] v) => Array.IndexOf(v, v.Max());

        [Fact]
        public void VerifyReportsBadSampleFilesWithLocatedIds()
        {
            string spec = ImportBert();
            List<(int[] Ids, int[] Mask, int Label)> rows = DigitRows(3);
            List<string> idLines = rows.Select(r => string.Join(" ", r.Ids)).ToList();
            List<string> maskLines = rows.Select(r => string.Join(" ", r.Mask)).ToList();
            string ids = Write("ids.txt", idLines), mask = Write("mask.txt", maskLines);
            string labels = Write("labels.txt", rows.Select(r => r.Label.ToString(CultureInfo.InvariantCulture)));

            // The data is read and checked before the float model is compared, so the digits MLP stands in as --float here.
            string[] Args(params string[] extra) => new[] { "verify", spec, "-f", DigitsFloat }.Concat(extra).ToArray();

            (int code, _, string error) = Run(Args("-i", "input_ids=" + ids));
            Assert.Equal(2, code);
            Assert.Contains("error QG5009: model \"bert_tiny_ortqdq\" needs a file for input attention_mask; add --input attention_mask=FILE", error, StringComparison.Ordinal);

            string fewer = Write("fewer.txt", maskLines.Take(2));
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + fewer));
            Assert.Equal(1, code);
            Assert.Contains("fewer.txt: error QG5013: input \"attention_mask\" has 2 samples but input \"input_ids\" (", error, StringComparison.Ordinal);

            string more = Write("more.txt", maskLines.Concat(new[] { string.Empty, maskLines[0] }));
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + more));
            Assert.Equal(1, code);
            Assert.Contains("more.txt(5,1): error QG5013: input \"attention_mask\" has 4 samples but input \"input_ids\" (", error, StringComparison.Ordinal);

            string fewLabels = Write("few_labels.txt", new[] { "1", "2" });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "--labels", fewLabels));
            Assert.Equal(1, code);
            Assert.Contains("few_labels.txt: error QG5013: --labels has 2 samples but input \"input_ids\"", error, StringComparison.Ordinal);

            // Id 1000 on line 2 (the table has rows 0 to 999), third value: column 1 + 2 + 2 + ... of "1 3 1000".
            string badId = Write("bad_ids.txt", new[] { idLines[0], "1 3 1000 " + string.Join(" ", rows[1].Ids.Skip(3)), idLines[2] });
            (code, _, error) = Run(Args("-i", "input_ids=" + badId, "-i", "attention_mask=" + mask));
            Assert.Equal(1, code);
            Assert.Contains("bad_ids.txt(2,5): error QG5011: 1000 at position 2 is not a valid id of input \"input_ids\" (0 to 999)", error, StringComparison.Ordinal);

            string word = Write("word.txt", new[] { maskLines[0], maskLines[1], "1 x " + string.Join(" ", rows[2].Mask.Skip(2)) });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + word));
            Assert.Equal(1, code);
            Assert.Contains("word.txt(3,3): error QG5010: \"x\" is not a number (input \"attention_mask\" takes real values; '.' as the decimal point)", error, StringComparison.Ordinal);

            string shortRow = Write("short.txt", new[] { maskLines[0], string.Join(" ", rows[1].Mask.Skip(1)), maskLines[2] });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + shortRow));
            Assert.Equal(1, code);
            Assert.Contains("short.txt(2,1): error QG5010: sample 2 has 71 values; input \"attention_mask\" [1, 72] takes 72 (one sample per line)", error, StringComparison.Ordinal);

            string twoMask = Write("two.txt", new[] { maskLines[0], "2 " + string.Join(" ", rows[1].Mask.Skip(1)), maskLines[2] });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + twoMask));
            Assert.Equal(1, code);
            Assert.Contains("two.txt(2,1): error QG5011: 2 at position 0 quantizes to 2, outside the declared range [0, 1] of input \"attention_mask\"", error, StringComparison.Ordinal);

            string classTen = Write("ten.txt", new[] { "1", "10", "2" });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "-l", classTen));
            Assert.Equal(1, code);
            Assert.Contains("ten.txt(2,1): error QG5011: class 10 is outside the model's 10 classes (0 to 9)", error, StringComparison.Ordinal);

            string notClass = Write("word_labels.txt", new[] { "1", "2", " seven" });
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "-l", notClass));
            Assert.Equal(1, code);
            Assert.Contains("word_labels.txt(3,2): error QG5010: \"seven\" is not a class number (--labels holds one integer per line)", error, StringComparison.Ordinal);

            // Good data, but the float model takes one input of 64 features: QG5014 names both models' inputs.
            (code, _, error) = Run(Args("-i", "input_ids=" + ids, "-i", "attention_mask=" + mask, "-l", labels));
            Assert.Equal(1, code);
            Assert.Contains("digits_mlp.float.qmodel.json: error QG5014: float model \"digits_mlp\" takes pixels [64]; the quantized model \"bert_tiny_ortqdq\" takes input_ids [1, 72], attention_mask [1, 72]", error, StringComparison.Ordinal);

            // What stays refused: a CSV of feature vectors for a model with token ids (QG5008), and both or neither data forms (QG5001).
            (code, _, error) = Run(Args("-d", Csv));
            Assert.Equal(1, code);
            Assert.Contains("error QG5008: model \"bert_tiny_ortqdq\" has 2 input(s) (input_ids (token ids), attention_mask); a --data CSV row is one feature vector: give --input NAME=FILE per input (one sample per line) and --labels FILE instead", error, StringComparison.Ordinal);

            (code, _, error) = Run(Args());
            Assert.Equal(2, code);
            Assert.Contains("error QG5001: give the evaluation data: --data CSV (a one-input model) or --input NAME=FILE per model input", error, StringComparison.Ordinal);

            (code, _, error) = Run(Args("-d", Csv, "-i", "input_ids=" + ids));
            Assert.Equal(2, code);
            Assert.Contains("error QG5001: give either --data CSV or --input NAME=FILE, not both", error, StringComparison.Ordinal);
        }
    }
}
