using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Interpreters;

namespace QuantGen.Fidelity
{
    /// <summary>Signal-to-quantization-noise ratio of one tensor over a data set.</summary>
    public sealed class TensorSqnr
    {
        public TensorSqnr(string tensor, string layer, double decibels)
        {
            Tensor = tensor;
            Layer = layer;
            Decibels = decibels;
        }

        public string Tensor { get; }

        public string Layer { get; }

        /// <summary>10 log10(sum ref^2 / sum (ref - deq)^2); +infinity when identical.</summary>
        public double Decibels { get; }
    }

    /// <summary>
    /// Approximation error of one non-linear integer operator, measured where it sits in the model: its integer output
    /// (dequantized) against the exact float operator applied to its dequantized integer input, over every row the
    /// data set produced. This isolates the operator's own error from the error it inherits.
    /// </summary>
    public sealed class OperatorError
    {
        public OperatorError(string layer, string op, string method, double maxAbsError, double meanAbsError, long elements)
        {
            Layer = layer;
            Op = op;
            Method = method;
            MaxAbsError = maxAbsError;
            MeanAbsError = meanAbsError;
            Elements = elements;
        }

        public string Layer { get; }

        public string Op { get; }

        public string Method { get; }

        /// <summary>In the operator's real output units (probabilities for softmax).</summary>
        public double MaxAbsError { get; }

        public double MeanAbsError { get; }

        public long Elements { get; }
    }

    /// <summary>How faithfully an integer model reproduces its float model on a data set.</summary>
    public sealed class FidelityReport
    {
        public int Samples { get; internal set; }

        /// <summary>Accuracy of the float model against the labels (NaN without labels).</summary>
        public double FloatAccuracy { get; internal set; } = double.NaN;

        public double IntegerAccuracy { get; internal set; } = double.NaN;

        /// <summary>Fraction of samples where float and integer top-1 agree.</summary>
        public double Top1Agreement { get; internal set; }

        /// <summary>Samples whose top-1 class differs (disagreement, whichever way).</summary>
        public int Flips { get; internal set; }

        /// <summary>Flips where the float model was right and the integer one wrong.</summary>
        public int FlipsToWrong { get; internal set; }

        public int FlipsToRight { get; internal set; }

        /// <summary>Mean KL(softmax(float logits) || softmax(integer logits, dequantized)), in nats.</summary>
        public double MeanKlDivergence { get; internal set; }

        public List<TensorSqnr> LayerSqnr { get; } = new List<TensorSqnr>();

        public List<OperatorError> OperatorErrors { get; } = new List<OperatorError>();

        public string ToMarkdown(string title)
        {
            var sb = new StringBuilder();
            sb.Append("| model | float acc | integer acc | top-1 agreement | flips (to wrong / to right) | mean KLD |\n");
            sb.Append("|---|---|---|---|---|---|\n");
            sb.Append("| ").Append(title).Append(" | ").Append(Pct(FloatAccuracy)).Append(" | ").Append(Pct(IntegerAccuracy)).Append(" | ")
              .Append(Pct(Top1Agreement)).Append(" | ").Append(Flips).Append(" (").Append(FlipsToWrong).Append(" / ").Append(FlipsToRight).Append(") | ")
              .Append(MeanKlDivergence.ToString("0.00000", CultureInfo.InvariantCulture)).Append(" |\n");
            return sb.ToString();
        }

        private static string Pct(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("0.00", CultureInfo.InvariantCulture) + " %";
    }

    /// <summary>Fidelity metrics: top-1 agreement and flips, accuracy, KL divergence, per-layer SQNR.</summary>
    public static class FidelityMetrics
    {
        public static FidelityReport Evaluate(ModelGraph floatGraph, ModelGraph quantizedGraph, IReadOnlyList<float[]> inputs, IReadOnlyList<int>? labels = null, IProgress<int>? progress = null)
        {
            var q = new ReferenceInterpreter(quantizedGraph);
            return Evaluate(floatGraph, quantizedGraph, inputs.Select(x => (IReadOnlyList<float[]>)new[] { x }).ToList(), inputs.Select(x => (IReadOnlyList<int[]>)new[] { q.Quantize(x) }).ToList(), labels, progress);
        }

