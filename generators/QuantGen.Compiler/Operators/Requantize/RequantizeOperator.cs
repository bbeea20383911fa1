using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Operators
{
    /// <summary>
    /// One tensor moved to another quantization, optionally times a positive constant (<see cref="RequantizeLayer"/>):
    /// y = clamp(z_out + D.Apply(x - z_in)) with D = factor * S_in / S_out, the per-input rule of Concat. Float:
    /// y = factor * x. It is what back-to-back fake quants (FX's Dropout) and a scalar Mul/Div between two QDQ pairs
    /// (the attention scale of an ORT-quantized transformer) import as. Printed as one strided copy (<see cref="Plan"/>).
    /// </summary>
    public sealed class RequantizeOperator : Operator, IDataMovementOperator
    {
        private const double MultiplierTolerance = 1e-6;

        private static readonly string[] OwnFields = { "factor", "multiplier", "shift" };

        public override OpKind Op => OpKind.Requantize;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var q = new RequantizeLayer { Factor = r.OptionalDouble("factor", 1.0) };
            Dyadic? requant = r.Quant.Dyadic("multiplier", "shift");
            if (!(q.Factor > 0) || double.IsInfinity(q.Factor))
            {
                r.Report(ModelErrors.InvalidValue, $"\"factor\" {q.Factor.ToString("R", CultureInfo.InvariantCulture)} must be a positive finite number (a negative factor flips the order of the integers: fold it into the layer before)", "factor");
            }

            return r.WithIntegers(q, () => requant is Dyadic d ? new RequantizeIntegers(d) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var q = (RequantizeLayer)layer;
            if (q.Factor != 1.0)
            {
                w.Property("factor", q.Factor);
            }

            w.Dyadic("multiplier", "shift", q.IntegersOrNull?.Requant);
        }

        public override int[][]? InferShapes(GraphContext c) => One((int[])c.Inputs[0].Shape.Clone());

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var layer = (RequantizeLayer)node.Layer;
            TensorInfo x = node.Inputs[0];
            if (x.Quant == null || x.ChannelScales != null)
            {
                return c.Reject($"the input \"{x.Name}\" of Requantize needs one per-tensor scale");
            }

            double expected = layer.Factor * x.Quant.Scale / node.Output.Quant!.Scale;
            Dyadic d = layer.Integers.Requant;
            bool exact = expected < Dyadic.MaxOperand && d == Dyadic.FromReal(expected);
            if (!exact && Math.Abs(d.ToReal() - expected) > expected * MultiplierTolerance)
            {
                return c.Reject($"the multiplier ({d}, {d.ToReal().ToString("R", CultureInfo.InvariantCulture)}) must be factor * S_in / S_out = {expected.ToString("R", CultureInfo.InvariantCulture)}");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var layer = (RequantizeLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            return c.Requant(c.Shifted(0), layer.Integers.Requant, outQ.ZeroPoint).Clamp(outQ.Type.MinValue, outQ.Type.MaxValue);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            Dyadic d = ((RequantizeLayer)node.Layer).Integers.Requant;
            TensorQuant inQ = node.Inputs[0].Quant!, outQ = node.Output.Quant!;
            int[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)IntegerOps.Clamp(outQ.ZeroPoint + d.Apply(x[i] - inQ.ZeroPoint), outQ.Type.MinValue, outQ.Type.MaxValue);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double f = ((RequantizeLayer)node.Layer).Factor;
            double[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = f * x[i];
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var q = (RequantizeLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            c.Attach(new RequantizeIntegers(Dyadic.FromReal(q.Factor * inQ.Scale / outQ.Scale)));
            return One(outQ);
        }

        /// <summary>One box over the whole tensor, every element requantized.</summary>
        public IReadOnlyList<StridedCopy> Plan(GraphNode node)
        {
            int[] shape = node.Inputs[0].Shape;
            long[] strides = DataMovement.RowMajorStrides(shape);
            return new[] { DataMovement.Make(0, 0, shape, 0, strides, 0, strides, ((RequantizeLayer)node.Layer).Integers.Requant) };
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>
    /// y = factor * x, quantized as y = clamp(z_out + Requant.Apply(x - z_in)) with Requant = factor * S_in / S_out
    /// (factor &gt; 0; 1 for a plain change of quantization).
    /// </summary>
    public sealed class RequantizeLayer : QuantizableLayer<RequantizeIntegers>
    {
        public RequantizeLayer()
            : base(OpKind.Requantize)
        {
        }

        public double Factor { get; set; } = 1.0;

        public override LayerSpec CloneFloat() => CopyBase(new RequantizeLayer { Factor = Factor });
    }

    /// <summary>Requantize: factor * S_in / S_out as one dyadic.</summary>
    public sealed class RequantizeIntegers : LayerIntegers
    {
        public RequantizeIntegers(Numerics.Dyadic requant)
        {
            Requant = requant;
        }

        public Numerics.Dyadic Requant { get; }
    }
}
