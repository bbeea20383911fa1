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
    /// GELU: ShiftGELU (element-wise form, docs/decisions.md) or I-BERT's i-GELU, then one dyadic to the output scale; or the
    /// table method (inputs of at most 8 bits): one output integer per input integer, the exact-erf GELU correctly rounded
    /// to the output's quantization (what ONNX Runtime computes for a float GELU between QDQ pairs; a QDQ import picks it).
    /// </summary>
    public sealed class GeluOperator : Operator
    {
        /// <summary>Widest input of the table method.</summary>
        public const int MaxTableInputBits = 8;

        /// <summary>QG1046: a table GELU's input is wider than 8 bits, or its table does not match its quantizations.</summary>
        public const string TableProblem = "QG1046";

        private static readonly string[] OwnFields = { "method", "x0", "n", "qB", "qC", "qOne", "multiplier", "shift", "table" };

        public override OpKind Op => OpKind.Gelu;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            SpecParser.QuantFields q = r.Quant;
            var g = new GeluLayer { Method = r.Enum("method", GeluMethod.ShiftGelu, ("shiftgelu", GeluMethod.ShiftGelu), ("ibert", GeluMethod.IBert), ("table", GeluMethod.Table)) };
            ShiftGeluParams? shiftGelu = null;
            IGeluParams? ibert = null;
            if (g.Method == GeluMethod.Table)
            {
                q.Forbid("x0", "n", "qB", "qC", "qOne", "multiplier", "shift");
                long[]? table = q.IntegerArray("table");
                return r.WithIntegers(g, () => table == null || table.Length == 0 ? null : new GeluIntegers(table.Select(v => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, v)))));
            }

            if (g.Method == GeluMethod.ShiftGelu)
            {
                q.Forbid("qB", "qC", "qOne", "table");
                long? x0 = q.Integer("x0", int.MinValue, -1);
                long? n = q.Integer("n", 0, 30);
                if (x0.HasValue && n.HasValue)
                {
                    shiftGelu = r.Create(() => new ShiftGeluParams((int)x0.Value, (int)n.Value));
                }
            }
            else
            {
                q.Forbid("x0", "n", "table");
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
            w.Property("method", MethodName(g.Method));
            if (g.IntegersOrNull is GeluIntegers t && t.Method == GeluMethod.Table)
            {
                w.Property("table", t.Table.Select(v => (long)v).ToArray());
            }
            else if (g.IntegersOrNull is GeluIntegers q)
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

        /// <summary>The spec's name of a method: "shiftgelu", "ibert" or "table".</summary>
        public static string MethodName(GeluMethod m) => m switch { GeluMethod.ShiftGelu => "shiftgelu", GeluMethod.IBert => "ibert", _ => "table" };

        /// <summary>
        /// The table method's integers: T[j] = clamp(round_half_even(GELU(S_x (min + j - z_x)) / S_y) + z_y) for every
        /// integer min + j of the input type (GELU with the exact erf, evaluated in double).
        /// </summary>
        public static int[] TableFor(TensorQuant input, TensorQuant output)
        {
            long lo = input.Type.MinValue;
            var table = new int[1 << input.Type.Bits];
            for (int j = 0; j < table.Length; j++)
            {
                double v = Math.Round(FloatReference.Gelu(input.Dequantize(lo + j)) / output.Scale, MidpointRounding.ToEven) + output.ZeroPoint;
                table[j] = (int)Math.Max(output.Type.MinValue, Math.Min(output.Type.MaxValue, v));
            }

            return table;
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            // ShiftGELU and i-GELU: the parser requires the method's constants and the multiplier.
            var g = (GeluLayer)node.Layer;
            if (g.Method != GeluMethod.Table)
            {
                return true;
            }

            TensorInfo x = node.Inputs[0];
            TensorQuant outQ = node.Output.Quant!;
            if (x.Quant == null || x.ChannelScales != null || x.Quant.Type.Bits > MaxTableInputBits)
            {
                return c.Reject($"a table GELU needs one per-tensor input quantization of at most {MaxTableInputBits} bits; \"{x.Name}\" is {(x.Quant == null ? "not quantized" : x.Quant.ToString())}: use the shiftgelu or ibert method", TableProblem);
            }

            IReadOnlyList<int> table = g.Integers.Table;
            int[] expected = TableFor(x.Quant, outQ);
            if (table.Count != expected.Length)
            {
                return c.Reject($"\"table\" has {table.Count} entries; a {x.Quant.Type} input needs {expected.Length} (one per integer from {x.Quant.Type.MinValue} to {x.Quant.Type.MaxValue})", TableProblem);
            }

            for (int i = 0; i < table.Count; i++)
            {
                if (!outQ.Type.Contains(table[i]) || Math.Abs((long)table[i] - expected[i]) > 1)
                {
                    long q = x.Quant.Type.MinValue + i;
                    return c.Reject($"\"table\"[{i}] (input {q}) is {table[i]}; GELU({x.Quant.Dequantize(q).ToString("R", CultureInfo.InvariantCulture)}) quantized to {outQ} is {expected[i]}", TableProblem);
                }
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var g = (GeluLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            if (g.Method == GeluMethod.Table)
            {
                // Exactly the entries the inputs in range can read.
                IReadOnlyList<int> table = g.Integers.Table;
                IntRange xr = c.In(0);
                long lo = c.Node.Inputs[0].Quant!.Type.MinValue, min = long.MaxValue, max = long.MinValue;
                for (long v = Math.Max(xr.Min, lo); v <= xr.Max && v - lo < table.Count; v++)
                {
                    min = Math.Min(min, table[(int)(v - lo)]);
                    max = Math.Max(max, table[(int)(v - lo)]);
                }

                return min <= max ? new IntRange(min, max) : c.Full(outQ);
            }

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
            if (g.Method == GeluMethod.Table)
            {
                IReadOnlyList<int> table = g.Integers.Table;
                long lo = node.Inputs[0].Quant!.Type.MinValue;
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = table[(int)(x[i] - lo)];
                }

                return;
            }

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
            if (method == GeluMethod.Table)
            {
                if (inQ.Type.Bits > MaxTableInputBits)
                {
                    c.Report(TableProblem, $"the table GELU reads a {inQ.Type} tensor: it needs an input of at most {MaxTableInputBits} bits; give the layer before it 8-bit activations or use the shiftgelu or ibert method");
                    return null;
                }

                c.Attach(new GeluIntegers(TableFor(inQ, outQ)));
                return One(outQ);
            }

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
