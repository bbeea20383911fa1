using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Interpreters
{
    /// <summary>
    /// Runs a float graph (the trained model) in double precision with float32 weights: the reference the
    /// integer model is measured against. GELU is the exact erf form, LayerNorm uses the biased variance and
    /// epsilon, softmax is max-subtracted. Thread-safe: no state between calls.
    /// </summary>
    public sealed class FloatInterpreter
    {
        public FloatInterpreter(ModelGraph graph)
        {
            if (graph.IsQuantized)
            {
                throw new ArgumentException($"model \"{graph.Name}\" is quantized; the float interpreter runs float models", nameof(graph));
            }

            Graph = graph;
        }

        public ModelGraph Graph { get; }

        public double[] Run(float[] input) => Evaluate(input, null);

        /// <summary>Every tensor by name (input included), for calibration and per-layer comparisons.</summary>
        public IReadOnlyDictionary<string, double[]> RunAll(float[] input)
        {
            var all = new Dictionary<string, double[]>(StringComparer.Ordinal);
            Evaluate(input, all);
            return all;
        }

        private double[] Evaluate(float[] input, Dictionary<string, double[]>? all)
        {
            TensorInfo inTensor = Graph.Input;
            if (input.Length != inTensor.ElementCount)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements ({inTensor}); got {input.Length}", nameof(input));
            }

            var values = new Dictionary<string, double[]>(StringComparer.Ordinal) { [inTensor.Name] = Array.ConvertAll(input, v => (double)v) };
            foreach (GraphNode node in Graph.Nodes)
            {
                var inputs = new double[node.Inputs.Count][];
                for (int i = 0; i < inputs.Length; i++)
                {
                    TensorInfo t = node.Inputs[i];
                    inputs[i] = t.Kind == TensorKind.Initializer ? Array.ConvertAll(t.FloatData!, v => (double)v) : values[t.Name];
                }

                Operator? def = OperatorRegistry.Core.Find(node.Layer.Op);
                if (def != null && def.Implements(CoreStage.Float))
                {
                    var outputs = new double[node.Outputs.Count][];
                    for (int j = 0; j < outputs.Length; j++)
                    {
                        outputs[j] = new double[node.Outputs[j].ElementCount];
                    }

                    def.Float(node, inputs, outputs);
                    for (int j = 0; j < outputs.Length; j++)
                    {
                        values[node.Outputs[j].Name] = outputs[j];
                    }

                    continue;
                }

                values[node.Output.Name] = Execute(node, inputs);
            }

            if (all != null)
            {
                foreach (KeyValuePair<string, double[]> kv in values)
                {
                    all[kv.Key] = kv.Value;
                }
            }

            return values[Graph.Output.Name];
        }

        private static double[] Execute(GraphNode node, double[][] inputs)
        {
            double[] x = inputs[0];
            var y = new double[node.Output.ElementCount];
            int[] inShape = node.Inputs[0].Shape;
            int last = inShape.Length > 0 ? inShape[inShape.Length - 1] : 1;
            switch (node.Layer)
            {
                case DenseLayer d:
                {
                    float[] w = node.Weight!.FloatData!;
                    float[]? bias = node.Bias?.FloatData;
                    int n = node.Weight.Shape[0], k = node.Weight.Shape[1], rows = x.Length / k;
                    for (int r = 0; r < rows; r++)
                    {
                        for (int o = 0; o < n; o++)
                        {
                            double acc = bias?[o] ?? 0;
                            for (int j = 0; j < k; j++)
                            {
                                acc += x[r * k + j] * w[o * k + j];
                            }

                            y[r * n + o] = d.Activation switch
                            {
                                Activation.Relu => FloatReference.Relu(acc),
                                Activation.Relu6 => FloatReference.Relu6(acc),
                                _ => acc,
                            };
                        }
                    }

                    return y;
                }

                case MatMulLayer m:
                {
                    double[] b = inputs[1];
                    int[] sb = node.Inputs[1].Shape;
                    int rowsA = inShape[inShape.Length - 2], k = last, cols = sb[sb.Length - 1];
                    int batches = x.Length / (rowsA * k);
                    for (int bt = 0; bt < batches; bt++)
                    {
                        for (int i = 0; i < rowsA; i++)
                        {
                            for (int j = 0; j < cols; j++)
                            {
                                double acc = 0;
                                for (int t = 0; t < k; t++)
                                {
                                    acc += x[(bt * rowsA + i) * k + t] * b[(bt * k + t) * cols + j];
                                }

                                y[(bt * rowsA + i) * cols + j] = m.Alpha * acc;
                            }
                        }
                    }

                    return y;
                }

                case AddLayer _:
                {
                    double[] b = inputs[1];
                    for (int i = 0; i < y.Length; i++)
                    {
                        y[i] = x[i % x.Length] + b[i % b.Length];
                    }

                    return y;
                }

                case ReluLayer _:
                    return Array.ConvertAll(x, FloatReference.Relu);
                case ClipLayer c:
                    return Array.ConvertAll(x, v => FloatReference.Clip(v, c.Min, c.Max));
                case SoftmaxLayer _:
                    for (int r = 0; r < x.Length / last; r++)
                    {
                        FloatReference.Softmax(x, r * last, last, y, r * last);
                    }

                    return y;
                case GeluLayer _:
                    return Array.ConvertAll(x, FloatReference.Gelu);
                case LayerNormLayer ln:
                {
                    float[]? gamma = node.Weight?.FloatData;
                    float[]? beta = node.Bias?.FloatData;
                    for (int r = 0; r < x.Length / last; r++)
                    {
                        FloatReference.LayerNorm(x, r * last, last, ln.Epsilon, y, r * last);
                    }

                    for (int i = 0; i < y.Length; i++)
                    {
                        y[i] = y[i] * (gamma?[i % last] ?? 1.0) + (beta?[i % last] ?? 0.0);
                    }

                    return y;
                }

                case AvgPoolLayer p:
                {
                    (int outer, int count, int inner) = TensorOps.SplitAt(inShape, p.Axis);
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            double sum = 0;
                            for (int t = 0; t < count; t++)
                            {
                                sum += x[(o * count + t) * inner + i];
                            }

                            y[o * inner + i] = sum / count;
                        }
                    }

                    return y;
                }

                case ReshapeLayer _:
                    Array.Copy(x, y, x.Length);
                    return y;
                case TransposeLayer t:
                    TensorOps.Transpose(x, inShape, t.Perm, y);
                    return y;
                case Conv2dLayer cv:
                {
                    float[] w = node.Weight!.FloatData!;
                    float[]? bias = node.Bias?.FloatData;
                    int[] ws = node.Weight.Shape, os = node.Output.Shape;
                    int cg = ws[1], kh = ws[2], kw = ws[3], og = ws[0] / cv.Group;
                    for (int b = 0; b < inShape[0]; b++)
                    {
                        for (int o = 0; o < os[1]; o++)
                        {
                            int firstC = (o / og) * cg;
                            for (int oh = 0; oh < os[2]; oh++)
                            {
                                for (int ow = 0; ow < os[3]; ow++)
                                {
                                    double acc = bias?[o] ?? 0;
                                    for (int ci = 0; ci < cg; ci++)
                                    {
                                        for (int i = 0; i < kh; i++)
                                        {
                                            int ih = oh * cv.Strides[0] - cv.Pads[0] + i;
                                            if (ih < 0 || ih >= inShape[2])
                                            {
                                                continue;
                                            }

                                            for (int j = 0; j < kw; j++)
                                            {
                                                int iw = ow * cv.Strides[1] - cv.Pads[1] + j;
                                                if (iw >= 0 && iw < inShape[3])
                                                {
                                                    acc += x[((b * inShape[1] + firstC + ci) * inShape[2] + ih) * inShape[3] + iw] * w[((o * cg + ci) * kh + i) * kw + j];
                                                }
                                            }
                                        }
                                    }

                                    y[((b * os[1] + o) * os[2] + oh) * os[3] + ow] = cv.Activation switch
                                    {
                                        Activation.Relu => FloatReference.Relu(acc),
                                        Activation.Relu6 => FloatReference.Relu6(acc),
                                        _ => acc,
                                    };
                                }
                            }
                        }
                    }

                    return y;
                }

                case MaxPool2dLayer mp:
                    TensorOps.MaxPool2d(x, inShape, mp.Kernel, mp.Strides, mp.Pads, y, node.Output.Shape);
                    return y;
                case ArgMaxLayer _:
                    for (int r = 0; r < y.Length; r++)
                    {
                        int best = 0;
                        for (int j = 1; j < last; j++)
                        {
                            if (x[r * last + j] > x[r * last + best])
                            {
                                best = j;
                            }
                        }

                        y[r] = best;
                    }

                    return y;
                default:
                    throw new NotSupportedException("operator " + node.Layer.Op);
            }
        }
    }
}
