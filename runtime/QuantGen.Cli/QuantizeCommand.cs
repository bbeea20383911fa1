using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;

namespace QuantGen.Cli
{
    /// <summary>quantgen quantize: float model + calibration data -> quantized model file (C# post-training quantization).</summary>
    public static class QuantizeCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("float-model") { Description = "The float model spec (.qmodel.json with \"kind\": \"float\")." };
            var data = new Option<FileInfo>("--calibration", "-c") { Description = "Calibration data: CSV with header split,label,f0,f1,... (the layout of samples/data/digits/digits.csv).", Required = true };
            var split = new Option<string>("--split") { Description = "Which split of the CSV to calibrate on.", DefaultValueFactory = _ => "train" };
            var limit = new Option<int>("--limit") { Description = "Use at most this many calibration samples (0 = all).", DefaultValueFactory = _ => 0 };
            var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the quantized spec; the weights go next to it as <name>.safetensors.", Required = true };
            var name = new Option<string?>("--name") { Description = "Name of the quantized model (default: the float model's)." };
            var softmax = new Option<string?>("--softmax") { Description = "Softmax method for every Softmax layer: shiftmax (I-ViT) or ibert." };
            var gelu = new Option<string?>("--gelu") { Description = "GELU method for every Gelu layer: shiftgelu (I-ViT, element-wise) or ibert." };
            var softmaxBits = new Option<int>("--softmax-bits") { Description = "Bits of the softmax probabilities (2..16).", DefaultValueFactory = _ => 16 };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            softmax.AcceptOnlyFromAmong("shiftmax", "ibert");
            gelu.AcceptOnlyFromAmong("shiftgelu", "ibert");
            var command = new Command("quantize", "Quantize a float model with calibration data: per-channel symmetric weights, per-tensor activations from the calibrated ranges, dyadic requantization, integer non-linear operators. Writes a .qmodel.json + .safetensors pair.")
            {
                model, data, split, limit, output, name, softmax, gelu, softmaxBits, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() =>
            {
                int bits = p.GetValue(softmaxBits);
                if (bits < 2 || bits > 16)
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--softmax-bits {bits} is outside 2..16");
                }

                if (p.GetValue(limit) < 0)
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--limit {p.GetValue(limit)} is not valid; give a count (0 = all samples)");
                }

                ModelGraph floatGraph = CommandContext.LoadModel(p.GetValue(model)!, p.GetValue(allowExternal));
                if (floatGraph.IsQuantized)
                {
                    throw new CliException(CliErrors.WrongModelKind, "is already quantized; quantize reads a float model (\"kind\": \"float\")", p.GetValue(model)!.FullName);
                }

                List<float[]> calibration = Samples(p.GetValue(data)!, p.GetValue(split)!, p.GetValue(limit), floatGraph);
                FileInfo outFile = p.GetValue(output)!;
                string outName = p.GetValue(name) ?? Path.GetFileName(outFile.FullName).Replace(".qmodel.json", string.Empty);
                var options = new QuantizationOptions
                {
                    Name = SpecParser.IsIdentifier(outName) ? outName : floatGraph.Name,
                    WeightsFileName = Path.GetFileName(outFile.FullName).Replace(".qmodel.json", string.Empty).Replace(".json", string.Empty) + ".safetensors",
                    SoftmaxOutBits = bits,
                    SoftmaxMethod = p.GetValue(softmax) switch { "shiftmax" => SoftmaxMethod.Shiftmax, "ibert" => SoftmaxMethod.IBert, _ => null },
                    GeluMethod = p.GetValue(gelu) switch { "shiftgelu" => GeluMethod.ShiftGelu, "ibert" => GeluMethod.IBert, _ => null },
                };
                ConsoleProgressBar progress = ctx.Progress($"calibrating {floatGraph.Name}");
                QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, calibration, options, progress);
                progress.Finish();
                CommandContext.Writing(outFile.FullName, () =>
                {
                    Directory.CreateDirectory(outFile.DirectoryName!);
                    q.Save(outFile.FullName);
                });
                ctx.Output.WriteLine($"wrote {CommandContext.Display(outFile.FullName)} and {CommandContext.Display(ModelLoader.ResolveWeightsPath(outFile.FullName, q.Spec.Weights))} ({calibration.Count} calibration samples)");
                return 0;
            }));
            return command;
        }

        /// <summary>Loads a CSV split and checks it fits the model input.</summary>
        internal static List<float[]> Samples(FileInfo csv, string split, int limit, ModelGraph graph)
        {
            LabeledDataset data = LabeledDataset.Load(csv.FullName);
            if (data.FeatureCount != graph.Input.ElementCount)
            {
                throw new FormatException($"{csv.FullName}: has {data.FeatureCount} features per row but model \"{graph.Name}\" takes {graph.Input.ElementCount} ({graph.Input})");
            }

            IEnumerable<Sample> samples = data.Split(split);
            if (limit > 0)
            {
                samples = samples.Take(limit);
            }

            List<float[]> list = samples.Select(s => s.Features).ToList();
            if (list.Count == 0)
            {
                throw new FormatException($"{csv.FullName}: split \"{split}\" is empty");
            }

            return list;
        }
    }
}
