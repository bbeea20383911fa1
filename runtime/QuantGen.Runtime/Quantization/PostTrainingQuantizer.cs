using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Quantization
{
    public sealed class QuantizationOptions
    {
        /// <summary>Name of the quantized model; default: the float model's name.</summary>
        public string? Name { get; set; }

        /// <summary>Weights file name written into the spec; default: <c>&lt;name&gt;.safetensors</c>.</summary>
        public string? WeightsFileName { get; set; }

        /// <summary>Overrides every Softmax layer's method.</summary>
        public SoftmaxMethod? SoftmaxMethod { get; set; }

        /// <summary>Overrides every Gelu layer's method.</summary>
        public GeluMethod? GeluMethod { get; set; }

        /// <summary>Bits of the softmax probabilities (I-ViT uses 16 for ViT/DeiT: int16 at scale 2^-15 for Shiftmax).</summary>
        public int SoftmaxOutBits { get; set; } = 16;

        /// <summary>Shiftmax exponent precision n (I-ViT: 15).</summary>
        public int ShiftmaxN { get; set; } = 15;

        /// <summary>ShiftGELU exponent precision n. 16 for the element-wise form (I-ViT's row-wise form uses 23; docs/decisions.md).</summary>
        public int ShiftGeluN { get; set; } = 16;

        /// <summary>How calibration turns observed values into a range (default: min/max).</summary>
        public RangeMethod RangeMethod { get; set; } = RangeMethod.MinMax;

        /// <summary>For <see cref="Quantization.RangeMethod.Percentile"/>: the share of values kept inside the range, in percent (each tail gets half of the rest).</summary>
        public double Percentile { get; set; } = 99.99;

        /// <summary>
        /// Empirical bias correction (Nagel et al. 2019): every Dense and Conv2d bias absorbs the expected output shift caused
        /// by weight rounding, (W - Q(W)) E[x], with E[x] the mean float input over the calibration set (Conv2d: per input
        /// channel, <see cref="CalibrationStatistics.ChannelMeans"/>).
        /// </summary>
        public bool BiasCorrection { get; set; }

        /// <summary>
        /// Quantization fixed in advance (an imported QDQ model): tensor name -> type, scale and zero point. Used for
        /// the input and for every layer output it names instead of a calibrated range.
        /// </summary>
        public IReadOnlyDictionary<string, TensorQuant>? FixedActivations { get; set; }

        /// <summary>Weights or constants already quantized (an imported QDQ model), by initializer name.</summary>
        public IReadOnlyDictionary<string, FixedTensor>? FixedWeights { get; set; }

        /// <summary>Text for the spec's "quantized_by" metadata; default describes the calibration.</summary>
        public string? QuantizedBy { get; set; }
    }

    /// <summary>Range selection of the calibration.</summary>
    public enum RangeMethod
    {
        /// <summary>The observed minimum and maximum.</summary>
        MinMax,

        /// <summary>The observed quantiles at (100 - p) / 2 and (100 + p) / 2 percent (2,048-bin histogram).</summary>
        Percentile,

        /// <summary>The clipping range that minimises the expected squared quantization error over the observed histogram.</summary>
        Mse,
    }

    /// <summary>
    /// A tensor quantized outside the quantizer: symmetric integers (zero point 0, already folded), with one
    /// scale or one per output channel (axis 0 of the initializer as the float graph stores it).
    /// </summary>
    public sealed class FixedTensor
    {
        public FixedTensor(ElementType type, int[] values, double[] scales, long zeroPoint = 0)
        {
            Type = type;
            Values = values;
            Scales = scales;
            ZeroPoint = zeroPoint;
        }

        /// <summary>The integers' zero point (real = scale * (q - zero point)); only an embedding table may have one (the Embedding operator copies its rows with it).</summary>
        public long ZeroPoint { get; }

        /// <summary>
        /// An embedding table quantized per axis: 0 (one scale and zero point per row) or 1 (per feature), with
        /// <see cref="ZeroPoints"/> one per scale; -1 (the default) for every other tensor (one scale, or one per output channel).
        /// </summary>
        public int Axis { get; set; } = -1;

        /// <summary>The per-axis zero points (with <see cref="Axis"/> 0 or 1).</summary>
        public long[]? ZeroPoints { get; set; }

        public ElementType Type { get; }

        public int[] Values { get; }

        public double[] Scales { get; }
    }

    /// <summary>Calibration progress: samples done out of total.</summary>
    public readonly struct CalibrationProgress
    {
        public CalibrationProgress(int done, int total)
        {
            Done = done;
            Total = total;
        }

        public int Done { get; }

        public int Total { get; }
    }

    /// <summary>The product of quantization: spec, encoded weights, and the validated graph and ranges.</summary>
    public sealed class QuantizedModel
    {
        internal QuantizedModel(ModelSpec spec, IReadOnlyList<RawTensor> weights, ModelGraph graph, RangeReport ranges)
        {
            Spec = spec;
            Weights = weights;
            Graph = graph;
            Ranges = ranges;
        }

        public ModelSpec Spec { get; }

        public IReadOnlyList<RawTensor> Weights { get; }

        public ModelGraph Graph { get; }

        public RangeReport Ranges { get; }

        /// <summary>Writes the spec and, next to it, the weights file the spec names.</summary>
        public void Save(string specPath) => SpecWriter.Save(Spec, Weights, specPath);
    }

    /// <summary>
    /// Post-training quantization: float graph + calibration inputs -> quantized model. Weights: symmetric,
    /// per output channel (or per tensor), at the layer's weightBits. Activations: asymmetric per tensor from
    /// the calibrated min/max (widened to include 0), at the layer's activationBits. Biases: int32 at input
    /// scale x weight scale. Every multiplier becomes a dyadic (multiplier, shift); the non-linear operators'
    /// integer constants are folded here, at build time. The result is re-validated by the same graph
    /// builder and range analysis that read model files, so it cannot produce a model the loader rejects.
    /// </summary>
    public static class PostTrainingQuantizer
    {
        public static QuantizedModel Quantize(ModelGraph floatGraph, IReadOnlyList<float[]> calibration, QuantizationOptions? options = null, IProgress<CalibrationProgress>? progress = null)
        {
            if (floatGraph.IsQuantized)
            {
                throw new ArgumentException($"model \"{floatGraph.Name}\" is already quantized", nameof(floatGraph));
            }

            if (calibration.Count == 0)
            {
                throw new ArgumentException("post-training quantization needs at least one calibration input", nameof(calibration));
            }

            options ??= new QuantizationOptions();
            QuantizationSettingsException.Validate(options);
            CalibrationStatistics stats = CalibrateStatistics(floatGraph, calibration, options, progress);
            return FromStatistics(floatGraph, stats, options);
        }

        /// <summary>
        /// Quantizes with statistics already gathered (or none at all, when <see cref="QuantizationOptions.FixedActivations"/>
        /// names every tensor, as for an imported QDQ model).
        /// </summary>
        public static QuantizedModel FromStatistics(ModelGraph floatGraph, CalibrationStatistics stats, QuantizationOptions? options = null)
        {
            options ??= new QuantizationOptions();
            QuantizationSettingsException.Validate(options);
            var q = new Builder(floatGraph, stats.Ranges, options, stats.Means, stats.ChannelMeans);
            q.Run();
            var diagnostics = new List<ModelDiagnostic>();
            ModelGraph? graph = GraphBuilder.Build(q.Spec, q.Weights, q.Spec.Weights, diagnostics);
            RangeReport? report = graph != null ? RangeAnalysis.Analyze(graph, diagnostics) : null;
            if (graph == null || report == null)
            {
                throw new ModelException(diagnostics);
            }

            return new QuantizedModel(q.Spec, q.Weights, graph, report);
        }

        /// <summary>
        /// Ranges (by <see cref="QuantizationOptions.RangeMethod"/>) and per-feature means (last axis) of every tensor
        /// over the calibration set. Percentile and MSE need a second pass (a 2,048-bin histogram between the observed
        /// min and max); progress then counts both passes.
        /// </summary>
        public static CalibrationStatistics CalibrateStatistics(ModelGraph floatGraph, IReadOnlyList<float[]> calibration, QuantizationOptions options, IProgress<CalibrationProgress>? progress = null)
        {
            var interpreter = new FloatInterpreter(floatGraph);
            bool twoPass = options.RangeMethod != RangeMethod.MinMax;
            int total = calibration.Count * (twoPass ? 2 : 1);
            var minMax = new Dictionary<string, (double Min, double Max)>(StringComparer.Ordinal);
            var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            var channelSums = new Dictionary<string, double[]>(StringComparer.Ordinal);
            var channelCounts = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int s = 0; s < calibration.Count; s++)
            {
                foreach (KeyValuePair<string, double[]> kv in interpreter.RunAll(SplitSample(floatGraph, calibration[s])))
                {
                    double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
                    foreach (double v in kv.Value)
                    {
                        lo = Math.Min(lo, v);
                        hi = Math.Max(hi, v);
                    }

                    minMax[kv.Key] = minMax.TryGetValue(kv.Key, out var r) ? (Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : (lo, hi);
                    int[] shape = floatGraph.Tensors[kv.Key].Shape;
                    int last = shape.Length == 0 ? 1 : Math.Max(1, shape[shape.Length - 1]);
                    if (!sums.TryGetValue(kv.Key, out double[]? sum))
                    {
                        sum = new double[last];
                        sums[kv.Key] = sum;
                        counts[kv.Key] = 0;
                    }

                    for (int i = 0; i < kv.Value.Length; i++)
                    {
                        sum[i % last] += kv.Value[i];
                    }

                    counts[kv.Key] += kv.Value.Length / last;
                    if (shape.Length == 4 && shape[1] > 0)
                    {
                        int channels = shape[1], plane = shape[2] * shape[3];
                        if (!channelSums.TryGetValue(kv.Key, out double[]? cs))
                        {
                            cs = new double[channels];
                            channelSums[kv.Key] = cs;
                            channelCounts[kv.Key] = 0;
                        }

                        for (int i = 0; i < kv.Value.Length; i++)
                        {
                            cs[(i / Math.Max(1, plane)) % channels] += kv.Value[i];
                        }

                        channelCounts[kv.Key] += kv.Value.Length / channels;
                    }
                }

                progress?.Report(new CalibrationProgress(s + 1, total));
            }

            var means = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, double[]> kv in sums)
            {
                means[kv.Key] = kv.Value.Select(v => counts[kv.Key] > 0 ? v / counts[kv.Key] : 0).ToArray();
            }

            var channelMeans = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, double[]> kv in channelSums)
            {
                channelMeans[kv.Key] = kv.Value.Select(v => channelCounts[kv.Key] > 0 ? v / channelCounts[kv.Key] : 0).ToArray();
            }

            if (!twoPass)
            {
                return new CalibrationStatistics(minMax, means, channelMeans);
            }

            const int Bins = 2048;
            var hist = new Dictionary<string, long[]>(StringComparer.Ordinal);
            for (int s = 0; s < calibration.Count; s++)
            {
                foreach (KeyValuePair<string, double[]> kv in interpreter.RunAll(SplitSample(floatGraph, calibration[s])))
                {
                    (double lo, double hi) = minMax[kv.Key];
                    if (!hist.TryGetValue(kv.Key, out long[]? h))
                    {
                        h = new long[Bins];
                        hist[kv.Key] = h;
                    }

                    double width = hi > lo ? (hi - lo) / Bins : 1;
                    foreach (double v in kv.Value)
                    {
                        h[Math.Min(Bins - 1, Math.Max(0, (int)((v - lo) / width)))]++;
                    }
                }

                progress?.Report(new CalibrationProgress(calibration.Count + s + 1, total));
            }

            var ranges = new Dictionary<string, (double Min, double Max)>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, long[]> kv in hist)
            {
                (double lo, double hi) = minMax[kv.Key];
                ranges[kv.Key] = options.RangeMethod == RangeMethod.Percentile
                    ? HistogramRanges.Percentile(kv.Value, lo, hi, options.Percentile)
                    : HistogramRanges.MinimumMse(kv.Value, lo, hi, 8);
            }

            return new CalibrationStatistics(ranges, means, channelMeans);
        }

        /// <summary>Min and max of every tensor over the calibration set, in the float model.</summary>
        public static Dictionary<string, (double Min, double Max)> Calibrate(ModelGraph floatGraph, IReadOnlyList<float[]> calibration, IProgress<CalibrationProgress>? progress = null)
        {
            var interpreter = new FloatInterpreter(floatGraph);
            var ranges = new Dictionary<string, (double Min, double Max)>(StringComparer.Ordinal);
            for (int s = 0; s < calibration.Count; s++)
            {
                foreach (KeyValuePair<string, double[]> kv in interpreter.RunAll(SplitSample(floatGraph, calibration[s])))
                {
                    double lo = kv.Value.Min(), hi = kv.Value.Max();
                    ranges[kv.Key] = ranges.TryGetValue(kv.Key, out var r) ? (Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : (lo, hi);
                }

                progress?.Report(new CalibrationProgress(s + 1, calibration.Count));
            }

            return ranges;
        }

        /// <summary>
        /// One calibration sample of a model with several inputs is their elements one after the other, in spec order
        /// (index inputs as whole numbers); a one-input model's sample is that input.
        /// </summary>
        public static float[][] SplitSample(ModelGraph graph, float[] sample)
        {
            if (graph.Inputs.Count == 1)
            {
                return new[] { sample };
            }

            int total = graph.Inputs.Sum(t => t.ElementCount);
            if (sample.Length != total)
            {
                throw new ArgumentException($"a calibration sample of model \"{graph.Name}\" holds its {graph.Inputs.Count} inputs one after the other ({total} elements); got {sample.Length}", nameof(sample));
            }

            var parts = new float[graph.Inputs.Count][];
            int at = 0;
            for (int k = 0; k < parts.Length; k++)
            {
                parts[k] = new float[graph.Inputs[k].ElementCount];
                Array.Copy(sample, at, parts[k], 0, parts[k].Length);
                at += parts[k].Length;
            }

            return parts;
        }

        /// <summary>Asymmetric quantization of a real range [lo, hi] (widened to include 0) to a signed type of <paramref name="bits"/>.</summary>
        public static TensorQuant Asymmetric(double lo, double hi, int bits)
        {
            ElementType type = ElementType.Int(bits);
            lo = Math.Min(lo, 0);
            hi = Math.Max(hi, 0);
            double scale = (hi - lo) / (type.MaxValue - type.MinValue);
            if (!(scale > 1e-30))
            {
                scale = 1.0;
            }

            scale = (float)scale;
            long zp = type.Saturate(Numerics.Quantization.RoundHalfUp(type.MinValue - lo / scale));
            return new TensorQuant(type, scale, zp);
        }

        private sealed class Builder
        {
            private readonly ModelGraph g;
            private readonly IReadOnlyDictionary<string, (double Min, double Max)> ranges;
            private readonly QuantizationOptions options;
            private readonly Dictionary<string, TensorQuant> quant = new Dictionary<string, TensorQuant>(StringComparer.Ordinal);

            private readonly IReadOnlyDictionary<string, double[]>? means;
            private readonly IReadOnlyDictionary<string, double[]>? channelMeans;

            public Builder(ModelGraph graph, IReadOnlyDictionary<string, (double Min, double Max)> ranges, QuantizationOptions options, IReadOnlyDictionary<string, double[]>? means = null, IReadOnlyDictionary<string, double[]>? channelMeans = null)
            {
                this.channelMeans = channelMeans;
                g = graph;
                this.ranges = ranges;
                this.options = options;
                this.means = means;
                string name = options.Name ?? graph.Name;
                Spec = new ModelSpec
                {
                    Name = name,
                    Kind = ModelKind.Quantized,
                    Weights = options.WeightsFileName ?? name + ".safetensors",
                };
                Spec.Outputs.Clear();
                Spec.Outputs.AddRange(graph.Spec.Outputs);
                Spec.Labels.AddRange(graph.Spec.Labels);
                Spec.Metadata.AddRange(graph.Spec.Metadata.Where(kv => kv.Key != "quantized_by"));
                Spec.Metadata.Add(new KeyValuePair<string, string>("quantized_by", options.QuantizedBy ?? Describe(options)));
            }

            public ModelSpec Spec { get; }

            private static string Describe(QuantizationOptions o)
            {
                string method = o.RangeMethod switch
                {
                    RangeMethod.Percentile => "percentile " + o.Percentile.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + " %",
                    RangeMethod.Mse => "MSE-optimal",
                    _ => "min/max",
                };
                return "QuantGen PostTrainingQuantizer (" + method + " calibration" + (o.BiasCorrection ? ", bias correction" : string.Empty) + ")";
            }

            public List<RawTensor> Weights { get; } = new List<RawTensor>();

            public void Run()
            {
                int inBits = g.Nodes.Count > 0 ? g.Nodes[0].Layer.Precision.ActivationBits : 8;
                Spec.Inputs.Clear();
                foreach (InputSpec fin in g.Spec.Inputs)
                {
                    TensorQuant inQ = fin.IsIndex ? new TensorQuant(ElementType.Int32, 1.0, 0)
                        : options.FixedActivations != null && options.FixedActivations.TryGetValue(fin.Name, out TensorQuant? fixedIn) ? fixedIn : Asymmetric(fin.RangeMin, fin.RangeMax, inBits);
                    quant[fin.Name] = inQ;
                    Spec.Inputs.Add(new InputSpec { Name = fin.Name, Role = fin.Role, Shape = fin.Shape, RangeMin = fin.RangeMin, RangeMax = fin.RangeMax, Quant = inQ, Place = fin.Place });
                }
                var problems = new List<ModelDiagnostic>();
                foreach (GraphNode node in g.Nodes)
                {
                    LayerSpec layer = node.Layer.CloneFloat();
                    Operator? def = OperatorRegistry.Core.Find(layer.Op);
                    TensorQuant[]? outQs = null;
                    var ctx = new NodeContext(this, node, layer.Precision, problems);
                    if (def == null)
                    {
                        ctx.Report(ModelErrors.UnknownOperator, $"operator {layer.Op} has no core definition (Operators/{layer.Op})");
                    }
                    else
                    {
                        ctx.Input(0); // first, as every rule did: a constant first operand is written before the layer's own initializers
                        try
                        {
                            outQs = def.Quantize(ctx, node, layer);
                        }
                        catch (ArgumentOutOfRangeException e)
                        {
                            throw QuantizationSettingsException.ForLayer(node, layer, quant, e);
                        }
                    }

                    if (outQs == null || outQs.Length != node.Outputs.Count || problems.Count > 0)
                    {
                        // later layers would read a quantization this one never produced
                        if (problems.Count == 0)
                        {
                            ctx.Report(ModelErrors.InvalidQuantization, $"the {layer.Op} quantization rule gave {outQs?.Length ?? 0} output quantizations for {node.Outputs.Count} outputs");
                        }

                        throw new ModelException(problems);
                    }

                    if (layer.NeedsIntegers != (ctx.Integers != null))
                    {
                        ctx.Report(ModelErrors.LayerPhase, $"the {layer.Op} quantization rule {(ctx.Integers == null ? "gave no" : "gave unexpected")} integer parameters");
                        throw new ModelException(problems);
                    }

                    // the quantized layer is a new record: the float layer's copy carrying the rule's integer parameters
                    if (ctx.Integers != null)
                    {
                        layer = layer.WithIntegers(ctx.Integers);
                    }

                    bool declared = def!.OutputQuantization == OutputQuantization.Declared;
                    for (int j = 0; j < outQs.Length; j++)
                    {
                        quant[node.Outputs[j].Name] = outQs[j];
                        if (declared)
                        {
                            Spec.Activations.Add(new ActivationSpec(node.Outputs[j].Name, outQs[j], null, SourcePlace.None));
                        }
                    }

                    Spec.Layers.Add(layer);
                }
            }

            /// <summary>What one node's quantization rule asks of the quantizer.</summary>
            private sealed class NodeContext : PtqContext
            {
                private readonly Builder b;
                private readonly GraphNode node;
                private readonly Precision precision;
                private readonly List<ModelDiagnostic> problems;

                public NodeContext(Builder builder, GraphNode node, Precision precision, List<ModelDiagnostic> problems)
                {
                    b = builder;
                    this.node = node;
                    this.precision = precision;
                    this.problems = problems;
                }

                public override SoftmaxMethod? SoftmaxMethod => b.options.SoftmaxMethod;

                public override GeluMethod? GeluMethod => b.options.GeluMethod;

                public override int SoftmaxOutBits => b.options.SoftmaxOutBits;

                public override int ShiftmaxN => b.options.ShiftmaxN;

                public override int ShiftGeluN => b.options.ShiftGeluN;

                public override TensorQuant Input(int i)
                {
                    TensorInfo t = node.Inputs[i];
                    return t.Kind == TensorKind.Initializer ? b.ConstantQuant(t, precision) : b.quant[t.Name];
                }

                public override TensorQuant Calibrated(int output, int bits) => b.Calibrated(node, node.Outputs[output].Name, bits);

                public override double[] QuantizeWeight(TensorInfo weight, Precision p) => b.QuantizeWeight(weight, p);

                public override long WeightZeroPoint(TensorInfo weight) =>
                    b.options.FixedWeights != null && b.options.FixedWeights.TryGetValue(weight.Name, out FixedTensor? f) ? f.ZeroPoint : 0;

                public override float[] CorrectedBias(double[] weightScales) => b.CorrectedBias(node, weightScales);

                public override QuantGen.Operators.PerAxisTable? FixedPerAxisTable(TensorInfo weight) =>
                    b.options.FixedWeights != null && b.options.FixedWeights.TryGetValue(weight.Name, out FixedTensor? f) && f.Axis >= 0
                        ? new QuantGen.Operators.PerAxisTable(f.Axis, f.Type, f.Values, f.Scales, f.ZeroPoints ?? new long[f.Scales.Length])
                        : null;

                public override void AddInitializer(string name, ElementType type, int[] shape, int[] values, double[] scales) => b.AddInitializer(name, type, shape, values, scales);

                public override void Report(string id, string message)
                {
                    SourcePlace p = node.Layer.Place;
                    problems.Add(new ModelDiagnostic(id, $"layer \"{node.Layer.Name}\": {message}", b.g.Spec.SourceFile, p.Path, p.Line, p.Column));
                }
            }

            private TensorQuant Calibrated(GraphNode node, string output, int bits)
            {
                if (options.FixedActivations != null)
                {
                    if (options.FixedActivations.TryGetValue(output, out TensorQuant? fixedQ))
                    {
                        return fixedQ;
                    }

                    if (!ranges.ContainsKey(output))
                    {
                        throw new InvalidOperationException($"layer \"{node.Layer.Name}\": its output \"{output}\" has neither a fixed quantization nor a calibrated range; quantize it in the source model or pass calibration data");
                    }
                }

                (double lo, double hi) = ranges.TryGetValue(output, out var r) ? r : (0, 0);
                return Asymmetric(lo, hi, bits);
            }

            private readonly Dictionary<string, int[]> quantizedWeights = new Dictionary<string, int[]>(StringComparer.Ordinal);

            /// <summary>The float bias, plus (W - Q(W)) E[x] when bias correction is on and the input's mean is known.</summary>
            private float[] CorrectedBias(GraphNode node, double[] wScales)
            {
                float[] b = node.Bias!.FloatData!;
                if (node.Layer is Conv2dLayer conv)
                {
                    return CorrectedConvBias(node, conv, b, wScales);
                }

                if (!options.BiasCorrection || means == null || !means.TryGetValue(node.Inputs[0].Name, out double[]? mean) || !quantizedWeights.TryGetValue(node.Weight!.Name, out int[]? q))
                {
                    return b;
                }

                float[] w = node.Weight.FloatData!;
                int k = node.Weight.Shape[1];
                if (mean.Length != k)
                {
                    return b;
                }

                var corrected = new float[b.Length];
                for (int o = 0; o < b.Length; o++)
                {
                    double shift = 0;
                    for (int j = 0; j < k; j++)
                    {
                        shift += (w[o * k + j] - q[o * k + j] * wScales[o]) * mean[j];
                    }

                    corrected[o] = (float)(b[o] + shift);
                }

                return corrected;
            }

            /// <summary>
            /// Conv2d: per output channel o, (W - Q(W))[o, i, kh, kw] summed against the mean of input channel i (of o's group)
            /// over the calibration set. Taps in the zero padding are counted as if they saw the mean (the border rows are a
            /// small share of a feature map; the correction is a first-order estimate either way).
            /// </summary>
            private float[] CorrectedConvBias(GraphNode node, Conv2dLayer conv, float[] b, double[] wScales)
            {
                if (!options.BiasCorrection || channelMeans == null || !channelMeans.TryGetValue(node.Inputs[0].Name, out double[]? mean) || !quantizedWeights.TryGetValue(node.Weight!.Name, out int[]? q))
                {
                    return b;
                }

                float[] w = node.Weight.FloatData!;
                int outChannels = node.Weight.Shape[0], perGroupIn = node.Weight.Shape[1];
                int taps = node.Weight.Shape[2] * node.Weight.Shape[3];
                int group = Math.Max(1, conv.Group), perGroupOut = outChannels / group;
                if (perGroupIn * group != mean.Length || perGroupOut * group != outChannels)
                {
                    return b;
                }

                var corrected = new float[b.Length];
                int k = perGroupIn * taps;
                for (int o = 0; o < b.Length; o++)
                {
                    int first = o / perGroupOut * perGroupIn;
                    double shift = 0;
                    for (int j = 0; j < k; j++)
                    {
                        shift += (w[o * k + j] - q[o * k + j] * wScales[o]) * mean[first + j / taps];
                    }

                    corrected[o] = (float)(b[o] + shift);
                }

                return corrected;
            }

            /// <summary>Symmetric weight quantization; returns the scale of each output channel.</summary>
            private double[] QuantizeWeight(TensorInfo w, Precision prec)
            {
                float[] data = w.FloatData!;
                int n = w.Shape[0], k = data.Length / n;
                if (options.FixedWeights != null && options.FixedWeights.TryGetValue(w.Name, out FixedTensor? fixedW))
                {
                    AddInitializer(w.Name, fixedW.Type, w.Shape, fixedW.Values, fixedW.Scales, fixedW.ZeroPoint);
                    quantizedWeights[w.Name] = fixedW.Values;
                    return fixedW.Scales.Length == n ? fixedW.Scales : Enumerable.Repeat(fixedW.Scales[0], n).ToArray();
                }

                ElementType type = ElementType.Int(prec.WeightBits);
                long qmax = type.MaxValue;
                var scales = new double[n];
                double tensorMax = data.Length == 0 ? 0 : data.Max(v => Math.Abs((double)v));
                for (int o = 0; o < n; o++)
                {
                    double absMax = prec.PerChannel ? Enumerable.Range(0, k).Max(j => Math.Abs((double)data[o * k + j])) : tensorMax;
                    scales[o] = absMax > 0 ? (float)(absMax / qmax) : 1.0;
                }

                var q = new int[data.Length];
                for (int i = 0; i < data.Length; i++)
                {
                    q[i] = (int)IntegerOps.Clamp(Numerics.Quantization.RoundHalfUp(data[i] / scales[i / k]), -qmax, qmax);
                }

                AddInitializer(w.Name, type, w.Shape, q, prec.PerChannel ? scales : new[] { scales[0] });
                quantizedWeights[w.Name] = q;
                return scales;
            }

            /// <summary>A constant operand (e.g. a positional embedding): symmetric per tensor at the layer's weight bits.</summary>
            private TensorQuant ConstantQuant(TensorInfo t, Precision prec)
            {
                if (quant.TryGetValue(t.Name, out TensorQuant? existing))
                {
                    return existing;
                }

                if (options.FixedWeights != null && options.FixedWeights.TryGetValue(t.Name, out FixedTensor? fixedC) && fixedC.Scales.Length == 1)
                {
                    AddInitializer(t.Name, fixedC.Type, t.Shape, fixedC.Values, fixedC.Scales);
                    var fq = new TensorQuant(fixedC.Type, fixedC.Scales[0], 0);
                    quant[t.Name] = fq;
                    return fq;
                }

                ElementType type = ElementType.Int(prec.WeightBits);
                double absMax = t.FloatData!.Length == 0 ? 0 : t.FloatData.Max(v => Math.Abs((double)v));
                double scale = absMax > 0 ? (float)(absMax / type.MaxValue) : 1.0;
                int[] q = t.FloatData.Select(v => (int)IntegerOps.Clamp(Numerics.Quantization.RoundHalfUp(v / scale), -type.MaxValue, type.MaxValue)).ToArray();
                AddInitializer(t.Name, type, t.Shape, q, new[] { scale });
                var tq = new TensorQuant(type, scale, 0);
                quant[t.Name] = tq;
                return tq;
            }

            private void AddInitializer(string name, ElementType type, int[] shape, int[] values, double[] scales, long zeroPoint = 0)
            {
                Spec.Initializers.Add(new InitializerSpec { Name = name, Type = type, Shape = shape, Scales = scales, ZeroPoint = zeroPoint });
                Weights.Add(TensorCodec.EncodeInts(name, type, shape, values));
            }
        }
    }
}
