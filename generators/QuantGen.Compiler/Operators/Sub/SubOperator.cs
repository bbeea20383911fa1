using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// Element-wise a - b of two activations, or of an activation and a constant (<see cref="Broadcast"/>; BERT's
    /// 1 - mask). Quantized as Add's single-rounding rule with the second branch negated: y = clamp(z_y + RoundShift((a - z_a)
    /// M_a - (b - z_b) M_b, s)), M_a = S_a / S_y, M_b = S_b / S_y at one common shift s (one rounding, half toward +inf).
    /// </summary>
    public sealed class SubOperator : Operator
    {
        private static readonly string[] OwnFields = { "multiplierA", "shiftA", "multiplierB", "shiftB" };

        public override OpKind Op => OpKind.Sub;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override bool AcceptsInitializerInputs => true;

        public override LayerSpec? Parse(LayerReader r)
        {
            Dyadic? a = r.Quant.Dyadic("multiplierA", "shiftA"), b = r.Quant.Dyadic("multiplierB", "shiftB");
            return r.WithIntegers(new SubLayer(), () => a is Dyadic da && b is Dyadic db ? new AddIntegers(da, db) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var s = (SubLayer)layer;
            w.Dyadic("multiplierA", "shiftA", s.IntegersOrNull?.RequantA);
            w.Dyadic("multiplierB", "shiftB", s.IntegersOrNull?.RequantB);
        }

        public override int[][]? InferShapes(GraphContext c) => One(Broadcast.Shape(c, "Sub"));

        public override bool CheckQuantized(GraphContext c, GraphNode node) => Broadcast.CheckConstants(c, node, "Sub");

        public override IntRange Range(RangeContext c) => AddOperator.SingleRounding(c, ((SubLayer)c.Node.Layer).Integers, -1);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var sub = (SubLayer)node.Layer;
            int[] a = inputs[0], b = inputs[1], y = outputs[0];
            long za = node.Inputs[0].Quant!.ZeroPoint, zb = node.Inputs[1].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)ResidualAdd.Apply(a[i % a.Length], za, sub.Integers.RequantA, b[i % b.Length], zb, sub.Integers.RequantB, outQ.ZeroPoint, outQ.Type, -1);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] a = inputs[0], b = inputs[1], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = a[i % a.Length] - b[i % b.Length];
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            TensorQuant aQ = c.Input(0), bQ = c.Input(1);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            (Dyadic ma, Dyadic mb) = ResidualAdd.Multipliers(aQ.Scale, bQ.Scale, outQ.Scale);
            c.Attach(new AddIntegers(ma, mb));
            return One(outQ);
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>Element-wise a - b; quantized: both operands rescaled to the output scale and subtracted before one rounding.</summary>
    /// <remarks>Its integer parameters are Add's (<see cref="AddIntegers"/>: S_a / S_out and S_b / S_out).</remarks>
    public sealed class SubLayer : QuantizableLayer<AddIntegers>
    {
        public SubLayer()
            : base(OpKind.Sub)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new SubLayer());
    }
}
