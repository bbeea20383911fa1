using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Fidelity;
using QuantGen.Graph;
using QuantGen.Interpreters;

namespace QuantGen.Cli
{
    /// <summary>
    /// verify on a model with several outputs: each output of the integer model (reference interpreter) against the float
    /// model's output of the same name, in the output's own LSB (its scale): the largest |q - (f / S + z)|, the share of
    /// elements within +-1 LSB, SQNR (10 log10(sum f^2 / sum (f - S (q - z))^2)); and for the outputs given
    /// <c>--labels OUTPUT=FILE</c>, float and integer top-1 accuracy, top-1 agreement and flips (both arg-maxes take the lowest
    /// index on ties, like the integer ArgMax).
    /// </summary>
    internal static class VerifyOutputs
    {
        /// <summary>One output's agreement over the data set.</summary>
        internal sealed class OutputAgreement
        {
            public OutputAgreement(TensorInfo tensor)
            {
                Tensor = tensor;
            }

            public TensorInfo Tensor { get; }

            /// <summary>Largest |q - (f / S + z)| over every element of every sample, in the output's LSB.</summary>
            public double MaxLsb { get; internal set; }

            public long Elements { get; internal set; }

            public long WithinOneLsb { get; internal set; }

            public double Signal { get; internal set; }

            public double Noise { get; internal set; }

            public double Sqnr => Noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(Signal / Noise);

            public double WithinShare => Elements == 0 ? 0 : (double)WithinOneLsb / Elements;

            /// <summary>Null for an output without labels.</summary>
            public List<int>? Labels { get; internal set; }

            public int FloatRight { get; internal set; }

            public int IntegerRight { get; internal set; }

            public int Agree { get; internal set; }

            public int FlipsToWrong { get; internal set; }

            public int FlipsToRight { get; internal set; }
        }

        public static List<OutputAgreement> Evaluate(ModelGraph f, ModelGraph q, VerifyRows rows, IProgress<int>? progress)
        {
            var fl = new FloatInterpreter(f);
            var qi = new ReferenceInterpreter(q);
            var outputs = q.Outputs.Select(t => new OutputAgreement(t) { Labels = rows.LabelsByOutput.TryGetValue(t.Name, out List<int>? l) ? l : null }).ToList();
            for (int s = 0; s < rows.Count; s++)
            {
                IReadOnlyDictionary<string, double[]> fa = fl.RunAll(rows.Floats[s]);
                IReadOnlyDictionary<string, int[]> qa = qi.RunAll(rows.Integers[s]);
                foreach (OutputAgreement o in outputs)
                {
                    Add(o, fa[o.Tensor.Name], qa[o.Tensor.Name], s);
                }

                progress?.Report(s + 1);
            }

            return outputs;
        }

        private static void Add(OutputAgreement o, double[] real, int[] q, int sample)
        {
            double scale = o.Tensor.Quant?.Scale ?? 1.0;
            long zero = o.Tensor.Quant?.ZeroPoint ?? 0;
            var deq = new double[q.Length];
            for (int i = 0; i < q.Length; i++)
            {
                double lsb = Math.Abs(q[i] - ((real[i] / scale) + zero));
                o.MaxLsb = Math.Max(o.MaxLsb, lsb);
                o.WithinOneLsb += lsb <= 1 ? 1 : 0;
                deq[i] = scale * (q[i] - zero);
                double d = real[i] - deq[i];
                o.Signal += real[i] * real[i];
                o.Noise += d * d;
            }

            o.Elements += q.Length;
            if (o.Labels != null)
            {
                int label = o.Labels[sample];
                int fTop = FidelityMetrics.ArgMax(real), qTop = FidelityMetrics.ArgMax(deq);
                o.FloatRight += fTop == label ? 1 : 0;
                o.IntegerRight += qTop == label ? 1 : 0;
                o.Agree += fTop == qTop ? 1 : 0;
                if (fTop != qTop)
                {
                    o.FlipsToWrong += fTop == label ? 1 : 0;
                    o.FlipsToRight += qTop == label ? 1 : 0;
                }
            }
        }

