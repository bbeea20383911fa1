using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.Cli
{
    /// <summary>
    /// verify's data for a model with several inputs or token ids: one text file per input (<c>--input NAME=FILE</c>), one
    /// sample per non-blank line (the input's values in row-major order, as <c>run</c> reads them), line k of every file
    /// being sample k; an optional labels file holds one class per line, aligned the same way. Every value is parsed and
    /// range-checked once: the integer the reference interpreter reads and the real value the float model reads.
    /// </summary>
    internal sealed class VerifyRows
    {
        private VerifyRows(Dictionary<string, string> files, List<IReadOnlyList<float[]>> floats, List<IReadOnlyList<int[]>> integers, Dictionary<string, List<int>> labels)
        {
            Files = files;
            Floats = floats;
            Integers = integers;
            LabelsByOutput = labels;
        }

        /// <summary>Input name -> file, in the model's input order.</summary>
        public Dictionary<string, string> Files { get; }

        public List<IReadOnlyList<float[]>> Floats { get; }

        public List<IReadOnlyList<int[]>> Integers { get; }

        /// <summary>Output name -> the class of each sample (the outputs given --labels, in the model's output order).</summary>
        public Dictionary<string, List<int>> LabelsByOutput { get; }

        /// <summary>The labels of a one-output model (null without --labels).</summary>
        public List<int>? Labels => LabelsByOutput.Values.FirstOrDefault();

        public int Count => Floats.Count;

        /// <summary>Whether the model has several outputs (labels are then named by output).</summary>
        public bool SeveralOutputs { get; private set; }

        /// <summary>The float model must take the same inputs (names, element counts, order) and give as many output values (QG5014).</summary>
        public static void CheckSameInputs(ModelGraph q, ModelGraph f, System.IO.FileInfo floatFile)
        {
            string Names(ModelGraph g) => string.Join(", ", g.Inputs.Select(t => t.Name + " " + InspectCommand.Shape(t.Shape)));
            bool same = q.Inputs.Count == f.Inputs.Count
                && q.Inputs.Zip(f.Inputs, (a, b) => a.Name == b.Name && a.ElementCount == b.ElementCount).All(x => x);
            if (!same)
            {
                throw new CliException(CliErrors.FloatModelMismatch, $"float model \"{f.Name}\" takes {Names(f)}; the quantized model \"{q.Name}\" takes {Names(q)} (verify feeds both the same samples: give the float model this one was quantized from)", CommandContext.Display(floatFile.FullName));
            }

            if (q.Outputs.Count == 1)
            {
                if (f.Outputs.Count != 1 || f.Output.ElementCount != q.Output.ElementCount)
                {
                    throw new CliException(CliErrors.FloatModelMismatch, $"float model \"{f.Name}\" has {f.Outputs.Count} output(s) of {f.Output.ElementCount} values; the quantized model's output \"{q.Output.Name}\" has {q.Output.ElementCount}", CommandContext.Display(floatFile.FullName));
                }

                return;
            }

            CheckSameOutputs(q, f, floatFile);
        }

        /// <summary>Several outputs are matched by name: the float model needs each of the quantized model's outputs, with as many values (QG5014).</summary>
        public static void CheckSameOutputs(ModelGraph q, ModelGraph f, System.IO.FileInfo floatFile)
        {
            string Names(ModelGraph g) => string.Join(", ", g.Outputs.Select(t => t.Name + " " + InspectCommand.Shape(t.Shape)));
            foreach (TensorInfo t in q.Outputs)
            {
                TensorInfo? match = f.Outputs.FirstOrDefault(o => o.Name == t.Name);
                if (match == null || match.ElementCount != t.ElementCount)
                {
                    throw new CliException(CliErrors.FloatModelMismatch, $"float model \"{f.Name}\" gives {Names(f)}; the quantized model \"{q.Name}\" gives {Names(q)} (verify compares each output with the float model's output of the same name and size)", CommandContext.Display(floatFile.FullName));
                }
            }
        }

        /// <summary>
        /// --labels FILE (a one-output model) or --labels OUTPUT=FILE, once per classifier output: output name -> full path, in
        /// the model's output order. QG5015 for an output the model lacks, a bare FILE on a model with several outputs, or an output given twice.
        /// </summary>
        public static List<(string Output, string Path)> MatchLabels(ModelGraph q, IReadOnlyList<string> args, string modelFile)
        {
            string Names() => string.Join(", ", q.Outputs.Select(t => t.Name));
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string arg in args)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string? name = eq > 0 ? arg.Substring(0, eq) : null;
                string path = eq > 0 ? arg.Substring(eq + 1) : arg;
                if (name != null && !q.Outputs.Any(t => t.Name == name))
                {
                    // A file name that contains '=' is still a labels file of a one-output model.
                    if (q.Outputs.Count == 1 && System.IO.File.Exists(arg))
                    {
                        name = null;
                        path = arg;
                    }
                    else
                    {
                        throw new CliException(CliErrors.LabelsOutputMismatch, $"--labels {arg}: model \"{q.Name}\" has no output \"{name}\" (its outputs: {Names()})", modelFile);
                    }
                }

                if (name == null)
                {
                    if (q.Outputs.Count != 1)
                    {
                        throw new CliException(CliErrors.LabelsOutputMismatch, $"--labels {arg}: model \"{q.Name}\" has {q.Outputs.Count} outputs ({Names()}); say which output the classes score: --labels OUTPUT=FILE", modelFile);
                    }

                    name = q.Output.Name;
                }

                if (path.Length == 0)
                {
                    throw new CliException(CliErrors.LabelsOutputMismatch, $"--labels {arg}: no file after '='; give --labels {name}=FILE", modelFile);
                }

                if (files.ContainsKey(name))
                {
                    throw new CliException(CliErrors.LabelsOutputMismatch, $"--labels {arg}: output \"{name}\" is given labels twice", modelFile);
                }

                files[name] = System.IO.Path.GetFullPath(path);
            }

            return q.Outputs.Where(t => files.ContainsKey(t.Name)).Select(t => (t.Name, files[t.Name])).ToList();
        }

        /// <summary>Reads every input file and the labels; <paramref name="limit"/> &gt; 0 keeps the first samples only (after checking every row).</summary>
        public static VerifyRows Read(ModelGraph q, IReadOnlyList<string> inputArgs, IReadOnlyList<(string Output, string Path)> labelFiles, int limit)
        {
            Dictionary<string, string> byName = RunCommand.MatchInputs(q, inputArgs);
            var files = q.Inputs.ToDictionary(t => t.Name, t => byName[t.Name], StringComparer.Ordinal);
            var perInput = new List<List<(float[] Real, int[] Integer, int Line)>>();
            for (int k = 0; k < q.Inputs.Count; k++)
            {
                perInput.Add(ReadInputRows(q, k, files[q.Inputs[k].Name]));
            }

            // Row counts: every file (and the labels) against the first input's.
            string firstName = q.Inputs[0].Name, firstFile = files[firstName];
            int count = perInput[0].Count;
            if (count == 0)
            {
                throw new CliException(CliErrors.InputFileMalformed, $"has no samples; the file of input \"{firstName}\" holds one sample per line", CommandContext.Display(firstFile));
            }

            for (int k = 1; k < perInput.Count; k++)
            {
                CheckRows(files[q.Inputs[k].Name], $"input \"{q.Inputs[k].Name}\"", perInput[k].Select(r => r.Line).ToList(), count, firstName, firstFile);
            }

            var labels = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            foreach ((string output, string labelsPath) in labelFiles)
            {
                TensorInfo t = q.Outputs.First(o => o.Name == output);
                List<(int Label, int Line)> read = ReadLabels(labelsPath, t.ElementCount, q.Outputs.Count > 1 ? $" of output \"{t.Name}\"" : string.Empty);
                CheckRows(labelsPath, q.Outputs.Count > 1 ? $"--labels of output \"{t.Name}\"" : "--labels", read.Select(r => r.Line).ToList(), count, firstName, firstFile);
                labels[output] = read.Select(r => r.Label).ToList();
            }

            int n = limit > 0 ? Math.Min(limit, count) : count;
            var floats = new List<IReadOnlyList<float[]>>();
            var integers = new List<IReadOnlyList<int[]>>();
            for (int s = 0; s < n; s++)
            {
                floats.Add(perInput.Select(rows => rows[s].Real).ToArray());
                integers.Add(perInput.Select(rows => rows[s].Integer).ToArray());
            }

            return new VerifyRows(files, floats, integers, labels.ToDictionary(kv => kv.Key, kv => kv.Value.Take(n).ToList(), StringComparer.Ordinal)) { SeveralOutputs = q.Outputs.Count > 1 };
        }

        /// <summary>QG5013 when a file's sample count differs from the first input's: located at its first extra line, or the file.</summary>
        private static void CheckRows(string path, string what, List<int> lines, int count, string firstName, string firstFile)
        {
            if (lines.Count == count)
            {
                return;
            }

            string shown = CommandContext.Display(path);
            string at = lines.Count > count ? $"{shown}({lines[count]},1)" : shown;
            throw new CliException(
                CliErrors.RowCountMismatch,
                $"{what} has {lines.Count} samples but input \"{firstName}\" ({CommandContext.Display(firstFile)}) has {count}; line k of every file is sample k, so every file needs one sample per line, the same count",
                at);
        }

        /// <summary>One row per non-blank line, each exactly the input's element count of values (QG5010/QG5011 at file(line,column)).</summary>
        private static List<(float[] Real, int[] Integer, int Line)> ReadInputRows(ModelGraph g, int k, string path)
        {
            TensorInfo t = g.Inputs[k];
            string shown = CommandContext.Display(path);
            string text = RunCommand.ReadText(path, $"input \"{t.Name}\"");
            var parser = new RunCommand.InputValueParser(g, k, integers: false);
            var rows = new List<(float[], int[], int)>();
            foreach ((int from, int to, int line) in Lines(text))
            {
                var real = new float[t.ElementCount];
                var ints = new int[t.ElementCount];
                int n = 0;
                foreach (RunCommand.Token token in RunCommand.Tokens(text, from, to, line))
                {
                    string at = $"{shown}({token.Line},{token.Column})";
                    if (n == t.ElementCount)
                    {
                        throw new CliException(CliErrors.InputFileMalformed, $"sample {rows.Count + 1} has more than the {t.ElementCount} values of input \"{t.Name}\" {InspectCommand.Shape(t.Shape)}: \"{RunCommand.Clip(token.Text)}\" is value {t.ElementCount + 1} (one sample per line)", at);
                    }

                    (ints[n], real[n]) = parser.Parse(token.Text, n, at);
                    n++;
                }

                if (n == 0)
                {
                    continue;
                }

                if (n != t.ElementCount)
                {
                    throw new CliException(CliErrors.InputFileMalformed, $"sample {rows.Count + 1} has {n} values; input \"{t.Name}\" {InspectCommand.Shape(t.Shape)} takes {t.ElementCount} (one sample per line)", $"{shown}({line},1)");
                }

                rows.Add((real, ints, line));
            }

            return rows;
        }

        /// <summary>One class per non-blank line, an integer in [0, classes - 1].</summary>
        private static List<(int Label, int Line)> ReadLabels(string path, int classes, string ofOutput)
        {
            string shown = CommandContext.Display(path);
            string text = RunCommand.ReadText(path, "--labels");
            var labels = new List<(int, int)>();
            foreach ((int from, int to, int line) in Lines(text))
            {
                RunCommand.Token[] tokens = RunCommand.Tokens(text, from, to, line).ToArray();
                if (tokens.Length == 0)
                {
                    continue;
                }

                string at = $"{shown}({line},{tokens[0].Column})";
                if (tokens.Length > 1)
                {
                    throw new CliException(CliErrors.InputFileMalformed, $"line {line} has {tokens.Length} values; --labels holds one class per line", $"{shown}({line},{tokens[1].Column})");
                }

                if (!int.TryParse(tokens[0].Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label))
                {
                    throw new CliException(CliErrors.InputFileMalformed, $"\"{RunCommand.Clip(tokens[0].Text)}\" is not a class number (--labels holds one integer per line)", at);
                }

                if (label < 0 || label >= classes)
                {
                    throw new CliException(CliErrors.InputValueOutOfRange, $"class {label} is outside the model's {classes} classes{ofOutput} (0 to {classes - 1})", at);
                }

                labels.Add((label, line));
            }

            return labels;
        }

        /// <summary>The lines of a text: [from, to) without the newline, 1-based line number.</summary>
        private static IEnumerable<(int From, int To, int Line)> Lines(string text)
        {
            int line = 1, from = 0;
            while (from <= text.Length)
            {
                int nl = text.IndexOf('\n', from);
                int to = nl < 0 ? text.Length : nl;
                yield return (from, to, line);
                if (nl < 0)
                {
                    yield break;
                }

                from = nl + 1;
                line++;
            }
        }
    }
}
