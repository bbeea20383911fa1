using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace QuantGen.Fidelity
{
    /// <summary>Fidelity report as JSON (for pipelines) and Markdown (to attach to a deployment).</summary>
    public static class FidelityReportWriter
    {
        public static string ToJson(FidelityReport r, string model, string floatModel, string data)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", model);
                w.WriteString("floatModel", floatModel);
                w.WriteString("data", data);
                w.WriteNumber("samples", r.Samples);
                Number(w, "floatAccuracy", r.FloatAccuracy);
                Number(w, "integerAccuracy", r.IntegerAccuracy);
                w.WriteNumber("top1Agreement", r.Top1Agreement);
                w.WriteNumber("flips", r.Flips);
                w.WriteNumber("flipsToWrong", r.FlipsToWrong);
                w.WriteNumber("flipsToRight", r.FlipsToRight);
                w.WriteNumber("meanKlDivergence", r.MeanKlDivergence);
                w.WriteStartArray("layerSqnrDb");
                foreach (TensorSqnr s in r.LayerSqnr)
                {
                    w.WriteStartObject();
                    w.WriteString("layer", s.Layer);
                    w.WriteString("tensor", s.Tensor);
                    Number(w, "sqnrDb", s.Decibels);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("operatorErrors");
                foreach (OperatorError e in r.OperatorErrors)
                {
                    w.WriteStartObject();
                    w.WriteString("layer", e.Layer);
                    w.WriteString("op", e.Op);
                    w.WriteString("method", e.Method);
                    w.WriteNumber("maxAbsError", e.MaxAbsError);
                    w.WriteNumber("meanAbsError", e.MeanAbsError);
                    w.WriteNumber("elements", e.Elements);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n") + "\n";
        }

        public static string ToMarkdown(FidelityReport r, string model, string floatModel, string data)
        {
            var sb = new StringBuilder();
            sb.Append("# Fidelity report: ").Append(model).Append("\n\n");
            sb.Append("Integer model `").Append(model).Append("` against float model `").Append(floatModel).Append("` on `").Append(data).Append("` (")
              .Append(r.Samples).Append(" samples).\n\n");
            sb.Append(r.ToMarkdown(model)).Append('\n');
            sb.Append("## Per-layer SQNR\n\n| layer | tensor | SQNR (dB) |\n|---|---|---|\n");
            foreach (TensorSqnr s in r.LayerSqnr)
            {
                sb.Append("| ").Append(s.Layer).Append(" | ").Append(s.Tensor).Append(" | ").Append(Db(s.Decibels)).Append(" |\n");
            }

            if (r.OperatorErrors.Count > 0)
            {
                sb.Append("\n## Non-linear operators\n\nInteger output (dequantized) against the exact float operator on the same dequantized input, over every row of the data.\n\n");
                sb.Append("| layer | op | method | max abs error | mean abs error | elements |\n|---|---|---|---|---|---|\n");
                foreach (OperatorError e in r.OperatorErrors)
                {
                    sb.Append("| ").Append(e.Layer).Append(" | ").Append(e.Op).Append(" | ").Append(e.Method).Append(" | ")
                      .Append(e.MaxAbsError.ToString("0.0000", CultureInfo.InvariantCulture)).Append(" | ")
                      .Append(e.MeanAbsError.ToString("0.00000", CultureInfo.InvariantCulture)).Append(" | ").Append(e.Elements).Append(" |\n");
                }
            }

            return sb.ToString();
        }

        private static string Db(double v) => double.IsPositiveInfinity(v) ? "exact" : v.ToString("0.0", CultureInfo.InvariantCulture);

        private static void Number(Utf8JsonWriter w, string name, double v)
        {
            if (double.IsNaN(v) || double.IsInfinity(v))
            {
                w.WriteNull(name);
            }
            else
            {
                w.WriteNumber(name, v);
            }
        }
    }
}
