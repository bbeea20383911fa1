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
            InputSpec inSpec = spec.Input;
            if (Quantized && inSpec.Quant == null)
            {
                Report(ModelErrors.MissingField, "the input of a quantized model needs type, scale and zeroPoint", inSpec.Place);
                return null;
            }

            var input = new TensorInfo(inSpec.Name, TensorKind.Input, inSpec.Shape, inSpec.Quant?.Type ?? ElementType.Float32, inSpec.Quant, inSpec.Place);
            tensors.Add(input.Name, input);
            if (Quantized && inSpec.Quant != null)
            {
                TensorQuant q = inSpec.Quant;
                double lo = q.Dequantize(q.Type.MinValue), hi = q.Dequantize(q.Type.MaxValue);
                if (inSpec.RangeMin < lo - q.Scale || inSpec.RangeMax > hi + q.Scale)
                {
                    Report(ModelErrors.InvalidQuantization, $"the declared input range [{inSpec.RangeMin}, {inSpec.RangeMax}] does not fit {q.Type} at scale {q.Scale} and zero point {q.ZeroPoint} (representable: [{lo}, {hi}])", inSpec.Place);
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
            if (!tensors.TryGetValue(spec.Output, out TensorInfo? output))
            {
                Report(ModelErrors.UndefinedTensor, $"the model output \"{spec.Output}\" is not produced by any layer", spec.OutputPlace);
                return null;
            }

            if (output.Kind != TensorKind.Activation)
            {
                Report(ModelErrors.InvalidValue, $"the model output \"{spec.Output}\" must be produced by a layer", spec.OutputPlace);
            }

            return errors == 0 ? new ModelGraph(spec, input, output, nodes, tensors) : null;
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
            foreach (TensorInfo t in inputs)
            {
                bool initializerOk = def != null && def.Implements(CoreStage.Shape) ? def.AcceptsInitializerInputs : layer.Op == OpKind.Add;
                if (t.Kind == TensorKind.Initializer && !initializerOk)
                {
                    Report(ModelErrors.InvalidValue, $"layer \"{layer.Name}\" ({layer.Op}) reads initializer \"{t.Name}\" as a data input; only {ConstantOperandOperators()} accept a constant operand (use Dense for constant weights)", layer.Place);
                    return null;
                }
            }

            var ctx = new GraphContext(this, layer, inputs, Quantized);
            int[][]? shapes;
            if (def != null && def.Implements(CoreStage.Shape))
            {
                shapes = def.InferShapes(ctx);
            }
            else
            {
                int[]? one = InferShape(ctx);
                shapes = one == null ? null : new[] { one };
            }

            if (shapes == null)
            {
                return null;
            }

            if (shapes.Length != layer.Outputs.Count)
            {
                Report(ModelErrors.ShapeMismatch, $"layer \"{layer.Name}\": {layer.Op} produces {shapes.Length} output{(shapes.Length == 1 ? string.Empty : "s")} here; the layer lists {layer.Outputs.Count}", layer.Place);
                return null;
            }

            OutputQuantization rule = def != null && def.Implements(CoreStage.Shape) ? def.OutputQuantization
                : layer.Op == OpKind.ArgMax ? OutputQuantization.Index
                : PassesQuantization(layer.Op) ? OutputQuantization.Input
                : OutputQuantization.Declared;
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
            if (Quantized)
            {
                bool ok;
                if (def != null && def.Implements(CoreStage.QuantizationCheck))
                {
                    ok = def.CheckQuantized(new GraphContext(this, layer, inputs, Quantized) { Weight = node.Weight, Bias = node.Bias }, node);
                }
                else
                {
                    ok = CheckQuantized(node);
                }

                if (!ok)
                {
                    return null;
                }
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
            if (!names.Contains("Add"))
            {
                names.Insert(0, "Add");
            }

            return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[names.Count - 1];
        }

        /// <summary>Layers that only move or clamp data keep their input's quantization.</summary>
        private static bool PassesQuantization(OpKind op) => op == OpKind.Reshape || op == OpKind.Transpose || op == OpKind.Relu || op == OpKind.Clip || op == OpKind.MaxPool2d;

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

        private int[]? InferShape(GraphContext c)
        {
            LayerSpec layer = c.Layer;
            int[] x = c.Inputs[0].Shape;
            switch (layer)
            {
                case DenseLayer d:
                {
                    if (x.Length == 0)
                    {
                        return c.Fail($"Dense input \"{c.Inputs[0].Name}\" is a scalar; it needs a last axis of features");
                    }

                    TensorInfo? w = c.Initializer(d.Weight, "weight");
                    if (w == null)
                    {
                        return null;
                    }

                    int k = x[x.Length - 1];
                    if (w.Shape.Length != 2 || w.Shape[1] != k)
                    {
                        return c.Fail($"weight \"{w.Name}\" has shape {Shape(w.Shape)} but the input \"{c.Inputs[0].Name}\" has {k} features: a Dense weight is [outputs, {k}]");
                    }

                    int n = w.Shape[0];
                    c.Weight = w;
                    if (d.Bias != null)
                    {
                        TensorInfo? b = c.Initializer(d.Bias, "bias");
                        if (b == null)
                        {
                            return null;
                        }

                        if (b.Shape.Length != 1 || b.Shape[0] != n)
                        {
                            return c.Fail($"bias \"{b.Name}\" has shape {Shape(b.Shape)}; layer \"{layer.Name}\" has {n} outputs, so the bias must be [{n}]");
                        }

                        c.Bias = b;
                    }

                    int[] y = (int[])x.Clone();
                    y[y.Length - 1] = n;
                    return y;
                }

                case Conv2dLayer cv:
                    return Conv2dShape(c, cv, x);

                case MaxPool2dLayer mp:
                {
                    if (x.Length != 4)
                    {
                        return c.Fail($"MaxPool2d needs an NCHW input of rank 4; got {Shape(x)}");
                    }

                    int ho = (x[2] + mp.Pads[0] + mp.Pads[2] - mp.Kernel[0]) / mp.Strides[0] + 1, wo = (x[3] + mp.Pads[1] + mp.Pads[3] - mp.Kernel[1]) / mp.Strides[1] + 1;
                    if (x[2] + mp.Pads[0] + mp.Pads[2] < mp.Kernel[0] || x[3] + mp.Pads[1] + mp.Pads[3] < mp.Kernel[1] || mp.Pads[0] >= mp.Kernel[0] || mp.Pads[2] >= mp.Kernel[0] || mp.Pads[1] >= mp.Kernel[1] || mp.Pads[3] >= mp.Kernel[1])
                    {
                        return c.Fail($"MaxPool2d kernel {Shape(mp.Kernel)} with pads {Shape(mp.Pads)} does not fit the input {Shape(x)} (pads must be smaller than the kernel)");
                    }

                    return new[] { x[0], x[1], ho, wo };
                }

                case MatMulLayer _:
                {
                    int[] b = c.Inputs[1].Shape;
                    if (x.Length < 2 || b.Length != x.Length)
                    {
                        return c.Fail($"MatMul needs two operands of the same rank >= 2; got {Shape(x)} and {Shape(b)}");
                    }

                    for (int i = 0; i < x.Length - 2; i++)
                    {
                        if (x[i] != b[i])
                        {
                            return c.Fail($"MatMul batch dimensions differ: {Shape(x)} and {Shape(b)}");
                        }
                    }

                    if (x[x.Length - 1] != b[b.Length - 2])
                    {
                        return c.Fail($"MatMul inner dimensions differ: {Shape(x)} x {Shape(b)} (a's last axis must equal b's second-to-last)");
                    }

                    int[] y = (int[])x.Clone();
                    y[y.Length - 1] = b[b.Length - 1];
                    return y;
                }

                case AddLayer _:
                {
                    int[] a = x, b = c.Inputs[1].Shape;
                    int[] longer = a.Length >= b.Length ? a : b, shorter = a.Length >= b.Length ? b : a;
                    bool suffix = true;
                    for (int i = 0; i < shorter.Length; i++)
                    {
                        suffix &= shorter[shorter.Length - 1 - i] == longer[longer.Length - 1 - i];
                    }

                    if (!suffix)
                    {
                        return c.Fail($"Add operands {Shape(a)} and {Shape(b)} do not broadcast: the shorter shape must equal the trailing axes of the longer");
                    }

                    if (c.Inputs[0].Kind == TensorKind.Initializer && c.Inputs[1].Kind == TensorKind.Initializer)
                    {
                        return c.Fail("Add of two initializers is a constant; fold it into one initializer", ModelErrors.InvalidValue);
                    }

                    return (int[])longer.Clone();
                }

                case LayerNormLayer ln:
                {
                    if (x.Length == 0)
                    {
                        return c.Fail("LayerNorm needs a last axis of channels");
                    }

                    int ch = x[x.Length - 1];
                    foreach ((string? name, string what) in new[] { (ln.Gamma, "gamma"), (ln.Beta, "beta") })
                    {
                        if (name == null)
                        {
                            continue;
                        }

                        TensorInfo? t = c.Initializer(name, what);
                        if (t == null)
                        {
                            return null;
                        }

                        if (t.Shape.Length != 1 || t.Shape[0] != ch)
                        {
                            return c.Fail($"{what} \"{name}\" has shape {Shape(t.Shape)}; the input has {ch} channels so it must be [{ch}]");
                        }

                        if (what == "gamma")
                        {
                            c.Weight = t;
                        }
                        else
                        {
                            c.Bias = t;
                        }
                    }

                    return (int[])x.Clone();
                }

                case AvgPoolLayer p:
                {
                    int axis = p.Axis < 0 ? p.Axis + x.Length : p.Axis;
                    if (axis < 0 || axis >= x.Length)
                    {
                        return c.Fail($"AvgPool axis {p.Axis} is out of range for input shape {Shape(x)}");
                    }

                    p.Axis = axis;
                    return x.Where((_, i) => i != axis).ToArray();
                }

                case ReshapeLayer r:
                {
                    int unknown = -1;
                    long known = 1;
                    for (int i = 0; i < r.Shape.Length; i++)
                    {
                        if (r.Shape[i] == -1 && unknown < 0)
                        {
                            unknown = i;
                        }
                        else if (r.Shape[i] <= 0)
                        {
                            return c.Fail($"Reshape shape {Shape(r.Shape)}: dimensions must be positive, with at most one -1");
                        }
                        else
                        {
                            known *= r.Shape[i];
                        }
                    }

                    long count = c.Inputs[0].ElementCount;
                    int[] y = (int[])r.Shape.Clone();
                    if (unknown >= 0)
                    {
                        if (count % known != 0)
                        {
                            return c.Fail($"Reshape of {Shape(x)} ({count} elements) to {Shape(r.Shape)}: {count} is not divisible by {known}");
                        }

                        y[unknown] = (int)(count / known);
                    }
                    else if (known != count)
                    {
                        return c.Fail($"Reshape of {Shape(x)} ({count} elements) to {Shape(r.Shape)} ({known} elements): element counts differ");
                    }

                    return y;
                }

                case TransposeLayer t:
                {
                    bool ok = t.Perm.Length == x.Length && t.Perm.OrderBy(v => v).SequenceEqual(Enumerable.Range(0, x.Length));
                    if (!ok)
                    {
                        return c.Fail($"Transpose perm {Shape(t.Perm)} is not a permutation of the {x.Length} axes of {Shape(x)}");
                    }

                    return t.Perm.Select(i => x[i]).ToArray();
                }

                case ArgMaxLayer _:
                    if (x.Length == 0 || x[x.Length - 1] == 0)
                    {
                        return c.Fail("ArgMax needs a non-empty last axis", ModelErrors.InvalidValue);
                    }

                    return x.Take(x.Length - 1).ToArray();

                default:
                    if ((layer.Op == OpKind.Softmax || layer.Op == OpKind.Gelu) && (x.Length == 0 || x[x.Length - 1] == 0))
                    {
                        return c.Fail($"{layer.Op} works along the last axis, which {Shape(x)} lacks");
                    }

                    return (int[])x.Clone();
            }
        }

        private static int[]? Conv2dShape(GraphContext c, Conv2dLayer cv, int[] x)
        {
            if (x.Length != 4)
            {
                return c.Fail($"Conv2d needs an NCHW input of rank 4; got {Shape(x)}");
            }

            TensorInfo? w = c.Initializer(cv.Weight, "weight");
            if (w == null)
            {
                return null;
            }

            int g = cv.Group;
            if (w.Shape.Length != 4 || x[1] % g != 0 || w.Shape[1] * g != x[1] || w.Shape[0] % g != 0)
            {
                return c.Fail($"weight \"{w.Name}\" has shape {Shape(w.Shape)} but the input has {x[1]} channels and group {g}: a Conv2d weight is [outputs (a multiple of group), {x[1]} / group, kh, kw]");
            }

            int kh = w.Shape[2], kw = w.Shape[3];
            int hp = x[2] + cv.Pads[0] + cv.Pads[2], wp = x[3] + cv.Pads[1] + cv.Pads[3];
            if (hp < kh || wp < kw)
            {
                return c.Fail($"kernel {kh}x{kw} does not fit the padded input {hp}x{wp}");
            }

            int n = w.Shape[0];
            c.Weight = w;
            if (cv.Bias != null)
            {
                TensorInfo? b = c.Initializer(cv.Bias, "bias");
                if (b == null)
                {
                    return null;
                }

                if (b.Shape.Length != 1 || b.Shape[0] != n)
                {
                    return c.Fail($"bias \"{b.Name}\" has shape {Shape(b.Shape)}; the convolution has {n} output channels, so the bias must be [{n}]");
                }

                c.Bias = b;
            }

            return new[] { x[0], n, (hp - kh) / cv.Strides[0] + 1, (wp - kw) / cv.Strides[1] + 1 };
        }

        private bool CheckQuantized(GraphNode node)
        {
            LayerSpec layer = node.Layer;
            var c = new GraphContext(this, layer, node.Inputs.ToArray(), Quantized);
            TensorQuant outQ = node.Output.Quant!;
            switch (layer)
            {
                case DenseLayer d:
                    return CheckWeightedLayer(c, node, d.Requant, d.Clamp, outQ);

                case Conv2dLayer cv:
                    return CheckWeightedLayer(c, node, cv.Requant, cv.Clamp, outQ);

                case LayerNormLayer ln:
                {
                    int ch = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
                    if (ln.Requant == null || ln.Requant.Length != ch || ln.Biases == null || ln.Biases.Length != ch)
                    {
                        return c.Reject($"\"multipliers\", \"shifts\" and \"biases\" need {ch} entries, one per channel");
                    }

                    return true;
                }

                case SoftmaxLayer s:
                {
                    int bits = s.Method == SoftmaxMethod.Shiftmax ? s.Shiftmax!.Value.OutBits : s.IBert!.Value.OutBits;
                    double scale = s.Method == SoftmaxMethod.Shiftmax ? Numerics.Shiftmax.OutputScale(bits) : Math.Pow(2, -bits);
                    long max = s.Method == SoftmaxMethod.Shiftmax ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
                    if (Math.Abs(outQ.Scale - scale) > scale * 1e-9 || outQ.ZeroPoint != 0 || outQ.Type.MinValue > 0 || outQ.Type.MaxValue < max)
                    {
                        return c.Reject($"a {s.Method} softmax with outBits {bits} produces integers in [0, {max}] at scale {scale} (zero point 0); activation \"{node.Output.Name}\" declares {outQ}");
                    }

                    return true;
                }

                case AddLayer a:
                    foreach (TensorInfo t in node.Inputs)
                    {
                        if (t.Kind == TensorKind.Initializer && (t.Quant == null || t.ChannelScales != null))
                        {
                            return c.Reject($"the constant operand \"{t.Name}\" of Add needs one per-tensor scale");
                        }
                    }

                    return true;

                case ClipLayer clip:
                    if (clip.QMin!.Value > clip.QMax!.Value)
                    {
                        return c.Reject($"qmin {clip.QMin} is greater than qmax {clip.QMax}");
                    }

                    return true;

                default:
                    return true;
            }
        }

        /// <summary>Dense and Conv2d: symmetric integer weights, int32 bias, one dyadic per output channel, a clamp inside the output type.</summary>
        private static bool CheckWeightedLayer(GraphContext c, GraphNode node, Dyadic[]? requant, long[]? clamp, TensorQuant outQ)
        {
            TensorInfo w = node.Weight!;
            if (w.Type.IsFloat || w.Quant == null || w.Quant.ZeroPoint != 0)
            {
                return c.Reject($"weight \"{w.Name}\" must be a symmetric integer tensor (zero point 0) with its scale(s)");
            }

            if (node.Bias != null && node.Bias.Type != ElementType.Int32)
            {
                return c.Reject($"bias \"{node.Bias.Name}\" must be int32 (scale = input scale x weight scale), not {node.Bias.Type}");
            }

            int n = w.Shape[0];
            if (requant == null || requant.Length != n)
            {
                return c.Reject($"\"multipliers\"/\"shifts\" need {n} entries, one per output channel; found {requant?.Length ?? 0}");
            }

            if (clamp == null || clamp[0] < outQ.Type.MinValue || clamp[1] > outQ.Type.MaxValue)
            {
                return c.Reject($"\"clamp\" must lie within {outQ.Type} [{outQ.Type.MinValue}, {outQ.Type.MaxValue}]");
            }

            return true;
        }
    }
}
