using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>Averages one axis away; quantized: the integer sum times one dyadic (S_in / (count S_out)).</summary>
    public sealed class AvgPoolOperator : Operator
    {
        private static readonly string[] OwnFields = { "axis", "multiplier", "shift" };

        public override OpKind Op => OpKind.AvgPool;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var p = new AvgPoolLayer { Axis = (int)(r.Integer("axis", -SpecParser.MaxRank, SpecParser.MaxRank - 1) ?? 0) };
            Dyadic? requant = r.Quant.Dyadic("multiplier", "shift");
            return r.WithIntegers(p, () => requant is Dyadic d ? new AvgPoolIntegers(d) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var p = (AvgPoolLayer)layer;
            w.Property("axis", p.Axis);
            w.Dyadic("multiplier", "shift", p.IntegersOrNull?.Requant);
        }

        /// <summary>Also normalizes a negative axis in place (the layer then names the axis it pools).</summary>
        public override int[][]? InferShapes(GraphContext c)
        {
            var p = (AvgPoolLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            int axis = p.Axis < 0 ? p.Axis + x.Length : p.Axis;
            if (axis < 0 || axis >= x.Length)
            {
                return One(c.Fail($"AvgPool axis {p.Axis} is out of range for input shape {Shape(x)}"));
            }

            p.Axis = axis;
            return One(x.Where((_, i) => i != axis).ToArray());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // the parser requires the multiplier

        public override IntRange Range(RangeContext c)
        {
            var p = (AvgPoolLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            IntRange x = c.Shifted(0);
            int count = c.Node.Inputs[0].Shape[p.Axis];
            var sum = new IntRange(x.Min * count, x.Max * count);
            c.Add("sum", sum);
            return c.CheckInt32("sum", sum, "the int32 pooling sum") ? c.Requant(sum, p.Integers.Requant, outQ.ZeroPoint) : c.Full(outQ);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var p = (AvgPoolLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
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

                    y[o * inner + i] = (int)IntegerOps.Requantize(sum, p.Integers.Requant, outQ.ZeroPoint, outQ.Type);
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var p = (AvgPoolLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
            (int outer, int count, int inner) = TensorOps.SplitAt(node.Inputs[0].Shape, p.Axis);
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
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var p = (AvgPoolLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            int count = node.Inputs[0].Shape[p.Axis];
            c.Attach(new AvgPoolIntegers(AveragePool.Multiplier(inQ.Scale, outQ.Scale, count)));
            return One(outQ);
        }
    }
}
