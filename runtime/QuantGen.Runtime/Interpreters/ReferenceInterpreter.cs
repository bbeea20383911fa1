using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Interpreters
{
    /// <summary>
    /// The oracle. Runs a quantized graph with plain scalar integer arithmetic, one layer after the other,
    /// calling the one definition of each integer operator in <see cref="QuantGen.Numerics"/>. Every backend
    /// (generated C#, ILGPU kernels, HLS C++) must produce exactly these integers. Deliberately simple: no
    /// SIMD, no fusion, no buffer reuse. Thread-safe: it keeps no state between calls.
    /// </summary>
    public sealed class ReferenceInterpreter
    {
        public ReferenceInterpreter(ModelGraph graph)
        {
            if (!graph.IsQuantized)
            {
                throw new ArgumentException($"model \"{graph.Name}\" is a float model; the reference interpreter runs quantized models (use FloatInterpreter)", nameof(graph));
            }

            Graph = graph;
        }

        public ModelGraph Graph { get; }

        public TensorQuant InputQuant => Graph.Input.Quant!;

        public TensorQuant OutputQuant => Graph.Output.Quant!;

        /// <summary>Runs one sample: <paramref name="input"/> holds the integer input tensor, row-major.</summary>
        public int[] Run(int[] input) => Evaluate(input, null);

        /// <summary>Runs one sample and returns every activation by tensor name (input included).</summary>
        public IReadOnlyDictionary<string, int[]> RunAll(int[] input)
        {
            var all = new Dictionary<string, int[]>(StringComparer.Ordinal);
            Evaluate(input, all);
            return all;
        }

        /// <summary>
        /// The input boundary helper: real -> integer with the project's one rounding rule (nearest, ties toward
        /// +infinity), then saturation to the input type. This is the only place floats meet the integer path.
        /// </summary>
        public int[] Quantize(float[] input)
        {
            TensorQuant q = InputQuant;
            var result = new int[input.Length];
            for (int i = 0; i < input.Length; i++)
            {
                result[i] = (int)Numerics.Quantization.Quantize(input[i], q.Scale, q.ZeroPoint, q.Type);
            }

            return result;
        }

        public double[] Dequantize(int[] output)
        {
            var result = new double[output.Length];
            for (int i = 0; i < output.Length; i++)
            {
                result[i] = OutputQuant.Dequantize(output[i]);
            }

            return result;
        }

        private int[] Evaluate(int[] input, Dictionary<string, int[]>? all)
        {
            TensorInfo inTensor = Graph.Input;
            if (input.Length != inTensor.ElementCount)
            {
                throw new ArgumentException($"model \"{Graph.Name}\" takes {inTensor.ElementCount} input elements ({inTensor}); got {input.Length}", nameof(input));
            }

            foreach (int v in input)
            {
                if (v < inTensor.Type.MinValue || v > inTensor.Type.MaxValue)
                {
                    throw new ArgumentOutOfRangeException(nameof(input), $"input value {v} is outside {inTensor.Type}");
                }
            }

            var values = new Dictionary<string, int[]>(StringComparer.Ordinal) { [inTensor.Name] = input };
            foreach (GraphNode node in Graph.Nodes)
            {
                int[][] inputs = new int[node.Inputs.Count][];
                for (int i = 0; i < inputs.Length; i++)
                {
                    TensorInfo t = node.Inputs[i];
                    inputs[i] = t.Kind == TensorKind.Initializer ? t.IntData! : values[t.Name];
                }

                Operator? def = OperatorRegistry.Core.Find(node.Layer.Op);
                if (def != null && def.Implements(CoreStage.Reference))
                {
                    var outputs = new int[node.Outputs.Count][];
                    for (int j = 0; j < outputs.Length; j++)
                    {
                        outputs[j] = new int[node.Outputs[j].ElementCount];
                    }

                    def.Reference(node, inputs, outputs);
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
                foreach (KeyValuePair<string, int[]> kv in values)
                {
                    all[kv.Key] = kv.Value;
                }
            }

            return values[Graph.Output.Name];
        }

        private static int[] Execute(GraphNode node, int[][] inputs)
        {
            TensorInfo outT = node.Output;
            TensorQuant outQ = outT.Quant!;
            int[] x = inputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            var y = new int[outT.ElementCount];
            switch (node.Layer)
            {
                case DenseLayer d:
                {
                    int[] w = node.Weight!.IntData!;
                    int[]? bias = node.Bias?.IntData;
                    int n = node.Weight.Shape[0], k = node.Weight.Shape[1], rows = x.Length / k;
                    for (int r = 0; r < rows; r++)
                    {
                        for (int o = 0; o < n; o++)
                        {
                            long acc = bias?[o] ?? 0;
                            for (int j = 0; j < k; j++)
                            {
                                acc += (x[r * k + j] - zx) * w[o * k + j];
                            }

                            y[r * n + o] = (int)IntegerOps.Requantize(acc, d.Requant![o], outQ.ZeroPoint, d.Clamp![0], d.Clamp[1]);
                        }
                    }

                    return y;
                }

                case MatMulLayer m:
                {
                    int[] b = inputs[1];
                    long zb = node.Inputs[1].Quant!.ZeroPoint;
                    int[] sa = node.Inputs[0].Shape, sb = node.Inputs[1].Shape;
                    int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1];
                    int batches = x.Length / (rowsA * k);
                    for (int bt = 0; bt < batches; bt++)
                    {
                        for (int i = 0; i < rowsA; i++)
                        {
                            for (int j = 0; j < cols; j++)
                            {
                                long acc = 0;
                                for (int t = 0; t < k; t++)
                                {
                                    acc += (x[(bt * rowsA + i) * k + t] - zx) * (b[(bt * k + t) * cols + j] - zb);
                                }

                                y[(bt * rowsA + i) * cols + j] = (int)IntegerOps.Requantize(acc, m.Requant!.Value, outQ.ZeroPoint, outQ.Type);
                            }
                        }
                    }

                    return y;
                }

                case AddLayer add:
                {
                    int[] b = inputs[1];
                    long zb = node.Inputs[1].Quant!.ZeroPoint;
                    for (int i = 0; i < y.Length; i++)
                    {
                        y[i] = (int)ResidualAdd.Apply(x[i % x.Length], zx, add.RequantA!.Value, b[i % b.Length], zb, add.RequantB!.Value, outQ.ZeroPoint, outQ.Type);
                    }

                    return y;
                }

                case ReluLayer _:
                    for (int i = 0; i < y.Length; i++)
                    {
                        y[i] = (int)Math.Max(x[i], zx);
                    }

                    return y;

                case ClipLayer c:
                    for (int i = 0; i < y.Length; i++)
                    {
                        y[i] = (int)IntegerOps.Clamp(x[i], c.QMin!.Value, c.QMax!.Value);
                    }

                    return y;

                case SoftmaxLayer s:
                {
                    int len = LastAxis(node);
                    int[] shifted = Shift(x, zx);
                    for (int r = 0; r < x.Length / len; r++)
                    {
                        if (s.Method == SoftmaxMethod.Shiftmax)
                        {
                            Shiftmax.Row(shifted, r * len, len, s.Shiftmax!.Value, y, r * len);
                        }
                        else
                        {
                            IBert.SoftmaxRow(shifted, r * len, len, s.IBert!.Value, y, r * len);
                        }
                    }

                    return y;
                }

                case GeluLayer g:
                    // QuantGen's ShiftGELU is element-wise (m = max(x, 0) per element), not I-ViT's row-wise form:
                    // see docs/decisions.md. Both methods produce an int32 at a fixed scale, then requantize.
                    for (int i = 0; i < y.Length; i++)
                    {
                        long v = x[i] - zx;
                        long raw = g.Method == GeluMethod.ShiftGelu ? ShiftGelu.Element(v, g.ShiftGelu!.Value) : IBert.Gelu(v, g.IBert!.Value);
                        y[i] = (int)IntegerOps.Requantize(raw, g.Requant!.Value, outQ.ZeroPoint, outQ.Type);
                    }

                    return y;

                case LayerNormLayer ln:
                {
                    int len = LastAxis(node);
                    var norm = new int[x.Length];
                    for (int r = 0; r < x.Length / len; r++)
                    {
                        IntLayerNorm.Row(x, r * len, len, norm, r * len);
                    }

                    for (int i = 0; i < y.Length; i++)
                    {
                        int c = i % len;
                        y[i] = (int)IntegerOps.Requantize(norm[i], ln.Requant![c], outQ.ZeroPoint + ln.Biases![c], outQ.Type);
                    }

                    return y;
                }

                case AvgPoolLayer p:
                {
                    (int outer, int count, int inner) = TensorOps.SplitAt(node.Inputs[0].Shape, p.Axis);
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            long sum = 0;
                            for (int t = 0; t < count; t++)
                            {
                                sum += x[(o * count + t) * inner + i] - zx;
                            }

                            y[o * inner + i] = (int)IntegerOps.Requantize(sum, p.Requant!.Value, outQ.ZeroPoint, outQ.Type);
                        }
                    }

                    return y;
                }

                case ReshapeLayer _:
                    Array.Copy(x, y, x.Length);
                    return y;

                case TransposeLayer t:
                    TensorOps.Transpose(x, node.Inputs[0].Shape, t.Perm, y);
                    return y;

                case Conv2dLayer cv:
                {
                    // acc = bias[o] + sum over the kernel window of (x - zx) * w; padded positions contribute 0 (they hold
                    // the real value 0, i.e. the zero point), then the Dense requantization and clamp per output channel.
                    int[] w = node.Weight!.IntData!;
                    int[]? bias = node.Bias?.IntData;
                    int[] s = node.Inputs[0].Shape, ws = node.Weight.Shape, os = outT.Shape;
                    int cg = ws[1], kh = ws[2], kw = ws[3], og = ws[0] / cv.Group;
                    for (int b = 0; b < s[0]; b++)
                    {
                        for (int o = 0; o < os[1]; o++)
                        {
                            int firstC = (o / og) * cg;
                            for (int oh = 0; oh < os[2]; oh++)
                            {
                                for (int ow = 0; ow < os[3]; ow++)
                                {
                                    long acc = bias?[o] ?? 0;
                                    for (int ci = 0; ci < cg; ci++)
                                    {
                                        for (int i = 0; i < kh; i++)
                                        {
                                            int ih = oh * cv.Strides[0] - cv.Pads[0] + i;
                                            if (ih < 0 || ih >= s[2])
                                            {
                                                continue;
                                            }

                                            for (int j = 0; j < kw; j++)
                                            {
                                                int iw = ow * cv.Strides[1] - cv.Pads[1] + j;
                                                if (iw >= 0 && iw < s[3])
                                                {
                                                    acc += (x[((b * s[1] + firstC + ci) * s[2] + ih) * s[3] + iw] - zx) * w[((o * cg + ci) * kh + i) * kw + j];
                                                }
                                            }
                                        }
                                    }

                                    y[((b * os[1] + o) * os[2] + oh) * os[3] + ow] = (int)IntegerOps.Requantize(acc, cv.Requant![o], outQ.ZeroPoint, cv.Clamp![0], cv.Clamp[1]);
                                }
                            }
                        }
                    }

                    return y;
                }

                case MaxPool2dLayer mp:
                    TensorOps.MaxPool2d(x, node.Inputs[0].Shape, mp.Kernel, mp.Strides, mp.Pads, y, outT.Shape);
                    return y;

                case ArgMaxLayer _:
                {
                    int len = LastAxis(node);
                    for (int r = 0; r < y.Length; r++)
                    {
                        y[r] = IntegerOps.ArgMax(x, r * len, len);
                    }

                    return y;
                }

                default:
                    throw new NotSupportedException("operator " + node.Layer.Op + " has no integer semantics");
            }
        }

        private static int LastAxis(GraphNode node) => node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];

        private static int[] Shift(int[] x, long zeroPoint)
        {
            var r = new int[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                r[i] = (int)(x[i] - zeroPoint);
            }

            return r;
        }
    }
}
