using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Fidelity;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cli
{
    /// <summary>quantgen verify: runs the reference interpreter against the float model and reports fidelity.</summary>
    public static class VerifyCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The quantized model spec (.qmodel.json)." };
            var floatModel = new Option<FileInfo>("--float", "-f") { Description = "The float model it was quantized from.", Required = true };
            var data = new Option<FileInfo>("--data", "-d") { Description = "Evaluation data: CSV with header split,label,f0,f1,...", Required = true };
            var split = new Option<string>("--split") { Description = "Which split of the CSV to evaluate.", DefaultValueFactory = _ => "test" };
            var limit = new Option<int>("--limit") { Description = "Evaluate at most this many samples (0 = all).", DefaultValueFactory = _ => 0 };
            var report = new Option<DirectoryInfo?>("--report", "-r") { Description = "Write fidelity.json, fidelity.md, sqnr.svg and operators.svg (SVG plots) into this folder." };
            var maxDrop = new Option<double?>("--max-accuracy-drop") { Description = "Fail (exit 1) when float accuracy minus integer accuracy exceeds this (e.g. 0.01)." };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("verify", "Run the integer reference interpreter and the float model on the same data and report accuracy, top-1 agreement and flips, KL divergence, per-layer SQNR and the error of every non-linear operator.")
            {
                model, floatModel, data, split, limit, report, maxDrop, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() =>
            {
                FileInfo qFile = p.GetValue(model)!, fFile = p.GetValue(floatModel)!, csv = p.GetValue(data)!;
                ModelGraph q = CommandContext.LoadModel(qFile, p.GetValue(allowExternal));
                ModelGraph f = CommandContext.LoadModel(fFile, p.GetValue(allowExternal));
                if (!q.IsQuantized || f.IsQuantized)
                {
                    ctx.Fail(CliErrors.WrongModelKind, $"verify compares a quantized model ({qFile.Name} is {(q.IsQuantized ? "quantized" : "float")}) with a float model ({fFile.Name} is {(f.IsQuantized ? "quantized" : "float")})");
                    return 1;
                }

                if (!q.IsSingleInputOutput || q.Input.IsIndex)
                {
                    ctx.Fail(CliErrors.SeveralInputs, $"model \"{q.Name}\" has {q.Inputs.Count} input(s) and {q.Outputs.Count} output(s), or token ids; verify scores a one-input classifier on a CSV of features", qFile.Name);
                    return 1;
                }

                LabeledDataset set = LabeledDataset.Load(csv.FullName);
                if (set.FeatureCount != q.Input.ElementCount)
                {
                    ctx.Fail(CliErrors.InvalidData, $"has {set.FeatureCount} features per row but model \"{q.Name}\" takes {q.Input.ElementCount}", csv.FullName);
                    return 1;
                }

                IEnumerable<Sample> samples = set.Split(p.GetValue(split)!);
                int lim = p.GetValue(limit);
                if (lim < 0)
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--limit {lim} is not valid; give a count (0 = all samples)");
                }

                List<Sample> list = (lim > 0 ? samples.Take(lim) : samples).ToList();
                ConsoleProgressBar progress = ctx.Progress($"verifying {q.Name}", list.Count);
                FidelityReport r = FidelityMetrics.Evaluate(f, q, list.Select(s => s.Features).ToList(), list.Select(s => s.Label).ToList(), progress);
                progress.Finish();
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
                        string dataName = csv.Name + ":" + p.GetValue(split);
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
    }
}
