using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Graph
{
    /// <summary>An integer interval and the narrowest two's-complement (or unsigned) width that holds it.</summary>
    public readonly struct IntRange
    {
        public IntRange(long min, long max)
        {
            Min = min;
            Max = max;
        }

        public long Min { get; }

        public long Max { get; }

        public bool IsSigned => Min < 0;

        /// <summary>Bits needed: signed width when the range has negatives, unsigned width otherwise (at least 1).</summary>
        public int Bits => BitsFor(Min, Max);

        public static int BitsFor(long min, long max)
        {
            if (min < 0)
            {
                int w = 1;
                while (w < 64 && (min < -(1L << (w - 1)) || max > (1L << (w - 1)) - 1))
                {
                    w++;
                }

                return w;
            }

            int u = 1;
            while (u < 63 && max > (1L << u) - 1)
            {
                u++;
            }

            return u;
        }

        public IntRange Union(IntRange o) => new IntRange(Math.Min(Min, o.Min), Math.Max(Max, o.Max));

        public IntRange Clamp(long lo, long hi) => new IntRange(IntegerOps.Clamp(Min, lo, hi), IntegerOps.Clamp(Max, lo, hi));

        public override string ToString() => "[" + Min + ", " + Max + "]";
    }

    /// <summary>Ranges of one layer: its output and every named intermediate (accumulators, exponentials, sums).</summary>
    public sealed class LayerRanges
    {
        internal LayerRanges(string layer, OpKind op)
        {
            Layer = layer;
            Op = op;
        }

        public string Layer { get; }

        public OpKind Op { get; }

        /// <summary>Named intermediates in evaluation order, e.g. "acc" for a Dense accumulator.</summary>
        public List<KeyValuePair<string, IntRange>> Intermediates { get; } = new List<KeyValuePair<string, IntRange>>();

        public IntRange Output { get; internal set; }

        public IntRange? Find(string name) => Intermediates.Where(kv => kv.Key == name).Select(kv => (IntRange?)kv.Value).FirstOrDefault();
    }

    public sealed class RangeReport
    {
        internal RangeReport(Dictionary<string, IntRange> tensors, List<LayerRanges> layers)
        {
            Tensors = tensors;
            Layers = layers;
        }

        /// <summary>Proven range of every integer tensor (input, initializers, activations).</summary>
        public IReadOnlyDictionary<string, IntRange> Tensors { get; }

        public IReadOnlyList<LayerRanges> Layers { get; }
    }

    /// <summary>
    /// Interval analysis over a quantized graph. Starting from the declared input range, it bounds every
    /// accumulator and intermediate for EVERY input in that range (weights are known, so Dense bounds are
    /// per output channel and exact for the worst-case input), and proves that int32 accumulators and the
    /// operand limits of the integer kernels hold; anything it cannot prove is a QG1019 diagnostic. The
    /// widths it reports are what the HLS backend uses as exact bit widths.
    /// </summary>
    public static class RangeAnalysis
    {
        private const long Int32Max = int.MaxValue;
        private const long Int32Min = int.MinValue;

        public static RangeReport? Analyze(ModelGraph graph, List<ModelDiagnostic> diagnostics)
        {
            if (!graph.IsQuantized)
            {
                throw new ArgumentException("range analysis needs a quantized graph", nameof(graph));
            }

            int before = diagnostics.Count;
            var tensors = new Dictionary<string, IntRange>(StringComparer.Ordinal);
            var layers = new List<LayerRanges>();
            TensorQuant inQ = graph.Input.Quant!;
            tensors[graph.Input.Name] = new IntRange(QuantizeBound(graph.Spec.Input.RangeMin, inQ), QuantizeBound(graph.Spec.Input.RangeMax, inQ));
            foreach (TensorInfo t in graph.Tensors.Values.Where(t => t.Kind == TensorKind.Initializer && t.IntData != null))
            {
                tensors[t.Name] = t.IntData!.Length == 0 ? new IntRange(0, 0) : new IntRange(t.IntData.Min(), t.IntData.Max());
            }

            foreach (GraphNode node in graph.Nodes)
            {
                var lr = new LayerRanges(node.Layer.Name, node.Layer.Op);
                var ctx = new RangeContext(graph, node, tensors, lr, diagnostics);
                Operator? def = OperatorRegistry.Core.Find(node.Layer.Op);
                IntRange output = def != null && def.Implements(CoreStage.Range) ? def.Range(ctx) : Analyze(ctx);
                for (int j = node.Outputs.Count - 1; j >= 0; j--)
                {
                    ElementType t = node.Outputs[j].Type;
                    lr.Output = output.Clamp(t.MinValue, t.MaxValue);
                    tensors[node.Outputs[j].Name] = lr.Output;
                }

                layers.Add(lr);
            }

            return diagnostics.Count == before ? new RangeReport(tensors, layers) : null;
        }

        /// <summary>The integer an input bound quantizes to, by the boundary helper's rule.</summary>
        public static long QuantizeBound(double real, TensorQuant q) => Quantization.Quantize(real, q.Scale, q.ZeroPoint, q.Type);

        private static IntRange Analyze(RangeContext c)
        {
            GraphNode node = c.Node;
            TensorQuant outQ = node.Output.Quant!;
            switch (node.Layer)
            {
                case DenseLayer d:
                {
                    IntRange x = c.Shifted(0);
                    int[] w = node.Weight!.IntData!;
                    int n = node.Weight.Shape[0], k = node.Weight.Shape[1];
                    int[]? bias = node.Bias?.IntData;
                    IntRange? acc = null, products = null, outRange = null;
                    for (int o = 0; o < n; o++)
                    {
                        long lo = bias?[o] ?? 0, hi = lo;
                        for (int j = 0; j < k; j++)
                        {
                            long a = w[o * k + j] * x.Min, b = w[o * k + j] * x.Max;
                            lo += Math.Min(a, b);
                            hi += Math.Max(a, b);
                            var p = new IntRange(Math.Min(a, b), Math.Max(a, b));
                            products = products?.Union(p) ?? p;
                        }

                        var ch = new IntRange(lo, hi);
                        acc = acc?.Union(ch) ?? ch;
                        if (lo >= Int32Min && hi <= Int32Max)
                        {
                            IntRange y = c.Requant(ch, d.Requant![o], outQ.ZeroPoint).Clamp(d.Clamp![0], d.Clamp[1]);
                            outRange = outRange?.Union(y) ?? y;
                        }
                    }

                    c.Add("input-zp", x);
                    c.Add("product", products ?? new IntRange(0, 0));
                    c.Add("acc", acc ?? new IntRange(0, 0));
                    c.CheckInt32("acc", acc ?? new IntRange(0, 0), "the int32 accumulator of a channel");
                    return outRange ?? new IntRange(outQ.Type.MinValue, outQ.Type.MaxValue);
                }

                case MatMulLayer m:
                {
                    IntRange a = c.Shifted(0), b = c.Shifted(1);
                    int kDim = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
                    long[] corners = { a.Min * b.Min, a.Min * b.Max, a.Max * b.Min, a.Max * b.Max };
                    var p = new IntRange(corners.Min(), corners.Max());
                    var acc = new IntRange(p.Min * kDim, p.Max * kDim);
                    c.Add("a-zp", a);
                    c.Add("b-zp", b);
                    c.Add("product", p);
                    c.Add("acc", acc);
                    return c.CheckInt32("acc", acc, "the int32 accumulator") ? c.Requant(acc, m.Requant!.Value, outQ.ZeroPoint) : Full(outQ);
                }

                case AddLayer add:
                {
                    IntRange a = c.Shifted(0), b = c.Shifted(1);
                    IntRange ra = c.Requant(a, add.RequantA!.Value, 0), rb = c.Requant(b, add.RequantB!.Value, 0);
                    var sum = new IntRange(ra.Min + rb.Min + outQ.ZeroPoint, ra.Max + rb.Max + outQ.ZeroPoint);
                    c.Add("a-rescaled", ra);
                    c.Add("b-rescaled", rb);
                    c.Add("sum", sum);
                    return sum;
                }

                case ReluLayer _:
                {
                    IntRange x = c.In(0);
                    long zp = node.Inputs[0].Quant!.ZeroPoint;
                    return new IntRange(Math.Max(x.Min, zp), Math.Max(x.Max, zp));
                }

                case ClipLayer clip:
                    return c.In(0).Clamp(clip.QMin!.Value, clip.QMax!.Value);

                case SoftmaxLayer s:
                    return Softmax(c, s);

                case GeluLayer g:
                {
                    IntRange x = c.Shifted(0);
                    IntRange y;
                    if (g.Method == GeluMethod.ShiftGelu)
                    {
                        const long sigMax = (1L << (ShiftGelu.SigmoidBits - 1)) - 1;
                        if (!c.CheckMagnitude("x-zp", x, ShiftGelu.MaxInputMagnitude, "ShiftGELU's input limit"))
                        {
                            return Full(outQ);
                        }

                        c.Add("sigmoid", new IntRange(0, sigMax));
                        y = new IntRange(Math.Min(x.Min * sigMax, 0), Math.Max(x.Max * sigMax, 0));
                    }
                    else
                    {
                        y = IBertGeluRange(x, g.IBert!.Value);
                    }

                    c.Add("y", y);
                    return c.CheckInt32("y", y, "the int32 GELU product") ? c.Requant(y, g.Requant!.Value, outQ.ZeroPoint) : Full(outQ);
                }

                case LayerNormLayer ln:
                {
                    int ch = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
                    IntRange x = c.In(0);
                    long spread = x.Max - x.Min;
                    c.Add("x-mean", new IntRange(-spread, spread));
                    c.Add("variance", new IntRange(0, spread * spread * ch));
                    c.Add("isqrt", new IntRange(0, (long)IntegerOps.Isqrt((ulong)(spread * spread * ch))));
                    var norm = new IntRange(-(1L << 30), 1L << 30);
                    c.Add("normalized", norm);
                    IntRange? outRange = null;
                    for (int i = 0; i < ch; i++)
                    {
                        IntRange r = c.Requant(norm, ln.Requant![i], outQ.ZeroPoint + ln.Biases![i]);
                        outRange = outRange?.Union(r) ?? r;
                    }

                    return outRange!.Value;
                }

                case AvgPoolLayer p:
                {
                    IntRange x = c.Shifted(0);
                    int count = node.Inputs[0].Shape[p.Axis];
                    var sum = new IntRange(x.Min * count, x.Max * count);
                    c.Add("sum", sum);
                    return c.CheckInt32("sum", sum, "the int32 pooling sum") ? c.Requant(sum, p.Requant!.Value, outQ.ZeroPoint) : Full(outQ);
                }

                case ArgMaxLayer _:
                    return new IntRange(0, node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1] - 1);

                case Conv2dLayer cv:
                {
                    // Every output sums at most the whole kernel (padding contributes 0, which every product range holds).
                    IntRange x = c.Shifted(0);
                    int[] w = node.Weight!.IntData!;
                    int n = node.Weight.Shape[0], k = w.Length / n;
                    int[]? bias = node.Bias?.IntData;
                    IntRange? acc = null, products = null, outRange = null;
                    for (int o = 0; o < n; o++)
                    {
                        long lo = bias?[o] ?? 0, hi = lo;
                        for (int j = 0; j < k; j++)
                        {
                            long a = w[o * k + j] * x.Min, b = w[o * k + j] * x.Max;
                            lo += Math.Min(0, Math.Min(a, b));
                            hi += Math.Max(0, Math.Max(a, b));
                            var p = new IntRange(Math.Min(a, b), Math.Max(a, b));
                            products = products?.Union(p) ?? p;
                        }

                        var ch = new IntRange(lo, hi);
                        acc = acc?.Union(ch) ?? ch;
                        if (lo >= Int32Min && hi <= Int32Max)
                        {
                            IntRange y = c.Requant(ch, cv.Requant![o], outQ.ZeroPoint).Clamp(cv.Clamp![0], cv.Clamp[1]);
                            outRange = outRange?.Union(y) ?? y;
                        }
                    }

                    c.Add("input-zp", x);
                    c.Add("product", products ?? new IntRange(0, 0));
                    c.Add("acc", acc ?? new IntRange(0, 0));
                    c.CheckInt32("acc", acc ?? new IntRange(0, 0), "the int32 accumulator of a channel");
                    return outRange ?? new IntRange(outQ.Type.MinValue, outQ.Type.MaxValue);
                }

                case MaxPool2dLayer _:
                    return c.In(0);

                default:
                    return c.In(0);
            }
        }

        private static IntRange Softmax(RangeContext c, SoftmaxLayer s)
        {
            int length = c.Node.Inputs[0].Shape[c.Node.Inputs[0].Shape.Length - 1];
            IntRange x = c.In(0);
            var diff = new IntRange(-(x.Max - x.Min), 0);
            c.Add("x-max", diff);
            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Shiftmax!.Value;
                long eMax = Shiftmax.ShiftExp(0, p.X0, p.N);
                c.Add("exp", new IntRange(0, eMax));
                long sum = eMax * length;
                c.Add("sum", new IntRange(0, Math.Min(sum, Int32Max)));
                if (sum > Int32Max)
                {
                    c.Report($"the Shiftmax row sum can reach {sum} (row length {length} x max exp {eMax}), more than int32 holds: " +
                        $"the sum saturates and probabilities lose accuracy; lower n (now {p.N}) or raise the input scale (x0 = {p.X0})");
                }

                return new IntRange(0, (1L << (p.OutBits - 1)) - 1);
            }

            ISoftmaxParams ib = s.IBert!.Value;
            long e = IBert.IExp(0, ib.Exp);
            c.Add("exp", new IntRange(0, e));
            c.Add("sum", new IntRange(0, e * length));
            return new IntRange(0, (1L << ib.OutBits) - 1);
        }

        private static IntRange IBertGeluRange(IntRange x, IGeluParams p)
        {
            // The product q * (erf + qOne) is not monotone; bound it over the corners and the erf's saturation
            // points, which is exact for its piecewise-quadratic shape.
            var candidates = new List<long> { x.Min, x.Max, 0 };
            foreach (long v in new long[] { p.QB, -(long)p.QB, p.QB + 1L, -(long)p.QB - 1 })
            {
                if (v > x.Min && v < x.Max)
                {
                    candidates.Add(v);
                }
            }

            long lo = long.MaxValue, hi = long.MinValue;
            for (long v = x.Min; v <= x.Max && x.Max - x.Min <= 1 << 20; v++)
            {
                long g = IBert.Gelu(v, p);
                lo = Math.Min(lo, g);
                hi = Math.Max(hi, g);
            }

            if (lo > hi)
            {
                foreach (long v in candidates)
                {
                    long g = IBert.Gelu(v, p);
                    lo = Math.Min(lo, g);
                    hi = Math.Max(hi, g);
                }
            }

            return new IntRange(lo, hi);
        }

        private static IntRange Full(TensorQuant q) => new IntRange(q.Type.MinValue, q.Type.MaxValue);
    }
}
