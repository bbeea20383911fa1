using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Static values folded at import (<see cref="ConstantFolder"/>): in the first pass every node whose inputs are all
    /// constants (Pow(Constant, Constant), a zero point built by ConstantOfShape -> Cast as torch's convert_fx export
    /// writes it); in the second pass also Shape of an activation, whose shape the lowering knows by then, and what is
    /// computed from it (Gather, Unsqueeze, Concat, Expand, Where, Equal... around reshapes and class tokens). Also
    /// the no-ops exporters write: QuantizeLinear -> Cast (to the same integer type) -> DequantizeLinear, and Pad with
    /// all-zero pads (torch's nn.AvgPool2d export).
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private bool TryFoldPass1(OnnxNode n, List<string> ins)
        {
            string op = n.OpType;
            if (op == "Cast" && ins.Count == 1 && pendingQ.TryGetValue(ins[0], out var pq))
            {
                int to = (int)(n.Attribute("to")?.I ?? 0);
                int from = QuantizeType(pq.Node);
                if (to != from)
                {
                    throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"casts the {OnnxDataType.Name(from)} output of {pq.Node.Place} to {OnnxDataType.Name(to)}; QuantGen accepts QuantizeLinear -> Cast -> DequantizeLinear only when the Cast keeps the integer type");
                }

                pendingQ[n.Outputs[0]] = pq;
                return true;
            }

            if (op == "Pad" && ins.Count >= 2 && !consts.ContainsKey(ins[0]) && consts.TryGetValue(ins[1], out TensorValue? pads) && pads.Ints != null && pads.Ints.All(p => p == 0))
            {
                // torch writes nn.AvgPool2d(k) as Pad(zeros) + AveragePool: the Pad moves nothing.
                alias[n.Outputs[0]] = ins[0];
                notes.Add($"{n.Place}: all pads are 0; removed");
                return true;
            }

            if (op == "Pad" && TryPadIntoWindow(n, ins))
            {
                return true;
            }

            if (!ConstantFolder.Ops.Contains(op) || ins.Count == 0 || ins.Any(i => i.Length > 0 && (!consts.ContainsKey(i) || qconsts.ContainsKey(i))))
            {
                return false;
            }

            return StoreFolded(n, ins.Select(i => i.Length > 0 ? consts[i] : null).ToList(), ins.Select(i => i.Length > 0 ? consts[i].Dims : null).ToList());
        }

        /// <summary>
        /// A constant zero Pad of the two spatial axes of an NCHW tensor read only by Conv / AveragePool nodes (an
        /// asymmetric "same" padding, torch's padded nn.AvgPool2d): removed, its pads added to each reader's own
        /// (<see cref="windowPads"/>; LowerConv, LowerAveragePool). Any other Pad is left to the unsupported list.
        /// </summary>
        private bool TryPadIntoWindow(OnnxNode n, List<string> ins)
        {
            string mode = n.Attribute("mode") is OnnxAttribute m ? System.Text.Encoding.UTF8.GetString(m.S) : "constant";
            if (mode != "constant" || ins.Count < 2 || consts.ContainsKey(ins[0]) || !consts.TryGetValue(ins[1], out TensorValue? pads) || pads.Ints == null || pads.Ints.Length != 8
                || (ins.Count > 3 && ins[3].Length > 0) || pads.Ints.Any(p => p < 0 || p > QuantGen.Model.TensorLimits.MaxElements) || pads.Ints[0] != 0 || pads.Ints[1] != 0 || pads.Ints[4] != 0 || pads.Ints[5] != 0)
            {
                return false;
            }

            if (ins.Count > 2 && ins[2].Length > 0 && !(consts.TryGetValue(ins[2], out TensorValue? value) && value.Count == 1 && value.AsDoubles().First() == 0))
            {
                return false;
            }

            string output = n.Outputs[0];
            if (graph.Outputs.Any(o => o.Name == output) || WindowReaders(output) is not List<OnnxNode> readers)
            {
                // Not only windows: maybe a QDQ pair around the Pad (ORT's quantizer: DQ -> Pad -> Q -> DQ -> Conv).
                if (QdqPadReaders(output, ins[0]) is not List<(string Input, OnnxNode Reader)> qdq)
                {
                    return false;
                }

                int[] p = { (int)pads.Ints[2], (int)pads.Ints[3], (int)pads.Ints[6], (int)pads.Ints[7] };
                foreach (string dq in qdq.Select(q => q.Input).Distinct())
                {
                    windowPads[dq] = p;
                }

                alias[output] = ins[0];
                notes.Add($"{n.Place}: zero padding [{string.Join(", ", p)}] (top, left, bottom, right) inside a QDQ pair with its input's quantization (the padded zeros are the zero point) folded into the pads of {string.Join(", ", qdq.Select(q => q.Reader.Place).Distinct())}");
                return true;
            }

            windowPads[output] = new[] { (int)pads.Ints[2], (int)pads.Ints[3], (int)pads.Ints[6], (int)pads.Ints[7] };
            alias[output] = ins[0];
            notes.Add($"{n.Place}: zero padding [{string.Join(", ", windowPads[output])}] (top, left, bottom, right) folded into the pads of {string.Join(", ", readers.Select(r => r.Place))}");
            return true;
        }

        /// <summary>The readers of <paramref name="tensor"/> when all are Conv / AveragePool reading it as their data input; else null.</summary>
        private List<OnnxNode>? WindowReaders(string tensor)
        {
            List<OnnxNode> readers = graph.Nodes.Where(r => r.Inputs.Contains(tensor)).ToList();
            return readers.Count == 0 || graph.Outputs.Any(o => o.Name == tensor) || readers.Any(r => (r.OpType != "Conv" && r.OpType != "AveragePool") || r.Inputs[0] != tensor || r.Inputs.Skip(1).Contains(tensor))
                ? null : readers;
        }

        /// <summary>
        /// A Pad inside a QDQ pair: every reader of the Pad's output is a QuantizeLinear with the quantization the Pad's input
        /// already has (or the first one it gets), read only by DequantizeLinear nodes whose outputs only Conv / AveragePool
        /// windows read. Then the padded real zeros quantize to the zero point, which is what a window's own padding inserts:
        /// folding is exact. Returns (DequantizeLinear output, window reader) pairs, or null.
        /// </summary>
        private List<(string Input, OnnxNode Reader)>? QdqPadReaders(string padOutput, string padInput)
        {
            List<OnnxNode> qs = graph.Nodes.Where(r => r.Inputs.Contains(padOutput)).ToList();
            if (qs.Count == 0 || qs.Any(q => q.OpType != "QuantizeLinear" || q.Inputs[0] != padOutput || q.Inputs.Skip(1).Contains(padOutput)))
            {
                return null;
            }

            TensorQuant? want = quant.TryGetValue(padInput, out TensorQuant? have) ? have : null;
            var result = new List<(string, OnnxNode)>();
            foreach (OnnxNode q in qs)
            {
                TensorQuant? tq = ActivationQuantOf(q);
                if (tq == null || (want != null && (tq.Type != want.Type || (float)tq.Scale != (float)want.Scale || tq.ZeroPoint != want.ZeroPoint)))
                {
                    return null;
                }

                want = tq;
                List<OnnxNode> dqs = graph.Nodes.Where(r => r.Inputs.Contains(q.Outputs[0])).ToList();
                if (dqs.Count == 0 || graph.Outputs.Any(o => o.Name == q.Outputs[0]) || dqs.Any(d => d.OpType != "DequantizeLinear" || d.Inputs[0] != q.Outputs[0]))
                {
                    return null;
                }

                foreach (OnnxNode dq in dqs)
                {
                    if (dq.Outputs.Count == 0 || WindowReaders(dq.Outputs[0]) is not List<OnnxNode> windows)
                    {
                        return null;
                    }

                    result.AddRange(windows.Select(w => (dq.Outputs[0], w)));
                }
            }

            return result;
        }

        /// <summary>The per-tensor activation quantization a QuantizeLinear node writes (constant scale and zero point), or null.</summary>
        private TensorQuant? ActivationQuantOf(OnnxNode q)
        {
            if (q.Inputs.Count < 2 || !consts.TryGetValue(Resolve(q.Inputs[1]), out TensorValue? s) || !s.IsFloat || s.Count != 1)
            {
                return null;
            }

            double scale = s.AsDoubles()[0];
            long zp = 0;
            int zpType = OnnxDataType.UInt8;
            if (q.Inputs.Count > 2 && q.Inputs[2].Length > 0)
            {
                if (!consts.TryGetValue(Resolve(q.Inputs[2]), out TensorValue? z) || z.IsFloat || z.Ints == null || z.Ints.Length != 1)
                {
                    return null;
                }

                zp = z.Ints[0];
                zpType = z.DataType;
            }

            ElementType? type = ActivationType(zpType, out long shift);
            return type == null || !(scale > 0) || double.IsInfinity(scale) ? null : new TensorQuant(type.Value, (float)scale, zp - shift);
        }

        /// <summary>Second pass: a node whose inputs are constants by now, or Shape/Size of a tensor whose shape is known.</summary>
        private bool TryFoldPass2(Node n)
        {
            if (!ConstantFolder.Ops.Contains(n.Op) || n.In.Count == 0)
            {
                return false;
            }

            bool shapeOnly = n.Op == "Shape" || n.Op == "Size";
            var values = new List<TensorValue?>();
            var dims = new List<int[]?>();
            foreach (string i in n.In)
            {
                if (i.Length == 0)
                {
                    values.Add(null);
                    dims.Add(null);
                    continue;
                }

                consts.TryGetValue(i, out TensorValue? c);
                if ((c == null && !shapeOnly) || qconsts.ContainsKey(i))
                {
                    return false;
                }

                values.Add(c);
                dims.Add(c?.Dims ?? (shapes.TryGetValue(i, out int[]? s) ? s : null));
            }

            return StoreFolded(n.Src, values, dims);
        }

        private bool StoreFolded(OnnxNode n, List<TensorValue?> values, List<int[]?> dims)
        {
            TensorValue[]? r;
            try
            {
                r = ConstantFolder.Evaluate(n, values, dims);
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            if (r == null)
            {
                return false;
            }

            for (int i = 0; i < r.Length && i < n.Outputs.Count; i++)
            {
                if (n.Outputs[i].Length > 0)
                {
                    consts[n.Outputs[i]] = r[i];
                }
            }

            folded++;
            return true;
        }

        private int folded;

        /// <summary>The integer type a QuantizeLinear produces: its zero point's type, uint8 without one.</summary>
        private int QuantizeType(OnnxNode q)
        {
            if (q.Inputs.Count > 2 && q.Inputs[2].Length > 0 && consts.TryGetValue(Resolve(q.Inputs[2]), out TensorValue? z))
            {
                return z.DataType;
            }

            return q.Attribute("output_dtype") is OnnxAttribute a && a.I != 0 ? (int)a.I : OnnxDataType.UInt8;
        }

        private void NoteFolded()
        {
            if (folded > 0)
            {
                notes.Add($"{folded.ToString(CultureInfo.InvariantCulture)} nodes with static results (constant arithmetic, shape computations) folded at import");
            }
        }
    }
}
