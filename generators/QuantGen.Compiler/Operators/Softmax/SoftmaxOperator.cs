using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// Softmax along the last axis: I-ViT's Shiftmax or I-BERT's i-softmax at a fixed output scale, or the table method
    /// (<see cref="SoftmaxTable"/>: inputs of at most 8 bits, an exponential table and exact normalisation to the output's own
    /// quantization; what a QDQ import picks, so that the integers are ONNX Runtime's).
    /// </summary>
    public sealed class SoftmaxOperator : Operator
    {
        /// <summary>QG1044: a table softmax reads an input wider than 8 bits.</summary>
        public const string TableInputTooWide = "QG1044";

        /// <summary>QG1045: a table softmax's "exp" table or output multiplier does not match its input and output quantizations.</summary>
        public const string TableMismatch = "QG1045";

        private static readonly string[] OwnFields = { "method", "x0", "n", "outBits", "qLn2", "qB", "qC", "exp", "multiplier", "shift" };

        public override OpKind Op => OpKind.Softmax;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            SpecParser.QuantFields q = r.Quant;
            var s = new SoftmaxLayer { Method = r.Enum("method", SoftmaxMethod.Shiftmax, ("shiftmax", SoftmaxMethod.Shiftmax), ("ibert", SoftmaxMethod.IBert), ("table", SoftmaxMethod.Table)) };
            SoftmaxIntegers? integers = null;
            if (s.Method == SoftmaxMethod.Table)
            {
                q.Forbid("x0", "n", "outBits", "qLn2", "qB", "qC");
                long[]? exp = q.IntegerArray("exp");
                Dyadic? output = q.Dyadic("multiplier", "shift");
                if (exp != null && output.HasValue)
                {
                    ValueTuple<SoftmaxTableParams>? p = r.Create(() => new ValueTuple<SoftmaxTableParams>(new SoftmaxTableParams(exp.Select(v => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, v))), output.Value)));
                    integers = p.HasValue ? new SoftmaxIntegers(p.Value.Item1) : null;
                }
            }
            else if (s.Method == SoftmaxMethod.Shiftmax)
            {
                q.Forbid("qLn2", "qB", "qC", "exp", "multiplier", "shift");
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
                q.Forbid("x0", "n", "exp", "multiplier", "shift");
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
            w.Property("method", MethodName(s.Method));
            if (s.IntegersOrNull is SoftmaxIntegers t && t.Method == SoftmaxMethod.Table)
            {
                w.Property("exp", t.Table.Exp.Select(v => (long)v).ToArray());
                w.Property("multiplier", t.Table.Out.Multiplier);
                w.Property("shift", t.Table.Out.Shift);
            }
            else if (s.IntegersOrNull is SoftmaxIntegers q && q.Method == SoftmaxMethod.Shiftmax)
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

        /// <summary>The spec's name of a method: "shiftmax", "ibert" or "table".</summary>
        public static string MethodName(SoftmaxMethod m) => m switch { SoftmaxMethod.Shiftmax => "shiftmax", SoftmaxMethod.IBert => "ibert", _ => "table" };

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
            if (s.Method == SoftmaxMethod.Table)
            {
                return CheckTable(c, node, s.Integers.Table);
            }

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
            if (s.Method == SoftmaxMethod.Table)
            {
                // Every term is at most E[0] = 2^B and B was chosen with L 2^B < 2^31; p = E f >> 31 is in [0, 2^31].
                SoftmaxTableParams t = s.Integers.Table;
                long top = t.Exp[0];
                c.Add("exp", new IntRange(0, top));
                c.Add("sum", new IntRange(top, top * length));
                c.Add("p", new IntRange(0, Dyadic.MaxOperand));
                if (top * length > int.MaxValue)
                {
                    c.Report($"the table softmax's row sum can reach {top * length} (row length {length} x 2^{t.ExpBits}), more than int32 holds; the table must use 2^B with L 2^B < 2^31");
                }

                TensorQuant q = c.Node.Output.Quant!;
                return new IntRange(Math.Max(q.Type.MinValue, q.ZeroPoint + t.Out.Apply(0)), Math.Min(q.Type.MaxValue, q.ZeroPoint + t.Out.Apply(Dyadic.MaxOperand)));
            }

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
            if (s.Method == SoftmaxMethod.Table)
            {
                TensorQuant q = node.Output.Quant!;
                for (int r = 0; r < x.Length / len; r++)
                {
                    SoftmaxTable.Row(x, r * len, len, s.Integers.Table, q.ZeroPoint, q.Type.MinValue, q.Type.MaxValue, y, r * len);
                }

                return;
            }

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
            if (method == SoftmaxMethod.Table)
            {
                if (inQ.Type.Bits > SoftmaxTable.MaxInputBits)
                {
                    c.Report(TableInputTooWide, $"the table softmax reads a {inQ.Type} tensor: it needs an input of at most {SoftmaxTable.MaxInputBits} bits; give the layer before it 8-bit activations or use the shiftmax or ibert method");
                    return null;
                }

                TensorQuant tq = c.Calibrated(0, layer.Precision.ActivationBits);
                c.Attach(new SoftmaxIntegers(TableFor(inQ, tq, TensorOps.LastAxis(node))));
                return One(tq);
            }

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

        /// <summary>The table softmax's integers for these quantizations and row length (<see cref="SoftmaxTable"/>).</summary>
        public static SoftmaxTableParams TableFor(TensorQuant input, TensorQuant output, int rowLength) =>
            new SoftmaxTableParams(SoftmaxTable.Exp(input.Scale, 1 << input.Type.Bits, rowLength), SoftmaxTable.Output(output.Scale));

        private static bool CheckTable(GraphContext c, GraphNode node, SoftmaxTableParams t)
        {
            TensorInfo x = node.Inputs[0];
            TensorQuant outQ = node.Output.Quant!;
            if (x.Quant == null || x.ChannelScales != null || x.Quant.Type.Bits > SoftmaxTable.MaxInputBits)
            {
                return c.Reject($"a table softmax needs one per-tensor input quantization of at most {SoftmaxTable.MaxInputBits} bits; \"{x.Name}\" is {(x.Quant == null ? "not quantized" : x.Quant.ToString())}: use the shiftmax or ibert method", TableInputTooWide);
            }

            SoftmaxTableParams expected = TableFor(x.Quant, outQ, x.Shape[x.Shape.Length - 1]);
            if (t.Exp.Count != expected.Exp.Count)
            {
                return c.Reject($"\"exp\" has {t.Exp.Count} entries; a {x.Quant.Type} input needs {expected.Exp.Count} (one per difference max - x)", TableMismatch);
            }

            for (int i = 0; i < t.Exp.Count; i++)
            {
                if (Math.Abs((long)t.Exp[i] - expected.Exp[i]) > 1)
                {
                    return c.Reject($"\"exp\"[{i}] is {t.Exp[i]}; round(2^{expected.ExpBits} exp(-{i} x {x.Quant.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})) is {expected.Exp[i]}", TableMismatch);
                }
            }

            if (t.Out != expected.Out)
            {
                return c.Reject($"the output multiplier {t.Out} differs from 2^-31 / {outQ.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} = {expected.Out} (output {outQ})", TableMismatch);
            }

            return true;
        }
    }
}
