using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cli
{
    /// <summary>quantgen inspect: layers, shapes, bit widths, MACs, memory and proven ranges of a model.</summary>
    public static class InspectCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The model spec (.qmodel.json); its weights file is read too." };
            var json = new Option<bool>("--json") { Description = "Print machine-readable JSON instead of a table." };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("inspect", "Show a model's layers, shapes, element types, MACs, weight and activation memory, and (quantized models) the ranges and bit widths the range analysis proves.")
            {
                model, json, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() => Run(ctx, p.GetValue(model)!, p.GetValue(json), p.GetValue(allowExternal))));
            return command;
        }

        private static int Run(CommandContext ctx, FileInfo file, bool json, bool allowExternal)
        {
            ModelGraph g = CommandContext.LoadModel(file, allowExternal);
            RangeReport? ranges = null;
            if (g.IsQuantized)
            {
                var diagnostics = new List<ModelDiagnostic>();
                ranges = RangeAnalysis.Analyze(g, diagnostics) ?? throw new ModelException(diagnostics);
            }

            var rows = g.Nodes.Select(n => new
            {
                Layer = n.Layer.Name,
                Op = n.Layer.Op.ToString(),
                Input = string.Join(" x ", n.Inputs.Select(t => Shape(t.Shape))),
                Output = Shape(n.Output.Shape),
                Type = n.Output.Type.ToString(),
                Macs = n.Macs,
                WeightBytes = WeightBytes(n),
                Acc = ranges?.Layers.First(l => l.Layer == n.Layer.Name).Find("acc"),
                OutRange = ranges?.Tensors[n.Output.Name],
            }).ToList();
            long macs = rows.Sum(r => r.Macs), weightBytes = rows.Sum(r => r.WeightBytes);
            long activationBytes = g.Nodes.Sum(n => (long)n.Output.ElementCount * ((n.Output.Type.Bits + 7) / 8));
            if (json)
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteString("name", g.Name);
                    w.WriteString("kind", g.IsQuantized ? "quantized" : "float");
                    w.WriteNumber("macs", macs);
                    w.WriteNumber("weightBytes", weightBytes);
                    w.WriteNumber("activationBytes", activationBytes);
                    WriteTensors(w, g);
                    w.WriteStartArray("layers");
                    foreach (var r in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", r.Layer);
                        w.WriteString("op", r.Op);
                        w.WriteString("output", r.Output);
                        w.WriteString("type", r.Type);
                        w.WriteNumber("macs", r.Macs);
                        w.WriteNumber("weightBytes", r.WeightBytes);
                        if (r.Acc.HasValue)
                        {
                            w.WriteStartArray("accumulatorRange");
                            w.WriteNumberValue(r.Acc.Value.Min);
                            w.WriteNumberValue(r.Acc.Value.Max);
                            w.WriteEndArray();
                            w.WriteNumber("accumulatorBits", r.Acc.Value.Bits);
                        }

                        if (r.OutRange.HasValue)
                        {
                            w.WriteStartArray("outputRange");
                            w.WriteNumberValue(r.OutRange.Value.Min);
                            w.WriteNumberValue(r.OutRange.Value.Max);
                            w.WriteEndArray();
                            w.WriteNumber("outputBits", r.OutRange.Value.Bits);
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                ctx.Output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
                return 0;
            }

            ctx.Output.WriteLine($"{g.Name} ({(g.IsQuantized ? "quantized" : "float")}), {g.Nodes.Count} layers, from {file.Name}");
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                TensorInfo input = g.Inputs[k];
                InputSpec spec = g.Spec.Inputs[k];
                string range = $"[{spec.RangeMin.ToString(CultureInfo.InvariantCulture)}, {spec.RangeMax.ToString(CultureInfo.InvariantCulture)}]";
                ctx.Output.WriteLine(input.IsIndex
                    ? $"input  {input.Name} {Shape(input.Shape)} index (int32 ids), valid ids {range}"
                    : $"input  {input.Name} {Shape(input.Shape)} {input.Type}" + (input.Quant != null ? $" scale {input.Quant.Scale.ToString("G6", CultureInfo.InvariantCulture)} zero point {input.Quant.ZeroPoint}" : string.Empty) + $", declared range {range}");
            }

            foreach (TensorInfo output in g.Outputs)
            {
                ctx.Output.WriteLine($"output {output.Name} {Shape(output.Shape)} {output.Type}" + (output.Quant != null ? $" scale {output.Quant.Scale.ToString("G6", CultureInfo.InvariantCulture)} zero point {output.Quant.ZeroPoint}" : string.Empty));
            }

            ctx.Output.WriteLine();
            var table = new List<string[]> { new[] { "layer", "op", "input", "output", "type", "MACs", "weights (B)", "accumulator (bits)", "output range (bits)" } };
            table.AddRange(rows.Select(r => new[]
            {
                r.Layer, r.Op, r.Input, r.Output, r.Type, r.Macs.ToString(CultureInfo.InvariantCulture), r.WeightBytes.ToString(CultureInfo.InvariantCulture),
                r.Acc.HasValue ? $"{r.Acc.Value} ({r.Acc.Value.Bits})" : "-",
                r.OutRange.HasValue ? $"{r.OutRange.Value} ({r.OutRange.Value.Bits})" : "-",
            }));
            int[] widths = Enumerable.Range(0, table[0].Length).Select(c => table.Max(r => r[c].Length)).ToArray();
            foreach (string[] r in table)
            {
                ctx.Output.WriteLine(string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            }

            ctx.Output.WriteLine();
            ctx.Output.WriteLine($"total: {macs.ToString("N0", CultureInfo.InvariantCulture)} MACs per inference, {weightBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes of weights, {activationBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes of activations" +
                                 (ranges != null ? $", widest accumulator {ranges.Layers.Select(l => l.Find("acc")?.Bits ?? 0).Max()} bits" : string.Empty));
            return 0;
        }

        /// <summary>"inputs" and "outputs": every model tensor in spec order with its shape, element type and quantization.</summary>
        private static void WriteTensors(Utf8JsonWriter w, ModelGraph g)
        {
            w.WriteStartArray("inputs");
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                TensorInfo t = g.Inputs[k];
                InputSpec spec = g.Spec.Inputs[k];
                w.WriteStartObject();
                WriteTensor(w, t, t.IsIndex);
                w.WriteStartArray(t.IsIndex ? "validIds" : "range");
                w.WriteNumberValue(spec.RangeMin);
                w.WriteNumberValue(spec.RangeMax);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("outputs");
            foreach (TensorInfo t in g.Outputs)
            {
                w.WriteStartObject();
                WriteTensor(w, t, false);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        private static void WriteTensor(Utf8JsonWriter w, TensorInfo t, bool index)
        {
            w.WriteString("name", t.Name);
            w.WriteStartArray("shape");
            foreach (int d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteString("type", index ? "index" : t.Type.ToString());
            if (t.Quant != null && !index)
            {
                w.WriteNumber("scale", t.Quant.Scale);
                w.WriteNumber("zeroPoint", t.Quant.ZeroPoint);
            }
        }

        internal static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

        internal static long WeightBytes(GraphNode n) =>
            n.Inputs.Where(t => t.Kind == TensorKind.Initializer).Concat(new[] { n.Weight, n.Bias }.Where(t => t != null).Select(t => t!))
                .Sum(t => ((long)t.ElementCount * t.Type.Bits + 7) / 8);
    }
}