        /// <summary>
        /// A model with several inputs (or token ids): per sample, the float model's inputs (real values; ids as numbers) and
        /// the quantized model's integer inputs (spec order), already quantized by the caller. Scores the first output.
        /// </summary>
        public static FidelityReport Evaluate(ModelGraph floatGraph, ModelGraph quantizedGraph, IReadOnlyList<IReadOnlyList<float[]>> floatInputs, IReadOnlyList<IReadOnlyList<int[]>> integerInputs, IReadOnlyList<int>? labels = null, IProgress<int>? progress = null)
        {
            if (floatInputs.Count != integerInputs.Count)
            {
                throw new ArgumentException($"{floatInputs.Count} float samples but {integerInputs.Count} integer samples", nameof(integerInputs));
            }

            IReadOnlyList<IReadOnlyList<float[]>> inputs = floatInputs;
            var fl = new FloatInterpreter(floatGraph);
            var q = new ReferenceInterpreter(quantizedGraph);
            var report = new FidelityReport { Samples = inputs.Count };
            var opErrors = new Dictionary<string, (double Max, double Sum, long Count)>(StringComparer.Ordinal);
            var signal = new Dictionary<string, double>(StringComparer.Ordinal);
            var noise = new Dictionary<string, double>(StringComparer.Ordinal);
            int agree = 0, floatRight = 0, intRight = 0;
            double kld = 0;
            for (int s = 0; s < inputs.Count; s++)
            {
                IReadOnlyDictionary<string, double[]> fa = fl.RunAll(inputs[s]);
                IReadOnlyDictionary<string, int[]> qa = q.RunAll(integerInputs[s]);
                foreach (GraphNode node in quantizedGraph.Nodes)
                {
                    TensorInfo t = node.Output;
                    if (t.Quant == null || node.Layer.Op == Model.OpKind.ArgMax || !fa.TryGetValue(t.Name, out double[]? r))
                    {
                        continue;
                    }

                    int[] v = qa[t.Name];
                    if (v.Length != r.Length)
                    {
                        continue;
                    }

                    double sg = 0, ns = 0;
                    for (int i = 0; i < r.Length; i++)
                    {
                        double d = r[i] - t.Quant.Dequantize(v[i]);
                        sg += r[i] * r[i];
                        ns += d * d;
                    }

                    signal[t.Name] = (signal.TryGetValue(t.Name, out double a) ? a : 0) + sg;
                    noise[t.Name] = (noise.TryGetValue(t.Name, out double b) ? b : 0) + ns;
                }

                MeasureOperators(floatGraph, quantizedGraph, qa, opErrors);
                double[] fLogits = fa[floatGraph.Output.Name];
                double[] qLogits = q.Dequantize(qa[quantizedGraph.Output.Name]);
                int fTop = ArgMax(fLogits), qTop = ArgMax(qLogits);
                agree += fTop == qTop ? 1 : 0;
                kld += KlDivergence(fLogits, qLogits);
                if (labels != null)
                {
                    floatRight += fTop == labels[s] ? 1 : 0;
                    intRight += qTop == labels[s] ? 1 : 0;
                    if (fTop != qTop)
                    {
                        report.FlipsToWrong += fTop == labels[s] ? 1 : 0;
                        report.FlipsToRight += qTop == labels[s] ? 1 : 0;
                    }
                }

                progress?.Report(s + 1);
            }

            int n = Math.Max(inputs.Count, 1);
            report.Top1Agreement = (double)agree / n;
            report.Flips = inputs.Count - agree;
            report.MeanKlDivergence = kld / n;
            if (labels != null)
            {
                report.FloatAccuracy = (double)floatRight / n;
                report.IntegerAccuracy = (double)intRight / n;
            }

            foreach (GraphNode node in quantizedGraph.Nodes)
            {
                if (signal.TryGetValue(node.Output.Name, out double sg))
                {
                    double ns = noise[node.Output.Name];
                    report.LayerSqnr.Add(new TensorSqnr(node.Output.Name, node.Layer.Name, ns == 0 ? double.PositiveInfinity : 10 * Math.Log10(sg / ns)));
                }
            }

            foreach (GraphNode node in quantizedGraph.Nodes)
            {
                if (opErrors.TryGetValue(node.Layer.Name, out var e))
                {
                    report.OperatorErrors.Add(new OperatorError(node.Layer.Name, node.Layer.Op.ToString(), MethodOf(node.Layer), e.Max, e.Count == 0 ? 0 : e.Sum / e.Count, e.Count));
                }
            }

            return report;
        }

