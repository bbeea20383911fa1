using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>GELU: ShiftGELU (element-wise form, docs/decisions.md) or I-BERT's i-GELU, then one dyadic to the output scale.</summary>
    public sealed class GeluOperator : Operator
    {
        private static readonly string[] OwnFields = { "method", "x0", "n", "qB", "qC", "qOne", "multiplier", "shift" };

        public override OpKind Op => OpKind.Gelu;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            SpecParser.QuantFields q = r.Quant;
            var g = new GeluLayer { Method = r.Enum("method", GeluMethod.ShiftGelu, ("shiftgelu", GeluMethod.ShiftGelu), ("ibert", GeluMethod.IBert)) };
            ShiftGeluParams? shiftGelu = null;
            IGeluParams? ibert = null;
            if (g.Method == GeluMethod.ShiftGelu)
            {
                q.Forbid("qB", "qC", "qOne");
                long? x0 = q.Integer("x0", int.MinValue, -1);
                long? n = q.Integer("n", 0, 30);
                if (x0.HasValue && n.HasValue)
                {
                    shiftGelu = r.Create(() => new ShiftGeluParams((int)x0.Value, (int)n.Value));
                }
            }
            else
            {
                q.Forbid("x0", "n");
                long? qb = q.Integer("qB", int.MinValue, int.MaxValue);
                long? qc = q.Integer("qC", int.MinValue, int.MaxValue);
                long? one = q.Integer("qOne", int.MinValue, int.MaxValue);
                if (qb.HasValue && qc.HasValue && one.HasValue)
                {
                    ibert = r.Create(() => IBert.GeluFromIntegers((int)qb.Value, (int)qc.Value, (int)one.Value));
                }
            }

            Dyadic? requant = q.Dyadic("multiplier", "shift");
            return r.WithIntegers(g, () =>
                requant is Dyadic d && shiftGelu is ShiftGeluParams sg ? new GeluIntegers(sg, d)
                : requant is Dyadic d2 && ibert is IGeluParams ib ? new GeluIntegers(ib, d2)
                : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var g = (GeluLayer)layer;
            w.Property("method", g.Method == GeluMethod.ShiftGelu ? "shiftgelu" : "ibert");
            if (g.IntegersOrNull is GeluIntegers q)
            {
                if (q.Method == GeluMethod.ShiftGelu)
                {
                    w.Property("x0", q.ShiftGelu.X0);
                    w.Property("n", q.ShiftGelu.N);
                }
                else
                {
                    w.Property("qB", q.IBert.QB);
                    w.Property("qC", q.IBert.QC);
                    w.Property("qOne", q.IBert.QOne);
                }

                w.Property("multiplier", q.Requant.Multiplier);
                w.Property("shift", q.Requant.Shift);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] x = c.Inputs[0].Shape;
            if (x.Length == 0 || x[x.Length - 1] == 0)
            {
                return One(c.Fail($"Gelu works along the last axis, which {Shape(x)} lacks"));
            }

            return One((int[])x.Clone());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // the parser requires the method's constants and the multiplier

        public override IntRange Range(RangeContext c)
        {
            var g = (GeluLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            IntRange x = c.Shifted(0);
            IntRange y;
            if (g.Method == GeluMethod.ShiftGelu)
            {
                const long sigMax = (1L << (ShiftGelu.SigmoidBits - 1)) - 1;
                if (!c.CheckMagnitude("x-zp", x, ShiftGelu.MaxInputMagnitude, "ShiftGELU's input limit"))
                {
                    return c.Full(outQ);
                }

                c.Add("sigmoid", new IntRange(0, sigMax));
                y = new IntRange(Math.Min(x.Min * sigMax, 0), Math.Max(x.Max * sigMax, 0));
            }
            else
            {
                y = IBertGeluRange(x, g.Integers.IBert);
            }

            c.Add("y", y);
            return c.CheckInt32("y", y, "the int32 GELU product") ? c.Requant(y, g.Integers.Requant, outQ.ZeroPoint) : c.Full(outQ);
        }

        /// <summary>
        /// QuantGen's ShiftGELU is element-wise (m = max(x, 0) per element), not I-ViT's row-wise form: see
        /// docs/decisions.md. Both methods produce an int32 at a fixed scale, then requantize.
        /// </summary>
        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var g = (GeluLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            for (int i = 0; i < y.Length; i++)
            {
                long v = x[i] - zx;
                long raw = g.Method == GeluMethod.ShiftGelu ? ShiftGelu.Element(v, g.Integers.ShiftGelu) : IBert.Gelu(v, g.Integers.IBert);
                y[i] = (int)IntegerOps.Requantize(raw, g.Integers.Requant, outQ.ZeroPoint, outQ.Type);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = FloatReference.Gelu(x[i]);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var ge = (GeluLayer)layer;
            TensorQuant inQ = c.Input(0);
            GeluMethod method = c.GeluMethod ?? ge.Method;
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            c.Attach(method == GeluMethod.ShiftGelu
                ? new GeluIntegers(ShiftGelu.FromScale((float)inQ.Scale, c.ShiftGeluN), Dyadic.FromReal(ShiftGelu.OutputScale(inQ.Scale) / outQ.Scale))
                : new GeluIntegers(IBert.GeluFromScale(inQ.Scale), Dyadic.FromReal(IBert.GeluOutputScale(inQ.Scale) / outQ.Scale)));
            return One(outQ);
        }

        /// <summary>
        /// The product q * (erf + qOne) is not monotone; bound it over the corners and the erf's saturation points, which
        /// is exact for its piecewise-quadratic shape.
        /// </summary>
        private static IntRange IBertGeluRange(IntRange x, IGeluParams p)
        {
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
    }
}
