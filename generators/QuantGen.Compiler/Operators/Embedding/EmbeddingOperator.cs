using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// Embedding lookup (ONNX <c>Gather(table, ids)</c> with a constant [V, D] table and ids from an index model input):
    /// y[..., d] = table[ids[...], d], output [ids.shape..., D]. Quantized: the table is one per-tensor-quantized integer
    /// tensor (symmetric int8 from PTQ, or a file's own integers with their zero point, e.g. ONNX Runtime's asymmetric uint8
    /// table folded to int8) and the output keeps the table's quantization, zero point included: real = s * (q - zp) holds
    /// for the copied integers as it did for the table's, so the integer path stays a row copy on every backend and the
    /// zero point travels in the output's quantization to the layers that read it (which take activation zero points). The ids'
    /// proven range (the index input's declared "range") must lie inside [0, V - 1]: each entry point checks ids against
    /// it (the C# API throws ArgumentOutOfRangeException; the ILGPU kernel and the HLS top clamp to [0, V - 1]).
    /// A per-axis table (ONNX Runtime's quantize_static with a per-axis DequantizeLinear on the Gather's initializer) keeps the
    /// file's integers too: the layer carries "axis" (0: one scale and zero point per row, 1: per feature), the table's
    /// "zeroPoints" z_k and one dyadic R_k = s_k / S_y per scale ("multipliers", "shifts"), and the output has its own single
    /// quantization (S_y, z_y): y[i, d] = clamp(z_y + R_k.Apply(table[ids[i], d] - z_k)), k = ids[i] (axis 0) or d (axis 1).
    /// The table is constant, so the backends copy rows of that requantized table, folded at build time
    /// (<see cref="OutputTable"/>); the reference interpreter applies the formula to each gathered element.
    /// </summary>
    public sealed class EmbeddingOperator : Operator
    {
        private const double MultiplierTolerance = 1e-6;

        private static readonly string[] OwnFields = { "table", "axis", "scales", "zeroPoints", "multipliers", "shifts" };

        public override OpKind Op => OpKind.Embedding;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override bool AcceptsIndexInputs => true;

        public override LayerSpec? Parse(LayerReader r)
        {
            var e = new EmbeddingLayer { Table = r.TensorName("table") ?? string.Empty };
            if (r.Get("axis") == null)
            {
                // A per-tensor table: rows copied; the per-axis fields make no sense without an axis.
                foreach (string f in new[] { "scales", "zeroPoints", "multipliers", "shifts" })
                {
                    if (r.Get(f) is Json.JsonNode n)
                    {
                        r.Report(ModelErrors.InvalidValue, $"\"{f}\" belongs to a per-axis embedding table; add \"axis\" (0: per row, 1: per feature) or remove it", n);
                    }
                }

                return e;
            }

            if (!r.Quantized)
            {
                r.Report(ModelErrors.InvalidValue, "\"axis\" is an integer parameter (the table's quantization axis); it belongs in quantized models only", "axis");
                return e;
            }

            long? axis = r.Integer("axis", 0, 1);
            double[]? scales = r.DoubleArray("scales");
            if (r.Get("scales") == null)
            {
                r.Report(ModelErrors.MissingField, "a per-axis Embedding layer needs \"scales\" (the table's scale of each row or feature)", r.Object);
            }

            long[]? zeroPoints = r.Quant.IntegerArray("zeroPoints");
            Dyadic[]? requant = r.Quant.DyadicArray("multipliers", "shifts");
            if (axis.HasValue && scales != null && zeroPoints != null && requant != null)
            {
                if (zeroPoints.Length != requant.Length || scales.Length != requant.Length)
                {
                    r.Report(ModelErrors.ShapeMismatch, $"\"scales\", \"zeroPoints\" and \"multipliers\" have {scales.Length}, {zeroPoints.Length} and {requant.Length} entries; a per-axis table has one of each per row (axis 0) or feature (axis 1)", "zeroPoints");
                }
                else if (scales.Any(v => !(v > 0)))
                {
                    r.Report(ModelErrors.InvalidValue, "every per-axis table scale must be positive", "scales");
                }
                else
                {
                    e.PerAxis = new EmbeddingAxis((int)axis.Value, scales, zeroPoints, requant);
                }
            }

            return e;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var e = (EmbeddingLayer)layer;
            w.Property("table", e.Table);
            if (e.PerAxis is EmbeddingAxis a)
            {
                w.Property("axis", a.Axis);
                w.Property("scales", a.Scales);
                w.Property("zeroPoints", a.ZeroPoints);
                w.Dyadics(a.Requant);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var e = (EmbeddingLayer)c.Layer;
            TensorInfo ids = c.Inputs[0];
            if (ids.Kind != TensorKind.Input || !ids.IsIndex)
            {
                return One(c.Fail($"Embedding reads token ids from an index model input (\"type\": \"index\"); \"{ids.Name}\" is not one", ModelErrors.InvalidValue));
            }

            TensorInfo? table = c.Initializer(e.Table, "table");
            if (table == null)
            {
                return null;
            }

            if (table.Shape.Length != 2 || table.Shape[0] < 1 || table.Shape[1] < 1)
            {
                return One(c.Fail($"table \"{table.Name}\" has shape {Shape(table.Shape)}; an embedding table is [vocabulary, features]"));
            }

            c.Weight = table;
            return One(ids.Shape.Concat(new[] { table.Shape[1] }).ToArray());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            TensorInfo table = node.Weight!;
            if (((EmbeddingLayer)node.Layer).PerAxis is EmbeddingAxis a)
            {
                return CheckPerAxis(c, node, a);
            }

            if (table.ChannelScales != null && table.ChannelScales.Length > 1)
            {
                return c.Reject($"table \"{table.Name}\" has {table.ChannelScales.Length} scales; an embedding table has one (its rows are copied to the output unchanged)");
            }

            TensorQuant o = node.Output.Quant!, t = table.Quant!;
            if (o.Type != t.Type || o.Scale != t.Scale || o.ZeroPoint != t.ZeroPoint)
            {
                return c.Reject($"output \"{node.Output.Name}\" is {o}; an embedding output keeps its table's quantization ({t})");
            }

            return true;
        }

        /// <summary>
        /// A per-axis table: one scale, zero point and dyadic per row (axis 0) or feature (axis 1), each dyadic s_k / S_y for
        /// the layer's "scales" s_k and the output's S_y. The initializer is written with one scale (the largest s_k, which no
        /// integer depends on: the spec's initializer scales are per axis 0 only) and zero point 0.
        /// </summary>
        private static bool CheckPerAxis(GraphContext c, GraphNode node, EmbeddingAxis a)
        {
            TensorInfo table = node.Weight!;
            int count = table.Shape[a.Axis];
            string what = a.Axis == 0 ? "row" : "feature";
            if (a.ZeroPoints.Length != count)
            {
                return c.Reject($"a table quantized along axis {a.Axis} needs one zero point and one multiplier per {what} ({count}); the layer has {a.ZeroPoints.Length}");
            }

            double[] scales = a.Scales;
            if (table.ChannelScales != null)
            {
                return c.Reject($"table \"{table.Name}\" has {table.ChannelScales.Length} scales; a per-axis table keeps its scales in the layer's \"scales\" (the initializer has one)");
            }

            if (table.Quant!.ZeroPoint != 0)
            {
                return c.Reject($"table \"{table.Name}\" has zero point {table.Quant.ZeroPoint}; a per-axis table keeps its zero points in the layer's \"zeroPoints\" (the initializer's is 0)");
            }

            TensorQuant o = node.Output.Quant!;
            for (int k = 0; k < count; k++)
            {
                if (Math.Abs(a.ZeroPoints[k]) > 1L << 24)
                {
                    return c.Reject($"zero point {a.ZeroPoints[k]} of {what} {k} is outside [-2^24, 2^24]");
                }

                double expected = scales[k] / o.Scale;
                Dyadic d = a.Requant[k];
                bool exact = expected < Dyadic.MaxOperand && d == Dyadic.FromReal(expected);
                if (d.Multiplier <= 0 || (!exact && Math.Abs(d.ToReal() - expected) > expected * MultiplierTolerance))
                {
                    return c.Reject($"multiplier {k} ({d}) must be the {what}'s scale over the output's, {expected.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
                }
            }

            return true;
        }

        /// <summary>
        /// The integers each id's row becomes: the table itself (per tensor), or the per-axis table requantized to the output's
        /// single quantization, y = clamp(z_y + R_k.Apply(q - z_k)), computed once at build time (every backend copies these rows).
        /// </summary>
        public static int[] OutputTable(GraphNode node)
        {
            TensorInfo table = node.Weight!;
            if (!(((EmbeddingLayer)node.Layer).PerAxis is EmbeddingAxis a))
            {
                return table.IntData!;
            }

            int d = table.Shape[1];
            int[] q = table.IntData!;
            var y = new int[q.Length];
            for (int i = 0; i < q.Length; i++)
            {
                y[i] = Requantized(node, a, q[i], a.Axis == 0 ? i / d : i % d);
            }

            return y;
        }

        /// <summary>One table integer of row/feature k at the output's quantization.</summary>
        private static int Requantized(GraphNode node, EmbeddingAxis a, int q, int k)
        {
            TensorQuant o = node.Output.Quant!;
            return (int)IntegerOps.Clamp(o.ZeroPoint + a.Requant[k].Apply(q - a.ZeroPoints[k]), o.Type.MinValue, o.Type.MaxValue);
        }

        public override IntRange Range(RangeContext c)
        {
            TensorInfo table = c.Node.Weight!;
            IntRange ids = c.In(0);
            int rows = table.Shape[0];
            if (ids.Min < 0 || ids.Max > rows - 1)
            {
                c.Report($"ids of \"{c.Node.Inputs[0].Name}\" range over [{ids.Min}, {ids.Max}] but table \"{table.Name}\" has rows 0 to {rows - 1}; declare the index input's \"range\" as [0, {rows - 1}] or less", ModelErrors.IndexRangeExceedsTable);
            }

            int[] data = OutputTable(c.Node);
            return data.Length == 0 ? new IntRange(0, 0) : new IntRange(data.Min(), data.Max());
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            Rows(node, inputs[0], node.Weight!.IntData!, outputs[0]);
            if (((EmbeddingLayer)node.Layer).PerAxis is EmbeddingAxis a)
            {
                // The definition: each gathered integer of row ids[i] (axis 0) or feature d (axis 1) requantized to the output.
                int d = node.Weight.Shape[1];
                int[] ids = inputs[0], y = outputs[0];
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = Requantized(node, a, y[i], a.Axis == 0 ? ids[i / d] : i % d);
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            int[] ids = inputs[0].Select(v => (int)Math.Round(v)).ToArray();
            Rows(node, ids, node.Weight!.FloatData!.Select(v => (double)v).ToArray(), outputs[0]);
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            if (c.FixedPerAxisTable(node.Weight!) is PerAxisTable fixedTable)
            {
                // The file's per-axis integers stay; the output takes its own (calibrated or the file's) quantization.
                TensorInfo w = node.Weight!;
                c.AddInitializer(w.Name, fixedTable.Type, w.Shape, fixedTable.Values, new[] { fixedTable.Scales.Max() });
                TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
                ((EmbeddingLayer)layer).PerAxis = new EmbeddingAxis(fixedTable.Axis, fixedTable.Scales, fixedTable.ZeroPoints, fixedTable.Scales.Select(s => Dyadic.FromReal(s / outQ.Scale)).ToArray());
                return One(outQ);
            }

            Precision perTensor = layer.Precision.Clone();
            perTensor.PerChannel = false;
            double[] scales = c.QuantizeWeight(node.Weight!, perTensor);
            return One(new TensorQuant(ElementType.Int(perTensor.WeightBits), scales[0], c.WeightZeroPoint(node.Weight!)));
        }

        /// <summary>The definition: y[i * D + d] = table[ids[i] * D + d]; an id outside the table is a caller error.</summary>
        private static void Rows<T>(GraphNode node, int[] ids, T[] table, T[] y)
        {
            int rows = node.Weight!.Shape[0], d = node.Weight.Shape[1];
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0 || ids[i] >= rows)
                {
                    throw new ArgumentOutOfRangeException(nameof(ids), $"layer \"{node.Layer.Name}\": id {ids[i]} at position {i} is outside table \"{node.Weight.Name}\" (rows 0 to {rows - 1})");
                }

                Array.Copy(table, (long)ids[i] * d, y, (long)i * d, d);
            }
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>An embedding lookup: ids (an index model input) -> rows of the constant "table" [V, D].</summary>
    public sealed class EmbeddingLayer : LayerSpec
    {
        public EmbeddingLayer()
            : base(OpKind.Embedding)
        {
        }

        /// <summary>The [V, D] table, an initializer.</summary>
        public string Table { get; set; } = string.Empty;

        /// <summary>A quantized model's per-axis table (null: per tensor, rows copied).</summary>
        public EmbeddingAxis? PerAxis { get; set; }

        public override IEnumerable<string> InitializerReferences()
        {
            yield return Table;
        }

        public override LayerSpec CloneFloat() => CopyBase(new EmbeddingLayer { Table = Table });
    }
}

namespace QuantGen.Model
{
    /// <summary>A per-axis embedding table's quantization: axis 0 (per row) or 1 (per feature), a scale s_k, a zero point and a dyadic s_k / S_y per row or feature.</summary>
    public sealed class EmbeddingAxis
    {
        public EmbeddingAxis(int axis, double[] scales, long[] zeroPoints, Numerics.Dyadic[] requant)
        {
            if (axis != 0 && axis != 1)
            {
                throw new ArgumentOutOfRangeException(nameof(axis), axis, "an embedding table is quantized along axis 0 (rows) or 1 (features)");
            }

            if (zeroPoints.Length != requant.Length || scales.Length != requant.Length)
            {
                throw new ArgumentException($"{scales.Length} scales, {zeroPoints.Length} zero points and {requant.Length} multipliers", nameof(requant));
            }

            Axis = axis;
            Scales = scales;
            ZeroPoints = zeroPoints;
            Requant = requant;
        }

        public int Axis { get; }

        /// <summary>The table's scale of each row (axis 0) or feature (axis 1).</summary>
        public double[] Scales { get; }

        public long[] ZeroPoints { get; }

        public Numerics.Dyadic[] Requant { get; }
    }
}

namespace QuantGen.Operators
{
    /// <summary>A table whose per-axis integers the source file fixed (the quantizer keeps them): values, one scale and zero point per row (axis 0) or feature (axis 1).</summary>
    public sealed class PerAxisTable
    {
        public PerAxisTable(int axis, ElementType type, int[] values, double[] scales, long[] zeroPoints)
        {
            Axis = axis;
            Type = type;
            Values = values;
            Scales = scales;
            ZeroPoints = zeroPoints;
        }

        public int Axis { get; }

        public ElementType Type { get; }

        public int[] Values { get; }

        public double[] Scales { get; }

        public long[] ZeroPoints { get; }
    }
}
