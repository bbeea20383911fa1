using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;

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
            Dictionary<string, (double Min, double Max)> ranges = Calibrate(floatGraph, calibration, progress);
            var q = new Builder(floatGraph, ranges, options);
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

        /// <summary>Min and max of every tensor over the calibration set, in the float model.</summary>
        public static Dictionary<string, (double Min, double Max)> Calibrate(ModelGraph floatGraph, IReadOnlyList<float[]> calibration, IProgress<CalibrationProgress>? progress = null)
        {
            var interpreter = new FloatInterpreter(floatGraph);
            var ranges = new Dictionary<string, (double Min, double Max)>(StringComparer.Ordinal);
            for (int s = 0; s < calibration.Count; s++)
            {
                foreach (KeyValuePair<string, double[]> kv in interpreter.RunAll(calibration[s]))
                {
                    double lo = kv.Value.Min(), hi = kv.Value.Max();
                    ranges[kv.Key] = ranges.TryGetValue(kv.Key, out var r) ? (Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : (lo, hi);
                }

                progress?.Report(new CalibrationProgress(s + 1, calibration.Count));
            }

            return ranges;
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
            private readonly Dictionary<string, (double Min, double Max)> ranges;
            private readonly QuantizationOptions options;
            private readonly Dictionary<string, TensorQuant> quant = new Dictionary<string, TensorQuant>(StringComparer.Ordinal);

            public Builder(ModelGraph graph, Dictionary<string, (double Min, double Max)> ranges, QuantizationOptions options)
            {
                g = graph;
                this.ranges = ranges;
                this.options = options;
                string name = options.Name ?? graph.Name;
                Spec = new ModelSpec
                {
                    Name = name,
                    Kind = ModelKind.Quantized,
                    Weights = options.WeightsFileName ?? name + ".safetensors",
                    Output = graph.Spec.Output,
                };
                Spec.Labels.AddRange(graph.Spec.Labels);
                Spec.Metadata.AddRange(graph.Spec.Metadata.Where(kv => kv.Key != "quantized_by"));
                Spec.Metadata.Add(new KeyValuePair<string, string>("quantized_by", "QuantGen PostTrainingQuantizer (min/max calibration)"));
            }

            public ModelSpec Spec { get; }

            public List<RawTensor> Weights { get; } = new List<RawTensor>();

            public void Run()
            {
                InputSpec fin = g.Spec.Input;
                int inBits = g.Nodes.Count > 0 ? g.Nodes[0].Layer.Precision.ActivationBits : 8;
                TensorQuant inQ = Asymmetric(fin.RangeMin, fin.RangeMax, inBits);
                quant[fin.Name] = inQ;
                Spec.Input = new InputSpec { Name = fin.Name, Shape = fin.Shape, RangeMin = fin.RangeMin, RangeMax = fin.RangeMax, Quant = inQ };
                foreach (GraphNode node in g.Nodes)
                {
                    LayerSpec layer = node.Layer.CloneFloat();
                    TensorQuant? outQ = Quantize(node, layer);
                    if (outQ != null)
                    {
                        quant[node.Output.Name] = outQ;
                        if (!PassesQuantization(layer.Op) && layer.Op != OpKind.ArgMax)
                        {
                            Spec.Activations.Add(new ActivationSpec(node.Output.Name, outQ, null, SourcePlace.None));
                        }
                    }

                    Spec.Layers.Add(layer);
                }
            }

            private static bool PassesQuantization(OpKind op) => op == OpKind.Reshape || op == OpKind.Transpose || op == OpKind.Relu || op == OpKind.Clip;

            private TensorQuant Calibrated(GraphNode node, int bits)
            {
                (double lo, double hi) = ranges.TryGetValue(node.Output.Name, out var r) ? r : (0, 0);
                return Asymmetric(lo, hi, bits);
            }

            private TensorQuant? Quantize(GraphNode node, LayerSpec layer)
            {
                Precision prec = layer.Precision;
                TensorQuant inQ = node.Inputs[0].Kind == TensorKind.Initializer ? ConstantQuant(node.Inputs[0], prec) : quant[node.Inputs[0].Name];
                switch (layer)
                {
                    case DenseLayer d:
                    {
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        double[] wScales = QuantizeWeight(node.Weight!, prec);
                        d.Requant = wScales.Select(ws => Dyadic.FromReal(inQ.Scale * ws / outQ.Scale)).ToArray();
                        if (node.Bias != null)
                        {
                            float[] b = node.Bias.FloatData!;
                            int[] qb = new int[b.Length];
                            for (int i = 0; i < b.Length; i++)
                            {
                                qb[i] = (int)IntegerOps.Clamp(Numerics.Quantization.RoundHalfUp(b[i] / (inQ.Scale * wScales[i])), int.MinValue, int.MaxValue);
                            }

                            AddInitializer(node.Bias.Name, ElementType.Int32, node.Bias.Shape, qb, wScales.Select(ws => inQ.Scale * ws).ToArray());
                        }

                        ClampBounds clamp = d.Activation switch
                        {
                            Activation.Relu => ClampBounds.Relu(outQ.Type, outQ.ZeroPoint),
                            Activation.Relu6 => ClampBounds.Relu6(outQ.Type, outQ.Scale, outQ.ZeroPoint),
                            _ => ClampBounds.None(outQ.Type),
                        };
                        d.Clamp = new[] { clamp.Lo, clamp.Hi };
                        return outQ;
                    }

                    case MatMulLayer m:
                    {
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        TensorQuant bQ = quant[node.Inputs[1].Name];
                        m.Requant = Dyadic.FromReal(m.Alpha * inQ.Scale * bQ.Scale / outQ.Scale);
                        return outQ;
                    }

                    case AddLayer a:
                    {
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        TensorQuant bQ = node.Inputs[1].Kind == TensorKind.Initializer ? ConstantQuant(node.Inputs[1], prec) : quant[node.Inputs[1].Name];
                        (a.RequantA, a.RequantB) = ResidualAdd.Multipliers(inQ.Scale, bQ.Scale, outQ.Scale);
                        return outQ;
                    }

                    case ReluLayer _:
                    case ReshapeLayer _:
                    case TransposeLayer _:
                        return inQ;

                    case ClipLayer c:
                        ClampBounds bounds = ClampBounds.Clip(inQ.Type, inQ.Scale, inQ.ZeroPoint, c.Min, c.Max);
                        (c.QMin, c.QMax) = (bounds.Lo, bounds.Hi);
                        return inQ;

                    case SoftmaxLayer s:
                    {
                        s.Method = options.SoftmaxMethod ?? s.Method;
                        int bits = options.SoftmaxOutBits;
                        if (s.Method == SoftmaxMethod.Shiftmax)
                        {
                            s.Shiftmax = Shiftmax.FromScale((float)inQ.Scale, options.ShiftmaxN, bits);
                            return new TensorQuant(ElementType.Int(bits), Shiftmax.OutputScale(bits), 0);
                        }

                        s.IBert = IBert.SoftmaxFromScale(inQ.Scale, bits);
                        return new TensorQuant(ElementType.UInt(bits), IBert.SoftmaxOutputScale(bits), 0);
                    }

                    case GeluLayer ge:
                    {
                        ge.Method = options.GeluMethod ?? ge.Method;
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        if (ge.Method == GeluMethod.ShiftGelu)
                        {
                            ge.ShiftGelu = ShiftGelu.FromScale((float)inQ.Scale, options.ShiftGeluN);
                            ge.Requant = Dyadic.FromReal(ShiftGelu.OutputScale(inQ.Scale) / outQ.Scale);
                        }
                        else
                        {
                            ge.IBert = IBert.GeluFromScale(inQ.Scale);
                            ge.Requant = Dyadic.FromReal(IBert.GeluOutputScale(inQ.Scale) / outQ.Scale);
                        }

                        return outQ;
                    }

                    case LayerNormLayer ln:
                    {
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        int ch = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
                        float[]? gamma = node.Weight?.FloatData;
                        float[]? beta = node.Bias?.FloatData;
                        double normScale = IntLayerNorm.OutputScale(ch);
                        ln.Requant = Enumerable.Range(0, ch).Select(c => Dyadic.FromReal((gamma?[c] ?? 1.0) * normScale / outQ.Scale)).ToArray();
                        ln.Biases = Enumerable.Range(0, ch).Select(c => Numerics.Quantization.RoundHalfUp((beta?[c] ?? 0.0) / outQ.Scale)).ToArray();
                        ln.Gamma = null;
                        ln.Beta = null;
                        return outQ;
                    }

                    case AvgPoolLayer p:
                    {
                        TensorQuant outQ = Calibrated(node, prec.ActivationBits);
                        int count = node.Inputs[0].Shape[p.Axis];
                        p.Requant = AveragePool.Multiplier(inQ.Scale, outQ.Scale, count);
                        return outQ;
                    }

                    case ArgMaxLayer _:
                        return new TensorQuant(ElementType.Int32, 1.0, 0);

                    default:
                        throw new NotSupportedException("no quantization rule for " + layer.Op);
                }
            }

            /// <summary>Symmetric weight quantization; returns the scale of each output channel.</summary>
            private double[] QuantizeWeight(TensorInfo w, Precision prec)
            {
                float[] data = w.FloatData!;
                int n = w.Shape[0], k = data.Length / n;
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
                return scales;
            }

            /// <summary>A constant operand (e.g. a positional embedding): symmetric per tensor at the layer's weight bits.</summary>
            private TensorQuant ConstantQuant(TensorInfo t, Precision prec)
            {
                if (quant.TryGetValue(t.Name, out TensorQuant? existing))
                {
                    return existing;
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

            private void AddInitializer(string name, ElementType type, int[] shape, int[] values, double[] scales)
            {
                Spec.Initializers.Add(new InitializerSpec { Name = name, Type = type, Shape = shape, Scales = scales, ZeroPoint = 0 });
                Weights.Add(TensorCodec.EncodeInts(name, type, shape, values));
            }
        }
    }
}
