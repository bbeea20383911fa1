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

            c.QMin = r.Quant.Integer("qmin", int.MinValue, int.MaxValue);
            c.QMax = r.Quant.Integer("qmax", int.MinValue, int.MaxValue);
            return c;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var c = (ClipLayer)layer;
            w.Property("min", c.Min);
            w.Property("max", c.Max);
            if (c.QMin.HasValue && c.QMax.HasValue)
            {
                w.Property("qmin", c.QMin.Value);
                w.Property("qmax", c.QMax.Value);
            }
        }

        public override int[][]? InferShapes(GraphContext c) => One((int[])c.Inputs[0].Shape.Clone());

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var clip = (ClipLayer)node.Layer;
            if (clip.QMin!.Value > clip.QMax!.Value)
            {
                return c.Reject($"qmin {clip.QMin} is greater than qmax {clip.QMax}");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var clip = (ClipLayer)c.Node.Layer;
            return c.In(0).Clamp(clip.QMin!.Value, clip.QMax!.Value);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var c = (ClipLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)IntegerOps.Clamp(x[i], c.QMin!.Value, c.QMax!.Value);
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
            (clip.QMin, clip.QMax) = (bounds.Lo, bounds.Hi);
            return One(inQ);
        }
    }
}