        private static string MethodOf(Model.LayerSpec layer) => layer switch
        {
            Model.SoftmaxLayer s => QuantGen.Operators.SoftmaxOperator.MethodName(s.Method),
            Model.GeluLayer g => QuantGen.Operators.GeluOperator.MethodName(g.Method),
            _ => "integer",
        };

        private static void MeasureOperators(ModelGraph floatGraph, ModelGraph quantizedGraph, IReadOnlyDictionary<string, int[]> qa, Dictionary<string, (double Max, double Sum, long Count)> errors)
        {
            foreach (GraphNode node in quantizedGraph.Nodes)
            {
                if (!(node.Layer is Model.SoftmaxLayer || node.Layer is Model.GeluLayer || node.Layer is Model.LayerNormLayer))
                {
                    continue;
                }

                TensorInfo xt = node.Inputs[0];
                int[] xi = qa[xt.Name], yi = qa[node.Output.Name];
                int len = xt.Shape[xt.Shape.Length - 1];
                double[] x = xi.Select(v => xt.Quant!.Dequantize(v)).ToArray();
                var expected = new double[x.Length];
                if (node.Layer is Model.GeluLayer)
                {
                    for (int i = 0; i < x.Length; i++)
                    {
                        expected[i] = Numerics.FloatReference.Gelu(x[i]);
                    }
                }
                else
                {
                    for (int r = 0; r < x.Length / len; r++)
                    {
                        if (node.Layer is Model.SoftmaxLayer)
                        {
                            Numerics.FloatReference.Softmax(x, r * len, len, expected, r * len);
                        }
                        else
                        {
                            Numerics.FloatReference.LayerNorm(x, r * len, len, 0.0, expected, r * len);
                        }
                    }

                    if (node.Layer is Model.LayerNormLayer)
                    {
                        GraphNode? floatNode = floatGraph.Nodes.FirstOrDefault(n => n.Layer.Name == node.Layer.Name);
                        float[]? gamma = floatNode?.Weight?.FloatData;
                        float[]? beta = floatNode?.Bias?.FloatData;
                        for (int i = 0; i < expected.Length; i++)
                        {
                            expected[i] = expected[i] * (gamma?[i % len] ?? 1.0) + (beta?[i % len] ?? 0.0);
                        }
                    }
                }

                (double max, double sum, long count) = errors.TryGetValue(node.Layer.Name, out var e) ? e : (0, 0, 0);
                for (int i = 0; i < yi.Length; i++)
                {
                    double d = Math.Abs(node.Output.Quant!.Dequantize(yi[i]) - expected[i]);
                    max = Math.Max(max, d);
                    sum += d;
                }

                errors[node.Layer.Name] = (max, sum, count + yi.Length);
            }
        }

        /// <summary>First index of the maximum (ties -> lowest index, like the integer ArgMax).</summary>
        public static int ArgMax(double[] v)
        {
            int best = 0;
            for (int i = 1; i < v.Length; i++)
            {
                if (v[i] > v[best])
                {
                    best = i;
                }
            }

            return best;
        }

        /// <summary>KL(softmax(p) || softmax(q)) in nats, from logits.</summary>
        public static double KlDivergence(double[] pLogits, double[] qLogits)
        {
            double[] p = Softmax(pLogits), q = Softmax(qLogits);
            double kl = 0;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] > 0)
                {
                    kl += p[i] * (Math.Log(p[i]) - Math.Log(Math.Max(q[i], 1e-300)));
                }
            }

            return Math.Max(kl, 0);
        }

        public static double Sqnr(double[] reference, double[] test)
        {
            double s = reference.Sum(v => v * v);
            double n = reference.Zip(test, (a, b) => (a - b) * (a - b)).Sum();
            return n == 0 ? double.PositiveInfinity : 10 * Math.Log10(s / n);
        }

        private static double[] Softmax(double[] logits)
        {
            double max = logits.Max();
            double[] e = logits.Select(v => Math.Exp(v - max)).ToArray();
            double sum = e.Sum();
            return e.Select(v => v / sum).ToArray();
        }
    }
}
