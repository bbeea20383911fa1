using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Every problem in one run: a node that cannot be lowered is recorded (with the export change that avoids it, when
    /// there is one) and lowering goes on, using the exporter's value_info shapes for the failed node's outputs where
    /// they exist; nodes that only fail because they read a failed node's output are counted, not reported. The
    /// exception at the end carries each problem in graph order, then one summary grouped by operator.
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private readonly List<(OnnxNode? Node, ModelDiagnostic Diagnostic)> problems = new List<(OnnxNode?, ModelDiagnostic)>();
        private readonly HashSet<string> failed = new HashSet<string>(StringComparer.Ordinal);
        private int blocked;

        /// <summary>Thrown by <see cref="ShapeOf"/> for the output of a node that already failed.</summary>
        private sealed class BlockedException : Exception
        {
        }

        private void Record(OnnxNode? node, OnnxImportException e, bool readsFailed)
        {
            if (readsFailed && e.Diagnostics.All(d => d.Id != OnnxErrors.UnsupportedOperator))
            {
                blocked++;
                return;
            }

            foreach (ModelDiagnostic d in e.Diagnostics)
            {
                problems.Add((node, d));
            }
        }

        /// <summary>Outputs of a failed node: shapes from the file's value_info where known, otherwise marked failed.</summary>
        private void MarkFailed(OnnxNode node)
        {
            foreach (string o in node.Outputs.Where(o => o.Length > 0))
            {
                produced.Add(o);
                int[]? s = DeclaredShape(o) ?? InferShape(node, o);
                if (s != null)
                {
                    shapes[o] = s;
                }
                else
                {
                    failed.Add(o);
                }
            }
        }

        private static readonly HashSet<string> SameShapeOps = new HashSet<string>(StringComparer.Ordinal)
        {
            "Tanh", "Sigmoid", "HardSigmoid", "HardSwish", "Cast", "Relu", "Erf", "Sqrt", "Neg", "Softmax", "Identity", "Dropout", "LayerNormalization",
            "Gelu", "Clip", "Not", "Abs", "Exp", "Log", "QuantizeLinear", "DequantizeLinear", "LeakyRelu", "Elu", "Selu", "Softplus", "Mish", "Reciprocal",
        };

        /// <summary>
        /// The shape of a failed node's output, so that the nodes after it are still examined: the input's shape for
        /// element-wise operators, Split's parts, and for the operators <see cref="ConstantFolder"/> evaluates, the
        /// result on zero-filled stand-ins of the activations (shape arithmetic does not depend on their values).
        /// </summary>
        private int[]? InferShape(OnnxNode node, string output)
        {
            var dims = new List<int[]?>();
            foreach (string raw in node.Inputs)
            {
                string i = raw.Length > 0 ? Resolve(raw) : raw;
                dims.Add(i.Length == 0 ? null : consts.TryGetValue(i, out TensorValue? c) ? c.Dims : shapes.TryGetValue(i, out int[]? s) ? s : null);
            }

            if (dims.Count == 0 || dims[0] == null)
            {
                return null;
            }

            int k = node.Outputs.IndexOf(output);
            if (SameShapeOps.Contains(node.OpType))
            {
                return dims[0];
            }

            if (node.OpType == "Split")
            {
                int[] x = dims[0]!;
                int axis = (int)(node.Attribute("axis")?.I ?? 0);
                axis = axis < 0 ? axis + x.Length : axis;
                if (axis < 0 || axis >= x.Length)
                {
                    return null;
                }

                long[]? sizes = node.Inputs.Count > 1 && node.Inputs[1].Length > 0 && consts.TryGetValue(Resolve(node.Inputs[1]), out TensorValue? sp) ? sp.Ints
                    : node.Attribute("split")?.Ints.ToArray();
                int part = sizes != null && k < sizes.Length ? (int)sizes[k] : x[axis] / Math.Max(1, node.Outputs.Count);
                int[] r = (int[])x.Clone();
                r[axis] = part;
                return r;
            }

            if (!ConstantFolder.Ops.Contains(node.OpType) || dims.Any(d => d != null && d.Aggregate(1L, (p, v) => p * v) > 1 << 22))
            {
                return null;
            }

            var values = new List<TensorValue?>();
            for (int j = 0; j < node.Inputs.Count; j++)
            {
                string i = node.Inputs[j].Length > 0 ? Resolve(node.Inputs[j]) : string.Empty;
                values.Add(i.Length == 0 ? null : consts.TryGetValue(i, out TensorValue? c) ? c
                    : dims[j] is int[] d ? Zeros(i, d, integer: node.OpType == "Gather" && j == 1) : null);
            }

            try
            {
                TensorValue[]? r = ConstantFolder.Evaluate(node, values, dims);
                return r != null && k >= 0 && k < r.Length ? r[k].Dims : null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        private static TensorValue Zeros(string name, int[] dims, bool integer)
        {
            int count = dims.Aggregate(1, (p, v) => p * v);
            return integer ? new TensorValue(name, OnnxDataType.Int64, dims, null, new long[count]) : new TensorValue(name, OnnxDataType.Float, dims, new float[count], null);
        }

        private int[]? DeclaredShape(string tensor)
        {
            OnnxValueInfo? v = graph.ValueInfo.Concat(graph.Outputs).FirstOrDefault(i => i.Name == tensor);
            if (v?.Dims == null)
            {
                return null;
            }

            var dims = new int[v.Dims.Count];
            for (int i = 0; i < dims.Length; i++)
            {
                long? d = v.Dims[i].Value;
                if (d is long x && x > 0 && x <= TensorLimits.MaxElements)
                {
                    dims[i] = (int)x;
                }
                else if (i == 0)
                {
                    dims[i] = 1;
                }
                else
                {
                    return null;
                }
            }

            return dims;
        }

        private void ThrowIfProblems()
        {
            if (problems.Count == 0)
            {
                return;
            }

            var list = problems.Select(p => p.Diagnostic).ToList();
            var byNode = problems.Where(p => p.Node != null).ToList();
            if (list.Count > 1)
            {
                var groups = byNode.GroupBy(p => p.Node!.OpType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal);
                var sb = new System.Text.StringBuilder();
                sb.Append(list.Count.ToString(CultureInfo.InvariantCulture)).Append(" problems");
                sb.Append(byNode.Count > 0 ? $" in {byNode.Select(p => p.Node).Distinct().Count()} nodes" : string.Empty);
                sb.Append(blocked > 0 ? $" ({blocked} more nodes only read their outputs and were not examined)" : string.Empty);
                sb.Append("; by operator:");
                foreach (var g in groups)
                {
                    var nodes = g.Select(p => p.Node!).Distinct().ToList();
                    string shown = string.Join(", ", nodes.Take(6).Select(x => "'" + (x.Name.Length > 0 ? x.Name : "#" + x.Index) + "'")) + (nodes.Count > 6 ? $" and {nodes.Count - 6} more" : string.Empty);
                    sb.Append("\n  ").Append(g.Key).Append(" x").Append(nodes.Count.ToString(CultureInfo.InvariantCulture)).Append(" (").Append(shown).Append(')');
                    string? fix = ExportHints.Needs(g.Key);
                    if (fix != null)
                    {
                        sb.Append(": ").Append(fix);
                    }
                }

                int other = list.Count - byNode.Count;
                if (other > 0)
                {
                    sb.Append("\n  graph inputs/outputs: ").Append(other.ToString(CultureInfo.InvariantCulture)).Append(" (listed above)");
                }

                list.Add(new ModelDiagnostic(OnnxErrors.UnsupportedOperator, sb.ToString(), file, "graph", 0, 0));
            }

            throw new OnnxImportException(list);
        }
    }

    /// <summary>What a user can change in the export to avoid an operator, or the QuantGen operator it still needs.</summary>
    internal static class ExportHints
    {
        /// <summary>
        /// Operators that need a new QuantGen operator (none of the existing ones expresses them), with the export change
        /// that avoids them where one exists. The names match the planned operators of issue 13.
        /// </summary>
        private static readonly Dictionary<string, string> Table = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Gather"] = "an embedding lookup of int64 token ids needs integer model inputs (not yet in QuantGen); Gather with constant indices on activations (x[:, 0]) imports",
            ["Div"] = "Div by a constant folds only after a Conv/Dense/MatMul or inside LayerNorm/GELU",
            ["Cast"] = "Cast of an activation (e.g. an int64 attention mask converted to float) needs integer tensors (not yet in QuantGen): pass the mask as a float input or fold it before export",
            ["Equal"] = "a comparison on activation values is not static; export with fixed input shapes (no dynamic_axes) so shape arithmetic folds",
            ["Where"] = "Where on activation values is not static; export with fixed input shapes (no dynamic_axes) so shape arithmetic folds",
            ["Expand"] = "Expand of an activation needs a new operator (not yet in QuantGen)",
            ["Shape"] = "Shape of a tensor whose shape is unknown; export with fixed input shapes (no dynamic_axes)",
            ["ConstantOfShape"] = "ConstantOfShape of a non-static shape; export with fixed input shapes (no dynamic_axes)",
            ["Pad"] = "a Pad that is not a constant zero pad of the two spatial axes read only by Conv/AveragePool: use the padding argument of the Conv/Pool layer instead of F.pad / nn.ReflectionPad2d",
            ["AveragePool"] = "AveragePool is imported for 2-D NCHW windows with ceil_mode=0 and pads smaller than the kernel",
            ["BatchNormalization"] = "fold it before export (model.eval(), then torch.ao.quantization.fuse_modules(model, [['conv', 'bn', 'relu']]) or fuse_modules for Linear + BatchNorm1d), or keep it right after a Conv/Linear",
            ["ReduceMean"] = "ReduceMean over non-adjacent axes; reduce adjacent axes, or export LayerNorm with opset_version=17 so LayerNormalization is one node",
            ["Pow"] = "outside a decomposed LayerNorm or a GELU; export with opset_version=17 so LayerNormalization is one node",
            ["Sqrt"] = "outside a decomposed LayerNorm or a GELU; export with opset_version=17 so LayerNormalization is one node",
            ["Resize"] = "needs a Resize/Upsample operator (not yet in QuantGen)",
            ["QLinearConv"] = QOperatorFormat,
            ["QLinearMatMul"] = QOperatorFormat,
            ["ConvInteger"] = DynamicQuantization,
            ["MatMulInteger"] = DynamicQuantization,
            ["DynamicQuantizeLinear"] = DynamicQuantization,
        };

        /// <summary>onnxruntime.quantization's QOperator format (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd, QGemm, ...).</summary>
        internal const string QOperatorFormat = "a model quantized in onnxruntime's QOperator format; QuantGen imports the QDQ format: quantize_static(..., quant_format=QuantFormat.QDQ), which keeps the same scales in QuantizeLinear/DequantizeLinear pairs, or import the float model with calibration data";

        /// <summary>onnxruntime.quantization.quantize_dynamic (activation scales computed at run time).</summary>
        internal const string DynamicQuantization = "dynamic quantization (quantize_dynamic) computes activation scales at run time; QuantGen needs scales fixed at export: quantize_static(..., quant_format=QuantFormat.QDQ) with calibration data, or import the float model with calibration data";

        /// <summary>The export hint for a com.microsoft operator that onnxruntime's quantizer writes, else null.</summary>
        public static string? MicrosoftQuantized(string op) =>
            op.StartsWith("QLinear", StringComparison.Ordinal) || op == "QGemm" || op == "QAttention" ? QOperatorFormat
            : op == "DynamicQuantizeMatMul" || op == "MatMulIntegerToFloat" || op == "DynamicQuantizeLSTM" ? DynamicQuantization
            : null;

        public static string? Needs(string op) => Table.TryGetValue(op, out string? s) ? s : null;

        /// <summary>The message for an operator the lowering has no case for.</summary>
        public static string Unsupported(OnnxNode n, string supported)
        {
            string? needs = Needs(n.OpType);
            return needs != null
                ? $"operator {n.OpType} is not supported: {needs}"
                : $"operator {n.OpType} is not supported; supported: {supported}";
        }
    }
}
