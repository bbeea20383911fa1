using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    /// <summary>The ONNX graph lowered to a QuantGen float spec, plus what its QDQ nodes said.</summary>
    public sealed class LoweredModel
    {
        internal LoweredModel(ModelSpec spec, List<RawTensor> weights, Dictionary<string, TensorQuant> activations, Dictionary<string, FixedTensor> fixedWeights, bool isQdq, List<string> notes, long opset, IEnumerable<string> maskInputs)
        {
            Spec = spec;
            MaskInputs = new HashSet<string>(maskInputs, StringComparer.Ordinal);
            Weights = weights;
            FixedActivations = activations;
            FixedWeights = fixedWeights;
            IsQdq = isQdq;
            Notes = notes;
            Opset = opset;
        }

        /// <summary>The float model (kind "float", float32 weights: the dequantized ones for a QDQ model).</summary>
        public ModelSpec Spec { get; }

        /// <summary>Spec names of the inputs that are BERT attention masks (0/1, range [0, 1]; not calibrated).</summary>
        public IReadOnlyCollection<string> MaskInputs { get; }

        public IReadOnlyList<RawTensor> Weights { get; }

        /// <summary>Activation quantization read from QuantizeLinear/DequantizeLinear pairs, by QuantGen tensor name.</summary>
        public IReadOnlyDictionary<string, TensorQuant> FixedActivations { get; }

        /// <summary>Integer weights read from DequantizeLinear of constants (zero points folded), by initializer name.</summary>
        public IReadOnlyDictionary<string, FixedTensor> FixedWeights { get; }

        /// <summary>True when the graph held QuantizeLinear/DequantizeLinear nodes.</summary>
        public bool IsQdq { get; }

        /// <summary>Mapping decisions worth telling the user (pattern matches, replaced quantizations).</summary>
        public IReadOnlyList<string> Notes { get; }

        public long Opset { get; }

        /// <summary>The ONNX node's place (<c>node 'name' (Op)</c>) of each layer, by layer name.</summary>
        internal IReadOnlyDictionary<string, string> LayerPlaces { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>
    /// Lowers an ONNX graph (opset 11 or newer) to QuantGen's operators. QuantizeLinear -> DequantizeLinear pairs on
    /// activations become the tensor's fixed quantization (uint8 folded to int8 by shifting the zero point by 128);
    /// DequantizeLinear of a constant becomes an integer weight (zero points folded into the values). Float
    /// subgraphs are pattern-matched: Gemm / MatMul(+Add bias)(+Relu) -> Dense, MatMul of two activations (+Mul/Div
    /// by a scalar) -> MatMul, the exact-erf GELU chain or Gelu -> Gelu (ShiftGELU), LayerNormalization -> LayerNorm,
    /// Softmax -> Softmax (Shiftmax), ReduceMean -> AvgPool, Reshape/Flatten/Squeeze/Unsqueeze/Transpose as data
    /// movement, Identity/Dropout removed.
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private static readonly string[] Supported =
        {
            "Add", "Clip", "DequantizeLinear", "Div (scalar, after MatMul; or the GELU chain)", "Dropout", "Erf (GELU chain)", "Flatten", "Gelu", "Gemm",
            "Identity", "LayerNormalization (or its opset-13 decomposition)", "MatMul", "Conv (2-D, any group)", "BatchNormalization (folded into the Conv/Gemm/MatMul before it)", "MaxPool (2-D)",
            "GlobalAveragePool", "AveragePool (2-D)", "Pad (all zeros, or zero padding folded into the Conv/AveragePool after it)", "Mul (element-wise, or folded: scalar after MatMul, the GELU chain)", "Sub (element-wise)", "Tanh", "QuantizeLinear", "ReduceMean (adjacent axes)", "Relu", "Reshape",
            "Softmax", "Squeeze", "Transpose", "Unsqueeze", "shape computations and constant arithmetic with static results (folded)",
        };

        private static string SupportedList => string.Join(", ", Supported.Concat(Import.OnnxImportRegistry.DirectOnnxOps.Where(o => o != "QuantizeLinear")).OrderBy(o => o, StringComparer.Ordinal));

        /// <summary>Operators with a case in the second pass (alone or as the start of a pattern).</summary>
        private static readonly HashSet<string> LoweredOps = new HashSet<string>(StringComparer.Ordinal)
        {
            "Gemm", "MatMul", "Add", "Relu", "Clip", "Softmax", "Gelu", "Div", "Mul", "Pow", "Sub", "Tanh", "Erf", "LayerNormalization", "ReduceMean",
            "AveragePool", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Conv", "MaxPool", "GlobalAveragePool", "BatchNormalization",
        };

        private readonly string file;
        private readonly string dir;
        private readonly OnnxModel model;
        private readonly OnnxGraph graph;
        private readonly long opset;
        private readonly Dictionary<string, TensorValue> consts = new Dictionary<string, TensorValue>(StringComparer.Ordinal);
        private readonly Dictionary<string, QConst> qconsts = new Dictionary<string, QConst>(StringComparer.Ordinal);
        private readonly Dictionary<string, string> alias = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Pads of a removed zero Pad, by its output name (the Conv/AveragePool reading it adds them: TryPadIntoWindow).</summary>
        private readonly Dictionary<string, int[]> windowPads = new Dictionary<string, int[]>(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorQuant> quant = new Dictionary<string, TensorQuant>(StringComparer.Ordinal);
        private readonly Dictionary<string, (string X, TensorQuant Q, OnnxNode Node)> pendingQ = new Dictionary<string, (string, TensorQuant, OnnxNode)>(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]> shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        private readonly Dictionary<string, OnnxNode> quantBy = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly Dictionary<string, string> names = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly HashSet<string> usedNames = new HashSet<string>(StringComparer.Ordinal);
        private readonly HashSet<string> layerNames = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>The ONNX node each layer came from (its place), by layer name: diagnostics after lowering point at the node.</summary>
        private readonly Dictionary<string, string> layerPlaces = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly HashSet<string> initNames = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<Node> rest = new List<Node>();
        private readonly List<string> notes = new List<string>();
        private readonly ModelSpec spec = new ModelSpec { Kind = ModelKind.Float };
        private readonly List<RawTensor> weights = new List<RawTensor>();
        private readonly Dictionary<string, FixedTensor> fixedWeights = new Dictionary<string, FixedTensor>(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorQuant> fixedActs = new Dictionary<string, TensorQuant>(StringComparer.Ordinal);

        /// <summary>A scalar Mul/Div between QDQ pairs whose Requantize is the identity on integers, read by a MatMul: output -> (input, output quantization).</summary>
        private readonly Dictionary<string, (string X, double Factor)> floatScaleIntoMatMul = new Dictionary<string, (string X, double Factor)>(StringComparer.Ordinal);

        private readonly Dictionary<string, (string X, TensorQuant Q)> scaleIntoMatMul = new Dictionary<string, (string X, TensorQuant Q)>(StringComparer.Ordinal);

        /// <summary>A fused Relu/Clip's output at the producer's quantization -> the Relu/Clip node, whose output a Requantize writes.</summary>
        private readonly Dictionary<string, Node> requantizeAfterFused = new Dictionary<string, Node>(StringComparer.Ordinal);

        /// <summary>A fused Relu/Clip's output that keeps its producer's quantization instead of the file's next QDQ (<see cref="ActivationOutput"/>).</summary>
        private readonly Dictionary<string, TensorQuant> keptProducerQuant = new Dictionary<string, TensorQuant>(StringComparer.Ordinal);
        /// <summary>Every graph input, in ONNX order.</summary>
        private readonly HashSet<string> inputNames = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Integer graph inputs read only as Gather indices (token ids): spec index inputs.</summary>
        private readonly HashSet<string> indexInputs = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Integer graph inputs read only by BERT's additive mask chain: 0/1 spec inputs feeding MaskedSoftmax.</summary>
        private readonly HashSet<string> maskInputs = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Tensors of the mask chain, each mapped to its mask graph input; <see cref="maskedScores"/>: scores + mask.</summary>
        private readonly Dictionary<string, (string Mask, int Stage)> maskDerived = new Dictionary<string, (string Mask, int Stage)>(StringComparer.Ordinal);

        private readonly Dictionary<string, (string Scores, string Mask)> maskedScores = new Dictionary<string, (string Scores, string Mask)>(StringComparer.Ordinal);
        private bool sawQdq;

        /// <summary><see cref="OnnxImportOptions.WideConstantOperands"/>.</summary>
        private bool wideConstantOperands = true;
        private SoftmaxMethod? forcedSoftmax;

        /// <summary><see cref="OnnxImportOptions.FreeDimensions"/>.</summary>
        private IReadOnlyDictionary<string, int>? freeDimensions;

        private OnnxLowering(OnnxModel model, string file)
        {
            this.model = model;
            this.file = file;
            dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
            graph = model.Graph!;
            opset = model.DefaultOpset;
        }

        private sealed class QConst
        {
            public QConst(long[] values, int[] dims, double[] scales, long[] zeroPoints, int axis, int dataType)
            {
                Values = values;
                Dims = dims;
                Scales = scales;
                ZeroPoints = zeroPoints;
                Axis = axis;
                DataType = dataType;
            }

            public long[] Values { get; }

            public int[] Dims { get; }

            public double[] Scales { get; }

            public long[] ZeroPoints { get; }

            public int Axis { get; }

            public int DataType { get; }
        }

        private sealed class Node
        {
            public Node(OnnxNode src, List<string> inputs)
            {
                Src = src;
                In = inputs;
            }

            public OnnxNode Src { get; }

            public List<string> In { get; }

            public string Op => Src.OpType;

            public string Out => Src.Outputs[0];
        }

        public static LoweredModel Lower(OnnxModel model, string file, string modelName) => Lower(model, file, modelName, true);

        /// <summary>Lowers with <paramref name="wideConstants"/> as <see cref="OnnxImportOptions.WideConstantOperands"/>.</summary>
        public static LoweredModel Lower(OnnxModel model, string file, string modelName, bool wideConstants) => Lower(model, file, modelName, wideConstants, null);

        /// <summary>Lowers with <paramref name="freeDimensions"/> as <see cref="OnnxImportOptions.FreeDimensions"/>.</summary>
        public static LoweredModel Lower(OnnxModel model, string file, string modelName, bool wideConstants, IReadOnlyDictionary<string, int>? freeDimensions) =>
            Lower(model, file, modelName, wideConstants, freeDimensions, null);

        /// <summary>
        /// Lowers with <paramref name="forcedSoftmax"/> as <see cref="QuantizationOptions.SoftmaxMethod"/>: every Softmax gets
        /// that method (the quantizer applies it), so the lowering neither picks the table softmax's output grid for it nor
        /// notes a mapping the model will not have.
        /// </summary>
        public static LoweredModel Lower(OnnxModel model, string file, string modelName, bool wideConstants, IReadOnlyDictionary<string, int>? freeDimensions, SoftmaxMethod? forcedSoftmax)
        {
            var l = new OnnxLowering(model, file) { wideConstantOperands = wideConstants, freeDimensions = freeDimensions, forcedSoftmax = forcedSoftmax };
            return l.Run(modelName);
        }

        private OnnxImportException Fail(string id, string place, string message) => OnnxImportException.At(id, file, place, message);

        private LoweredModel Run(string modelName)
        {
            CheckOpsets();
            foreach (OnnxTensor t in graph.Initializers)
            {
                consts[t.Name] = TensorValue.Decode(t, dir, file, "initializer '" + t.Name + "'");
            }

            if (graph.SparseInitializers > 0)
            {
                throw Fail(OnnxErrors.UnsupportedDataType, "graph", "sparse initializers are not supported; densify them before export");
            }

            ReadInput();
            FoldQdq();
            string output = ReadOutput();
            foreach (Node n in rest)
            {
                // Shape reads only the static shape, never the data: it does not keep a tensor from being fused.
                if (n.Op == "Shape")
                {
                    continue;
                }

                foreach (string i in n.In)
                {
                    consumers[i] = consumers.TryGetValue(i, out int c) ? c + 1 : 1;
                }
            }

            consumers[output] = consumers.TryGetValue(output, out int oc) ? oc + 1 : 1;
            LowerNodes();
            NoteFolded();
            ThrowIfProblems();
            spec.Name = modelName;
            spec.Weights = modelName + ".float.safetensors";
            spec.Output = Name(output);
            spec.Metadata.Add(new KeyValuePair<string, string>("source", Path.GetFileName(file)));
            spec.Metadata.Add(new KeyValuePair<string, string>("imported_by", "QuantGen.Onnx (opset " + opset.ToString(CultureInfo.InvariantCulture) + (sawQdq ? ", QDQ" : ", float") + ")"));
            if (model.ProducerName.Length > 0)
            {
                spec.Metadata.Add(new KeyValuePair<string, string>("producer", model.ProducerName));
            }

            return new LoweredModel(spec, weights, fixedActs, fixedWeights, sawQdq, notes, opset, maskInputs.Select(Name)) { LayerPlaces = layerPlaces };
        }

        /// <summary>
        /// The oldest default-domain opset read. Opsets 11 and 12 (torch.onnx.export(opset_version=11/12), still common in
        /// tutorials) differ from 13 where QuantGen reads them in Squeeze/Unsqueeze/Split (axes and sizes as attributes, read
        /// either way) and in Softmax (default axis 1, and the input coerced to 2-D at the axis: <see cref="SoftmaxAxisDefault"/>).
        /// Opset 10 and older write Clip's bounds and Pad's pads as attributes: QG4002.
        /// </summary>
        internal const long MinOpset = 11;

        /// <summary>Softmax's default axis: 1 below opset 13 (where any axis but the last flattens the trailing dims), -1 from 13.</summary>
        private long SoftmaxAxisDefault => opset < 13 ? 1 : -1;

        private void CheckOpsets()
        {
            if (opset == 0)
            {
                throw Fail(OnnxErrors.UnsupportedOpset, "opset_import", $"the model imports no default-domain opset (ir_version {model.IrVersion}); QuantGen reads opsets {MinOpset} to 23: re-export with opset_version=13 or later");
            }

            if (opset < MinOpset)
            {
                throw Fail(OnnxErrors.UnsupportedOpset, "opset_import", $"the model uses opset {opset}; QuantGen reads opsets {MinOpset} to 23 (Clip, Pad and Slice with their bounds as inputs): re-export with opset_version=13 or later, or convert it with onnx.version_converter");
            }

            if (opset > 23)
            {
                throw Fail(OnnxErrors.UnsupportedOpset, "opset_import", $"the model uses opset {opset}; this QuantGen knows opsets {MinOpset} to 23");
            }
        }

        private void ReadInput()
        {
            var inputs = graph.Inputs.Where(i => !consts.ContainsKey(i.Name)).ToList();
            if (inputs.Count == 0)
            {
                throw Fail(OnnxErrors.GraphStructure, "graph inputs", "the graph has 0 inputs; a QuantGen model needs at least one input");
            }

            // Every graph input becomes a spec input in the order ONNX lists them. An integer input (token ids, an attention
            // mask) is an index input when a Gather of a constant table reads it, a 0/1 mask input when BERT's additive mask
            // chain reads it (see LowerMaskChain), and fails otherwise.
            spec.Inputs.Clear();
            foreach (OnnxValueInfo input in inputs)
            {
                string place = "input '" + input.Name + "'";
                var inSpec = new InputSpec { Name = Name(input.Name) };
                if (!input.IsTensor || input.ElemType != OnnxDataType.Float)
                {
                    bool ints = input.IsTensor && (input.ElemType == OnnxDataType.Int64 || input.ElemType == OnnxDataType.Int32);
                    // A Shape node reads only the (static) shape, never the ids: torch writes Shape(input_ids) for
                    // input_ids.size(1) when the batch axis is dynamic (dynamic_axes), and the shape subgraph folds.
                    List<OnnxNode> readers = graph.Nodes.Where(n => n.Inputs.Contains(input.Name) && n.OpType != "Shape").ToList();
                    if (ints && readers.Count > 0 && readers.All(n => n.OpType == "Gather" && n.Inputs.Count > 1 && n.Inputs[1] == input.Name && n.Inputs[0] != input.Name))
                    {
                        inSpec.Role = InputRole.Index;
                        indexInputs.Add(input.Name);
                    }
                    else if (ints && readers.Count > 0 && readers.All(n => n.OpType == "Unsqueeze" || n.OpType == "Cast" || n.OpType == "Reshape"))
                    {
                        inSpec.RangeMin = 0;
                        inSpec.RangeMax = 1;
                        maskInputs.Add(input.Name);
                    }
                    else
                    {
                        Record(null, Fail(OnnxErrors.UnsupportedDataType, place, $"the input is {(input.IsTensor ? OnnxDataType.Name(input.ElemType) : "not a tensor")}; QuantGen imports float inputs, integer token ids read only by an embedding Gather of a constant table, and a BERT attention mask read only by the (1 - mask) * -10000 chain before Softmax"), false);
                    }
                }

                if (input.Dims == null)
                {
                    throw Fail(OnnxErrors.DynamicShape, place, "the input has no shape; export with a fixed input shape");
                }

                var dims = new int[input.Dims.Count];
                for (int i = 0; i < dims.Length; i++)
                {
                    OnnxDim d = input.Dims[i];
                    if (d.Value is long v && v > 0 && v <= TensorLimits.MaxElements)
                    {
                        dims[i] = (int)v;
                    }
                    else if (d.Value == null && !string.IsNullOrEmpty(d.Param) && freeDimensions != null && freeDimensions.TryGetValue(d.Param!, out int fixedDim))
                    {
                        if (fixedDim < 1 || fixedDim > TensorLimits.MaxElements)
                        {
                            throw Fail(OnnxErrors.DynamicShape, place, $"FreeDimensions gives '{d.Param}' the value {fixedDim}; a dimension must be in [1, {TensorLimits.MaxElements}]");
                        }

                        dims[i] = fixedDim;
                        notes.Add($"input '{input.Name}': symbolic dimension '{d.Param}' fixed to {fixedDim} (FreeDimensions)");
                    }
                    else if (i == 0 && d.Value == null && dims.Length > 1)
                    {
                        dims[i] = 1;
                        notes.Add($"input '{input.Name}': dynamic batch dimension '{d}' fixed to 1");
                    }
                    else
                    {
                        throw Fail(OnnxErrors.DynamicShape, place, $"dimension {i} of the input is '{d}' (shape [{string.Join(", ", input.Dims)}]); QuantGen compiles fixed shapes: export with a fixed shape (only a leading batch dimension may be symbolic, and it becomes 1)" + (d.Value == null && !string.IsNullOrEmpty(d.Param) ? $", or give it a value at import: OnnxImportOptions.FreeDimensions = new Dictionary<string, int> {{ [\"{d.Param}\"] = N }} (as ONNX Runtime's AddFreeDimensionOverrideByName)" : string.Empty));
                    }
                }

                shapes[input.Name] = dims;
                inputNames.Add(input.Name);

                inSpec.Shape = dims;
                spec.Inputs.Add(inSpec);
            }
        }

        private string ReadOutput()
        {
            if (graph.Outputs.Count != 1)
            {
                throw Fail(OnnxErrors.GraphStructure, "graph outputs", $"the graph has {graph.Outputs.Count} outputs ({string.Join(", ", graph.Outputs.Select(o => "'" + o.Name + "'"))}); a QuantGen model has exactly one output");
            }

            string o = Resolve(graph.Outputs[0].Name);
            if (consts.ContainsKey(o) || inputNames.Contains(o))
            {
                throw Fail(OnnxErrors.GraphStructure, "output '" + graph.Outputs[0].Name + "'", "the output is a constant or the input itself; nothing to compile");
            }

            return o;
        }

        private string Resolve(string name)
        {
            while (alias.TryGetValue(name, out string? a))
            {
                name = a;
            }

            return name;
        }

        private bool Defined(string name) => inputNames.Contains(name) || consts.ContainsKey(name) || produced.Contains(name);

        private readonly HashSet<string> produced = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Pass 1: resolve constants and QDQ pairs, drop Identity/Dropout, check definitions and order.</summary>
        private void FoldQdq()
        {
            foreach (OnnxNode n in graph.Nodes)
            {
                if (n.Domain.Length > 0 && n.Domain != "ai.onnx")
                {
                    string why = n.Domain.StartsWith("pkg.", StringComparison.Ordinal)
                        ? "a local function of torch's dynamo exporter: export with torch.onnx.export(..., dynamo=False), or inline the functions (onnx.inliner.inline_local_functions)"
                        : n.Domain == "com.microsoft" && ExportHints.MicrosoftQuantized(n.OpType) is string q
                            ? q
                            : "export without runtime-specific fusions, e.g. with onnxruntime's graph optimizations off";
                    Record(n, Fail(OnnxErrors.UnsupportedOperator, n.Place, $"operator {n.Domain}.{n.OpType} is from the custom domain \"{n.Domain}\"; QuantGen imports standard ONNX operators only ({why})"), false);
                    MarkFailed(n);
                    continue;
                }

                if (n.Outputs.Count == 0)
                {
                    throw Fail(OnnxErrors.GraphStructure, n.Place, "the node has no output");
                }

                var ins = new List<string>();
                for (int i = 0; i < n.Inputs.Count; i++)
                {
                    string name = n.Inputs[i];
                    if (name.Length == 0)
                    {
                        ins.Add(string.Empty);
                        continue;
                    }

                    string r = Resolve(name);
                    if (!Defined(r) && !pendingQ.ContainsKey(r))
                    {
                        bool later = graph.Nodes.Skip(n.Index).Any(m => m.Outputs.Contains(name));
                        throw Fail(OnnxErrors.GraphStructure, n.Place, later
                            ? $"input {i} '{name}' is produced by a later node: the graph is not topologically sorted or has a cycle (ONNX requires sorted nodes)"
                            : $"input {i} '{name}' is neither the graph input, an initializer nor the output of an earlier node");
                    }

                    ins.Add(r);
                }

                try
                {
                    LowerPass1(n, ins);
                }
                catch (OnnxImportException e)
                {
                    Record(n, e, ins.Any(failed.Contains));
                    MarkFailed(n);
                }
            }
        }

        private void LowerPass1(OnnxNode n, List<string> ins)
        {
            if (TryFoldPass1(n, ins))
            {
                return;
            }

            switch (n.OpType)
            {
                case "Constant":
                    consts[n.Outputs[0]] = ConstantValue(n);
                    return;
                case "Identity":
                case "Dropout":
                    if (n.Outputs.Count > 1 && n.Outputs[1].Length > 0)
                    {
                        throw Fail(OnnxErrors.UnsupportedAttribute, n.Place, "Dropout in training mode (it writes its mask output); QuantGen imports inference graphs: export the model in eval mode (model.eval() before torch.onnx.export, and not training=torch.onnx.TrainingMode.PRESERVE / TRAINING)");
                    }

                    if (consts.TryGetValue(ins[0], out TensorValue? cv))
                    {
                        consts[n.Outputs[0]] = cv;
                        if (qconsts.TryGetValue(ins[0], out QConst? qc))
                        {
                            qconsts[n.Outputs[0]] = qc;
                        }
                    }
                    else
                    {
                        alias[n.Outputs[0]] = ins[0];
                    }

                    return;
                case "QuantizeLinear":
                    sawQdq = true;
                    FoldQuantize(n, ins);
                    return;
                case "DequantizeLinear":
                    sawQdq = true;
                    FoldDequantize(n, ins);
                    return;
            }

            if (pendingQ.Keys.Intersect(ins).FirstOrDefault() is string q)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"reads the integer output '{q}' of a QuantizeLinear directly; QuantGen imports QDQ graphs, where every QuantizeLinear is followed by a DequantizeLinear");
            }

            rest.Add(new Node(n, ins));
            foreach (string o in n.Outputs)
            {
                if (o.Length > 0)
                {
                    produced.Add(o);
                }
            }
        }

        private TensorValue ConstantValue(OnnxNode n)
        {
            OnnxAttribute? a = n.Attributes.FirstOrDefault();
            if (a == null)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Place, "Constant without a value");
            }

            return a.Name switch
            {
                "value" when a.T != null => TensorValue.Decode(a.T, dir, file, n.Place),
                "value_float" => TensorValue.FromFloats(n.Outputs[0], new int[0], new[] { a.F }),
                "value_floats" => TensorValue.FromFloats(n.Outputs[0], new[] { a.Floats.Count }, a.Floats.ToArray()),
                "value_int" => new TensorValue(n.Outputs[0], OnnxDataType.Int64, new int[0], null, new[] { a.I }),
                "value_ints" => new TensorValue(n.Outputs[0], OnnxDataType.Int64, new[] { a.Ints.Count }, null, a.Ints.ToArray()),
                _ => throw Fail(OnnxErrors.UnsupportedAttribute, n.Place, $"Constant attribute '{a.Name}' is not supported (value, value_float(s), value_int(s) are)"),
            };
        }

        /// <summary>Scale and zero point of a Q/DQ node: constants, finite, positive.</summary>
        private (double[] Scales, long[] ZeroPoints, int ZpType) QuantParams(OnnxNode n, List<string> ins)
        {
            if (ins.Count < 2 || !consts.TryGetValue(ins[1], out TensorValue? s) || !s.IsFloat)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"the scale '{(ins.Count > 1 ? ins[1] : string.Empty)}' is not a float constant; QuantGen needs scales fixed at export time (an initializer or a Constant)");
            }

            double[] scales = s.AsDoubles();
            foreach (double v in scales)
            {
                if (!(v > 0) || double.IsInfinity(v))
                {
                    throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"scale {v.ToString("R", CultureInfo.InvariantCulture)} in '{ins[1]}' is not a positive finite number");
                }
            }

            long[] zps;
            int zpType = OnnxDataType.UInt8;
            if (ins.Count > 2 && ins[2].Length > 0)
            {
                if (!consts.TryGetValue(ins[2], out TensorValue? z) || z.IsFloat)
                {
                    throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"the zero point '{ins[2]}' is not an integer constant");
                }

                zps = z.Ints!;
                zpType = z.DataType;
                if (zps.Length != scales.Length)
                {
                    throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"{scales.Length} scales but {zps.Length} zero points");
                }
            }
            else
            {
                zps = new long[scales.Length];
            }

            return (scales, zps, zpType);
        }

        private ElementType? ActivationType(int zpType, out long shift)
        {
            shift = 0;
            switch (zpType)
            {
                case OnnxDataType.Int8:
                    return ElementType.Int8;
                case OnnxDataType.UInt8:
                    shift = 128;
                    return ElementType.Int8;
                case OnnxDataType.Int16:
                    return ElementType.Int16;
                case OnnxDataType.UInt16:
                    shift = 32768;
                    return ElementType.Int16;
                case OnnxDataType.Int4:
                    return ElementType.Int4;
                case OnnxDataType.UInt4:
                    shift = 8;
                    return ElementType.Int4;
                default:
                    return null;
            }
        }

        private void FoldQuantize(OnnxNode n, List<string> ins)
        {
            (double[] scales, long[] zps, int zpType) = QuantParams(n, ins);
            if (consts.TryGetValue(ins[0], out TensorValue? c))
            {
                // A constant quantized in the graph (weights stored in float): quantize it here, ONNX's way (ties to even).
                int axis = (int)(n.Attribute("axis")?.I ?? 1);
                qconsts[n.Outputs[0]] = QuantizeConstant(n, c, scales, zps, axis, zpType);
                consts[n.Outputs[0]] = new TensorValue(n.Outputs[0], zpType, c.Dims, null, qconsts[n.Outputs[0]].Values);
                produced.Add(n.Outputs[0]);
                return;
            }

            if (scales.Length != 1)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"per-axis quantization of the activation '{ins[0]}' ({scales.Length} scales); QuantGen quantizes activations per tensor");
            }

            ElementType? type = ActivationType(zpType, out long shift);
            if (type == null)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"quantization to {OnnxDataType.Name(zpType)} is not supported for activations (int8/uint8, int16/uint16, int4/uint4 are)");
            }

            pendingQ[n.Outputs[0]] = (ins[0], new TensorQuant(type.Value, (float)scales[0], zps[0] - shift), n);
        }

        private QConst QuantizeConstant(OnnxNode n, TensorValue c, double[] scales, long[] zps, int axis, int zpType)
        {
            int rank = c.Dims.Length;
            axis = axis < 0 ? axis + rank : axis;
            long lo = zpType == OnnxDataType.Int8 ? -128 : zpType == OnnxDataType.UInt8 ? 0 : zpType == OnnxDataType.Int4 ? -8 : zpType == OnnxDataType.UInt4 ? 0 : zpType == OnnxDataType.Int16 ? -32768 : 0;
            long hi = zpType == OnnxDataType.Int8 ? 127 : zpType == OnnxDataType.UInt8 ? 255 : zpType == OnnxDataType.Int4 ? 7 : zpType == OnnxDataType.UInt4 ? 15 : zpType == OnnxDataType.Int16 ? 32767 : 65535;
            (int stride, int count) = AxisStride(c.Dims, axis, scales.Length, n);
            var v = new long[c.Count];
            for (int i = 0; i < v.Length; i++)
            {
                int ch = scales.Length == 1 ? 0 : (i / stride) % count;
                v[i] = Math.Min(hi, Math.Max(lo, (long)Math.Round((float)c[i] / (float)scales[ch], MidpointRounding.ToEven) + zps[ch]));
            }

            return new QConst(v, c.Dims, scales, zps, axis, zpType);
        }

        private (int Stride, int Count) AxisStride(int[] dims, int axis, int nScales, OnnxNode n)
        {
            if (nScales == 1)
            {
                return (1, 1);
            }

            if (axis < 0 || axis >= dims.Length || dims[axis] != nScales)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"{nScales} per-axis scales along axis {axis} of a tensor of shape [{string.Join(", ", dims)}]");
            }

            int stride = 1;
            for (int i = axis + 1; i < dims.Length; i++)
            {
                stride *= dims[i];
            }

            return (stride, nScales);
        }

        private void FoldDequantize(OnnxNode n, List<string> ins)
        {
            (double[] scales, long[] zps, int zpType) = QuantParams(n, ins);
            if (consts.TryGetValue(ins[0], out TensorValue? c))
            {
                if (c.IsFloat)
                {
                    throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"dequantizes the float constant '{ins[0]}'");
                }

                int rank = c.Dims.Length;
                int axis = (int)(n.Attribute("axis")?.I ?? 1);
                axis = axis < 0 ? axis + rank : axis;
                (int stride, int count) = AxisStride(c.Dims, axis, scales.Length, n);
                long[] values = qconsts.TryGetValue(ins[0], out QConst? q0) ? q0.Values : c.Ints!;
                var deq = new float[values.Length];
                for (int i = 0; i < deq.Length; i++)
                {
                    int ch = scales.Length == 1 ? 0 : (i / stride) % count;
                    deq[i] = (float)((values[i] - zps[ch]) * (float)scales[ch]);
                }

                consts[n.Outputs[0]] = TensorValue.FromFloats(n.Outputs[0], c.Dims, deq);
                qconsts[n.Outputs[0]] = new QConst(values, c.Dims, scales, zps, scales.Length == 1 ? -1 : axis, c.DataType);
                return;
            }

            if (!pendingQ.TryGetValue(ins[0], out var pq))
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"dequantizes '{ins[0]}', which is neither a constant nor the output of a QuantizeLinear; QuantGen imports QDQ graphs with a float input");
            }

            ElementType? type = ActivationType(zpType, out long shift);
            if (scales.Length != 1 || type != pq.Q.Type || (float)scales[0] != (float)pq.Q.Scale || zps[0] - shift != pq.Q.ZeroPoint)
            {
                throw Fail(OnnxErrors.InvalidQuantization, n.Place, $"the DequantizeLinear's scale/zero point differ from its QuantizeLinear {pq.Node.Place}; a QDQ pair must use the same parameters");
            }

            string x = pq.X;
            if (quant.TryGetValue(x, out TensorQuant? prev) && (prev.Scale != pq.Q.Scale || prev.ZeroPoint != pq.Q.ZeroPoint || prev.Type != pq.Q.Type))
            {
                // FX gives the tensors before and after a Dropout/Identity their own fake quant: equal parameters are a
                // no-op (accepted above); different ones would need a requantize layer.
                // The second QuantizeLinear goes to pass 2 as a Requantize layer (Import/RequantizeImport.cs) writing its own output.
                string t = pq.Node.Outputs[0];
                quant[t] = pq.Q;
                quantBy[t] = pq.Node;
                pendingQ.Remove(t);
                rest.Add(new Node(pq.Node, new List<string> { x }));
                produced.Add(t);
                alias[n.Outputs[0]] = t;
                notes.Add($"{pq.Node.Place}: '{x}' quantized again with different parameters ({prev}, then {pq.Q}) mapped to Requantize");
                return;
            }

            quantBy.TryAdd(x, pq.Node);

            quant[x] = pq.Q;
            alias[n.Outputs[0]] = x;
        }

        // ------------------------------------------------------------------------------------------------
        // Pass 2: lowering.
        // ------------------------------------------------------------------------------------------------

        private string Name(string onnxName)
        {
            if (names.TryGetValue(onnxName, out string? n))
            {
                return n;
            }

            var sb = new System.Text.StringBuilder();
            foreach (char c in onnxName)
            {
                sb.Append(c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':') ? c : '_');
            }

            string s = sb.Length == 0 ? "t" : sb.ToString();
            if (s.Length > 200)
            {
                s = s.Substring(0, 200);
            }

            string u = s;
            for (int k = 2; usedNames.Contains(u); k++)
            {
                u = s + "_" + k.ToString(CultureInfo.InvariantCulture);
            }

            usedNames.Add(u);
            names[onnxName] = u;
            return u;
        }

        private string LayerName(OnnxNode n)
        {
            string raw = n.Name.Length > 0 ? n.Name : n.OpType + "_" + n.Index.ToString(CultureInfo.InvariantCulture);
            var sb = new System.Text.StringBuilder();
            foreach (char c in raw)
            {
                sb.Append(c < 128 && char.IsLetterOrDigit(c) ? c : '_');
            }

            string s = sb.ToString().Trim('_');
            if (s.Length == 0 || !char.IsLetter(s[0]))
            {
                s = "n_" + s;
            }

            if (s.Length > 100)
            {
                s = s.Substring(0, 100);
            }

            string u = s;
            for (int k = 2; layerNames.Contains(u); k++)
            {
                u = s + "_" + k.ToString(CultureInfo.InvariantCulture);
            }

            layerNames.Add(u);
            layerPlaces[u] = n.Place;
            return u;
        }

        private int Uses(string t) => consumers.TryGetValue(t, out int c) ? c : 0;

        private int[] ShapeOf(string t, OnnxNode at)
        {
            if (failed.Contains(t))
            {
                throw new BlockedException();
            }

            if (shapes.TryGetValue(t, out int[]? s))
            {
                return s;
            }

            if (consts.TryGetValue(t, out TensorValue? c))
            {
                return c.Dims;
            }

            throw Fail(OnnxErrors.GraphStructure, at.Place, $"the shape of '{t}' is unknown");
        }

        private TensorValue Const(Node n, int input, string role)
        {
            if (input >= n.In.Count || n.In[input].Length == 0 || !consts.TryGetValue(n.In[input], out TensorValue? c))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"the {role} (input {input}{(input < n.In.Count ? " '" + n.In[input] + "'" : string.Empty)}) must be a constant (an initializer, a Constant or a DequantizeLinear of one)");
            }

            return c;
        }

        private T Add<T>(T layer, Node n, string output, params string[] inputs)
            where T : LayerSpec
        {
            layer.Name = LayerName(n.Src);
            foreach (string i in inputs)
            {
                layer.Inputs.Add(Name(i));
            }

            layer.Output = Name(output);
            spec.Layers.Add(layer);
            return layer;
        }

        /// <summary>A float initializer; <paramref name="fresh"/> (values computed at import) never reuses another tensor's name.</summary>
        private string AddFloatInitializer(string onnxName, int[] shape, float[] data, bool fresh = false)
        {
            string name = Name(onnxName);
            for (int k = 2; fresh && initNames.Contains(name); k++)
            {
                name = Name(onnxName + "_" + k.ToString(CultureInfo.InvariantCulture));
            }

            if (initNames.Add(name))
            {
                spec.Initializers.Add(new InitializerSpec { Name = name, Type = ElementType.Float32, Shape = shape });
                weights.Add(TensorCodec.EncodeFloats(name, shape, data));
            }

            return name;
        }

        private void Produce(string onnxOut, int[] shape, string? quantFrom = null)
        {
            shapes[onnxOut] = shape;
            string q = quantFrom ?? onnxOut;
            if (keptProducerQuant.TryGetValue(onnxOut, out TensorQuant? kept))
            {
                fixedActs[Name(onnxOut)] = kept;
            }
            else if (quant.TryGetValue(q, out TensorQuant? tq))
            {
                fixedActs[Name(onnxOut)] = tq;
            }
        }

        private void LowerNodes()
        {
            var done = new HashSet<Node>();
            Dictionary<string, Node> byOutput = rest.ToDictionary(r => r.Out, StringComparer.Ordinal);
            Node? SoleConsumer(string t)
            {
                if (Uses(t) != 1)
                {
                    return null;
                }

                return rest.FirstOrDefault(r => !done.Contains(r) && r.Op != "Shape" && r.In.Contains(t));
            }

            foreach (OnnxValueInfo v in graph.Inputs)
            {
                InputSpec? ins = spec.Inputs.FirstOrDefault(x => x.Name == Name(v.Name));
                if (ins != null && !ins.IsIndex && !maskInputs.Contains(v.Name) && quant.TryGetValue(v.Name, out TensorQuant? iq))
                {
                    fixedActs[Name(v.Name)] = iq;
                    ins.RangeMin = iq.Dequantize(iq.Type.MinValue);
                    ins.RangeMax = iq.Dequantize(iq.Type.MaxValue);
                }
                else if (ins != null && maskInputs.Contains(v.Name) && sawQdq)
                {
                    // The mask is 0/1: int8 at scale 1, zero point 0 holds it exactly (MaskedSoftmax keeps integers != 0).
                    fixedActs[ins.Name] = new TensorQuant(ElementType.Int8, 1.0, 0);
                }
            }

            foreach (Node n in rest)
            {
                if (done.Contains(n))
                {
                    continue;
                }

                done.Add(n);
                if (TryFoldPass2(n))
                {
                    continue;
                }

                try
                {
                    OnnxNode src = n.Src;
                    if (TryLowerBert(n) || TryLowerByRule(n))
                    {
                        continue;
                    }

                    if (!LoweredOps.Contains(n.Op))
                    {
                        throw Fail(OnnxErrors.UnsupportedOperator, src.Place, ExportHints.Unsupported(src, SupportedList));
                    }

                    foreach (string extra in src.Outputs.Skip(1))
                    {
                        if (extra.Length > 0 && Uses(extra) > 0)
                        {
                            throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"its extra output '{extra}' is used; QuantGen maps the first output only");
                        }
                    }

                    switch (n.Op)
                    {
                        case "Gemm":
                        case "MatMul":
                            if (n.Op == "MatMul" && !consts.ContainsKey(n.In[1]))
                            {
                                LowerMatMul(n, SoleConsumer, done);
                            }
                            else
                            {
                                LowerDense(n, SoleConsumer, done);
                            }

                            break;
                        case "Add":
                            if (!(n.In.Any(i => ScalarConst(i) != null) && TryElementwiseGelu(n, done)))
                            {
                                LowerAdd(n);
                            }

                            break;
                        case "Relu":
                            Add(new ReluLayer(), n, n.Out, n.In[0]);
                            Produce(n.Out, ShapeOf(n.In[0], src));
                            break;
                        case "Clip":
                            LowerClip(n);
                            break;
                        case "Softmax":
                            LowerSoftmax(n);
                            break;
                        case "Gelu":
                            Add(GeluFor(n.In[0], n.Out), n, n.Out, n.In[0]);
                            Produce(n.Out, ShapeOf(n.In[0], src));
                            if (src.Attribute("approximate") is OnnxAttribute ap && System.Text.Encoding.UTF8.GetString(ap.S) == "tanh")
                            {
                                notes.Add($"{src.Place}: tanh-approximated GELU mapped to ShiftGELU (x * sigmoid(1.702 x))");
                            }

                            break;
                        case "Div":
                        case "Mul":
                        case "Pow":
                        case "Sub":
                        case "Tanh":
                        case "Erf":
                            if (!TryScaleIntoMatMul(n, SoleConsumer) && !TryGeluChain(n, SoleConsumer, done) && !TryElementwiseGelu(n, done) && !Import.RequantizeImport.TryScalar(new ImportContext(this, n))
                                && !Import.ElementwiseImport.TryLower(new ImportContext(this, n)))
                            {
                                throw Fail(OnnxErrors.UnsupportedOperator, src.Place, $"{n.Op} is supported only as a scalar factor right after a MatMul of two activations, or inside a GELU written out element by element (x * 0.5 * (1 + erf(x / sqrt 2)) or the tanh form); this one is neither" + (ExportHints.Needs(n.Op) is string needs ? ": " + needs : string.Empty));
                            }

                            break;
                        case "LayerNormalization":
                            LowerLayerNorm(n);
                            break;
                        case "ReduceMean":
                            if (!TryDecomposedLayerNorm(n, done))
                            {
                                LowerReduceMean(n);
                            }

                            break;
                        case "AveragePool":
                            LowerAveragePool(n);
                            break;
                        case "Reshape":
                        case "Flatten":
                        case "Squeeze":
                        case "Unsqueeze":
                            LowerReshape(n);
                            break;
                        case "Transpose":
                            LowerTranspose(n);
                            break;
                        case "Conv":
                            LowerConv(n, SoleConsumer, done);
                            break;
                        case "MaxPool":
                            LowerMaxPool(n);
                            break;
                        case "GlobalAveragePool":
                            LowerGlobalAveragePool(n);
                            break;
                        case "BatchNormalization":
                            if (quant.ContainsKey(n.In[0]))
                            {
                                // quantize_static run on a graph whose BatchNorm was not folded (no quant_pre_process): the
                                // Conv/Gemm output is quantized before the normalisation, which no integer layer expresses.
                                throw Fail(OnnxErrors.UnsupportedOperator, src.Place, "BatchNormalization reads a tensor the file quantizes (a QuantizeLinear -> DequantizeLinear pair sits between the layer before it and the normalisation: the model was quantized before BatchNorm was folded); fold it first: onnxruntime.quantization.quant_pre_process before quantize_static, or torch.ao.quantization.fuse_modules (Conv/Linear + BatchNorm) on the eval model before export");
                            }

                            throw Fail(OnnxErrors.UnsupportedOperator, src.Place, "BatchNormalization is imported only when it follows a Conv or a 2-D Gemm/MatMul (possibly through torch's QAT Div/Add) whose output feeds nothing else: it is folded into the weights and bias; this one does not. " + ExportHints.Needs("BatchNormalization"));
                        default:
                            throw Fail(OnnxErrors.UnsupportedOperator, src.Place, ExportHints.Unsupported(src, SupportedList));
                    }
                }
                catch (OnnxImportException e)
                {
                    Record(n.Src, e, n.In.Any(failed.Contains));
                    MarkFailed(n.Src);
                }
                catch (BlockedException)
                {
                    blocked++;
                    MarkFailed(n.Src);
                }
            }
        }

        private int[] Ints2(OnnxNode src, string name, int[] dflt, int count)
        {
            OnnxAttribute? a = src.Attribute(name);
            if (a == null)
            {
                return dflt;
            }

            if (a.Ints.Count != count || a.Ints.Any(v => v < 0 || v > TensorLimits.MaxElements))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"{name} [{string.Join(", ", a.Ints)}] must hold {count} non-negative integers (2-D)");
            }

            return a.Ints.Select(v => (int)v).ToArray();
        }

        /// <summary>The node's own pads plus those of a zero Pad folded into it (<see cref="windowPads"/>).</summary>
        private int[] WithPad(OnnxNode src, int[] pads) =>
            windowPads.TryGetValue(src.Inputs[0], out int[]? extra) ? pads.Zip(extra, (a, b) => a + b).ToArray() : pads;

        private void CheckAutoPad(OnnxNode src)
        {
            string pad = src.Attribute("auto_pad") is OnnxAttribute ap ? System.Text.Encoding.UTF8.GetString(ap.S) : "NOTSET";
            if (pad != "NOTSET" && pad != "VALID")
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"auto_pad={pad} is not supported; export with explicit pads (auto_pad NOTSET)");
            }

            if (src.Attribute("dilations") is OnnxAttribute d && d.Ints.Any(v => v != 1))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"dilations [{string.Join(", ", d.Ints)}] are not supported (1 only)");
            }
        }

        private void LowerConv(Node n, Func<string, Node?> soleConsumer, HashSet<Node> done)
        {
            OnnxNode src = n.Src;
            TensorValue w = Const(n, 1, "weight");
            if (w.Dims.Length != 4)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"a {w.Dims.Length - 2}-D convolution (weight [{string.Join(", ", w.Dims)}]); QuantGen supports 2-D convolutions (NCHW) only");
            }

            int[] xs = ShapeOf(n.In[0], src);
            if (xs.Length != 4)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"the input has shape [{string.Join(", ", xs)}]; Conv2d needs NCHW");
            }

            CheckAutoPad(src);
            int group = (int)(src.Attribute("group")?.I ?? 1);
            int o = w.Dims[0], per = w.Dims[1] * w.Dims[2] * w.Dims[3];
            float[] wf = (float[])w.Floats!.Clone();
            float[] bf = new float[o];
            bool hasBias = n.In.Count > 2 && n.In[2].Length > 0;
            if (hasBias)
            {
                TensorValue b = Const(n, 2, "bias");
                if (b.Count != o)
                {
                    throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"the bias has {b.Count} values for {o} output channels");
                }

                bf = b.Floats ?? b.AsDoubles().Select(v => (float)v).ToArray();
            }

            var cv = new Conv2dLayer
            {
                Group = group,
                Strides = Ints2(src, "strides", new[] { 1, 1 }, 2),
                Pads = WithPad(src, Ints2(src, "pads", new[] { 0, 0, 0, 0 }, 4)),
            };
            bool quantizedWeight = qconsts.TryGetValue(n.In[1], out QConst? qw);
            int kh = w.Dims[2], kw = w.Dims[3];
            int ho = (xs[2] + cv.Pads[0] + cv.Pads[2] - kh) / cv.Strides[0] + 1, wo = (xs[3] + cv.Pads[1] + cv.Pads[3] - kw) / cv.Strides[1] + 1;
            int[] outShape = { xs[0], o, ho, wo };
            AffineChain chain = CollectAffine(n.Out, outShape, 1, soleConsumer);
            string output = chain.Output;
            bool folded = chain.Nodes.Count > 0;
            if (folded)
            {
                bf = ApplyAffine(chain, wf, per, bf);
                hasBias = true;
                foreach (Node m in chain.Nodes)
                {
                    done.Add(m);
                }

                NoteAffine(chain, src);
            }

            string wName = AddFloatInitializer(n.In[1] + (chain.ScalesWeights ? ".bnfolded" : string.Empty), w.Dims, wf, chain.ScalesWeights);
            cv.Weight = wName;
            if (quantizedWeight)
            {
                FixedTensor fw = FixedWeight(qw!, true, per, o, src);
                fixedWeights[wName] = chain.ScalesWeights ? ScaleFixed(fw, chain, per, src) : fw;
            }

            if (hasBias)
            {
                cv.Bias = chain.BiasSource != null && !(n.In.Count > 2 && n.In[2].Length > 0)
                    ? AddFloatInitializer(chain.BiasSource, new[] { o }, bf)
                    : AddFloatInitializer((n.In.Count > 2 && n.In[2].Length > 0 ? n.In[2] : n.In[1] + ".bias") + (folded ? ".bnfolded" : string.Empty), new[] { o }, bf, folded);
            }

            if (soleConsumer(output) is Node act && (act.Op == "Relu" || act.Op == "Clip") && (!quant.ContainsKey(output) || SameQuant(output, act.Out) || quant.ContainsKey(act.Out)))
            {
                Activation? a = act.Op == "Relu" ? Activation.Relu : ClipActivation(act);
                if (a != null)
                {
                    done.Add(act);
                    cv.Activation = a.Value;
                    output = ActivationOutput(output, act, a.Value);
                }
            }

            Add(cv, n, output, n.In[0]);
            Produce(output, outShape);
            RequantizeAfterFusedActivation(output, outShape);
        }

        private void LowerMaxPool(Node n)
        {
            OnnxNode src = n.Src;
            int[] xs = ShapeOf(n.In[0], src);
            int[] k = Ints2(src, "kernel_shape", new int[0], 2);
            if (xs.Length != 4 || k.Length != 2)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "QuantGen supports 2-D MaxPool over NCHW with a kernel_shape of 2 values");
            }

            CheckAutoPad(src);
            if ((src.Attribute("ceil_mode")?.I ?? 0) != 0 || (src.Attribute("storage_order")?.I ?? 0) != 0)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "ceil_mode=1 and storage_order=1 are not supported");
            }

            var mp = new MaxPool2dLayer { Kernel = k, Strides = Ints2(src, "strides", new[] { 1, 1 }, 2), Pads = Ints2(src, "pads", new[] { 0, 0, 0, 0 }, 4) };
            Add(mp, n, n.Out, n.In[0]);
            Produce(n.Out, new[] { xs[0], xs[1], (xs[2] + mp.Pads[0] + mp.Pads[2] - k[0]) / mp.Strides[0] + 1, (xs[3] + mp.Pads[1] + mp.Pads[3] - k[1]) / mp.Strides[1] + 1 }, QuantSource(n.In[0], n.Out));
        }

        /// <summary>GlobalAveragePool [N, C, H, W] -> Reshape [N, C, H*W] -> AvgPool(axis 2) -> Reshape [N, C, 1, 1].</summary>
        private void LowerGlobalAveragePool(Node n)
        {
            OnnxNode src = n.Src;
            int[] xs = ShapeOf(n.In[0], src);
            if (xs.Length != 4)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"GlobalAveragePool over shape [{string.Join(", ", xs)}]; QuantGen supports NCHW (rank 4)");
            }

            string baseName = LayerName(src);
            string flat = n.Out + "_spatial", pooled = n.Out + "_pooled";
            var r1 = new ReshapeLayer { Shape = new[] { xs[0], xs[1], xs[2] * xs[3] }, Name = baseName + "_flatten" };
            r1.Inputs.Add(Name(n.In[0]));
            r1.Output = Name(flat);
            spec.Layers.Add(r1);
            Produce(flat, r1.Shape, n.In[0]);
            var p = new AvgPoolLayer { Axis = 2, Name = baseName };
            p.Inputs.Add(Name(flat));
            p.Output = Name(pooled);
            spec.Layers.Add(p);
            Produce(pooled, new[] { xs[0], xs[1] }, n.Out);
            var r2 = new ReshapeLayer { Shape = new[] { xs[0], xs[1], 1, 1 }, Name = baseName + "_keepdims" };
            r2.Inputs.Add(Name(pooled));
            r2.Output = Name(n.Out);
            spec.Layers.Add(r2);
            Produce(n.Out, r2.Shape, n.Out);
        }

        private static float[] Transpose2(float[] w, int rows, int cols)
        {
            var t = new float[w.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    t[c * rows + r] = w[r * cols + c];
                }
            }

            return t;
        }

        private void LowerDense(Node n, Func<string, Node?> soleConsumer, HashSet<Node> done)
        {
            OnnxNode src = n.Src;
            bool gemm = n.Op == "Gemm";
            if (gemm)
            {
                if ((src.Attribute("transA")?.I ?? 0) != 0)
                {
                    throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "Gemm with transA=1 is not supported (the activation must be [rows, K]); export without transposing the input");
                }

                float alpha = src.Attribute("alpha")?.F ?? 1f, beta = src.Attribute("beta")?.F ?? 1f;
                if (alpha != 1f || beta != 1f)
                {
                    throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"Gemm with alpha={alpha} beta={beta} is not supported (1 and 1 are); fold the factors into the weights before export");
                }
            }

            if (consts.ContainsKey(n.In[0]))
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "the first operand is a constant; QuantGen's Dense reads the activation first");
            }

            TensorValue w = Const(n, 1, "weight");
            if (w.Dims.Length != 2)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"the weight '{n.In[1]}' has shape [{string.Join(", ", w.Dims)}]; a Dense weight is 2-D");
            }

            bool transB = gemm && (src.Attribute("transB")?.I ?? 0) != 0;
            int outCh = transB ? w.Dims[0] : w.Dims[1], k = transB ? w.Dims[1] : w.Dims[0];
            int[] xs = ShapeOf(n.In[0], src);
            if (xs.Length == 0 || xs[xs.Length - 1] != k)
            {
                throw Fail(OnnxErrors.GraphStructure, src.Place, $"the input '{n.In[0]}' has shape [{string.Join(", ", xs)}] but the weight expects {k} features");
            }

            float[] wf = transB ? (float[])w.Floats!.Clone() : Transpose2(w.Floats!, k, outCh);
            float[]? gemmBias = null;
            if (gemm && n.In.Count > 2 && n.In[2].Length > 0)
            {
                TensorValue b = Const(n, 2, "bias C");
                if (b.Count != outCh)
                {
                    throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"the bias C '{n.In[2]}' has {b.Count} values; QuantGen needs one per output channel ({outCh})");
                }

                gemmBias = b.Floats ?? b.AsDoubles().Select(v => (float)v).ToArray();
            }

            // Bias Add, BatchNormalization (on [N, C]), QAT's Div/Add/BatchNormalization: folded per output channel.
            int[] os = (int[])xs.Clone();
            os[os.Length - 1] = outCh;
            AffineChain chain = CollectAffine(n.Out, os, os.Length - 1, soleConsumer);
            if (os.Length != 2 && chain.Nodes.Any(m => m.Op == "BatchNormalization"))
            {
                chain = CollectAffine(n.Out, os, os.Length - 1, t => soleConsumer(t) is Node m && m.Op != "BatchNormalization" ? m : null);
            }

            string output = chain.Output;
            float[]? biasValues = gemmBias;
            if (chain.Nodes.Count > 0)
            {
                biasValues = ApplyAffine(chain, wf, k, gemmBias ?? new float[outCh]);
                foreach (Node m in chain.Nodes)
                {
                    done.Add(m);
                }

                NoteAffine(chain, src);
            }

            string wName = AddFloatInitializer(n.In[1] + (transB ? string.Empty : ".T") + (chain.ScalesWeights ? ".bnfolded" : string.Empty), new[] { outCh, k }, wf, chain.ScalesWeights);
            if (qconsts.TryGetValue(n.In[1], out QConst? qw))
            {
                FixedTensor fw = FixedWeight(qw, transB, k, outCh, src);
                fixedWeights[wName] = chain.ScalesWeights ? ScaleFixed(fw, chain, k, src) : fw;
            }

            var dense = new DenseLayer { Weight = wName };
            string? biasName = null;
            if (biasValues != null)
            {
                string baseName = gemmBias != null ? n.In[2] : chain.BiasSource ?? n.In[1] + ".bias";
                bool computed = chain.Nodes.Count > 0 && !(gemmBias == null && chain.BiasSource != null);
                biasName = AddFloatInitializer(baseName + (computed ? ".bnfolded" : string.Empty), new[] { outCh }, biasValues, computed);
            }

            dense.Bias = biasName;
            if (soleConsumer(output) is Node act && (act.Op == "Relu" || act.Op == "Clip") && (!quant.ContainsKey(output) || SameQuant(output, act.Out) || quant.ContainsKey(act.Out)))
            {
                Activation? a = act.Op == "Relu" ? Activation.Relu : ClipActivation(act);
                if (a != null)
                {
                    done.Add(act);
                    dense.Activation = a.Value;
                    output = ActivationOutput(output, act, a.Value);
                }
            }

            Add(dense, n, output, n.In[0]);
            Produce(output, os);
            RequantizeAfterFusedActivation(output, os);
        }

        /// <summary>
        /// The output of a Conv/Dense with its Relu/Clip fused. Between two QDQ pairs of different parameters (onnxruntime's
        /// QDQ with asymmetric activations: Conv -> Q1/DQ1 -> Clip(0, 6) -> Q2/DQ2) the Relu/Clip layer clamps in its
        /// input's quantization and keeps it (ReluOperator, ClipOperator: OutputQuantization.Input), so the two-step import
        /// computed clamp(z1 + R(acc), type) then clamp(., Q1(lo), Q1(hi)): one clamp to the intersection, which is the
        /// producer's own clamp for the fused activation (ClampBounds.Relu / Relu6 at Q1, the same Quantize of the same
        /// bounds). The fused output therefore keeps Q1 and the same integers; the file's Q2 goes, as it went before
        /// (noted; the importer's own view of the tensor stays Q2, as with the Clip layer). When Q2 saturates below what the
        /// clamp at Q1 lets through (beyond both roundings), ORT clips there: the fused layer then writes Q1 and a
        /// Requantize to Q2 follows. Equal parameters (the symmetric files): the Clip's output and quantization as before.
        /// </summary>
        private string ActivationOutput(string output, Node act, Activation a)
        {
            if (quant.TryGetValue(output, out TensorQuant? q1) && quant.TryGetValue(act.Out, out TensorQuant? q2) && !SameQuant(output, act.Out))
            {
                long top = a == Activation.Relu6 ? ClampBounds.Relu6(q1.Type, q1.Scale, q1.ZeroPoint).Hi : q1.Type.MaxValue;
                double real = q1.Scale * (top - q1.ZeroPoint), top2 = q2.Scale * (q2.Type.MaxValue - q2.ZeroPoint);
                if (real > top2 + ((q1.Scale + q2.Scale) / 2))
                {
                    // Q2 ends below what the clamp at Q1 lets through (beyond both roundings): ONNX Runtime saturates there,
                    // which ignoring Q2 would lose (the separate Relu/Clip layer did: 40 LSB on QdqClipFoldImportTests' case).
                    // The fused layer writes Q1 and a Requantize to Q2 follows: ORT's Q2(DQ1(.)), ties up instead of to even.
                    string fused = act.Out + "/fused_at_producer_quantization";
                    quant[fused] = q1;
                    requantizeAfterFused[fused] = act;
                    notes.Add($"{act.Src.Place}: {act.Op} between two QDQ pairs of different parameters fused into the layer before it at that layer's quantization ({q1}), then a Requantize to the QuantizeLinear after it ({q2}), which saturates at {top2.ToString("G4", CultureInfo.InvariantCulture)}, below the {real.ToString("G4", CultureInfo.InvariantCulture)} the clamp at {q1} lets through");
                    return fused;
                }

                keptProducerQuant[act.Out] = q1;
                notes.Add($"{act.Src.Place}: {act.Op} between two QDQ pairs of different parameters fused into the layer before it at that layer's quantization ({q1}; the {act.Op} layer kept its input's quantization too): the QuantizeLinear after it ({q2}) is not applied");
            }

            return act.Out;
        }

        /// <summary>The Requantize after a fused Relu/Clip whose next quantization saturates below the fused clamp (<see cref="ActivationOutput"/>).</summary>
        private void RequantizeAfterFusedActivation(string output, int[] shape)
        {
            if (requantizeAfterFused.TryGetValue(output, out Node? act))
            {
                Add(new RequantizeLayer(), act, act.Out, output);
                Produce(act.Out, shape);
            }
        }

        private bool SameQuant(string a, string b) => quant.TryGetValue(a, out TensorQuant? qa) && quant.TryGetValue(b, out TensorQuant? qb) && qa.Scale == qb.Scale && qa.ZeroPoint == qb.ZeroPoint && qa.Type == qb.Type;

        private Activation? ClipActivation(Node clip)
        {
            (double lo, double hi) = ClipBounds(clip);
            return lo == 0 && hi == 6 ? Activation.Relu6 : lo == 0 && double.IsPositiveInfinity(hi) ? Activation.Relu : (Activation?)null;
        }

        private (double Lo, double Hi) ClipBounds(Node n)
        {
            double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
            if (n.In.Count > 1 && n.In[1].Length > 0)
            {
                lo = Const(n, 1, "min")[0];
            }

            if (n.In.Count > 2 && n.In[2].Length > 0)
            {
                hi = Const(n, 2, "max")[0];
            }

            return (lo, hi);
        }

        private FixedTensor FixedWeight(QConst q, bool alreadyOutputMajor, int k, int outCh, OnnxNode at)
        {
            // Output channel axis in the ONNX layout: 0 for Gemm transB=1 ([N, K]), 1 for MatMul / transB=0 ([K, N]).
            int outAxis = alreadyOutputMajor ? 0 : 1;
            bool perChannel = q.Scales.Length > 1;
            if (perChannel && q.Axis != outAxis)
            {
                throw Fail(OnnxErrors.InvalidQuantization, at.Place, $"the weight is quantized per axis {q.Axis}, the input-feature axis; QuantGen needs per-output-channel (axis {outAxis}) or per-tensor weight scales");
            }

            var values = new int[outCh * k];
            long min = long.MaxValue, max = long.MinValue;
            for (int o = 0; o < outCh; o++)
            {
                long zp = q.ZeroPoints[perChannel ? o : 0];
                for (int j = 0; j < k; j++)
                {
                    long v = (alreadyOutputMajor ? q.Values[o * k + j] : q.Values[j * outCh + o]) - zp;
                    values[o * k + j] = (int)v;
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }

            int bits = q.DataType == OnnxDataType.Int4 || q.DataType == OnnxDataType.UInt4 ? 4 : 8;
            while (bits < 16 && (min < -(1L << (bits - 1)) || max > (1L << (bits - 1)) - 1))
            {
                bits++;
            }

            if (min < -32768 || max > 32767)
            {
                throw Fail(OnnxErrors.InvalidQuantization, at.Place, $"weight values minus zero point span [{min}, {max}], beyond int16");
            }

            if (q.ZeroPoints.Any(z => z != 0))
            {
                notes.Add($"{at.Place}: weight zero points folded into the values (stored as int{bits})");
            }

            double[] scales = q.Scales.Select(s => (double)(float)s).ToArray();
            return new FixedTensor(ElementType.Int(bits), values, scales);
        }

        private void LowerMatMul(Node n, Func<string, Node?> soleConsumer, HashSet<Node> done)
        {
            OnnxNode src = n.Src;
            int[] a = ShapeOf(n.In[0], src), b = ShapeOf(n.In[1], src);
            if (a.Length < 2 || b.Length < 2 || a[a.Length - 1] != b[b.Length - 2])
            {
                throw Fail(OnnxErrors.GraphStructure, src.Place, $"MatMul of [{string.Join(", ", a)}] and [{string.Join(", ", b)}]: QuantGen multiplies [..., M, K] by [..., K, N]");
            }

            var mm = new MatMulLayer();
            string output = n.Out;
            if (!quant.ContainsKey(output) && soleConsumer(output) is Node f && (f.Op == "Div" || f.Op == "Mul"))
            {
                string other = f.In[0] == output ? f.In[1] : f.In[0];
                if (consts.TryGetValue(other, out TensorValue? c) && c.Count == 1 && (f.Op == "Mul" || f.In[1] == other))
                {
                    mm.Alpha = f.Op == "Mul" ? c[0] : 1.0 / c[0];
                    done.Add(f);
                    output = f.Out;
                }
            }

            string x0 = n.In[0], x1 = n.In[1];
            foreach (string t in new[] { x0, x1 })
            {
                if (floatScaleIntoMatMul.TryGetValue(t, out (string X, double Factor) ff))
                {
                    mm.Alpha *= ff.Factor;
                    x0 = x0 == t ? ff.X : x0;
                    x1 = x1 == t ? ff.X : x1;
                }
            }

            (string X, TensorQuant Q)? s0 = scaleIntoMatMul.TryGetValue(x0, out var f0) ? f0 : null, s1 = scaleIntoMatMul.TryGetValue(x1, out var f1) ? f1 : null;
            if (s0 != null || s1 != null)
            {
                mm.Alpha = FoldedAlpha(mm.Alpha, x0, s0, x1, s1, output);
                x0 = s0?.X ?? x0;
                x1 = s1?.X ?? x1;
            }

            Add(mm, n, output, x0, x1);
            int[] os = (int[])a.Clone();
            os[os.Length - 1] = b[b.Length - 1];
            Produce(output, os);
        }

        /// <summary>
        /// torch 2.x's scaled_dot_product_attention export splits the attention scale over both operands, (q * sqrt(s)) @
        /// (k^T * sqrt(s)); quantize_static gives each Mul its own QDQ pair. The calibrated range of x * c is c times x's, so
        /// the Mul's output quantization is x's scale times c (float32) with x's zero point, and its Requantize maps every
        /// integer to itself. When that holds for every integer of the type (checked here with the Requantize's own
        /// dyadic), the Mul is no layer: the MatMul reads x and its alpha takes S_out / S_in (<see cref="FoldedAlpha"/>).
        /// In a float file the factor itself goes into alpha (exact in real terms).
        /// </summary>
        private bool TryScaleIntoMatMul(Node n, Func<string, Node?> soleConsumer)
        {
            if ((n.Op != "Mul" && n.Op != "Div") || n.In.Count != 2)
            {
                return false;
            }

            int k = consts.ContainsKey(n.In[1]) ? 1 : n.Op == "Mul" && consts.ContainsKey(n.In[0]) ? 0 : -1;
            if (k < 0 || consts.ContainsKey(n.In[1 - k]) || consts[n.In[k]].Count != 1 || ShapeOf(n.In[k], n.Src).Length > ShapeOf(n.In[1 - k], n.Src).Length)
            {
                return false;
            }

            double f = n.Op == "Mul" ? consts[n.In[k]][0] : 1.0 / consts[n.In[k]][0];
            string x = n.In[1 - k];
            if (!(f > 0) || double.IsInfinity(f) || !(soleConsumer(n.Out) is Node mm) || mm.Op != "MatMul" || mm.In.Any(consts.ContainsKey))
            {
                return false;
            }

            if (!sawQdq)
            {
                // A float file: alpha (x c) @ y = (alpha c) x @ y exactly; the quantizer then sees one MatMul, not a
                // Requantize whose calibrated 8-bit output is rounded once more before it.
                floatScaleIntoMatMul[n.Out] = (x, f);
                shapes[n.Out] = ShapeOf(x, n.Src);
                notes.Add($"{n.Src.Place}: {n.Op} by the scalar {consts[n.In[k]][0].ToString("R", CultureInfo.InvariantCulture)} folded into the MatMul's alpha ({mm.Src.Place})");
                return true;
            }

            if (!fixedActs.TryGetValue(Name(x), out TensorQuant? qx) || !quant.TryGetValue(n.Out, out TensorQuant? qy) || qx.Type != qy.Type || qx.ZeroPoint != qy.ZeroPoint)
            {
                return false;
            }

            Dyadic d = Dyadic.FromReal(f * qx.Scale / qy.Scale);
            for (long v = qx.Type.MinValue; v <= qx.Type.MaxValue; v++)
            {
                if (Math.Max(qy.Type.MinValue, Math.Min(qy.Type.MaxValue, qy.ZeroPoint + d.Apply(v - qx.ZeroPoint))) != v)
                {
                    return false;
                }
            }

            scaleIntoMatMul[n.Out] = (x, qy);
            shapes[n.Out] = ShapeOf(x, n.Src);
            notes.Add($"{n.Src.Place}: {n.Op} by the scalar {consts[n.In[k]][0].ToString("R", CultureInfo.InvariantCulture)} between QDQ pairs is an exact change of scale ({qx} -> {qy}: every integer maps to itself) folded into the MatMul's alpha ({mm.Src.Place})");
            return true;
        }

        /// <summary>
        /// The MatMul's alpha once the exact scale changes of its operands are folded (<see cref="TryScaleIntoMatMul"/>):
        /// alpha S_a S_b / S_y must give the same dyadic as before, with S_a, S_b now x's scales, so alpha takes the ratios
        /// S_out / S_in and is then moved by a few ulps when the product rounds to another 31-bit multiplier.
        /// </summary>
        private double FoldedAlpha(double alpha, string a, (string X, TensorQuant Q)? sa, string b, (string X, TensorQuant Q)? sb, string output)
        {
            double Scale(string t) => fixedActs.TryGetValue(Name(t), out TensorQuant? q) ? q.Scale : double.NaN;
            double ia = sa?.Q.Scale ?? Scale(a), ib = sb?.Q.Scale ?? Scale(b);
            double xa = sa != null ? Scale(sa.Value.X) : ia, xb = sb != null ? Scale(sb.Value.X) : ib;
            double folded = alpha * (ia / xa) * (ib / xb);
            if (!quant.TryGetValue(output, out TensorQuant? qy) || double.IsNaN(folded))
            {
                return folded;
            }

            Dyadic want = Dyadic.FromReal(alpha * ia * ib / qy.Scale);
            for (int step = 0; step < 64; step++)
            {
                foreach (double candidate in new[] { Nudge(folded, step), Nudge(folded, -step) })
                {
                    if (Dyadic.FromReal(candidate * xa * xb / qy.Scale) == want)
                    {
                        return candidate;
                    }
                }
            }

            throw Fail(OnnxErrors.InvalidQuantization, "graph", $"the attention scale folded into the MatMul writing '{output}' changes its multiplier ({want})");
        }

        private static double Nudge(double v, int steps)
        {
            for (int i = 0; i < Math.Abs(steps); i++)
            {
                v = steps > 0 ? Math.BitIncrement(v) : Math.BitDecrement(v);
            }

            return v;
        }

        private void LowerAdd(Node n)
        {
            OnnxNode src = n.Src;
            string x = n.In[0], y = n.In[1];
            if (consts.ContainsKey(x))
            {
                (x, y) = (y, x);
            }

            if (consts.ContainsKey(x))
            {
                throw Fail(OnnxErrors.GraphStructure, src.Place, "adds two constants; fold them before export");
            }

            int[] xs = ShapeOf(x, src);
            string yName;
            if (consts.TryGetValue(y, out TensorValue? c))
            {
                int[] dims = c.Dims.SkipWhile(d => d == 1).ToArray();
                if (dims.Length == 0)
                {
                    dims = new[] { 1 };
                }

                yName = AddFloatInitializer(y, dims, c.Floats ?? c.AsDoubles().Select(v => (float)v).ToArray());
                if (qconsts.TryGetValue(y, out QConst? qc))
                {
                    if (qc.Scales.Length != 1 || qc.ZeroPoints[0] != 0)
                    {
                        throw Fail(OnnxErrors.InvalidQuantization, src.Place, $"the constant '{y}' is quantized per axis or with a zero point; QuantGen adds constants quantized per tensor, symmetric");
                    }

                    int bits = qc.DataType == OnnxDataType.Int4 || qc.DataType == OnnxDataType.UInt4 ? 4 : qc.DataType == OnnxDataType.Int16 ? 16 : 8;
                    fixedWeights[yName] = new FixedTensor(ElementType.Int(bits), qc.Values.Select(v => (int)v).ToArray(), new[] { (double)(float)qc.Scales[0] });
                }
            }
            else
            {
                yName = y;
            }

            var add = new AddLayer();
            add.Name = LayerName(src);
            add.Inputs.Add(Name(x));
            add.Inputs.Add(consts.ContainsKey(y) ? yName : Name(y));
            add.Output = Name(n.Out);
            spec.Layers.Add(add);
            Produce(n.Out, xs);

            // Add -> Relu with the QDQ only after the Relu (torch's add_relu, ORT's QDQ around a residual): the sum takes
            // the Relu's quantization. Exact: saturating at that range's low end and then applying ReLU gives Q(ReLU(sum)).
            if (!quant.ContainsKey(n.Out) && Uses(n.Out) == 1 && rest.FirstOrDefault(r => r.Op == "Relu" && r.In.Contains(n.Out)) is Node relu && quant.TryGetValue(relu.Out, out TensorQuant? rq))
            {
                fixedActs[Name(n.Out)] = rq;
                notes.Add($"{src.Place}: its sum is not quantized in the file; it takes the quantization of the Relu after it ({relu.Src.Place})");
            }

            // A float constant (not a DequantizeLinear) added between QDQ pairs: ORT adds it at float32 precision and rounds
            // the sum once. Keep it as int32 at a scale 2^-s below the output's (ResidualAdd.WideConstant), so the Add's one
            // rounding is on that sum to within 2^-22 LSB instead of on an 8-bit copy of the constant (half a step off).
            // The integers and scale are this Add's own (its output scale sets them): only for a constant nothing else reads;
            // a shared one keeps the 8-bit form.
            if (wideConstantOperands && c != null && !qconsts.ContainsKey(y) && Uses(y) == 1 && !fixedWeights.ContainsKey(yName)
                && fixedActs.TryGetValue(Name(x), out TensorQuant? xq) && fixedActs.TryGetValue(Name(n.Out), out TensorQuant? oq)
                && ResidualAdd.WideConstant(c.Floats ?? c.AsDoubles().Select(v => (float)v).ToArray(), xq.Scale, oq.Scale) is (int[] wide, double wideScale))
            {
                fixedWeights[yName] = new FixedTensor(ElementType.Int32, wide, new[] { wideScale });
                notes.Add($"{src.Place}: its float constant '{y}' kept as int32 at the output's scale x 2^{Math.Round(Math.Log(wideScale / oq.Scale, 2)).ToString(CultureInfo.InvariantCulture)} (the file's precision: one rounding of the exact sum)");
            }
        }

        private void LowerClip(Node n)
        {
            (double lo, double hi) = ClipBounds(n);
            if (lo == 0 && double.IsPositiveInfinity(hi))
            {
                Add(new ReluLayer(), n, n.Out, n.In[0]);
            }
            else
            {
                Add(new ClipLayer { Min = double.IsNegativeInfinity(lo) ? -1e30 : lo, Max = double.IsPositiveInfinity(hi) ? 1e30 : hi }, n, n.Out, n.In[0]);
            }

            Produce(n.Out, ShapeOf(n.In[0], n.Src));
        }

        private int LastAxisCheck(Node n, string attr, long dflt)
        {
            int[] xs = ShapeOf(n.In[0], n.Src);
            long axis = n.Src.Attribute(attr)?.I ?? dflt;
            if (axis != -1 && axis != xs.Length - 1)
            {
                string older = opset < 13 && n.Op == "Softmax"
                    ? $" (below opset 13 Softmax normalises over every axis from {attr}{(n.Src.Attribute(attr) == null ? ", which defaults to 1" : string.Empty)}; re-export with opset_version=13 or later, or softmax over dim=-1)"
                    : string.Empty;
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"{attr}={axis} on a tensor of rank {xs.Length}; QuantGen applies {n.Op} along the last axis only (axis=-1): transpose before it" + older);
            }

            return xs.Length;
        }

        /// <summary>
        /// The output quantization the importer gives a table softmax whose output the file leaves in float (ORT's float
        /// probabilities): uint16 over [0, 1] (scale 1/65535, folded to int16 with zero point -32768 as a uint16 QDQ is),
        /// the closest 16-bit grid to [0, 1] with both ends exact; within 1/2 LSB = 7.7e-6 of the float softmax plus the
        /// table's error below 1e-6 (docs/numerics.md, "Table softmax to a float output").
        /// </summary>
        internal static readonly TensorQuant FloatSoftmaxOutput = new TensorQuant(ElementType.Int16, 1.0 / 65535, -32768);

        private void LowerSoftmax(Node n)
        {
            LastAxisCheck(n, "axis", SoftmaxAxisDefault);
            bool inTable = quant.TryGetValue(n.In[0], out TensorQuant? qin) && qin.Type.Bits <= SoftmaxTable.MaxInputBits;
            bool between = quant.TryGetValue(n.Out, out TensorQuant? q) && inTable;
            bool floatOut = q == null && inTable;
            SoftmaxMethod natural = between || floatOut ? SoftmaxMethod.Table : SoftmaxMethod.Shiftmax;
            SoftmaxMethod method = forcedSoftmax ?? natural;
            Add(new SoftmaxLayer { Method = method }, n, n.Out, n.In[0]);
            Produce(n.Out, ShapeOf(n.In[0], n.Src));
            string forced = forcedSoftmax.HasValue ? $" (QuantizationOptions.SoftmaxMethod forces {SoftmaxOperator.MethodName(method)})" : string.Empty;
            if (method == SoftmaxMethod.Table && between)
            {
                // The float softmax between a QDQ pair with an 8-bit input: an exponential table and exact normalisation to
                // the file's own QuantizeLinear, i.e. ONNX Runtime's integers (docs/numerics.md, "Table softmax").
                notes.Add($"{n.Src.Place}: Softmax between a QDQ pair mapped to the table softmax (exponential table, output at the QuantizeLinear's {q})");
            }
            else if (method == SoftmaxMethod.Table && floatOut)
            {
                // A quantized input and a float output (Softmax outside op_types_to_quantize, or at the graph output without a
                // QuantizeLinear): ORT's probabilities are float, so the importer picks the output grid, 16 bits over [0, 1].
                fixedActs[Name(n.Out)] = FloatSoftmaxOutput;
                notes.Add($"{n.Src.Place}: Softmax after a quantized input with a float output mapped to the table softmax with the importer's output quantization (uint16 over [0, 1]: {FloatSoftmaxOutput}; within 8e-6 of the float softmax)");
            }
            else if (method != SoftmaxMethod.Table && q != null)
            {
                notes.Add($"{n.Src.Place}: the QuantizeLinear after Softmax ({q}) is replaced by {SoftmaxOperator.MethodName(method)}'s own output quantization{forced}");
                fixedActs.Remove(Name(n.Out));
            }
            else if (method != natural)
            {
                notes.Add($"{n.Src.Place}: Softmax{forced}: {SoftmaxOperator.MethodName(method)} with its own output quantization, not the {SoftmaxOperator.MethodName(natural)} softmax the importer picks here");
            }
        }

        private void LowerLayerNorm(Node n)
        {
            LastAxisCheck(n, "axis", -1);
            int[] xs = ShapeOf(n.In[0], n.Src);
            int ch = xs[xs.Length - 1];
            TensorValue gamma = Const(n, 1, "scale");
            var ln = new LayerNormLayer { Epsilon = n.Src.Attribute("epsilon")?.F ?? 1e-5f };
            if (gamma.Count != ch)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"scale has {gamma.Count} values for {ch} channels");
            }

            ln.Gamma = AddFloatInitializer(n.In[1], new[] { ch }, gamma.Floats ?? gamma.AsDoubles().Select(v => (float)v).ToArray());
            if (n.In.Count > 2 && n.In[2].Length > 0)
            {
                TensorValue beta = Const(n, 2, "bias B");
                ln.Beta = AddFloatInitializer(n.In[2], new[] { ch }, beta.Floats ?? beta.AsDoubles().Select(v => (float)v).ToArray());
            }

            Add(ln, n, n.Out, n.In[0]);
            Produce(n.Out, xs);
        }

        private long[] AxesOf(Node n)
        {
            if (n.Src.Attribute("axes") is OnnxAttribute a)
            {
                return a.Ints.ToArray();
            }

            if (n.In.Count > 1 && n.In[1].Length > 0)
            {
                TensorValue c = Const(n, 1, "axes");
                return c.Ints ?? c.AsDoubles().Select(v => (long)v).ToArray();
            }

            return new long[0];
        }

        private void LowerReshape(Node n)
        {
            OnnxNode src = n.Src;
            int[] xs = ShapeOf(n.In[0], src);
            long total = xs.Aggregate(1L, (p, d) => p * d);
            int[] target;
            switch (n.Op)
            {
                case "Reshape":
                {
                    TensorValue s = Const(n, 1, "shape");
                    long[] want = s.Ints ?? throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "the shape is not an integer tensor");
                    bool allowZero = (src.Attribute("allowzero")?.I ?? 0) != 0;
                    target = new int[want.Length];
                    int infer = -1;
                    long known = 1;
                    for (int i = 0; i < want.Length; i++)
                    {
                        long d = want[i] == 0 && !allowZero ? (i < xs.Length ? xs[i] : throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"shape entry {i} is 0 (copy) but the input has rank {xs.Length}")) : want[i];
                        if (d == -1)
                        {
                            if (infer >= 0)
                            {
                                throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, "more than one -1 in the shape");
                            }

                            infer = i;
                            continue;
                        }

                        if (d <= 0)
                        {
                            throw Fail(OnnxErrors.UnsupportedAttribute, src.Place, $"shape entry {i} is {d}");
                        }

                        target[i] = (int)d;
                        known *= d;
                    }

                    if (infer >= 0)
                    {
                        if (known == 0 || total % known != 0)
                        {
                            throw Fail(OnnxErrors.GraphStructure, src.Place, $"cannot reshape [{string.Join(", ", xs)}] to [{string.Join(", ", want)}]");
                        }

                        target[infer] = (int)(total / known);
                    }

                    break;
                }

                case "Flatten":
                {
                    long axis = src.Attribute("axis")?.I ?? 1;
                    if (axis < 0)
                    {
                        axis += xs.Length;
                    }

                    long lead = xs.Take((int)axis).Aggregate(1L, (p, d) => p * d);
                    target = new[] { (int)lead, (int)(total / Math.Max(1, lead)) };
                    break;
                }

                case "Squeeze":
                {
                    long[] axes = AxesOf(n).Select(a => a < 0 ? a + xs.Length : a).ToArray();
                    target = xs.Where((d, i) => axes.Length == 0 ? d != 1 : !axes.Contains(i)).ToArray();
                    break;
                }

                default:
                {
                    long[] axes = AxesOf(n);
                    int rank = xs.Length + axes.Length;
                    var set = new HashSet<long>(axes.Select(a => a < 0 ? a + rank : a));
                    var t = new List<int>();
                    int j = 0;
                    for (int i = 0; i < rank; i++)
                    {
                        t.Add(set.Contains(i) ? 1 : xs[j++]);
                    }

                    target = t.ToArray();
                    break;
                }
            }

            if (target.Aggregate(1L, (p, d) => p * d) != total)
            {
                throw Fail(OnnxErrors.GraphStructure, src.Place, $"cannot reshape [{string.Join(", ", xs)}] ({total} elements) to [{string.Join(", ", target)}]");
            }

            Add(new ReshapeLayer { Shape = target }, n, n.Out, n.In[0]);
            Produce(n.Out, target, QuantSource(n.In[0], n.Out));
        }

        /// <summary>Data movement keeps its input's quantization; an explicit QDQ on its output must agree.</summary>
        private string QuantSource(string input, string output)
        {
            if (quant.TryGetValue(output, out TensorQuant? qo) && quant.TryGetValue(input, out TensorQuant? qi) && (qo.Scale != qi.Scale || qo.ZeroPoint != qi.ZeroPoint || qo.Type != qi.Type))
            {
                Node n = rest.First(r => r.Out == output);
                throw Fail(OnnxErrors.InvalidQuantization, n.Src.Place, $"its input is quantized as {qi} but its output as {qo}; QuantGen's data movement (Reshape, Transpose, MaxPool, ...) keeps the input's quantization: give both QuantizeLinear nodes the same scale and zero point");
            }

            return quant.ContainsKey(output) ? output : input;
        }

        private void LowerTranspose(Node n)
        {
            int[] xs = ShapeOf(n.In[0], n.Src);
            int[] perm = n.Src.Attribute("perm") is OnnxAttribute p ? p.Ints.Select(v => (int)v).ToArray() : Enumerable.Range(0, xs.Length).Reverse().ToArray();
            if (perm.Length != xs.Length || perm.OrderBy(v => v).Where((v, i) => v != i).Any())
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, n.Src.Place, $"perm [{string.Join(", ", perm)}] is not a permutation of rank {xs.Length}");
            }

            Add(new TransposeLayer { Perm = perm }, n, n.Out, n.In[0]);
            Produce(n.Out, perm.Select(i => xs[i]).ToArray(), QuantSource(n.In[0], n.Out));
        }

        /// <summary>
        /// The exact GELU as torch exports it: Div(x, sqrt 2) (or Mul(x, 1/sqrt 2)) -> Erf -> Add 1 -> Mul x -> Mul 0.5,
        /// with the two final Muls in either order.
        /// </summary>
        private bool TryGeluChain(Node div, Func<string, Node?> soleConsumer, HashSet<Node> done)
        {
            if (div.In.Count < 2 || !consts.TryGetValue(div.In[1], out TensorValue? c) || c.Count != 1)
            {
                return false;
            }

            double factor = div.Op == "Div" ? 1.0 / c[0] : c[0];
            if (Math.Abs(factor - 0.7071067811865476) > 1e-4)
            {
                return false;
            }

            string x = div.In[0];
            Node? erf = soleConsumer(div.Out);
            if (erf == null || erf.Op != "Erf")
            {
                return false;
            }

            Node? add = soleConsumer(erf.Out);
            if (add == null || add.Op != "Add" || !IsScalar(add.In[0] == erf.Out ? add.In[1] : add.In[0], 1.0))
            {
                return false;
            }

            Node? m1 = soleConsumer(add.Out);
            if (m1 == null || m1.Op != "Mul")
            {
                return false;
            }

            string other = m1.In[0] == add.Out ? m1.In[1] : m1.In[0];
            Node last;
            var chain = new List<Node> { erf, add, m1 };
            if (other == x)
            {
                Node? m2 = soleConsumer(m1.Out);
                if (m2 == null || m2.Op != "Mul" || !IsScalar(m2.In[0] == m1.Out ? m2.In[1] : m2.In[0], 0.5))
                {
                    return false;
                }

                chain.Add(m2);
                last = m2;
            }
            else
            {
                Node? half = rest.FirstOrDefault(r => r.Out == other);
                if (half == null || half.Op != "Mul" || !half.In.Contains(x) || !IsScalar(half.In[0] == x ? half.In[1] : half.In[0], 0.5) || Uses(half.Out) != 1)
                {
                    return false;
                }

                chain.Add(half);
                last = m1;
            }

            foreach (Node cn in chain)
            {
                done.Add(cn);
            }

            GeluLayer gelu = GeluFor(x, last.Out);
            Add(gelu, div, last.Out, x);
            Produce(last.Out, ShapeOf(x, div.Src));
            notes.Add($"{div.Src.Place}: exact-erf GELU chain ({string.Join(" -> ", new[] { div }.Concat(chain).Select(r => r.Op))}) mapped to Gelu ({GeluWhat(gelu)})");
            return true;
        }

        private static readonly HashSet<string> ElementwiseOps = new HashSet<string>(StringComparer.Ordinal) { "Mul", "Add", "Div", "Sub", "Pow", "Tanh", "Erf", "Sqrt" };

        /// <summary>
        /// Any GELU written out element by element (the erf form in any operand order, the tanh form
        /// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), Mul(x, 0.5) first...): the largest run of element-wise
        /// nodes fed only by one activation x and scalar constants, with exactly one output leaving the run, is
        /// evaluated on x in [-8, 8] and accepted as GELU when it is within 1e-3 of the exact GELU everywhere.
        /// </summary>
        private bool TryElementwiseGelu(Node start, HashSet<Node> done)
        {
            string? x = start.In.FirstOrDefault(i => i.Length > 0 && !consts.ContainsKey(i));
            if (x == null)
            {
                return false;
            }

            var inRun = new HashSet<string>(StringComparer.Ordinal) { x };
            var run = new List<Node>();
            for (int i = rest.IndexOf(start); i < rest.Count && run.Count < 32; i++)
            {
                Node m = rest[i];
                if (done.Contains(m) && m != start)
                {
                    continue;
                }

                if (ElementwiseOps.Contains(m.Op) && m.In.All(v => inRun.Contains(v) || ScalarConst(v) != null) && m.In.Any(inRun.Contains))
                {
                    run.Add(m);
                    inRun.Add(m.Out);
                }
            }

            List<Node> exits = run.Where(m => Uses(m.Out) > run.Sum(r => r.In.Count(v => v == m.Out))).ToList();
            if (exits.Count != 1 || run.Count < 3)
            {
                return false;
            }

            Node last = exits[0];
            var needed = new HashSet<string>(StringComparer.Ordinal) { last.Out };
            var chain = new List<Node>();
            for (int i = run.Count - 1; i >= 0; i--)
            {
                if (needed.Contains(run[i].Out))
                {
                    chain.Insert(0, run[i]);
                    foreach (string v in run[i].In)
                    {
                        needed.Add(v);
                    }
                }
            }

            if (chain.Any(m => m != last && Uses(m.Out) != chain.Sum(r => r.In.Count(v => v == m.Out))))
            {
                return false;
            }

            for (double t = -8; t <= 8; t += 1.0 / 64)
            {
                var val = new Dictionary<string, double>(StringComparer.Ordinal) { [x] = t };
                double V(string name) => val.TryGetValue(name, out double d) ? d : ScalarConst(name)!.Value;
                foreach (Node m in chain)
                {
                    double a = V(m.In[0]), b = m.In.Count > 1 ? V(m.In[1]) : 0;
                    val[m.Out] = m.Op switch
                    {
                        "Mul" => a * b,
                        "Add" => a + b,
                        "Sub" => a - b,
                        "Div" => a / b,
                        "Pow" => Math.Pow(a, b),
                        "Tanh" => Math.Tanh(a),
                        "Erf" => FloatReference.Erf(a),
                        _ => Math.Sqrt(a),
                    };
                }

                if (!(Math.Abs(val[last.Out] - FloatReference.Gelu(t)) <= 1e-3))
                {
                    return false;
                }
            }

            foreach (Node m in chain)
            {
                done.Add(m);
            }

            GeluLayer g = GeluFor(x, last.Out);
            g.Name = LayerName(start.Src);
            g.Inputs.Add(Name(x));
            g.Output = Name(last.Out);
            spec.Layers.Add(g);
            Produce(last.Out, ShapeOf(x, start.Src));
            notes.Add($"{start.Src.Place}: GELU written out element by element ({string.Join(" -> ", chain.Select(r => r.Op))}) recognised numerically and mapped to Gelu ({GeluWhat(g)})");
            return true;
        }

        /// <summary>
        /// A GELU between a QDQ pair with an input of at most 8 bits gets the table method (the exact-erf GELU correctly rounded
        /// to the file's output quantization: ONNX Runtime's integers, intermediate QDQs of a written-out chain aside); any other
        /// GELU ShiftGELU (post-training quantization may override either with QuantizationOptions.GeluMethod).
        /// </summary>
        private GeluLayer GeluFor(string x, string y) =>
            new GeluLayer { Method = quant.TryGetValue(y, out _) && quant.TryGetValue(x, out TensorQuant? qx) && qx.Type.Bits <= Operators.GeluOperator.MaxTableInputBits ? GeluMethod.Table : GeluMethod.ShiftGelu };

        private static string GeluWhat(GeluLayer g) => g.Method == GeluMethod.Table ? "table GELU between QDQ pairs" : "ShiftGELU";

        private double? ScalarConst(string name) => consts.TryGetValue(name, out TensorValue? c) && c.Count == 1 ? c[0] : (double?)null;

        private bool IsScalar(string name, double value) => consts.TryGetValue(name, out TensorValue? c) && c.Count == 1 && Math.Abs(c[0] - value) < 1e-6;
    }
}
