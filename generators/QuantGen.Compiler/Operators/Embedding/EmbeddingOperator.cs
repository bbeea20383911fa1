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
    /// </summary>
    public sealed class EmbeddingOperator : Operator
    {
        private static readonly string[] OwnFields = { "table" };

        public override OpKind Op => OpKind.Embedding;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override bool AcceptsIndexInputs => true;

        public override LayerSpec? Parse(LayerReader r) => new EmbeddingLayer { Table = r.TensorName("table") ?? string.Empty };

        public override void Write(LayerSpec layer, LayerWriter w) => w.Property("table", ((EmbeddingLayer)layer).Table);

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

        public override IntRange Range(RangeContext c)
        {
            TensorInfo table = c.Node.Weight!;
            IntRange ids = c.In(0);
            int rows = table.Shape[0];
            if (ids.Min < 0 || ids.Max > rows - 1)
            {
                c.Report($"ids of \"{c.Node.Inputs[0].Name}\" range over [{ids.Min}, {ids.Max}] but table \"{table.Name}\" has rows 0 to {rows - 1}; declare the index input's \"range\" as [0, {rows - 1}] or less", ModelErrors.IndexRangeExceedsTable);
            }

            int[] data = table.IntData!;
            return data.Length == 0 ? new IntRange(0, 0) : new IntRange(data.Min(), data.Max());
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) => Rows(node, inputs[0], node.Weight!.IntData!, outputs[0]);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            int[] ids = inputs[0].Select(v => (int)Math.Round(v)).ToArray();
            Rows(node, ids, node.Weight!.FloatData!.Select(v => (double)v).ToArray(), outputs[0]);
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
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

        public override IEnumerable<string> InitializerReferences()
        {
            yield return Table;
        }

        public override LayerSpec CloneFloat() => CopyBase(new EmbeddingLayer { Table = Table });
    }
}
