using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Json;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Operators
{
    /// <summary>
    /// Concatenation along one axis (<see cref="ConcatLayer"/>): two or more inputs of one rank whose other dimensions
    /// agree; any input may be an initializer (a class token). Quantized: every input is requantized to the output's
    /// quantization, y = clamp(z_out + D_i.Apply(x - z_i)), D_i = S_i / S_out as a dyadic.
    /// </summary>
    public sealed class ConcatOperator : Operator
    {
        /// <summary>Relative tolerance between a multiplier and S_i / S_out (a dyadic carries 31 bits).</summary>
        private const double MultiplierTolerance = 1e-6;

        private static readonly string[] OwnFields = { "axis", "multipliers", "shifts" };

        public override OpKind Op => OpKind.Concat;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override int MinInputs => 2;

        public override int MaxInputs => int.MaxValue;

        public override bool AcceptsInitializerInputs => true;

        public override LayerSpec? Parse(LayerReader r)
        {
            var c = new ConcatLayer { Axis = (int)(r.Integer("axis", -SpecParser.MaxRank, SpecParser.MaxRank - 1) ?? 0) };
            Dyadic[]? requant = r.Quant.DyadicArray("multipliers", "shifts");
            if (requant != null && r.ArrayCount("inputs") is int n && n != requant.Length)
            {
                r.Report(ModelErrors.ShapeMismatch, $"\"multipliers\" has {requant.Length} entries but the layer has {n} inputs; Concat needs one multiplier per input (S_i / S_out)", "multipliers");
            }

            return r.WithIntegers(c, () => requant != null ? new ConcatIntegers(requant) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var c = (ConcatLayer)layer;
            w.Property("axis", c.Axis);
            w.Dyadics(c.IntegersOrNull?.Requant);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var layer = (ConcatLayer)c.Layer;
            int[] first = c.Inputs[0].Shape;
            int rank = first.Length;
            foreach (TensorInfo t in c.Inputs)
            {
                if (t.Shape.Length != rank)
                {
                    return One(c.Fail($"Concat inputs must have one rank; \"{c.Inputs[0].Name}\" is {Shape(first)} but \"{t.Name}\" is {Shape(t.Shape)}"));
                }
            }

            int axis = DataMovement.NormalizeAxis(layer.Axis, rank);
            if (axis < 0 || axis >= rank)
            {
                return One(c.Fail($"Concat axis {layer.Axis} is out of range for inputs of rank {rank} (use -{rank} to {rank - 1})", ModelErrors.InvalidValue));
            }

            long total = 0;
            foreach (TensorInfo t in c.Inputs)
            {
                for (int k = 0; k < rank; k++)
                {
                    if (k != axis && t.Shape[k] != first[k])
                    {
                        return One(c.Fail($"Concat inputs must agree on every axis but {axis}; \"{c.Inputs[0].Name}\" is {Shape(first)} but \"{t.Name}\" is {Shape(t.Shape)} (axis {k} differs)"));
                    }
                }

                total += t.Shape[axis];
            }

            int[] y = (int[])first.Clone();
            if (total > SpecParser.MaxDimension)
            {
                return One(c.Fail($"Concat along axis {axis} gives {total} elements on that axis; the limit is {SpecParser.MaxDimension}", ModelErrors.LimitExceeded));
            }

            y[axis] = (int)total;
            long count = 1;
            foreach (int d in y)
            {
                count *= d;
            }

            if (count > TensorLimits.MaxElements)
            {
                return One(c.Fail($"the Concat output {Shape(y)} has {count} elements; the limit is {TensorLimits.MaxElements}", ModelErrors.LimitExceeded));
            }

            return One(y);
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var layer = (ConcatLayer)node.Layer;
            if (layer.Integers.Requant.Count != node.Inputs.Count)
            {
                return c.Reject($"\"multipliers\"/\"shifts\" need {node.Inputs.Count} entries, one per input; found {layer.Integers.Requant.Count}");
            }

            TensorQuant outQ = node.Output.Quant!;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                TensorInfo t = node.Inputs[i];
                if (t.Quant == null || t.ChannelScales != null)
                {
                    return c.Reject($"the constant input \"{t.Name}\" of Concat needs one per-tensor scale");
                }

                double expected = t.Quant.Scale / outQ.Scale;
                Dyadic d = layer.Integers.Requant[i];
                bool exact = expected < Dyadic.MaxOperand && d == Dyadic.FromReal(expected);
                if (!exact && Math.Abs(d.ToReal() - expected) > expected * MultiplierTolerance)
                {
                    return c.Reject($"multiplier {i} ({d}, {d.ToReal().ToString("R", System.Globalization.CultureInfo.InvariantCulture)}) must be the input scale over the output scale, {t.Quant.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} / {outQ.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} = {expected.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var layer = (ConcatLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            IntRange? y = null;
            for (int i = 0; i < c.Node.Inputs.Count; i++)
            {
                IntRange r = c.Requant(c.Shifted(i), layer.Integers.Requant[i], outQ.ZeroPoint).Clamp(outQ.Type.MinValue, outQ.Type.MaxValue);
                y = y?.Union(r) ?? r;
            }

            return y!.Value;
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var layer = (ConcatLayer)node.Layer;
            TensorQuant outQ = node.Output.Quant!;
            Copy(node, layer, inputs, outputs[0], (i, v) => (int)IntegerOps.Clamp(outQ.ZeroPoint + layer.Integers.Requant[i].Apply(v - node.Inputs[i].Quant!.ZeroPoint), outQ.Type.MinValue, outQ.Type.MaxValue));
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) =>
            Copy(node, (ConcatLayer)node.Layer, inputs, outputs[0], (i, v) => v);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var concat = (ConcatLayer)layer;
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            var requant = new Dyadic[node.Inputs.Count];
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                TensorQuant q = c.Input(i);
                requant[i] = q.Scale == outQ.Scale ? Dyadic.One : Dyadic.FromReal(q.Scale / outQ.Scale);
            }

            c.Attach(new ConcatIntegers(requant));

            return One(outQ);
        }

        /// <summary>
        /// The definition: with the output seen as [outer, axis, inner], input i fills rows offset_i .. offset_i + a_i - 1
        /// of the axis (offset_i = a_0 + ... + a_{i-1}), element by element through <paramref name="map"/>.
        /// </summary>
        private static void Copy<T>(GraphNode node, ConcatLayer layer, T[][] inputs, T[] y, Func<int, T, T> map)
        {
            int[] outShape = node.Output.Shape;
            int axis = DataMovement.NormalizeAxis(layer.Axis, outShape.Length);
            int outer = 1, inner = 1;
            for (int k = 0; k < axis; k++)
            {
                outer *= outShape[k];
            }

            for (int k = axis + 1; k < outShape.Length; k++)
            {
                inner *= outShape[k];
            }

            int total = outShape[axis], offset = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                int a = node.Inputs[i].Shape[axis];
                T[] x = inputs[i];
                for (int o = 0; o < outer; o++)
                {
                    for (int t = 0; t < a; t++)
                    {
                        for (int k = 0; k < inner; k++)
                        {
                            y[((o * total) + offset + t) * inner + k] = map(i, x[((o * a) + t) * inner + k]);
                        }
                    }
                }

                offset += a;
            }
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>
    /// Concatenation of its inputs (two or more, activations or initializers) along <see cref="Axis"/>. Quantized: input i
    /// is requantized to the output's quantization, y = clamp(z_out + Requant[i].Apply(x - z_i)), the same rule for every
    /// input; an input whose quantization equals the output's has Requant[i] = 1 (multiplier 1, shift 0), an exact copy.
    /// </summary>
    public sealed class ConcatLayer : QuantizableLayer<ConcatIntegers>
    {
        public ConcatLayer()
            : base(OpKind.Concat)
        {
        }

        /// <summary>Axis in [-rank, rank - 1]; negative counts from the last axis.</summary>
        public int Axis { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new ConcatLayer { Axis = Axis });
    }

    /// <summary>Concat: one multiplier per input, S_i / S_out.</summary>
    public sealed class ConcatIntegers : LayerIntegers
    {
        public ConcatIntegers(IEnumerable<Dyadic> requant)
        {
            Requant = Frozen(requant, nameof(requant));
        }

        public IReadOnlyList<Dyadic> Requant { get; }
    }
}
