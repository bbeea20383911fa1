using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// A unary element-wise function f (Tanh, Sigmoid, HardSigmoid, HardSwish) as a build-time table of integers
    /// (<see cref="LookupIntegers"/>), computed once at quantization time from the float function and the two quantizations.
    /// Inputs of at most 8 bits: one entry per input integer, y = table[x - min(type_x)], the correctly rounded Q(f(x)) up to
    /// the float evaluation of f. Wider inputs (int16): a segmented table, one entry every 2^k inputs (k = bits - 10, 1,025
    /// entries for int16: 4 KB, fits an HLS ROM; 2^16 entries would be 128 KB per layer) and linear interpolation between the
    /// two entries around x, in integers: u = x - min, i = u >> k, r = u &amp; (2^k - 1),
    /// y = T[i] + ((T[i+1] - T[i]) r + 2^(k-1)) >> k (floor shift, ties toward +infinity); T[j] = Q(f(S_x (min + j 2^k - z_x))).
    /// The result lies between T[i] and T[i+1], so it needs no clamp; its error against Q(f(x)) is measured in
    /// docs/numerics.md. Every backend prints the same integers. The spec carries the table ("table"); the quantization check
    /// recomputes it and accepts entries within 1 of the recomputed value (a libm that rounds f differently at a tie).
    /// HardSigmoid and HardSwish (<see cref="HasExactForm"/>) are exact instead: their tables hold the outputs of
    /// <see cref="PiecewiseLinear"/>, and on inputs wider than 8 bits every backend computes that form (no segment table).
    /// </summary>
    public abstract class LookupOperator : Operator
    {
        /// <summary>Widest input with one table entry per input integer (2^8 entries); wider inputs get a segmented table.</summary>
        public const int MaxInputBits = 8;

        /// <summary>Widest input a segmented table covers (int16: 2^10 segments of 2^6 inputs); wider inputs get <see cref="InputTooWide"/>.</summary>
        public const int MaxSegmentedInputBits = 16;

        /// <summary>log2 of the number of segments of a segmented table (the table has 2^10 + 1 entries).</summary>
        public const int SegmentIndexBits = 10;

        /// <summary>QG1026: a table operator's input is wider than <see cref="MaxSegmentedInputBits"/>.</summary>
        public const string InputTooWide = "QG1026";

        /// <summary>QG1027: a table operator's "table" does not match its function and quantizations.</summary>
        public const string TableMismatch = "QG1027";

        /// <summary>k, the inputs per segment as a power of two: 0 (one entry per input) up to 8 bits, bits - 10 above.</summary>
        public static int SegmentShift(ElementType input) => input.Bits <= MaxInputBits ? 0 : input.Bits - SegmentIndexBits;

        /// <summary>Entries of the table for an input type: 2^bits, or 2^10 + 1 for a segmented table.</summary>
        public static long TableLength(ElementType input) => input.Bits <= MaxInputBits ? (1L << input.Bits) : (1L << SegmentIndexBits) + 1;

        /// <summary>The table operator's integer function, as every backend computes it: exact table or interpolated segments.</summary>
        public static int Apply(IReadOnlyList<int> table, int shift, long min, int x)
        {
            long u = x - min;
            if (shift == 0)
            {
                return table[(int)u];
            }

            int i = (int)(u >> shift);
            long r = u & ((1L << shift) - 1);
            long a = table[i], b = table[i + 1];
            return (int)(a + ((((b - a) * r) + (1L << (shift - 1))) >> shift));
        }

        /// <summary>The float function, with the layer's attributes.</summary>
        public abstract double Function(LookupLayer layer, double x);

        /// <summary>
        /// Whether the operator has an exact integer definition (<see cref="PiecewiseLinear"/>: HardSigmoid, HardSwish). Its
        /// table (inputs of at most 8 bits) is built from that definition instead of the float function, and wider inputs
        /// compute it (the spec's "multiplier", "offset", "ceiling", "shift") instead of a segment table.
        /// </summary>
        public virtual bool HasExactForm => false;

        /// <summary>The exact integer definition between two quantizations; null when there is none or it does not fit (QG1049).</summary>
        public virtual PiecewiseLinear? Exact(LookupLayer layer, TensorQuant inQ, TensorQuant outQ) => null;

        /// <summary>The integers of the layer between two quantizations: a table, or the exact form for a wide input.</summary>
        public LookupIntegers Integers(LookupLayer layer, TensorQuant inQ, TensorQuant outQ)
        {
            if (HasExactForm && inQ.Type.Bits > MaxInputBits)
            {
                PiecewiseLinear p = Exact(layer, inQ, outQ) ?? throw new InvalidOperationException($"{Name}: no exact form between {inQ} and {outQ} (QG1049)");
                return new LookupIntegers(Array.Empty<int>(), p);
            }

            return new LookupIntegers(Table(layer, inQ, outQ));
        }

        private static readonly string[] ExactFields = { "multiplier", "offset", "ceiling", "shift" };

        /// <summary>The operator's float attributes (none by default), before "table".</summary>
        protected virtual IReadOnlyList<string> Attributes => Array.Empty<string>();

        public override IReadOnlyList<string> Fields => Attributes.Concat(new[] { "table" }).Concat(HasExactForm ? ExactFields : Array.Empty<string>()).ToArray();

        /// <summary>Creates the layer with its float attributes.</summary>
        protected abstract LookupLayer Create(LayerReader r);

        /// <summary>Writes the float attributes.</summary>
        protected virtual void WriteAttributes(LookupLayer layer, LayerWriter w)
        {
        }

        public sealed override LayerSpec? Parse(LayerReader r)
        {
            LookupLayer layer = Create(r);
            if (HasExactForm && r.Quantized && r.Object.Get("table") == null && r.Object.Get("shift") != null)
            {
                long? shift = r.Quant.Integer("shift", 1, 62);
                long? m = r.Quant.Integer("multiplier", -IntegerOps.Pow2_62, IntegerOps.Pow2_62);
                long? o = r.Quant.Integer("offset", -IntegerOps.Pow2_62, IntegerOps.Pow2_62);
                long? ceiling = r.Quant.Integer("ceiling", 0, IntegerOps.Pow2_62);
                bool product = Op == OpKind.HardSwish;
                return r.WithIntegers(layer, () => shift.HasValue && m.HasValue && o.HasValue && ceiling.HasValue
                    ? new LookupIntegers(Array.Empty<int>(), new PiecewiseLinear(m.Value, o.Value, ceiling.Value, (int)shift.Value, product))
                    : null);
            }

            long[]? table = r.Quant.IntegerArray("table");
            return r.WithIntegers(layer, () => table == null ? null : new LookupIntegers(table.Select(v => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, v)))));
        }

        public sealed override void Write(LayerSpec layer, LayerWriter w)
        {
            var l = (LookupLayer)layer;
            WriteAttributes(l, w);
            if (l.IntegersOrNull is LookupIntegers q)
            {
                if (q.Exact is PiecewiseLinear p)
                {
                    w.Property("multiplier", p.Multiplier);
                    w.Property("offset", p.Offset);
                    w.Property("ceiling", p.Ceiling);
                    w.Property("shift", p.Shift);
                }
                else
                {
                    w.Property("table", q.Table.ToArray());
                }
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

            if (x.Quant.Type.Bits > MaxSegmentedInputBits)
            {
                return c.Reject($"{Name} reads \"{x.Name}\" as {x.Quant.Type}: a table operator needs an input of at most {MaxSegmentedInputBits} bits; quantize the tensor before it to int8 or int16", InputTooWide);
            }

            if (HasExactForm)
            {
                PiecewiseLinear? exact = Exact(layer, x.Quant, outQ);
                if (exact == null)
                {
                    return c.Reject($"{Name} between {x.Quant} and {outQ}: no shift in [1, 62] keeps the exact form's intermediates within int64 with an error term of at most 1/2 LSB; bring the two scales closer", PiecewiseLinear.Unrepresentable);
                }

                if (x.Quant.Type.Bits > MaxInputBits)
                {
                    return layer.Integers.Exact is PiecewiseLinear got && got.Equals(exact)
                        ? true
                        : c.Reject($"{Name} reads a {x.Quant.Type} input: its integers must be the exact form {exact} (\"multiplier\", \"offset\", \"ceiling\", \"shift\"), found {(layer.Integers.Exact?.ToString() ?? "a table")}", TableMismatch);
                }

                if (layer.Integers.Exact != null)
                {
                    return c.Reject($"{Name} reads a {x.Quant.Type} input: its integers are a {TableLength(x.Quant.Type)}-entry \"table\", not the exact form", TableMismatch);
                }
            }

            IReadOnlyList<int> table = layer.Integers.Table;
            int[] expected = Table(layer, x.Quant, outQ);
            if (table.Count != expected.Length)
            {
                return c.Reject(SegmentShift(x.Quant.Type) == 0
                    ? $"\"table\" has {table.Count} entries; a {x.Quant.Type} input needs {expected.Length} (one per integer from {x.Quant.Type.MinValue} to {x.Quant.Type.MaxValue})"
                    : $"\"table\" has {table.Count} entries; a {x.Quant.Type} input needs {expected.Length} (one every {1 << SegmentShift(x.Quant.Type)} integers from {x.Quant.Type.MinValue}, interpolated)", TableMismatch);
            }

            int shift = SegmentShift(x.Quant.Type);
            for (int i = 0; i < table.Count; i++)
            {
                if (!outQ.Type.Contains(table[i]) || Math.Abs((long)table[i] - expected[i]) > 1)
                {
                    long q = x.Quant.Type.MinValue + ((long)i << shift);
                    return c.Reject($"\"table\"[{i}] (input {q}) is {table[i]}; {Name}({x.Quant.Dequantize(q).ToString("R", CultureInfo.InvariantCulture)}) quantized to {outQ} is {expected[i]}", TableMismatch);
                }
            }

            return true;
        }

        /// <summary>
        /// The output range over the inputs in range: exactly the entries they can read (an interpolated value lies between the
        /// two entries of its segment, so the entries of the segments touched bound it).
        /// </summary>
        public override IntRange Range(RangeContext c)
        {
            LookupIntegers integers = ((LookupLayer)c.Node.Layer).Integers;
            IReadOnlyList<int> table = integers.Table;
            ElementType type = c.Node.Inputs[0].Quant!.Type;
            int shift = SegmentShift(type);
            IntRange x = c.In(0);
            if (integers.Exact is PiecewiseLinear p)
            {
                // At most 2^16 inputs: the exact outputs of every input in range.
                TensorQuant inQ = c.Node.Inputs[0].Quant!, outQ = c.Node.Output.Quant!;
                long emin = long.MaxValue, emax = long.MinValue;
                for (long v = Math.Max(x.Min, type.MinValue); v <= Math.Min(x.Max, type.MaxValue); v++)
                {
                    int yv = p.Apply(v, inQ, outQ);
                    emin = Math.Min(emin, yv);
                    emax = Math.Max(emax, yv);
                }

                return emin <= emax ? new IntRange(emin, emax) : c.Full(outQ);
            }

            long lo = type.MinValue;
            long first = (Math.Max(x.Min, lo) - lo) >> shift, last = (Math.Min(x.Max, type.MaxValue) - lo) >> shift;
            if (shift > 0)
            {
                last = Math.Min(last + 1, table.Count - 1);
            }

            long min = long.MaxValue, max = long.MinValue;
            for (long i = first; i <= last && i < table.Count; i++)
            {
                min = Math.Min(min, table[(int)i]);
                max = Math.Max(max, table[(int)i]);
            }

            return min <= max ? new IntRange(min, max) : c.Full(c.Node.Output.Quant!);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            LookupIntegers integers = ((LookupLayer)node.Layer).Integers;
            IReadOnlyList<int> table = integers.Table;
            ElementType type = node.Inputs[0].Quant!.Type;
            int shift = SegmentShift(type);
            long lo = type.MinValue;
            int[] x = inputs[0], y = outputs[0];
            if (integers.Exact is PiecewiseLinear p)
            {
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = p.Apply(x[i], node.Inputs[0].Quant!, node.Output.Quant!);
                }

                return;
            }

            for (int i = 0; i < y.Length; i++)
            {
                y[i] = Apply(table, shift, lo, x[i]);
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
            if (inQ.Type.Bits > MaxSegmentedInputBits)
            {
                c.Report(InputTooWide, $"{Name} reads a {inQ.Type} tensor: a table operator needs an input of at most {MaxSegmentedInputBits} bits; give the layer before it 8- or 16-bit activations");
                return null;
            }

            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            if (HasExactForm && Exact((LookupLayer)layer, inQ, outQ) == null)
            {
                c.Report(PiecewiseLinear.Unrepresentable, $"{Name} between {inQ} and {outQ}: no shift in [1, 62] keeps the exact form's intermediates within int64 with an error term of at most 1/2 LSB");
                return null;
            }

            c.Attach(Integers((LookupLayer)layer, inQ, outQ));
            return One(outQ);
        }

        /// <summary>
        /// T[j] = clamp(round_half_even(f(S_x (min + j 2^k - z_x)) / S_y) + z_y) for j in [0, <see cref="TableLength"/>): every
        /// integer of the input type (k = 0), or the segment ends of a segmented table (the last one one past the type's maximum).
        /// </summary>
        public int[] Table(LookupLayer layer, TensorQuant inQ, TensorQuant outQ)
        {
            long lo = inQ.Type.MinValue;
            int shift = SegmentShift(inQ.Type);
            var table = new int[TableLength(inQ.Type)];
            if (HasExactForm)
            {
                // One definition: the table of an exact operator holds its exact integer outputs.
                PiecewiseLinear p = Exact(layer, inQ, outQ) ?? throw new InvalidOperationException($"{Name}: no exact form between {inQ} and {outQ} (QG1049)");
                if (shift != 0)
                {
                    throw new InvalidOperationException($"{Name} on a {inQ.Type} input computes its exact form; it has no segment table");
                }

                for (long j = 0; j < table.Length; j++)
                {
                    table[j] = p.Apply(lo + j, inQ, outQ);
                }

                return table;
            }

            for (long j = 0; j < table.Length; j++)
            {
                long q = lo + (j << shift);
                double v = Math.Round(Function(layer, inQ.Dequantize(q)) / outQ.Scale, MidpointRounding.ToEven) + outQ.ZeroPoint;
                table[j] = (int)Math.Max(outQ.Type.MinValue, Math.Min(outQ.Type.MaxValue, double.IsNaN(v) ? outQ.ZeroPoint : v));
            }

            return table;
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>A table operator's layer: float attributes in the subclass, the integer table (<see cref="LookupIntegers"/>) once quantized.</summary>
    public abstract class LookupLayer : QuantizableLayer<LookupIntegers>
    {
        protected LookupLayer(OpKind op)
            : base(op)
        {
        }
    }

    /// <summary>
    /// A table operator's integers: the output integers indexed by input - min(input type), one per input integer (inputs
    /// of at most 8 bits) or one every 2^k inputs, interpolated (int16; <see cref="QuantGen.Operators.LookupOperator"/>).
    /// The length is checked against the input type by the graph builder.
    /// </summary>
    public sealed class LookupIntegers : LayerIntegers
    {
        public LookupIntegers(IEnumerable<int> table, QuantGen.Operators.PiecewiseLinear? exact = null)
        {
            Table = Frozen(table, nameof(table));
            Exact = exact;
            if (Table.Count == 0 && exact == null)
            {
                throw new ArgumentException("the table is empty", nameof(table));
            }
        }

        /// <summary>The table (empty when <see cref="Exact"/> is set).</summary>
        public IReadOnlyList<int> Table { get; }

        /// <summary>HardSigmoid/HardSwish on an input wider than 8 bits: the exact integer form instead of a table.</summary>
        public QuantGen.Operators.PiecewiseLinear? Exact { get; }
    }
}
