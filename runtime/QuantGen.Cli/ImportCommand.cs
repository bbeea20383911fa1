using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using QuantGen.Onnx;
using QuantGen.Quantization;

namespace QuantGen.Cli
{
    /// <summary>quantgen import: ONNX (QDQ, or float + calibration data) -> QuantGen model file.</summary>
    public static class ImportCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("onnx") { Description = "The ONNX model (opset 11 or newer)." };
            var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the .qmodel.json; the weights go next to it.", Required = true };
            var calibration = new Option<FileInfo?>("--calibration", "-c") { Description = "Calibration inputs for a float model: .npy, a folder of .npy files, or a CSV (split,label,f0,...). A QDQ model keeps its own scales." };
            var split = new Option<string>("--split") { Description = "CSV split used for calibration.", DefaultValueFactory = _ => "train" };
            var range = new Option<string>("--range") { Description = "Activation range selection for float models: minmax, percentile or mse.", DefaultValueFactory = _ => "minmax" };
            var biasCorrection = new Option<bool>("--bias-correction") { Description = "Correct the mean output shift that weight quantization causes (float models)." };
            var name = new Option<string?>("--name") { Description = "Model name (default: from the file name)." };
            var freeDims = new Option<string[]>("--free-dim")
            {
                Description = "NAME=N: give the symbolic input dimension NAME (an ONNX dim_param, e.g. a dynamic sequence axis) the value N; repeatable. A leading symbolic batch dimension becomes 1 without it.",
                AllowMultipleArgumentsPerToken = false,
            };
            var keepFileActivations = new Option<bool>("--keep-file-activations") { Description = "A QDQ model with calibration data: keep the file's activation quantization and calibrate only the tensors it leaves in float (default: re-calibrate every activation)." };
            var activationBits = new Option<int>("--activation-bits") { Description = "Activation width the post-training quantizer gives every layer (8..16; float models, or a QDQ model re-calibrated with --calibration); weights stay 8-bit.", DefaultValueFactory = _ => 8 };
            var attentionBits = new Option<int?>("--attention-bits") { Description = "Activation width of the attention's layers (its MatMuls of two activations, Softmaxes and the layers feeding them; 8..16) where --activation-bits is wider: int16 x int16 attention products over long rows overflow int32 accumulators." };
            range.AcceptOnlyFromAmong("minmax", "percentile", "mse");
            var command = new Command("import", "Import an ONNX model: a QDQ model keeps its quantization (QuantizeLinear/DequantizeLinear pairs, zero points folded); a float model is quantized from calibration data. Softmax, GELU and LayerNormalization map to QuantGen's integer operators.")
            {
                model, output, calibration, split, range, biasCorrection, name, freeDims, keepFileActivations, activationBits, attentionBits,
            };
            command.SetAction(p => ctx.Guard(() =>
            {
                var options = new OnnxImportOptions
                {
                    Name = p.GetValue(name),
                    FreeDimensions = FreeDimensions(p.GetValue(freeDims) ?? Array.Empty<string>()),
                    KeepFileActivations = p.GetValue(keepFileActivations),
                    Quantization = new QuantizationOptions
                    {
                        RangeMethod = p.GetValue(range) switch { "percentile" => RangeMethod.Percentile, "mse" => RangeMethod.Mse, _ => RangeMethod.MinMax },
                        BiasCorrection = p.GetValue(biasCorrection),
                    },
                };
                FileInfo onnx = p.GetValue(model)!, outFile = p.GetValue(output)!;
                int bits = p.GetValue(activationBits);
                int? attention = p.GetValue(attentionBits);
                CheckWidth("--activation-bits", bits);
                if (attention is int a)
                {
                    CheckWidth("--attention-bits", a);
                }

                bool widths = bits != 8 || attention != null;
                if (widths && p.GetValue(calibration) == null)
                {
                    throw new CliException(CliErrors.InvalidArgument, "--activation-bits and --attention-bits set the widths the post-training quantizer gives; they need --calibration (a QDQ model without it keeps its file's quantization)");
                }

                options.Quantization.WeightsFileName = Path.GetFileName(outFile.FullName).Replace(".qmodel.json", string.Empty) + ".safetensors";
                List<float[]>? data = null;
                ConsoleProgressBar progress = ctx.Progress("calibrating");
                if (p.GetValue(calibration) is FileInfo calib)
                {
                    LoweredModel lowered = OnnxImporter.Lower(onnx.FullName, options);
                    if (widths)
                    {
                        options.Precisions = ActivationWidths.For(lowered.Spec.Layers, bits, attention);
                    }

                    data = CalibrationData.Load(calib.FullName, lowered.Spec.Input.Shape.Length == 0 ? 1 : Count(lowered.Spec.Input.Shape), p.GetValue(split)!);
                }

                OnnxImportResult result = OnnxImporter.Import(onnx.FullName, data, options, progress);
                progress.Finish();
                CommandContext.Writing(outFile.FullName, () => OnnxImporter.Save(result.Model, outFile.FullName));
                ctx.Output.WriteLine($"imported {onnx.Name} ({(result.Lowered.IsQdq && data == null ? "QDQ" : "float + calibration")}): {result.Model.Graph.Nodes.Count} layers -> {CommandContext.Display(outFile.FullName)}");
                foreach (string note in result.Notes)
                {
                    ctx.Output.WriteLine("  note: " + note);
                }

                return 0;
            }));
            return command;
        }

        private static void CheckWidth(string option, int bits)
        {
            if (bits < ActivationWidths.MinBits || bits > ActivationWidths.MaxBits)
            {
                throw new CliException(CliErrors.InvalidArgument, $"{option} {bits.ToString(CultureInfo.InvariantCulture)} is outside {ActivationWidths.MinBits}..{ActivationWidths.MaxBits}");
            }
        }

        private static Dictionary<string, int>? FreeDimensions(string[] args)
        {
            if (args.Length == 0)
            {
                return null;
            }

            var dims = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (string a in args)
            {
                int eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !int.TryParse(a.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--free-dim {a}: expected NAME=N with N a positive integer (e.g. --free-dim sequence=128)");
                }

                if (!dims.TryAdd(a.Substring(0, eq), n))
                {
                    throw new CliException(CliErrors.InvalidArgument, $"--free-dim {a}: '{a.Substring(0, eq)}' is given twice");
                }
            }

            return dims;
        }

        private static int Count(int[] shape)
        {
            int n = 1;
            foreach (int d in shape)
            {
                n *= d;
            }

            return n;
        }
    }
}
