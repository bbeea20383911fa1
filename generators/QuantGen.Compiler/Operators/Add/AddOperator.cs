using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>a + b with suffix broadcasting; quantized: both branches rescaled to the output scale and summed before ONE rounding, y = clamp(z_y + RoundShift((a - z_a) M_a + (b - z_b) M_b, s)) (<see cref="ResidualAdd"/>; ONNX Runtime's QLinearAdd rounds once too).</summary>
    public sealed class AddOperator : Operator
    {
        private static readonly string[] OwnFields = { "multiplierA", "shiftA", "multiplierB", "shiftB" };

        public override OpKind Op => OpKind.Add;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override bool AcceptsInitializerInputs => true;

        public override LayerSpec? Parse(LayerReader r)
        {
            Dyadic? a = r.Quant.Dyadic("multiplierA", "shiftA"), b = r.Quant.Dyadic("multiplierB", "shiftB");
            return r.WithIntegers(new AddLayer(), () => a is Dyadic da && b is Dyadic db ? new AddIntegers(da, db) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var a = (AddLayer)layer;
            w.Dyadic("multiplierA", "shiftA", a.IntegersOrNull?.RequantA);
            w.Dyadic("multiplierB", "shiftB", a.IntegersOrNull?.RequantB);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] a = c.Inputs[0].Shape, b = c.Inputs[1].Shape;
            int[] longer = a.Length >= b.Length ? a : b, shorter = a.Length >= b.Length ? b : a;
            bool suffix = true;
            for (int i = 0; i < shorter.Length; i++)
            {
                suffix &= shorter[shorter.Length - 1 - i] == longer[longer.Length - 1 - i];
            }

            if (!suffix)
            {
                return One(c.Fail($"Add operands {Shape(a)} and {Shape(b)} do not broadcast: the shorter shape must equal the trailing axes of the longer"));
            }

            if (c.Inputs[0].Kind == TensorKind.Initializer && c.Inputs[1].Kind == TensorKind.Initializer)
            {
                return One(c.Fail("Add of two initializers is a constant; fold it into one initializer", ModelErrors.InvalidValue));
            }

            return One((int[])longer.Clone());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            foreach (TensorInfo t in node.Inputs)
            {
                if (t.Kind == TensorKind.Initializer && (t.Quant == null || t.ChannelScales != null))
                {
                    return c.Reject($"the constant operand \"{t.Name}\" of Add needs one per-tensor scale");
                }
            }

            return true;
        }

        public override IntRange Range(RangeContext c) => SingleRounding(c, ((AddLayer)c.Node.Layer).Integers, 1);

        /// <summary>The range rule of Add (sign 1) and Sub (sign -1): the exact pre-shift sum, then the one rounding and the zero point.</summary>
        internal static IntRange SingleRounding(RangeContext c, AddIntegers integers, int sign)
        {
            TensorQuant outQ = c.Node.Output.Quant!;
            IntRange a = c.Shifted(0), b = c.Shifted(1);
            (long Min, long Max)? pre = ResidualAdd.PreShiftRange(a.Min, a.Max, b.Min, b.Max, integers.RequantA, integers.RequantB, sign);
            if (pre == null)
            {
                c.Report($"the single-rounding sum (a - za) M_a {(sign > 0 ? "+" : "-")} (b - zb) M_b at the common shift can leave +-2^62 (operands {a} and {b}, multipliers {integers.RequantA} and {integers.RequantB}); re-quantize the layer (its multipliers are chosen with one shift) or narrow the operands");
                return c.Full(outQ);
            }

            int s = System.Math.Max(integers.RequantA.Shift, integers.RequantB.Shift);
            var sum = new IntRange(pre.Value.Min, pre.Value.Max);
            var result = new IntRange(IntegerOps.RoundingShiftRight(sum.Min, s) + outQ.ZeroPoint, IntegerOps.RoundingShiftRight(sum.Max, s) + outQ.ZeroPoint);
            c.Add("pre-shift-sum", sum);
            c.Add(sign > 0 ? "sum" : "difference", result);
            return result;
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var add = (AddLayer)node.Layer;
            int[] x = inputs[0], b = inputs[1], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint, zb = node.Inputs[1].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)ResidualAdd.Apply(x[i % x.Length], zx, add.Integers.RequantA, b[i % b.Length], zb, add.Integers.RequantB, outQ.ZeroPoint, outQ.Type);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], b = inputs[1], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = x[i % x.Length] + b[i % b.Length];
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var a = (AddLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            TensorQuant bQ = c.Input(1);
            (Dyadic ma, Dyadic mb) = ResidualAdd.Multipliers(inQ.Scale, bQ.Scale, outQ.Scale);
            c.Attach(new AddIntegers(ma, mb));
            return One(outQ);
        }
    }
}
