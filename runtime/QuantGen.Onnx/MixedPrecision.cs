using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    /// <summary>One weight layer's measured sensitivity to 4-bit weights.</summary>
    public sealed class LayerSensitivity
    {
        public LayerSensitivity(string layer, long parameters, double mse4, double sensitivity)
        {
            Layer = layer;
            Parameters = parameters;
            Mse4 = mse4;
            Sensitivity = sensitivity;
        }

        public string Layer { get; }

        /// <summary>Weight elements (biases stay int32 and are not counted).</summary>
        public long Parameters { get; }

        /// <summary>Output mean squared error against the float model with only this layer at 4 bits.</summary>
        public double Mse4 { get; }

        /// <summary><see cref="Mse4"/> minus the all-8-bit model's error: the cost of dropping this layer to 4 bits.</summary>
        public double Sensitivity { get; }
    }

    /// <summary>A bit allocation: weight bits per layer, its size and predicted cost.</summary>
    public sealed class MixedPrecisionPlan
    {
        internal MixedPrecisionPlan(IReadOnlyList<LayerSensitivity> layers, IReadOnlyDictionary<string, int> bits, long budgetBits, double baselineMse)
        {
            Layers = layers;
            Bits = bits;
            BudgetBits = budgetBits;
            BaselineMse = baselineMse;
        }

        public IReadOnlyList<LayerSensitivity> Layers { get; }

        /// <summary>Weight bits (4 or 8) by layer name.</summary>
        public IReadOnlyDictionary<string, int> Bits { get; }

        public long BudgetBits { get; }

        public double BaselineMse { get; }

        public long SizeBits => Layers.Sum(l => l.Parameters * Bits[l.Layer]);

        public long Size8Bits => Layers.Sum(l => l.Parameters * 8);

        /// <summary>Sum of the sensitivities of the layers at 4 bits (the objective the allocation minimised).</summary>
        public double PredictedCost => Layers.Where(l => Bits[l.Layer] == 4).Sum(l => l.Sensitivity);

        /// <summary>Markdown table: layer, parameters, sensitivity, chosen bits.</summary>
        public string ToMarkdown()
        {
            var sb = new StringBuilder();
            sb.Append("| layer | weights | output MSE with this layer at 4 bits | sensitivity (minus all-8-bit MSE " + G(BaselineMse) + ") | bits |\n");
            sb.Append("|---|---|---|---|---|\n");
            foreach (LayerSensitivity l in Layers)
            {
                sb.Append("| ").Append(l.Layer).Append(" | ").Append(l.Parameters.ToString(CultureInfo.InvariantCulture)).Append(" | ").Append(G(l.Mse4))
                  .Append(" | ").Append(G(l.Sensitivity)).Append(" | ").Append(Bits[l.Layer].ToString(CultureInfo.InvariantCulture)).Append(" |\n");
            }

            sb.Append("\nweights: ").Append((SizeBits / 8).ToString(CultureInfo.InvariantCulture)).Append(" bytes (all 8-bit: ").Append((Size8Bits / 8).ToString(CultureInfo.InvariantCulture))
              .Append(", budget: ").Append((BudgetBits / 8).ToString(CultureInfo.InvariantCulture)).Append("); predicted cost ").Append(G(PredictedCost)).Append('\n');
            return sb.ToString();
        }

        private static string G(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// HAWQ-V3-style mixed precision: every weight layer's sensitivity is measured (the model output's squared error
    /// against the float model when only that layer's weights drop to 4 bits, minus the all-8-bit error), then an
    /// exact 0/1 knapsack (integer program: minimise the summed sensitivity of the 4-bit layers subject to the weight
    /// size budget) picks 4 or 8 bits per layer. Activations stay at 8 bits. HAWQ-V3 weights the perturbation by the
    /// Hessian trace; here the perturbation's effect on the output is measured directly.
    /// </summary>
    public static class MixedPrecision
    {
        /// <summary>A copy of a float graph with the given weight bits per layer (others unchanged).</summary>
        public static ModelGraph WithWeightBits(ModelGraph floatGraph, IReadOnlyDictionary<string, int> bits)
        {
            ModelSpec s = floatGraph.Spec;
            var spec = new ModelSpec { Name = s.Name, Kind = s.Kind, Weights = s.Weights, Input = s.Input, Output = s.Output, OutputPlace = s.OutputPlace, WeightsPlace = s.WeightsPlace, SourceFile = s.SourceFile };
            spec.Initializers.AddRange(s.Initializers);
            spec.Labels.AddRange(s.Labels);
            spec.Metadata.AddRange(s.Metadata);
            foreach (LayerSpec l in s.Layers)
            {
                LayerSpec c = l.CloneFloat();
                if (bits.TryGetValue(l.Name, out int b))
                {
                    c.Precision.WeightBits = b;
                }

                spec.Layers.Add(c);
            }

            var weights = s.Initializers.Select(i => TensorCodec.EncodeFloats(i.Name, i.Shape, floatGraph.Tensors[i.Name].FloatData!)).ToList();
            var diags = new List<ModelDiagnostic>();
            return GraphBuilder.Build(spec, weights, s.Weights, diags) ?? throw new ModelException(diags);
        }

        /// <summary>Weight layers (Dense) and their weight element counts, in graph order.</summary>
        public static List<(string Layer, long Parameters)> WeightLayers(ModelGraph g) =>
            g.Nodes.Where(n => n.Layer.Op == OpKind.Dense).Select(n => (n.Layer.Name, (long)n.Weight!.ElementCount)).ToList();

        /// <summary>Output MSE (dequantized vs float) of a quantized model over <paramref name="eval"/>.</summary>
        public static double OutputMse(QuantizedModel q, ModelGraph floatGraph, IReadOnlyList<float[]> eval)
        {
            var oracle = new ReferenceInterpreter(q.Graph);
            var fl = new FloatInterpreter(floatGraph);
            double sum = 0;
            long count = 0;
            foreach (float[] x in eval)
            {
                double[] a = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                double[] f = fl.Run(x);
                for (int i = 0; i < a.Length; i++)
                {
                    sum += (a[i] - f[i]) * (a[i] - f[i]);
                }

                count += a.Length;
            }

            return sum / Math.Max(1, count);
        }

        /// <summary>Measures every weight layer's sensitivity and allocates bits under <paramref name="budgetBits"/> of weights.</summary>
        public static MixedPrecisionPlan Plan(ModelGraph floatGraph, IReadOnlyList<float[]> calibration, IReadOnlyList<float[]> eval, long budgetBits, QuantizationOptions? options = null, IProgress<CalibrationProgress>? progress = null)
        {
            options ??= new QuantizationOptions();
            CalibrationStatistics stats = PostTrainingQuantizer.CalibrateStatistics(floatGraph, calibration, options);
            List<(string Layer, long Parameters)> layers = WeightLayers(floatGraph);
            var none = new Dictionary<string, int>(StringComparer.Ordinal);
            double baseline = OutputMse(PostTrainingQuantizer.FromStatistics(floatGraph, stats, options), floatGraph, eval);
            var sens = new List<LayerSensitivity>();
            for (int i = 0; i < layers.Count; i++)
            {
                ModelGraph g4 = WithWeightBits(floatGraph, new Dictionary<string, int> { [layers[i].Layer] = 4 });
                double mse = OutputMse(PostTrainingQuantizer.FromStatistics(g4, stats, options), floatGraph, eval);
                sens.Add(new LayerSensitivity(layers[i].Layer, layers[i].Parameters, mse, mse - baseline));
                progress?.Report(new CalibrationProgress(i + 1, layers.Count));
            }

            bool[]? four = Allocate(sens.Select(s => s.Parameters).ToArray(), sens.Select(s => s.Sensitivity).ToArray(), budgetBits);
            if (four == null)
            {
                throw new ArgumentOutOfRangeException(nameof(budgetBits), $"a weight budget of {budgetBits / 8} bytes cannot be met even with every layer at 4 bits ({sens.Sum(s => s.Parameters) * 4 / 8} bytes)");
            }

            var bits = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < sens.Count; i++)
            {
                bits[sens[i].Layer] = four[i] ? 4 : 8;
            }

            return new MixedPrecisionPlan(sens, bits, budgetBits, baseline);
        }

        /// <summary>
        /// Exact 0/1 knapsack by dynamic programming: choose the layers to drop from 8 to 4 bits so that
        /// sum(parameters x bits) &lt;= budget and the summed cost of the chosen layers is minimal (ties: fewer
        /// 4-bit layers, then earlier layers kept at 8). Returns null when even all-4-bit exceeds the budget.
        /// Work: layers x (required saving / 4 bits).
        /// </summary>
        public static bool[]? Allocate(long[] parameters, double[] cost, long budgetBits)
        {
            int n = parameters.Length;
            long size8 = parameters.Sum() * 8;
            long need = Math.Max(0, size8 - budgetBits);
            long r = (need + 3) / 4; // savings counted in units of 4 bits: dropping a layer saves `parameters` units
            if (r > parameters.Sum())
            {
                return null;
            }

            if (r > 1L << 26)
            {
                throw new ArgumentOutOfRangeException(nameof(budgetBits), "the required saving is too large for the exact allocation table");
            }

            int R = (int)r;
            var dp = new double[n + 1, R + 1];
            var cnt = new int[n + 1, R + 1];
            for (int j = 0; j <= R; j++)
            {
                dp[0, j] = j == 0 ? 0 : double.PositiveInfinity;
            }

            for (int i = 1; i <= n; i++)
            {
                for (int j = 0; j <= R; j++)
                {
                    dp[i, j] = dp[i - 1, j];
                    cnt[i, j] = cnt[i - 1, j];
                }

                for (int j = 0; j <= R; j++)
                {
                    if (double.IsPositiveInfinity(dp[i - 1, j]))
                    {
                        continue;
                    }

                    int t = (int)Math.Min(R, j + parameters[i - 1]);
                    double c = dp[i - 1, j] + cost[i - 1];
                    if (c < dp[i, t] || (c == dp[i, t] && cnt[i - 1, j] + 1 < cnt[i, t]))
                    {
                        dp[i, t] = c;
                        cnt[i, t] = cnt[i - 1, j] + 1;
                    }
                }
            }

            var pick = new bool[n];
            int at = R;
            for (int i = n; i >= 1; i--)
            {
                if (dp[i, at] == dp[i - 1, at] && cnt[i, at] == cnt[i - 1, at])
                {
                    continue;
                }

                pick[i - 1] = true;
                int from = -1;
                for (int j = 0; j <= R; j++)
                {
                    if ((int)Math.Min(R, j + parameters[i - 1]) == at && dp[i - 1, j] + cost[i - 1] == dp[i, at] && cnt[i - 1, j] + 1 == cnt[i, at])
                    {
                        from = j;
                        break;
                    }
                }

                at = from;
            }

            return pick;
        }
    }
}
