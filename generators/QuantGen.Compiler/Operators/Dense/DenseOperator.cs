using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>y = x W^T + b over the last axis, then the fused activation; quantized: int32 accumulator, one dyadic per output channel, clamp.</summary>
    public sealed class DenseOperator : WeightedOperator
    {
        private static readonly string[] OwnFields = { "weight", "bias", "activation", "multipliers", "shifts", "clamp" };

        public override OpKind Op => OpKind.Dense;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var d = new DenseLayer
            {
                Weight = r.TensorName("weight") ?? string.Empty,
                Bias = r.OptionalTensorName("bias"),
                Activation = ParseActivation(r),
            };
            return ReadIntegers(r, d);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            WriteWeighted((DenseLayer)layer, w);
            WriteQuantized((DenseLayer)layer, w);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var d = (DenseLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            if (x.Length == 0)
            {
                return One(c.Fail($"Dense input \"{c.Inputs[0].Name}\" is a scalar; it needs a last axis of features"));
            }

            TensorInfo? w = c.Initializer(d.Weight, "weight");
            if (w == null)
            {
                return null;
            }

            int k = x[x.Length - 1];
            if (w.Shape.Length != 2 || w.Shape[1] != k)
            {
                return One(c.Fail($"weight \"{w.Name}\" has shape {Shape(w.Shape)} but the input \"{c.Inputs[0].Name}\" has {k} features: a Dense weight is [outputs, {k}]"));
            }

            int n = w.Shape[0];
            c.Weight = w;
            if (d.Bias != null)
            {
                TensorInfo? b = c.Initializer(d.Bias, "bias");
                if (b == null)
                {
                    return null;
                }

                if (b.Shape.Length != 1 || b.Shape[0] != n)
                {
                    return One(c.Fail($"bias \"{b.Name}\" has shape {Shape(b.Shape)}; layer \"{d.Name}\" has {n} outputs, so the bias must be [{n}]"));
                }

                c.Bias = b;
            }

            int[] y = (int[])x.Clone();
            y[y.Length - 1] = n;
            return One(y);
        }

        /// <summary>One per output element and reduced index.</summary>
        public override long Macs(GraphNode node) => node.Output.ElementCount * (long)node.Weight!.Shape[1];

        public override IntRange Range(RangeContext c) => WeightedRange(c, (DenseLayer)c.Node.Layer, paddedTaps: false);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var d = (DenseLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            int[] w = node.Weight!.IntData!;
            int[]? bias = node.Bias?.IntData;
            int n = node.Weight.Shape[0], k = node.Weight.Shape[1], rows = x.Length / k;
            IReadOnlyList<Dyadic> requant = d.Integers.Requant;
            long lo = d.Integers.Clamp.Lo, hi = d.Integers.Clamp.Hi;

            // Each input row minus its zero point once, then one dot product per output over two contiguous rows (x's and
            // W's, k innermost): the same sum as sum_j (x[r, j] - zx) * w[o, j] in the same order.
            var xs = new long[k];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < k; j++)
                {
                    xs[j] = x[r * k + j] - zx;
                }

                for (int o = 0; o < n; o++)
                {
                    long acc = bias?[o] ?? 0;
                    int wo = o * k;
                    for (int j = 0; j < xs.Length; j++)
                    {
                        acc += xs[j] * w[wo + j];
                    }

                    y[r * n + o] = (int)IntegerOps.Requantize(acc, requant[o], outQ.ZeroPoint, lo, hi);
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var d = (DenseLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
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

                    y[r * n + o] = ApplyActivation(d.Activation, acc);
                }
            }
        }

        protected override float[] FloatBias(PtqContext c, GraphNode node, double[] weightScales) => c.CorrectedBias(weightScales);
    }
}
