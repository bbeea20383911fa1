using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// Element-wise a * b of two activations, or of an activation and a constant (<see cref="Broadcast"/>). Quantized:
    /// y = clamp(z_y + D.Apply((a - z_a)(b - z_b))) with one dyadic D = S_a S_b / S_y: the integer product is exact
    /// (int64), and the only rounding is D's (half toward +inf), so the result is within 1/2 + |p| |D| 2^-31 LSB of the
    /// real product. The range analysis proves |(a - z_a)(b - z_b)| &lt;= 2^31 (the dyadic operand limit) or fails.
    /// </summary>
    public sealed class MulOperator : Operator
    {
        private const double MultiplierTolerance = 1e-6;

        private static readonly string[] OwnFields = { "multiplier", "shift" };

        public override OpKind Op => OpKind.Mul;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override bool AcceptsInitializerInputs => true;

        public override LayerSpec? Parse(LayerReader r)
        {
            Dyadic? d = r.Quant.Dyadic("multiplier", "shift");
            return r.WithIntegers(new MulLayer(), () => d is Dyadic dd ? new MulIntegers(dd) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w) => w.Dyadic("multiplier", "shift", ((MulLayer)layer).IntegersOrNull?.Requant);

        public override int[][]? InferShapes(GraphContext c) => One(Broadcast.Shape(c, "Mul"));

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            if (!Broadcast.CheckConstants(c, node, "Mul"))
            {
                return false;
            }

            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            if (a.Quant == null || b.Quant == null || a.ChannelScales != null || b.ChannelScales != null)
            {
                return c.Reject("both operands of Mul need one per-tensor scale");
            }

            double expected = a.Quant.Scale * b.Quant.Scale / node.Output.Quant!.Scale;
            Dyadic d = ((MulLayer)node.Layer).Integers.Requant;
            bool exact = expected < Dyadic.MaxOperand && d == Dyadic.FromReal(expected);
            if (!exact && Math.Abs(d.ToReal() - expected) > expected * MultiplierTolerance)
            {
                return c.Reject($"the multiplier ({d}, {d.ToReal().ToString("R", CultureInfo.InvariantCulture)}) must be S_a S_b / S_out = {expected.ToString("R", CultureInfo.InvariantCulture)}");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            IntRange a = c.Shifted(0), b = c.Shifted(1);
            long p1 = a.Min * b.Min, p2 = a.Min * b.Max, p3 = a.Max * b.Min, p4 = a.Max * b.Max;
            var product = new IntRange(Math.Min(Math.Min(p1, p2), Math.Min(p3, p4)), Math.Max(Math.Max(p1, p2), Math.Max(p3, p4)));
            c.Add("product", product);
            return c.Requant(product, ((MulLayer)c.Node.Layer).Integers.Requant, c.Node.Output.Quant!.ZeroPoint);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            Dyadic d = ((MulLayer)node.Layer).Integers.Requant;
            int[] a = inputs[0], b = inputs[1], y = outputs[0];
            long za = node.Inputs[0].Quant!.ZeroPoint, zb = node.Inputs[1].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            for (int i = 0; i < y.Length; i++)
            {
                long p = (a[i % a.Length] - za) * (b[i % b.Length] - zb);
                y[i] = (int)IntegerOps.Clamp(outQ.ZeroPoint + d.Apply(p), outQ.Type.MinValue, outQ.Type.MaxValue);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] a = inputs[0], b = inputs[1], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = a[i % a.Length] * b[i % b.Length];
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            TensorQuant aQ = c.Input(0), bQ = c.Input(1);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            c.Attach(new MulIntegers(Dyadic.FromReal(aQ.Scale * bQ.Scale / outQ.Scale)));
            return One(outQ);
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>Element-wise a * b; quantized: one dyadic S_a S_b / S_out on the exact integer product.</summary>
    public sealed class MulLayer : QuantizableLayer<MulIntegers>
    {
        public MulLayer()
            : base(OpKind.Mul)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new MulLayer());
    }

    /// <summary>Mul: S_a S_b / S_out as one dyadic on the exact integer product.</summary>
    public sealed class MulIntegers : LayerIntegers
    {
        public MulIntegers(Numerics.Dyadic requant)
        {
            Requant = requant;
        }

        public Numerics.Dyadic Requant { get; }
    }
}
