using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Fidelity;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Onnx;

namespace QuantGen.Cli
{
    /// <summary>quantgen verify: runs the reference interpreter against the float model and reports fidelity.</summary>
    public static class VerifyCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The quantized model spec (.qmodel.json)." };
            var floatModel = new Option<FileInfo>("--float", "-f") { Description = "The float model it was quantized from: a float spec (.qmodel.json) or the float ONNX export.", Required = true };
            var data = new Option<FileInfo?>("--data", "-d") { Description = "Evaluation data of a one-input model: CSV with header split,label,f0,f1,... (or give --input per input)." };
            var split = new Option<string>("--split") { Description = "Which split of the CSV to evaluate.", DefaultValueFactory = _ => "test" };
            var inputs = new Option<string[]>("--input", "-i")
            {
                Description = "NAME=FILE, once per model input (instead of --data): one sample per line, the input's values in row-major order separated by white space or commas (real numbers, token ids for an index input); line k of every file is sample k.",
                AllowMultipleArgumentsPerToken = false,
                Arity = ArgumentArity.ZeroOrMore,
            };
            var labels = new Option<string[]>("--labels", "-l")
            {
                Description = "With --input: the class of each sample, one integer per line, aligned with the input files' lines (accuracy is '-' without it). FILE for a one-output model; OUTPUT=FILE, once per classifier output, for a model with several outputs.",
                AllowMultipleArgumentsPerToken = false,
                Arity = ArgumentArity.ZeroOrMore,
            };
            var limit = new Option<int>("--limit") { Description = "Evaluate at most this many samples (0 = all).", DefaultValueFactory = _ => 0 };
            var report = new Option<DirectoryInfo?>("--report", "-r") { Description = "Write fidelity.json, fidelity.md, sqnr.svg and operators.svg (SVG plots) into this folder." };
            var maxDrop = new Option<double?>("--max-accuracy-drop") { Description = "Fail (exit 1) when float accuracy minus integer accuracy exceeds this (e.g. 0.01)." };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("verify", "Run the integer reference interpreter and the float model on the same data and report accuracy, top-1 agreement and flips, KL divergence, per-layer SQNR and the error of every non-linear operator; for a model with several outputs, each output's difference in LSB, share within +-1 LSB and SQNR (and accuracy for the outputs given --labels OUTPUT=FILE).")
            {
                model, floatModel, data, split, inputs, labels, limit, report, maxDrop, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() =>
            {
                FileInfo qFile = p.GetValue(model)!, fFile = p.GetValue(floatModel)!;
                FileInfo? csv = p.GetValue(data);
                string[] inputArgs = p.GetValue(inputs) ?? Array.Empty<string>();
                string[] labelArgs = p.GetValue(labels) ?? Array.Empty<string>();
                if ((csv == null) == (inputArgs.Length == 0))
                {
                    throw new CliException(CliErrors.InvalidArgument, csv == null
                        ? "give the evaluation data: --data CSV (a one-input model) or --input NAME=FILE per model input"
                        : "give either --data CSV or --input NAME=FILE, not both");
                }

                if (labelArgs.Length > 0 && csv != null)
                {
                    throw new CliException(CliErrors.InvalidArgument, "--labels goes with --input files; a --data CSV carries its labels in its label column");
                }

                ModelGraph q = CommandContext.LoadModel(qFile, p.GetValue(allowExternal));
                ModelGraph f = LoadFloat(fFile, p.GetValue(allowExternal));
                if (!q.IsQuantized || f.IsQuantized)
                {
                    ctx.Fail(CliErrors.WrongModelKind, $"verify compares a quantized model ({qFile.Name} is {(q.IsQuantized ? "quantized" : "float")}) with a float model ({fFile.Name} is {(f.IsQuantized ? "quantized" : "float")})");
                    return 1;
                }

                int lim = p.GetValue(limit);
                if (lim < 0)
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--limit {lim} is not valid; give a count (0 = all samples)");
                }

                if (q.Outputs.Count != 1)
                {
                    if (csv != null)
                    {
                        ctx.Fail(CliErrors.SeveralInputs, $"model \"{q.Name}\" has {q.Outputs.Count} outputs ({string.Join(", ", q.Outputs.Select(t => t.Name))}); a --data CSV's label column cannot say which output it scores: give --input NAME=FILE per input and --labels OUTPUT=FILE per classifier output instead", qFile.Name);
                        return 1;
                    }

                    return VerifySeveralOutputs(ctx, q, f, qFile, fFile, inputArgs, labelArgs, lim, p.GetValue(report), p.GetValue(maxDrop));
                }

                FidelityReport r;
                string dataName;
                if (csv != null)
                {
                    if (q.Inputs.Count != 1 || q.Input.IsIndex)
                    {
                        ctx.Fail(CliErrors.SeveralInputs, $"model \"{q.Name}\" has {q.Inputs.Count} input(s) ({string.Join(", ", q.Inputs.Select(t => t.Name + (t.IsIndex ? " (token ids)" : string.Empty)))}); a --data CSV row is one feature vector: give --input NAME=FILE per input (one sample per line) and --labels FILE instead", qFile.Name);
                        return 1;
                    }

                    LabeledDataset set = LabeledDataset.Load(csv.FullName);
                    if (set.FeatureCount != q.Input.ElementCount)
                    {
                        ctx.Fail(CliErrors.InvalidData, $"has {set.FeatureCount} features per row but model \"{q.Name}\" takes {q.Input.ElementCount}", csv.FullName);
                        return 1;
                    }

                    IEnumerable<Sample> samples = set.Split(p.GetValue(split)!);
                    List<Sample> list = (lim > 0 ? samples.Take(lim) : samples).ToList();
                    ConsoleProgressBar progress = ctx.Progress($"verifying {q.Name}", list.Count);
                    r = FidelityMetrics.Evaluate(f, q, list.Select(s => s.Features).ToList(), list.Select(s => s.Label).ToList(), progress);
                    progress.Finish();
                    dataName = csv.Name + ":" + p.GetValue(split);
                }
                else
                {
                    VerifyRows rows = VerifyRows.Read(q, inputArgs, VerifyRows.MatchLabels(q, labelArgs, qFile.Name), lim);
                    VerifyRows.CheckSameInputs(q, f, fFile);
                    ConsoleProgressBar progress = ctx.Progress($"verifying {q.Name}", rows.Count);
                    r = FidelityMetrics.Evaluate(f, q, rows.Floats, rows.Integers, rows.Labels, progress);
                    progress.Finish();
                    dataName = DataName(rows, VerifyRows.MatchLabels(q, labelArgs, qFile.Name));
                    ctx.Output.WriteLine($"{q.Name}: {rows.Count} samples from {dataName}");
                }
                ctx.Output.Write(r.ToMarkdown(q.Name));
                ctx.Output.WriteLine();
                foreach (OperatorError e in r.OperatorErrors)
                {
                    ctx.Output.WriteLine($"{e.Layer} ({e.Op}, {e.Method}): max abs error {e.MaxAbsError.ToString("0.0000", CultureInfo.InvariantCulture)}, mean {e.MeanAbsError.ToString("0.00000", CultureInfo.InvariantCulture)}");
                }

                TensorSqnr? worst = r.LayerSqnr.OrderBy(s => s.Decibels).FirstOrDefault();
                if (worst != null)
                {
                    ctx.Output.WriteLine($"lowest per-layer SQNR: {worst.Layer} {worst.Decibels.ToString("0.0", CultureInfo.InvariantCulture)} dB");
                }

                if (p.GetValue(report) is DirectoryInfo dir)
                {
                    CommandContext.Writing(dir.FullName, () =>
                    {
                        Directory.CreateDirectory(dir.FullName);
                        File.WriteAllText(Path.Combine(dir.FullName, "fidelity.json"), FidelityReportWriter.ToJson(r, qFile.Name, fFile.Name, dataName));
                        File.WriteAllText(Path.Combine(dir.FullName, "fidelity.md"), FidelityReportWriter.ToMarkdown(r, qFile.Name, fFile.Name, dataName) + "\n![per-layer SQNR](sqnr.svg)\n" + (r.OperatorErrors.Count > 0 ? "\n![non-linear operators](operators.svg)\n" : string.Empty));
                        ReportPlots.Write(Path.Combine(dir.FullName, "sqnr.svg"), ReportPlots.SqnrSvg(r, q.Name));
                        if (r.OperatorErrors.Count > 0)
                        {
                            ReportPlots.Write(Path.Combine(dir.FullName, "operators.svg"), ReportPlots.OperatorsSvg(r, q.Name));
                        }
                    });

                    ctx.Output.WriteLine($"report: {CommandContext.Display(Path.Combine(dir.FullName, "fidelity.md"))} (+ fidelity.json, {string.Join(", ", ReportPlots.FileNames(r))})");
                }

                double? threshold = p.GetValue(maxDrop);
                if (threshold.HasValue && r.FloatAccuracy - r.IntegerAccuracy > threshold.Value)
                {
                    ctx.Fail(CliErrors.CheckFailed, $"integer accuracy {r.IntegerAccuracy:P2} is more than {threshold.Value:P2} below float accuracy {r.FloatAccuracy:P2}");
                    return 1;
                }

                return 0;
            }));
            return command;
        }

        private static string DataName(VerifyRows rows, List<(string Output, string Path)> labels) =>
            string.Join(", ", rows.Files.Select(kv => kv.Key + "=" + Path.GetFileName(kv.Value)))
            + string.Concat(labels.Select(l => ", labels" + (!rows.SeveralOutputs ? string.Empty : " " + l.Output) + "=" + Path.GetFileName(l.Path)));

        /// <summary>A model with several outputs: each output against the float model's output of the same name (VerifyOutputs).</summary>
        private static int VerifySeveralOutputs(CommandContext ctx, ModelGraph q, ModelGraph f, FileInfo qFile, FileInfo fFile, string[] inputArgs, string[] labelArgs, int lim, DirectoryInfo? dir, double? threshold)
        {
            List<(string Output, string Path)> labelFiles = VerifyRows.MatchLabels(q, labelArgs, qFile.Name);
            VerifyRows rows = VerifyRows.Read(q, inputArgs, labelFiles, lim);
            VerifyRows.CheckSameInputs(q, f, fFile);
            ConsoleProgressBar progress = ctx.Progress($"verifying {q.Name}", rows.Count);
            List<VerifyOutputs.OutputAgreement> outputs = VerifyOutputs.Evaluate(f, q, rows, progress);
            progress.Finish();
            string dataName = DataName(rows, labelFiles);
            ctx.Output.WriteLine($"{q.Name}: {rows.Count} samples from {dataName}; {q.Outputs.Count} outputs, each against the float model's output of the same name");
            string table = VerifyOutputs.ToMarkdown(outputs, rows.Count);
            ctx.Output.Write(table);
            if (dir != null)
            {
                CommandContext.Writing(dir.FullName, () =>
                {
                    Directory.CreateDirectory(dir.FullName);
                    File.WriteAllText(Path.Combine(dir.FullName, "fidelity.json"), VerifyOutputs.ToJson(outputs, rows.Count, qFile.Name, fFile.Name, dataName));
                    File.WriteAllText(Path.Combine(dir.FullName, "fidelity.md"), $"# Fidelity of {q.Name}\n\n{qFile.Name} against {fFile.Name} on {rows.Count} samples ({dataName}).\n\n{table}");
                });

                ctx.Output.WriteLine($"report: {CommandContext.Display(Path.Combine(dir.FullName, "fidelity.md"))} (+ fidelity.json)");
            }

            if (threshold.HasValue)
            {
                foreach (VerifyOutputs.OutputAgreement o in outputs.Where(o => o.Labels != null))
                {
                    double drop = (double)(o.FloatRight - o.IntegerRight) / Math.Max(rows.Count, 1);
                    if (drop > threshold.Value)
                    {
                        ctx.Fail(CliErrors.CheckFailed, $"output \"{o.Tensor.Name}\": integer accuracy {(double)o.IntegerRight / rows.Count:P2} is more than {threshold.Value:P2} below float accuracy {(double)o.FloatRight / rows.Count:P2}");
                        return 1;
                    }
                }
            }

            return 0;
        }

        /// <summary>The float model: a float spec, or a float ONNX export lowered in memory (what a user of an ONNX model has).</summary>
        private static ModelGraph LoadFloat(FileInfo file, bool allowExternal)
        {
            if (file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                return OnnxImporter.BuildFloatGraph(OnnxImporter.Lower(file.FullName), file.FullName);
            }

            return CommandContext.LoadModel(file, allowExternal);
        }
    }
}
