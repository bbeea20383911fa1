using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>Batched alpha * a b over the last two axes; quantized: int32 accumulator of zero-point-shifted operands, one dyadic.</summary>
    public sealed class MatMulOperator : Operator
    {
        private static readonly string[] OwnFields = { "alpha", "multiplier", "shift" };

        public override OpKind Op => OpKind.MatMul;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override LayerSpec? Parse(LayerReader r)
        {
            var m = new MatMulLayer { Alpha = r.OptionalDouble("alpha", 1.0) };
            Dyadic? requant = r.Quant.Dyadic("multiplier", "shift");
            return r.WithIntegers(m, () => requant is Dyadic d ? new MatMulIntegers(d) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var m = (MatMulLayer)layer;
            w.Property("alpha", m.Alpha);
            w.Dyadic("multiplier", "shift", m.IntegersOrNull?.Requant);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] x = c.Inputs[0].Shape, b = c.Inputs[1].Shape;
            if (x.Length < 2 || b.Length != x.Length)
            {
                return One(c.Fail($"MatMul needs two operands of the same rank >= 2; got {Shape(x)} and {Shape(b)}"));
            }

            for (int i = 0; i < x.Length - 2; i++)
            {
                if (x[i] != b[i])
                {
                    return One(c.Fail($"MatMul batch dimensions differ: {Shape(x)} and {Shape(b)}"));
                }
            }

            if (x[x.Length - 1] != b[b.Length - 2])
            {
                return One(c.Fail($"MatMul inner dimensions differ: {Shape(x)} x {Shape(b)} (a's last axis must equal b's second-to-last)"));
            }

            int[] y = (int[])x.Clone();
            y[y.Length - 1] = b[b.Length - 1];
            return One(y);
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // the parser requires the multiplier; every value of it is consistent

        /// <summary>One per output element and reduced index.</summary>
        public override long Macs(GraphNode node) => node.Output.ElementCount * (long)node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];

        public override IntRange Range(RangeContext c)
        {
            var m = (MatMulLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            IntRange a = c.Shifted(0), b = c.Shifted(1);
            int kDim = c.Node.Inputs[0].Shape[c.Node.Inputs[0].Shape.Length - 1];
            long[] corners = { a.Min * b.Min, a.Min * b.Max, a.Max * b.Min, a.Max * b.Max };
            var p = new IntRange(corners.Min(), corners.Max());
            var acc = new IntRange(p.Min * kDim, p.Max * kDim);
            c.Add("a-zp", a);
            c.Add("b-zp", b);
            c.Add("product", p);
            c.Add("acc", acc);
            return c.CheckInt32("acc", acc, "the int32 accumulator") ? c.Requant(acc, m.Integers.Requant, outQ.ZeroPoint) : c.Full(outQ);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var m = (MatMulLayer)node.Layer;
            int[] x = inputs[0], b = inputs[1], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint, zb = node.Inputs[1].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            int[] sa = node.Inputs[0].Shape, sb = node.Inputs[1].Shape;
            int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1];
            int batches = x.Length / (rowsA * k);
            Dyadic requant = m.Integers.Requant;

            // Per batch, B minus its zero point transposed once (column j of B becomes the contiguous row j of bt) and each
            // row of A minus its zero point once: every output is a dot product of two contiguous rows, t innermost, the
            // same sum as sum_t (a[i, t] - za) * (b[t, j] - zb) in the same order.
            var bt = new long[cols * k];
            var xs = new long[k];
            for (int batch = 0; batch < batches; batch++)
            {
                for (int t = 0; t < k; t++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        bt[j * k + t] = b[(batch * k + t) * cols + j] - zb;
                    }
                }

                for (int i = 0; i < rowsA; i++)
                {
                    for (int t = 0; t < k; t++)
                    {
                        xs[t] = x[(batch * rowsA + i) * k + t] - zx;
                    }

                    for (int j = 0; j < cols; j++)
                    {
                        long acc = 0;
                        int jo = j * k;
                        for (int t = 0; t < xs.Length; t++)
                        {
                            acc += xs[t] * bt[jo + t];
                        }

                        y[(batch * rowsA + i) * cols + j] = (int)IntegerOps.Requantize(acc, requant, outQ.ZeroPoint, outQ.Type);
                    }
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var m = (MatMulLayer)node.Layer;
            double[] x = inputs[0], b = inputs[1], y = outputs[0];
            int[] sa = node.Inputs[0].Shape, sb = node.Inputs[1].Shape;
            int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1];
            int batches = x.Length / (rowsA * k);
            for (int bt = 0; bt < batches; bt++)
            {
                for (int i = 0; i < rowsA; i++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        double acc = 0;
                        for (int t = 0; t < k; t++)
                        {
                            acc += x[(bt * rowsA + i) * k + t] * b[(bt * k + t) * cols + j];
                        }

                        y[(bt * rowsA + i) * cols + j] = m.Alpha * acc;
                    }
                }
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var m = (MatMulLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            TensorQuant bQ = c.Input(1);
            c.Attach(new MatMulIntegers(Dyadic.FromReal(m.Alpha * inQ.Scale * bQ.Scale / outQ.Scale)));
            return One(outQ);
        }
    }
}
