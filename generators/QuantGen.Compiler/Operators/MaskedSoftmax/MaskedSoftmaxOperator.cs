using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// Softmax along the last axis with a key mask (BERT's attention mask): inputs [scores, mask], the mask one row of L
    /// values (shape [..., L] with L elements) shared by every row of the scores. A position is kept where the mask's real
    /// value is not 0 (integer != its zero point). Shiftmax over the kept positions only: their max, their saturating sum;
    /// masked positions contribute exactly 0 to the sum and output 0 (the float graph's exp(-10000) = 0). A row with every
    /// position masked outputs all zeros (the float graph would give a uniform row: documented in docs/model-format.md).
    /// </summary>
    public sealed class MaskedSoftmaxOperator : Operator
    {
        private static readonly string[] OwnFields = { "x0", "n", "outBits" };

        public override OpKind Op => OpKind.MaskedSoftmax;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override LayerSpec? Parse(LayerReader r)
        {
            SpecParser.QuantFields q = r.Quant;
            var s = new MaskedSoftmaxLayer();
            SoftmaxIntegers? integers = null;
            long? x0 = q.Integer("x0", int.MinValue, -1);
            long? n = q.Integer("n", 0, 30);
            long? bits = q.Integer("outBits", 2, 16);
            if (x0.HasValue && n.HasValue && bits.HasValue)
            {
                ShiftmaxParams? p = r.Create(() => new ShiftmaxParams((int)x0.Value, (int)n.Value, (int)bits.Value));
                integers = p.HasValue ? new SoftmaxIntegers(p.Value) : null;
            }

            return r.WithIntegers(s, () => integers);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            if (((MaskedSoftmaxLayer)layer).IntegersOrNull is SoftmaxIntegers q)
            {
                w.Property("x0", q.Shiftmax.X0);
                w.Property("n", q.Shiftmax.N);
                w.Property("outBits", q.Shiftmax.OutBits);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] x = c.Inputs[0].Shape, m = c.Inputs[1].Shape;
            if (x.Length == 0 || x[x.Length - 1] == 0)
            {
                return One(c.Fail($"MaskedSoftmax works along the last axis, which {Shape(x)} lacks"));
            }

            int len = x[x.Length - 1];
            if (m.Length == 0 || m[m.Length - 1] != len || c.Inputs[1].ElementCount != len)
            {
                return One(c.Fail($"the mask \"{c.Inputs[1].Name}\" {Shape(m)} must be one row of {len} values (shape [..., {len}] with {len} elements), shared by every row of the scores {Shape(x)}"));
            }

            return One((int[])x.Clone());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            int bits = ((MaskedSoftmaxLayer)node.Layer).Integers.OutBits;
            TensorQuant outQ = node.Output.Quant!;
            double scale = Shiftmax.OutputScale(bits);
            long max = (1L << (bits - 1)) - 1;
            if (Math.Abs(outQ.Scale - scale) > scale * 1e-9 || outQ.ZeroPoint != 0 || outQ.Type.MinValue > 0 || outQ.Type.MaxValue < max)
            {
                return c.Reject($"a masked Shiftmax with outBits {bits} produces integers in [0, {max}] at scale {scale} (zero point 0); activation \"{node.Output.Name}\" declares {outQ}");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            ShiftmaxParams p = ((MaskedSoftmaxLayer)c.Node.Layer).Integers.Shiftmax;
            int length = c.Node.Inputs[0].Shape[c.Node.Inputs[0].Shape.Length - 1];
            IntRange x = c.In(0);
            c.Add("x-max", new IntRange(-(x.Max - x.Min), 0));
            long eMax = Shiftmax.ShiftExp(0, p.X0, p.N);
            c.Add("exp", new IntRange(0, eMax));
            long sum = eMax * length;
            c.Add("sum", new IntRange(0, Math.Min(sum, int.MaxValue)));
            if (sum > int.MaxValue)
            {
                c.Report($"the masked Shiftmax row sum can reach {sum} (row length {length} x max exp {eMax}), more than int32 holds: " +
                    $"the sum saturates and probabilities lose accuracy; lower n (now {p.N}) or raise the input scale (x0 = {p.X0})");
            }

            return new IntRange(0, (1L << (p.OutBits - 1)) - 1);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            ShiftmaxParams p = ((MaskedSoftmaxLayer)node.Layer).Integers.Shiftmax;
            int len = TensorOps.LastAxis(node);
            int[] shifted = TensorOps.Shift(inputs[0], node.Inputs[0].Quant!.ZeroPoint);
            bool[] keep = Keep(node, inputs[1].Select(v => (double)v).ToArray(), node.Inputs[1].Quant!.ZeroPoint);
            for (int r = 0; r < shifted.Length / len; r++)
            {
                Shiftmax.MaskedRow(shifted, r * len, len, keep, p, outputs[0], r * len);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], y = outputs[0];
            int len = TensorOps.LastAxis(node);
            bool[] keep = Keep(node, inputs[1], 0);
            for (int r = 0; r < x.Length / len; r++)
            {
                int o = r * len;
                double max = double.NegativeInfinity;
                for (int i = 0; i < len; i++)
                {
                    max = keep[i] ? Math.Max(max, x[o + i]) : max;
                }

                double sum = 0;
                for (int i = 0; i < len; i++)
                {
                    y[o + i] = keep[i] ? Math.Exp(x[o + i] - max) : 0;
                    sum += y[o + i];
                }

                for (int i = 0; i < len; i++)
                {
                    y[o + i] = sum > 0 ? y[o + i] / sum : 0;
                }
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            TensorQuant inQ = c.Input(0);
            int bits = c.SoftmaxOutBits;
            int[] shape = node.Inputs[0].Shape;
            int x0 = Shiftmax.FromScale((float)inQ.Scale, 0, bits).X0;
            int n = Shiftmax.FittingN(x0, shape[shape.Length - 1], (long)inQ.Type.MaxValue - inQ.Type.MinValue, c.ShiftmaxN);
            c.Attach(new SoftmaxIntegers(Shiftmax.FromScale((float)inQ.Scale, n, bits)));
            return One(new TensorQuant(ElementType.Int(bits), Shiftmax.OutputScale(bits), 0));
        }

        private static bool[] Keep(GraphNode node, double[] mask, long zeroPoint) => mask.Select(v => v != zeroPoint).ToArray();
    }
}

namespace QuantGen.Model
{
    /// <summary>Masked Shiftmax; quantized: one <see cref="SoftmaxIntegers"/> record of the Shiftmax method.</summary>
    public sealed class MaskedSoftmaxLayer : QuantizableLayer<SoftmaxIntegers>
    {
        public MaskedSoftmaxLayer()
            : base(OpKind.MaskedSoftmax)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new MaskedSoftmaxLayer());
    }
}
