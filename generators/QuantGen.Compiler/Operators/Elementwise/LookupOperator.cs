using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>
    /// A unary element-wise function f (Tanh, Sigmoid, HardSigmoid, HardSwish) on a tensor of at most 8 bits, quantized as
    /// a table of 2^bits integers: y = table[x - min(type_x)]. The table is computed once, at quantization time, from the
    /// float function and the two quantizations: table[q - min] = clamp(round_half_even(f(S_x (q - z_x)) / S_y) + z_y).
    /// At run time that is one load per element on every backend (integer-only); it is the correctly rounded Q(f(x)) up
    /// to the float evaluation of f (docs/numerics.md measures it exhaustively). The spec carries the table ("table") so
    /// that every backend and every machine prints the same integers; the quantization check recomputes it and accepts
    /// entries within 1 of the recomputed value (a libm that rounds f differently at a tie).
    /// </summary>
    public abstract class LookupOperator : Operator
    {
        /// <summary>Widest input a table covers (2^8 entries); wider inputs get <see cref="InputTooWide"/>.</summary>
        public const int MaxInputBits = 8;

        /// <summary>QG1026: a table operator's input is wider than <see cref="MaxInputBits"/>.</summary>
        public const string InputTooWide = "QG1026";

        /// <summary>QG1027: a table operator's "table" does not match its function and quantizations.</summary>
        public const string TableMismatch = "QG1027";

        /// <summary>The float function, with the layer's attributes.</summary>
        public abstract double Function(LookupLayer layer, double x);

        /// <summary>The operator's float attributes (none by default), before "table".</summary>
        protected virtual IReadOnlyList<string> Attributes => Array.Empty<string>();

        public override IReadOnlyList<string> Fields => Attributes.Concat(new[] { "table" }).ToArray();

        /// <summary>Creates the layer with its float attributes.</summary>
        protected abstract LookupLayer Create(LayerReader r);

        /// <summary>Writes the float attributes.</summary>
        protected virtual void WriteAttributes(LookupLayer layer, LayerWriter w)
        {
        }

        public sealed override LayerSpec? Parse(LayerReader r)
        {
            LookupLayer layer = Create(r);
            long[]? table = r.Quant.IntegerArray("table");
            layer.Table = table?.Select(v => (int)v).ToArray();
            return layer;
        }

        public sealed override void Write(LayerSpec layer, LayerWriter w)
        {
            var l = (LookupLayer)layer;
            WriteAttributes(l, w);
            if (l.Table != null)
            {
                w.Property("table", l.Table);
            }
        }

        public override int[][]? InferShapes(GraphContext c) => One((int[])c.Inputs[0].Shape.Clone());

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var layer = (LookupLayer)node.Layer;
            TensorInfo x = node.Inputs[0];
            TensorQuant outQ = node.Output.Quant!;
            if (x.Quant == null || x.ChannelScales != null)
            {
                return c.Reject($"the input \"{x.Name}\" of {Name} needs one per-tensor scale");
            }

            if (x.Quant.Type.Bits > MaxInputBits)
            {
                return c.Reject($"{Name} reads \"{x.Name}\" as {x.Quant.Type}: a table operator needs an input of at most {MaxInputBits} bits (2^bits entries); quantize the tensor before it to int8", InputTooWide);
            }

            if (layer.Table == null)
            {
                return c.Reject($"a quantized {Name} layer needs \"table\"", TableMismatch);
            }

            int[] table = layer.Table;
            int[] expected = Table(layer, x.Quant, outQ);
            if (table.Length != expected.Length)
            {
                return c.Reject($"\"table\" has {table.Length} entries; a {x.Quant.Type} input needs {expected.Length} (one per integer from {x.Quant.Type.MinValue} to {x.Quant.Type.MaxValue})", TableMismatch);
            }

            for (int i = 0; i < table.Length; i++)
            {
                if (!outQ.Type.Contains(table[i]) || Math.Abs((long)table[i] - expected[i]) > 1)
                {
                    long q = x.Quant.Type.MinValue + i;
                    return c.Reject($"\"table\"[{i}] (input {q}) is {table[i]}; {Name}({x.Quant.Dequantize(q).ToString("R", CultureInfo.InvariantCulture)}) quantized to {outQ} is {expected[i]}", TableMismatch);
                }
            }

            return true;
        }

        /// <summary>Exactly the table entries that inputs in range can read.</summary>
        public override IntRange Range(RangeContext c)
        {
            int[] table = ((LookupLayer)c.Node.Layer).Table!;
            IntRange x = c.In(0);
            long lo = c.Node.Inputs[0].Quant!.Type.MinValue;
            long min = long.MaxValue, max = long.MinValue;
            for (long q = Math.Max(x.Min, lo); q <= Math.Min(x.Max, lo + table.Length - 1); q++)
            {
                min = Math.Min(min, table[q - lo]);
                max = Math.Max(max, table[q - lo]);
            }

            return min <= max ? new IntRange(min, max) : c.Full(c.Node.Output.Quant!);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            int[] table = ((LookupLayer)node.Layer).Table!;
            long lo = node.Inputs[0].Quant!.Type.MinValue;
            int[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = table[x[i] - lo];
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var layer = (LookupLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = Function(layer, x[i]);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            TensorQuant inQ = c.Input(0);
            if (inQ.Type.Bits > MaxInputBits)
            {
                c.Report(InputTooWide, $"{Name} reads a {inQ.Type} tensor: a table operator needs an input of at most {MaxInputBits} bits; give the layer before it 8-bit activations");
                return null;
            }

            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            var l = (LookupLayer)layer;
            l.Table = Table(l, inQ, outQ);
            return One(outQ);
        }

        /// <summary>table[q - min] = clamp(round_half_even(f(S_x (q - z_x)) / S_y) + z_y) for every q of the input type.</summary>
        public int[] Table(LookupLayer layer, TensorQuant inQ, TensorQuant outQ)
        {
            long lo = inQ.Type.MinValue, hi = inQ.Type.MaxValue;
            var table = new int[hi - lo + 1];
            for (long q = lo; q <= hi; q++)
            {
                double v = Math.Round(Function(layer, inQ.Dequantize(q)) / outQ.Scale, MidpointRounding.ToEven) + outQ.ZeroPoint;
                table[q - lo] = (int)Math.Max(outQ.Type.MinValue, Math.Min(outQ.Type.MaxValue, double.IsNaN(v) ? outQ.ZeroPoint : v));
            }

            return table;
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>A table operator's layer: float attributes in the subclass, the integer table in a quantized model.</summary>
    public abstract class LookupLayer : LayerSpec
    {
        protected LookupLayer(OpKind op)
            : base(op)
        {
        }

        /// <summary>2^bits output integers, indexed by input - min(input type); null in a float model.</summary>
        public int[]? Table { get; set; }
    }
}
