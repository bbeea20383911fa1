using System;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    /// <summary>
    /// BERT's integer inputs: Gather(constant [V, D] table, token ids) -> Embedding over an index input (range [0, V - 1]),
    /// and the additive attention mask (mask -> Unsqueeze/Cast -> Sub(1, m) -> Mul(large negative) -> Add to the scores ->
    /// Softmax) -> MaskedSoftmax(scores, mask) with the mask a 0/1 model input (int8, scale 1, zero point 0 when quantized).
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private const int MaskCast = 1;
        private const int MaskSub = 2;
        private const int MaskMul = 4;

        /// <summary>Lowers the node when it is part of the embedding or mask patterns; fails when it misuses a mask tensor.</summary>
        private bool TryLowerBert(Node n)
        {
            if (n.Op == "Gather" && n.In.Count > 1 && indexInputs.Contains(n.In[1]))
            {
                LowerEmbedding(n);
                return true;
            }

            foreach (string i in n.In.Where(maskInputs.Contains))
            {
                maskDerived[i] = (i, 0);
            }

            int at = n.In.FindIndex(maskDerived.ContainsKey);
            if (at >= 0)
            {
                (string mask, int stage) = maskDerived[n.In[at]];
                string other = n.In.Count == 2 ? n.In[1 - at] : string.Empty;
                switch (n.Op)
                {
                    case "Unsqueeze":
                    case "Reshape":
                    case "Squeeze":
                        if (at == 0 && stage == 0)
                        {
                            maskDerived[n.Out] = (mask, stage);
                            return true;
                        }

                        break;
                    case "Cast":
                        if ((stage & MaskCast) == 0)
                        {
                            maskDerived[n.Out] = (mask, stage | MaskCast);
                            return true;
                        }

                        break;
                    case "Sub":
                        if (at == 1 && (stage & (MaskSub | MaskMul)) == 0 && ScalarConst(other) == 1.0)
                        {
                            maskDerived[n.Out] = (mask, stage | MaskSub);
                            return true;
                        }

                        break;
                    case "Mul":
                        if ((stage & MaskSub) != 0 && (stage & MaskMul) == 0 && ScalarConst(other) is double c && c <= -1000.0)
                        {
                            maskDerived[n.Out] = (mask, stage | MaskMul);
                            return true;
                        }

                        break;
                    case "Add":
                        if ((stage & (MaskSub | MaskMul)) == (MaskSub | MaskMul) && other.Length > 0 && !maskDerived.ContainsKey(other) && !consts.ContainsKey(other))
                        {
                            int[] ss = ShapeOf(other, n.Src);
                            if (quant.ContainsKey(n.Out))
                            {
                                // A QDQ file quantizes scores + mask once more: the scores pass through that quantization
                                // (a Requantize to the Add's parameters), as ONNX Runtime computes them.
                                Add(new RequantizeLayer(), n, n.Out, other);
                                Produce(n.Out, ss);
                                maskedScores[n.Out] = (n.Out, mask);
                                notes.Add($"{n.Src.Place}: the attention mask added to the scores becomes MaskedSoftmax's mask; the scores are requantized to the QuantizeLinear after this Add ({quant[n.Out]})");
                            }
                            else
                            {
                                maskedScores[n.Out] = (other, mask);
                                shapes[n.Out] = ss;
                            }

                            return true;
                        }

                        break;
                }

                throw Fail(OnnxErrors.UnsupportedOperator, n.Src.Place, $"{n.Op} reads the attention mask '{mask}' outside the pattern QuantGen imports (mask -> Unsqueeze/Cast -> Sub(1, m) -> Mul(-10000 or less) -> Add to the attention scores -> Softmax); export the mask that way");
            }

            if (n.Op == "Softmax" && n.In.Count == 1 && maskedScores.TryGetValue(n.In[0], out var ms))
            {
                LastAxisCheck(n, "axis", SoftmaxAxisDefault);
                Add(new MaskedSoftmaxLayer(), n, n.Out, ms.Scores, ms.Mask);
                Produce(n.Out, ShapeOf(ms.Scores, n.Src));
                if (quant.TryGetValue(n.Out, out TensorQuant? q))
                {
                    notes.Add($"{n.Src.Place}: the QuantizeLinear after the masked Softmax ({q}) is replaced by Shiftmax's own output quantization");
                    fixedActs.Remove(Name(n.Out));
                }

                return true;
            }

            string? bad = n.In.FirstOrDefault(i => maskedScores.TryGetValue(i, out var v) && v.Scores != i);
            if (bad != null)
            {
                throw Fail(OnnxErrors.UnsupportedOperator, n.Src.Place, $"{n.Op} reads the masked attention scores '{bad}'; QuantGen imports them only as the input of a Softmax on the last axis (MaskedSoftmax)");
            }

            return false;
        }

        private void LowerEmbedding(Node n)
        {
            string ids = n.In[1];
            if (!consts.TryGetValue(n.In[0], out TensorValue? table) || table.Dims.Length != 2)
            {
                throw Fail(OnnxErrors.UnsupportedOperator, n.Src.Place, $"the token ids '{ids}' index '{n.In[0]}', which is not a constant [V, D] table; QuantGen's Embedding reads a constant 2-D table");
            }

            long axis = n.Src.Attribute("axis")?.I ?? 0;
            if (axis != 0)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"Gather axis {axis} on the embedding table; an embedding lookup gathers rows (axis 0)");
            }

            int rows = table.Dims[0];
            int dim = table.Dims[1];
            InputSpec input = spec.Inputs.First(i => i.Name == Name(ids));
            input.RangeMin = 0;
            input.RangeMax = rows - 1;
            var e = new EmbeddingLayer
            {
                Table = AddFloatInitializer(n.In[0], new[] { rows, dim }, table.Floats ?? table.AsDoubles().Select(v => (float)v).ToArray()),
            };
            KeepQuantizedTable(n, e.Table);
            Add(e, n, n.Out, ids);
            Produce(n.Out, ShapeOf(ids, n.Src).Concat(new[] { dim }).ToArray());
        }

        /// <summary>
        /// A table the file quantizes itself (DequantizeLinear of an integer initializer): QuantGen's Embedding copies rows of
        /// one per-tensor table and its output keeps that quantization, zero point included, so a per-tensor int8 or uint8
        /// table is kept as it is: its integers, scale and zero point become the spec's table (uint8 folded to int8 by
        /// subtracting 128 from values and zero point, as for activations; ONNX Runtime's quantize_static writes a Gather's
        /// table as uint8 with a zero point). A per-axis int8/uint8 table (axis 0: per row, axis 1: per feature) keeps its
        /// integers, scales and zero points too (EmbeddingOperator requantizes them to the output's quantization); another
        /// type is re-quantized from its dequantized values (symmetric int8 per tensor), and a note says so.
        /// </summary>
        private void KeepQuantizedTable(Node n, string table)
        {
            if (!qconsts.TryGetValue(n.In[0], out QConst? qc))
            {
                return;
            }

            if (qc.Scales.Length == 1 && (qc.DataType == OnnxDataType.Int8 || qc.DataType == OnnxDataType.UInt8))
            {
                int shift = qc.DataType == OnnxDataType.UInt8 ? 128 : 0;
                long zp = qc.ZeroPoints[0] - shift;
                fixedWeights[table] = new FixedTensor(ElementType.Int(8), qc.Values.Select(v => (int)v - shift).ToArray(), new[] { (double)(float)qc.Scales[0] }, zp);
                string folded = shift != 0 ? $" (uint8 zero point {qc.ZeroPoints[0]} folded to int8 {zp})" : string.Empty;
                notes.Add($"{n.Src.Place}: the embedding table '{n.In[0]}' keeps the file's {OnnxDataType.Name(qc.DataType)} integers, scale {(float)qc.Scales[0]} and zero point {qc.ZeroPoints[0]}{folded}");
                return;
            }

            int axis = qc.Axis < 0 ? qc.Axis + 2 : qc.Axis;
            if (qc.Scales.Length > 1 && (axis == 0 || axis == 1) && (qc.DataType == OnnxDataType.Int8 || qc.DataType == OnnxDataType.UInt8))
            {
                // Per axis (quantize_static's per-channel Gather table): the integers, one scale and zero point per row (axis 0)
                // or feature (axis 1) stay; the Embedding requantizes each to its output's one quantization.
                int shift = qc.DataType == OnnxDataType.UInt8 ? 128 : 0;
                long[] zps = qc.ZeroPoints.Length == qc.Scales.Length ? qc.ZeroPoints.Select(z => z - shift).ToArray() : Enumerable.Repeat((qc.ZeroPoints.Length > 0 ? qc.ZeroPoints[0] : 0) - shift, qc.Scales.Length).ToArray();
                fixedWeights[table] = new FixedTensor(ElementType.Int(8), qc.Values.Select(v => (int)v - shift).ToArray(), qc.Scales.Select(v => (double)(float)v).ToArray())
                {
                    Axis = axis,
                    ZeroPoints = zps,
                };
                string folded = shift != 0 ? " (uint8 zero points folded to int8)" : string.Empty;
                notes.Add($"{n.Src.Place}: the embedding table '{n.In[0]}' keeps the file's {OnnxDataType.Name(qc.DataType)} integers quantized per {(axis == 0 ? "row" : "feature")} (axis {axis}, {qc.Scales.Length} scales and zero points){folded}; the Embedding requantizes each to its output's quantization");
                return;
            }

            string how = qc.Scales.Length != 1 ? $"per axis ({qc.Scales.Length} scales)" : $"as {OnnxDataType.Name(qc.DataType)}";
            notes.Add($"{n.Src.Place}: the embedding table '{n.In[0]}' is quantized {how} in the file; QuantGen's Embedding copies rows of one per-tensor int8 table, so the table is re-quantized from its dequantized values (symmetric int8 per tensor; the rows differ from the file's by up to half a step)");
        }
    }
}
