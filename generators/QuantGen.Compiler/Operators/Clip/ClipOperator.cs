using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>clamp(x, min, max); quantized: clamp(x, qmin, qmax) in the input's quantization.</summary>
    public sealed class ClipOperator : Operator
    {
        private static readonly string[] OwnFields = { "min", "max", "qmin", "qmax" };

        public override OpKind Op => OpKind.Clip;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r)
        {
            var c = new ClipLayer { Min = r.Double("min") ?? 0, Max = r.Double("max") ?? 0 };
            if (c.Min > c.Max)
            {
                r.Report(ModelErrors.InvalidValue, $"Clip min {c.Min} is greater than max {c.Max}", "min");
            }

            long? qmin = r.Quant.Integer("qmin", int.MinValue, int.MaxValue);
            long? qmax = r.Quant.Integer("qmax", int.MinValue, int.MaxValue);
            if (qmin > qmax)
            {
                r.Report(ModelErrors.InvalidQuantization, $"qmin {qmin} is greater than qmax {qmax}", "qmin");
                return c;
            }

            return r.WithIntegers(c, () => qmin.HasValue && qmax.HasValue ? new ClipIntegers(qmin.Value, qmax.Value) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var c = (ClipLayer)layer;
            w.Property("min", c.Min);
            w.Property("max", c.Max);
            if (c.IntegersOrNull is ClipIntegers q)
            {
                w.Property("qmin", q.QMin);
                w.Property("qmax", q.QMax);
            }
        }

        public override int[][]? InferShapes(GraphContext c) => One((int[])c.Inputs[0].Shape.Clone());

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            // The bounds are integers of any width and ordered by construction (ClipIntegers); the output is the input's type.
            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var clip = (ClipLayer)c.Node.Layer;
            return c.In(0).Clamp(clip.Integers.QMin, clip.Integers.QMax);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var c = (ClipLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)IntegerOps.Clamp(x[i], c.Integers.QMin, c.Integers.QMax);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var c = (ClipLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = FloatReference.Clip(x[i], c.Min, c.Max);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var clip = (ClipLayer)layer;
            TensorQuant inQ = c.Input(0);
            ClampBounds bounds = ClampBounds.Clip(inQ.Type, inQ.Scale, inQ.ZeroPoint, clip.Min, clip.Max);
            c.Attach(new ClipIntegers(bounds.Lo, bounds.Hi));
            return One(inQ);
        }
    }
}
