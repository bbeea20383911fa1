using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Graph
{
    /// <summary>
    /// Binds a parsed spec to its weights and validates the whole graph: names resolve, layers are in
    /// execution order (no cycles), shapes agree (shape inference), stored tensors match the spec exactly
    /// (no missing or extra tensor, right dtype and byte length, values inside their type), and a quantized
    /// model carries consistent integer parameters. Every problem becomes a <see cref="ModelDiagnostic"/>.
    /// </summary>
    public sealed class GraphBuilder
    {
        private readonly ModelSpec spec;
        private readonly string specFile;
        private readonly string weightsFile;
        private readonly List<ModelDiagnostic> diagnostics;
        private readonly Dictionary<string, TensorInfo> tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> laterOutputs = new Dictionary<string, int>(StringComparer.Ordinal);
        private int errors;

        private GraphBuilder(ModelSpec spec, string weightsFile, List<ModelDiagnostic> diagnostics)
        {
            this.spec = spec;
            specFile = spec.SourceFile;
            this.weightsFile = weightsFile;
            this.diagnostics = diagnostics;
        }

        private bool Quantized => spec.Kind == ModelKind.Quantized;

        /// <summary>Returns the graph, or null when any error was reported.</summary>
        public static ModelGraph? Build(ModelSpec spec, IReadOnlyList<RawTensor> weights, string weightsFile, List<ModelDiagnostic> diagnostics)
        {
            var b = new GraphBuilder(spec, weightsFile, diagnostics);
            ModelGraph? g = b.Run(weights);
            return b.errors == 0 ? g : null;
        }

        internal ModelSpec Spec => spec;

        internal bool TryGetTensor(string name, out TensorInfo? t) => tensors.TryGetValue(name, out t);

        internal void Report(string id, string message, SourcePlace place) =>
            Add(new ModelDiagnostic(id, message, specFile, place.Path, place.Line, place.Column));

        private void ReportWeights(string id, string message, string tensor) =>
            Add(new ModelDiagnostic(id, message, weightsFile, "tensor '" + tensor + "'", 0, 0));

        private void Add(ModelDiagnostic d)
        {
            diagnostics.Add(d);
            errors++;
        }

        private static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

        private ModelGraph? Run(IReadOnlyList<RawTensor> weights)
        {
            var inputs = new List<TensorInfo>();
            foreach (InputSpec inSpec in spec.Inputs)
            {
                if (Quantized && inSpec.Quant == null)
                {
                    Report(ModelErrors.MissingField, $"the input \"{inSpec.Name}\" of a quantized model needs type, scale and zeroPoint", inSpec.Place);
                    return null;
                }

                if (tensors.ContainsKey(inSpec.Name))
                {
                    Report(ModelErrors.DuplicateInputOrOutput, $"two model inputs are named \"{inSpec.Name}\"; every input needs its own name", inSpec.Place);
                    return null;
                }

                ElementType type = inSpec.Quant?.Type ?? ElementType.Float32;
                var input = new TensorInfo(inSpec.Name, TensorKind.Input, inSpec.Shape, type, inSpec.Quant, inSpec.Place) { IsIndex = inSpec.IsIndex };
                tensors.Add(input.Name, input);
                inputs.Add(input);
                if (inSpec.IsIndex)
                {
                    if (Quantized && (inSpec.Quant!.Type != ElementType.Int32 || inSpec.Quant.Scale != 1.0 || inSpec.Quant.ZeroPoint != 0))
                    {
                        Report(ModelErrors.BadInputType, $"index input \"{inSpec.Name}\" must be int32 with scale 1 and zero point 0; found {inSpec.Quant}", inSpec.Place);
                    }

                    if (inSpec.RangeMin != 0 || inSpec.RangeMax < 0 || inSpec.RangeMax != Math.Floor(inSpec.RangeMax) || inSpec.RangeMax > int.MaxValue - 1)
                    {
                        Report(ModelErrors.BadInputType, $"index input \"{inSpec.Name}\" needs a range [0, n - 1] of whole ids; found [{inSpec.RangeMin}, {inSpec.RangeMax}]", inSpec.Place);
                    }
                }
                else if (Quantized && inSpec.Quant != null)
                {
                    TensorQuant q = inSpec.Quant;
                    double lo = q.Dequantize(q.Type.MinValue), hi = q.Dequantize(q.Type.MaxValue);
                    if (inSpec.RangeMin < lo - q.Scale || inSpec.RangeMax > hi + q.Scale)
                    {
                        Report(ModelErrors.InvalidQuantization, $"the declared range [{inSpec.RangeMin}, {inSpec.RangeMax}] of input \"{inSpec.Name}\" does not fit {q.Type} at scale {q.Scale} and zero point {q.ZeroPoint} (representable: [{lo}, {hi}])", inSpec.Place);
                    }
                }
            }

            BindInitializers(weights);

            for (int i = 0; i < spec.Layers.Count; i++)
            {
                foreach (string o in spec.Layers[i].Outputs)
                {
                    if (!laterOutputs.ContainsKey(o))
                    {
                        laterOutputs[o] = i;
                    }
                }
            }

            var layerNames = new HashSet<string>(StringComparer.Ordinal);
            var nodes = new List<GraphNode>();
            foreach (LayerSpec layer in spec.Layers)
            {
                if (!layerNames.Add(layer.Name))
                {
                    Report(ModelErrors.DuplicateName, $"two layers are named \"{layer.Name}\"; layer names must be unique", layer.Place);
                }

                GraphNode? node = BindLayer(layer);
                if (node == null)
                {
                    return null;
                }

                nodes.Add(node);
            }

            CheckUnusedActivations();
            CheckUnusedInputs(inputs);
            var outputs = new List<TensorInfo>();
            var outputNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (OutputSpec o in spec.Outputs)
            {
                if (!outputNames.Add(o.Name))
                {
                    Report(ModelErrors.DuplicateInputOrOutput, $"\"outputs\" lists \"{o.Name}\" twice; list every model output once", o.Place);
                    continue;
                }

                if (!tensors.TryGetValue(o.Name, out TensorInfo? output))
                {
                    Report(ModelErrors.UndefinedTensor, $"the model output \"{o.Name}\" is not produced by any layer", o.Place);
                    continue;
                }

                if (output.Kind != TensorKind.Activation)
                {
                    Report(ModelErrors.InvalidValue, $"the model output \"{o.Name}\" must be produced by a layer", o.Place);
                }

                outputs.Add(output);
            }

            return errors == 0 ? new ModelGraph(spec, inputs, outputs, nodes, tensors) : null;
        }

        private void BindInitializers(IReadOnlyList<RawTensor> weights)
        {
            var byName = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
            foreach (RawTensor r in weights)
            {
                byName[r.Name] = r;
            }

            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (LayerSpec l in spec.Layers)
            {
                foreach (string r in l.InitializerReferences().Concat(l.Inputs))
                {
                    referenced.Add(r);
                }
            }

            foreach (InitializerSpec init in spec.Initializers)
            {
                if (tensors.ContainsKey(init.Name))
                {
                    Report(ModelErrors.DuplicateName, $"initializer \"{init.Name}\" has the same name as the model input", init.Place);
                    continue;
                }

                if (!referenced.Contains(init.Name))
                {
                    Report(ModelErrors.ExtraTensor, $"initializer \"{init.Name}\" is not used by any layer; remove it from the spec and the weights file", init.Place);
                }

                if (!byName.TryGetValue(init.Name, out RawTensor? raw))
                {
                    Report(ModelErrors.MissingTensor, $"initializer \"{init.Name}\" is not in the weights file {weightsFile}", init.Place);
                    continue;
                }

                TensorInfo? t = DecodeInitializer(init, raw);
                if (t != null)
                {
                    tensors.Add(init.Name, t);
                }
            }

            foreach (RawTensor r in weights)
            {
                if (spec.FindInitializer(r.Name) == null)
                {
                    ReportWeights(ModelErrors.ExtraTensor, $"the weights file holds tensor \"{r.Name}\" that the spec does not declare in \"initializers\"", r.Name);
                }
            }
        }

        private TensorInfo? DecodeInitializer(InitializerSpec init, RawTensor raw)
        {
            string expectedDtype = TensorCodec.StorageDtype(init.Type);
            if (raw.Dtype != expectedDtype)
            {
                ReportWeights(ModelErrors.WrongDtype, $"stored as {raw.Dtype} but the spec declares {init.Type}, which is stored as {expectedDtype}", init.Name);
                return null;
            }

            long[] expectedShape = TensorCodec.StorageShape(init.Type, init.Shape);
            if (!expectedShape.SequenceEqual(raw.Shape))
            {
                ReportWeights(ModelErrors.ShapeMismatch, $"stored shape [{string.Join(", ", raw.Shape)}] but the spec declares {Shape(init.Shape)} (stored as [{string.Join(", ", expectedShape)}])", init.Name);
                return null;
            }

            TensorQuant? quant = null;
            if (Quantized && init.Scales != null)
            {
                quant = new TensorQuant(init.Type, init.Scales[0], init.ZeroPoint);
            }

            var t = new TensorInfo(init.Name, TensorKind.Initializer, init.Shape, init.Type, quant, init.Place);
            if (init.Type.IsFloat)
            {
                float[] data = TensorCodec.DecodeFloats(raw);
                for (int i = 0; i < data.Length; i++)
                {
                    if (float.IsNaN(data[i]) || float.IsInfinity(data[i]))
                    {
                        ReportWeights(ModelErrors.ValueOutOfRange, $"element {i} is {data[i]}; weights must be finite", init.Name);
                        return null;
                    }
                }

                t.FloatData = data;
            }
            else
            {
                int[] data = TensorCodec.DecodeInts(raw, init.Type, init.Shape);
                for (int i = 0; i < data.Length; i++)
                {
                    if (data[i] < init.Type.MinValue || data[i] > init.Type.MaxValue)
                    {
                        ReportWeights(ModelErrors.ValueOutOfRange, $"element {i} is {data[i]}, outside {init.Type} [{init.Type.MinValue}, {init.Type.MaxValue}]", init.Name);
                        return null;
                    }
                }

                t.IntData = data;
                if (init.Scales != null && init.Scales.Length > 1)
                {
                    t.ChannelScales = init.Scales;
                }
            }

            return t;
        }

        private TensorInfo? Resolve(LayerSpec layer, string name, int index)
        {
            if (tensors.TryGetValue(name, out TensorInfo? t))
            {
                return t;
            }

            if (laterOutputs.TryGetValue(name, out int producer))
            {
                LayerSpec p = spec.Layers[producer];
                string why = p == layer ? "its own output (a cycle)" : $"a tensor produced later by layer \"{p.Name}\"";
                Report(ModelErrors.OrderOrCycle, $"layer \"{layer.Name}\" reads \"{name}\", {why}; list layers in execution order, the graph must be acyclic", layer.Place);
            }
            else
            {
                Report(ModelErrors.UndefinedTensor, $"layer \"{layer.Name}\" reads \"{name}\" (input {index}), which is neither the model input, an initializer nor any layer's output", layer.Place);
            }

            return null;
        }

        private GraphNode? BindLayer(LayerSpec layer)
        {
            var inputs = new TensorInfo[layer.Inputs.Count];
            for (int i = 0; i < inputs.Length; i++)
            {
                TensorInfo? t = Resolve(layer, layer.Inputs[i], i);
                if (t == null)
                {
                    return null;
                }

                inputs[i] = t;
            }

            if (layer.Outputs.Count == 0)
            {
                Report(ModelErrors.MissingField, $"layer \"{layer.Name}\" has no output", layer.Place);
                return null;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string o in layer.Outputs)
            {
                if (tensors.ContainsKey(o) || !seen.Add(o))
                {
                    Report(ModelErrors.DuplicateName, $"layer \"{layer.Name}\" writes \"{o}\", which is already defined; every tensor has one producer", layer.Place);
                    return null;
                }
            }

            Operator? def = OperatorRegistry.Core.Find(layer.Op);
            if (def == null)
            {
                Report(ModelErrors.UnknownOperator, $"layer \"{layer.Name}\": operator {layer.Op} has no core definition (Operators/{layer.Op})", layer.Place);
                return null;
            }

            foreach (TensorInfo t in inputs)
            {
                if (t.Kind == TensorKind.Initializer && !def.AcceptsInitializerInputs)
                {
                    Report(ModelErrors.InvalidValue, $"layer \"{layer.Name}\" ({layer.Op}) reads initializer \"{t.Name}\" as a data input; only {ConstantOperandOperators()} accept a constant operand (use Dense for constant weights)", layer.Place);
                    return null;
                }

                if (t.IsIndex && !def.AcceptsIndexInputs)
                {
                    Report(ModelErrors.BadInputType, $"layer \"{layer.Name}\" ({layer.Op}) reads the index input \"{t.Name}\" (token ids); only Embedding reads ids (declare the input as a quantized activation if it holds values)", layer.Place);
                    return null;
                }
            }

            var ctx = new GraphContext(this, layer, inputs, Quantized);
            int[][]? shapes = def.InferShapes(ctx);
            if (shapes == null)
            {
                return null;
            }

            if (shapes.Length != layer.Outputs.Count)
            {
                Report(ModelErrors.ShapeMismatch, $"layer \"{layer.Name}\": {layer.Op} produces {shapes.Length} output{(shapes.Length == 1 ? string.Empty : "s")} here; the layer lists {layer.Outputs.Count}", layer.Place);
                return null;
            }

            OutputQuantization rule = def.OutputQuantization;
            var outputs = new TensorInfo[shapes.Length];
            for (int j = 0; j < outputs.Length; j++)
            {
                string name = layer.Outputs[j];
                int[] shape = shapes[j];
                TensorQuant? outQuant = null;
                ElementType outType = ElementType.Float32;
                if (rule == OutputQuantization.Index)
                {
                    outType = ElementType.Int32;
                    outQuant = Quantized ? new TensorQuant(ElementType.Int32, 1.0, 0) : null;
                }
                else if (Quantized)
                {
                    outQuant = OutputQuant(layer, name, inputs[0], rule == OutputQuantization.Input);
                    if (outQuant == null)
                    {
                        return null;
                    }

                    outType = outQuant.Type;
                }

                ActivationSpec? declared = spec.FindActivation(name);
                if (declared?.Shape != null && !declared.Shape.SequenceEqual(shape))
                {
                    Report(ModelErrors.ShapeMismatch, $"activation \"{name}\" is declared with shape {Shape(declared.Shape)} but layer \"{layer.Name}\" produces {Shape(shape)}", declared.Place);
                    return null;
                }

                outputs[j] = new TensorInfo(name, TensorKind.Activation, shape, outType, outQuant, layer.Place);
            }

            var node = new GraphNode(layer, inputs, outputs) { Weight = ctx.Weight, Bias = ctx.Bias };
            if (Quantized && layer.NeedsIntegers && layer.IntegerParameters == null)
            {
                Report(ModelErrors.LayerPhase, $"layer \"{layer.Name}\": a quantized {layer.Op} layer needs its integer parameters (multipliers, shifts, clamps...); this one has none", layer.Place);
                return null;
            }

            if (!Quantized && layer.IntegerParameters != null)
            {
                Report(ModelErrors.LayerPhase, $"layer \"{layer.Name}\": a float model's {layer.Op} layer carries integer parameters; quantize the model instead (or declare it quantized)", layer.Place);
                return null;
            }

            if (Quantized && !def.CheckQuantized(new GraphContext(this, layer, inputs, Quantized) { Weight = node.Weight, Bias = node.Bias }, node))
            {
                return null;
            }

            foreach (TensorInfo o in outputs)
            {
                tensors.Add(o.Name, o);
            }

            return node;
        }

        /// <summary>The operators whose data inputs may be initializers, for the message that rejects one.</summary>
        private static string ConstantOperandOperators()
        {
            var names = OperatorRegistry.Core.All.Where(o => o.AcceptsInitializerInputs).Select(o => o.Name).ToList();
            return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[names.Count - 1];
        }

        private TensorQuant? OutputQuant(LayerSpec layer, string output, TensorInfo input, bool passes)
        {
            ActivationSpec? declared = spec.FindActivation(output);
            if (passes)
            {
                TensorQuant q = input.Quant!;
                if (declared != null && (declared.Quant.Type != q.Type || declared.Quant.Scale != q.Scale || declared.Quant.ZeroPoint != q.ZeroPoint))
                {
                    Report(ModelErrors.InvalidQuantization, $"{layer.Op} layer \"{layer.Name}\" keeps its input's quantization ({q}); activation \"{output}\" declares {declared.Quant}", declared.Place);
                    return null;
                }

                return q;
            }

            if (declared == null)
            {
                Report(ModelErrors.MissingField, $"the output \"{output}\" of layer \"{layer.Name}\" needs an entry in \"activations\" (type, scale, zeroPoint)", layer.Place);
                return null;
            }

            return declared.Quant;
        }

        /// <summary>A model input no layer reads would still be a parameter of every generated API: say so instead.</summary>
        private void CheckUnusedInputs(List<TensorInfo> inputs)
        {
            var read = new HashSet<string>(spec.Layers.SelectMany(l => l.Inputs), StringComparer.Ordinal);
            foreach (TensorInfo t in inputs)
            {
                if (!read.Contains(t.Name))
                {
                    Report(ModelErrors.UnusedInput, $"the model input \"{t.Name}\" is read by no layer; remove it from \"inputs\" or connect it", t.Place);
                }
            }
        }

        private void CheckUnusedActivations()
        {
            foreach (ActivationSpec a in spec.Activations)
            {
                if (!tensors.TryGetValue(a.Name, out TensorInfo? t) || t.Kind != TensorKind.Activation)
                {
                    Report(ModelErrors.UndefinedTensor, $"\"activations\" describes \"{a.Name}\", which no layer produces", a.Place);
                }
            }
        }
    }
}