        public static string ToMarkdown(IReadOnlyList<OutputAgreement> outputs, int samples)
        {
            var sb = new StringBuilder();
            sb.Append("| output | shape | scale | max abs diff (LSB) | within +-1 LSB | SQNR | float acc | integer acc | top-1 agreement | flips (to wrong / to right) |\n");
            sb.Append("|---|---|---|---|---|---|---|---|---|---|\n");
            foreach (OutputAgreement o in outputs)
            {
                sb.Append("| ").Append(o.Tensor.Name).Append(" | ").Append(InspectCommand.Shape(o.Tensor.Shape)).Append(" | ")
                  .Append(o.Tensor.Quant == null ? "-" : o.Tensor.Quant.Scale.ToString("G6", CultureInfo.InvariantCulture)).Append(" | ")
                  .Append(o.MaxLsb.ToString("0.00", CultureInfo.InvariantCulture)).Append(" | ")
                  .Append(Pct(o.WithinShare)).Append(" | ")
                  .Append(Db(o.Sqnr)).Append(" | ");
                if (o.Labels == null)
                {
                    sb.Append("- | - | - | - |\n");
                }
                else
                {
                    double n = Math.Max(samples, 1);
                    sb.Append(Pct(o.FloatRight / n)).Append(" | ").Append(Pct(o.IntegerRight / n)).Append(" | ").Append(Pct(o.Agree / n)).Append(" | ")
                      .Append(samples - o.Agree).Append(" (").Append(o.FlipsToWrong).Append(" / ").Append(o.FlipsToRight).Append(") |\n");
                }
            }

            return sb.ToString();
        }

        public static string ToJson(IReadOnlyList<OutputAgreement> outputs, int samples, string model, string floatModel, string data)
        {
            var sb = new StringBuilder();
            sb.Append("{\n  \"model\": ").Append(Quote(model)).Append(",\n  \"floatModel\": ").Append(Quote(floatModel))
              .Append(",\n  \"data\": ").Append(Quote(data)).Append(",\n  \"samples\": ").Append(samples.ToString(CultureInfo.InvariantCulture))
              .Append(",\n  \"outputs\": [");
            for (int k = 0; k < outputs.Count; k++)
            {
                OutputAgreement o = outputs[k];
                sb.Append(k == 0 ? "\n" : ",\n").Append("    { \"name\": ").Append(Quote(o.Tensor.Name))
                  .Append(", \"maxAbsDiffLsb\": ").Append(Num(o.MaxLsb))
                  .Append(", \"withinOneLsb\": ").Append(Num(o.WithinShare))
                  .Append(", \"sqnrDb\": ").Append(Num(o.Sqnr));
                if (o.Labels != null)
                {
                    double n = Math.Max(samples, 1);
                    sb.Append(", \"floatAccuracy\": ").Append(Num(o.FloatRight / n)).Append(", \"integerAccuracy\": ").Append(Num(o.IntegerRight / n))
                      .Append(", \"top1Agreement\": ").Append(Num(o.Agree / n)).Append(", \"flips\": ").Append((samples - o.Agree).ToString(CultureInfo.InvariantCulture))
                      .Append(", \"flipsToWrong\": ").Append(o.FlipsToWrong.ToString(CultureInfo.InvariantCulture))
                      .Append(", \"flipsToRight\": ").Append(o.FlipsToRight.ToString(CultureInfo.InvariantCulture));
                }

                sb.Append(" }");
            }

            sb.Append("\n  ]\n}\n");
            return sb.ToString();
        }

        public static string Pct(double v) => (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %";

        public static string Db(double v) => double.IsPositiveInfinity(v) ? "exact" : v.ToString("0.0", CultureInfo.InvariantCulture) + " dB";

        /// <summary>A JSON number; null where it is not finite (an SQNR of an exact output).</summary>
        private static string Num(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "null" : v.ToString("R", CultureInfo.InvariantCulture);

        private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
    }
}
