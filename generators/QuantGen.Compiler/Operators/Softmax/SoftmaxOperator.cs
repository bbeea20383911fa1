using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>Softmax along the last axis: I-ViT's Shiftmax or I-BERT's i-softmax, at a fixed output scale.</summary>
    public sealed class SoftmaxOperator : Operator
    {
        private static readonly string[] OwnFields = { "method", "x0", "n", "outBits", "qLn2", "qB", "qC" };

        public override OpKind Op => OpKind.Softmax;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            SpecParser.QuantFields q = r.Quant;
            var s = new SoftmaxLayer { Method = r.Enum("method", SoftmaxMethod.Shiftmax, ("shiftmax", SoftmaxMethod.Shiftmax), ("ibert", SoftmaxMethod.IBert)) };
            SoftmaxIntegers? integers = null;
            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                q.Forbid("qLn2", "qB", "qC");
                long? x0 = q.Integer("x0", int.MinValue, -1);
                long? n = q.Integer("n", 0, 30);
                long? bits = q.Integer("outBits", 2, 16);
                if (x0.HasValue && n.HasValue && bits.HasValue)
                {
                    ShiftmaxParams? p = r.Create(() => new ShiftmaxParams((int)x0.Value, (int)n.Value, (int)bits.Value));
                    integers = p.HasValue ? new SoftmaxIntegers(p.Value) : null;
                }
            }
            else
            {
                q.Forbid("x0", "n");
                long? ln2 = q.Integer("qLn2", int.MinValue, int.MaxValue);
                long? qb = q.Integer("qB", int.MinValue, int.MaxValue);
                long? qc = q.Integer("qC", int.MinValue, int.MaxValue);
                long? bits = q.Integer("outBits", 2, 16);
                if (ln2.HasValue && qb.HasValue && qc.HasValue && bits.HasValue)
                {
                    ISoftmaxParams? p = r.Create(() => IBert.SoftmaxFromIntegers((int)ln2.Value, (int)qb.Value, (int)qc.Value, (int)bits.Value));
                    integers = p.HasValue ? new SoftmaxIntegers(p.Value) : null;
                }
            }

            return r.WithIntegers(s, () => integers);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var s = (SoftmaxLayer)layer;
            w.Property("method", s.Method == SoftmaxMethod.Shiftmax ? "shiftmax" : "ibert");
            if (s.IntegersOrNull is SoftmaxIntegers q && q.Method == SoftmaxMethod.Shiftmax)
            {
                w.Property("x0", q.Shiftmax.X0);
                w.Property("n", q.Shiftmax.N);
                w.Property("outBits", q.Shiftmax.OutBits);
            }
            else if (s.IntegersOrNull is SoftmaxIntegers i)
            {
                w.Property("qLn2", i.IBert.Exp.QLn2);
                w.Property("qB", i.IBert.Exp.QB);
                w.Property("qC", i.IBert.Exp.QC);
                w.Property("outBits", i.IBert.OutBits);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] x = c.Inputs[0].Shape;
            if (x.Length == 0 || x[x.Length - 1] == 0)
            {
                return One(c.Fail($"Softmax works along the last axis, which {Shape(x)} lacks"));
            }

            return One((int[])x.Clone());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var s = (SoftmaxLayer)node.Layer;
            TensorQuant outQ = node.Output.Quant!;
            int bits = s.Integers.OutBits;
            double scale = s.Method == SoftmaxMethod.Shiftmax ? Shiftmax.OutputScale(bits) : Math.Pow(2, -bits);
            long max = s.Method == SoftmaxMethod.Shiftmax ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
            if (Math.Abs(outQ.Scale - scale) > scale * 1e-9 || outQ.ZeroPoint != 0 || outQ.Type.MinValue > 0 || outQ.Type.MaxValue < max)
            {
                return c.Reject($"a {s.Method} softmax with outBits {bits} produces integers in [0, {max}] at scale {scale} (zero point 0); activation \"{node.Output.Name}\" declares {outQ}");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var s = (SoftmaxLayer)c.Node.Layer;
            int length = c.Node.Inputs[0].Shape[c.Node.Inputs[0].Shape.Length - 1];
            IntRange x = c.In(0);
            var diff = new IntRange(-(x.Max - x.Min), 0);
            c.Add("x-max", diff);
            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                long eMax = Shiftmax.ShiftExp(0, p.X0, p.N);
                c.Add("exp", new IntRange(0, eMax));
                long sum = eMax * length;
                c.Add("sum", new IntRange(0, Math.Min(sum, int.MaxValue)));
                if (sum > int.MaxValue)
                {
                    c.Report($"the Shiftmax row sum can reach {sum} (row length {length} x max exp {eMax}), more than int32 holds: " +
                        $"the sum saturates and probabilities lose accuracy; lower n (now {p.N}) or raise the input scale (x0 = {p.X0})");
                }

                return new IntRange(0, (1L << (p.OutBits - 1)) - 1);
            }

            ISoftmaxParams ib = s.Integers.IBert;
            long e = IBert.IExp(0, ib.Exp);
            c.Add("exp", new IntRange(0, e));
            c.Add("sum", new IntRange(0, e * length));
            return new IntRange(0, (1L << ib.OutBits) - 1);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var s = (SoftmaxLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            int len = TensorOps.LastAxis(node);
            int[] shifted = TensorOps.Shift(x, node.Inputs[0].Quant!.ZeroPoint);
            for (int r = 0; r < x.Length / len; r++)
            {
                if (s.Method == SoftmaxMethod.Shiftmax)
                {
                    Shiftmax.Row(shifted, r * len, len, s.Integers.Shiftmax, y, r * len);
                }
                else
                {
                    IBert.SoftmaxRow(shifted, r * len, len, s.Integers.IBert, y, r * len);
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], y = outputs[0];
            int last = TensorOps.LastAxis(node);
            for (int r = 0; r < x.Length / last; r++)
            {
                FloatReference.Softmax(x, r * last, last, y, r * last);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var s = (SoftmaxLayer)layer;
            TensorQuant inQ = c.Input(0);
            SoftmaxMethod method = c.SoftmaxMethod ?? s.Method;
            int bits = c.SoftmaxOutBits;
            if (method == SoftmaxMethod.Shiftmax)
            {
                int[] shape = node.Inputs[0].Shape;
                int x0 = Shiftmax.FromScale((float)inQ.Scale, 0, bits).X0;
                int n = Shiftmax.FittingN(x0, shape[shape.Length - 1], (long)inQ.Type.MaxValue - inQ.Type.MinValue, c.ShiftmaxN);
                c.Attach(new SoftmaxIntegers(Shiftmax.FromScale((float)inQ.Scale, n, bits)));
                return One(new TensorQuant(ElementType.Int(bits), Shiftmax.OutputScale(bits), 0));
            }

            c.Attach(new SoftmaxIntegers(IBert.SoftmaxFromScale(inQ.Scale, bits)));
            return One(new TensorQuant(ElementType.UInt(bits), IBert.SoftmaxOutputScale(bits), 0));
        }
    }
}
