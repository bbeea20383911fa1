using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using Scriban.Runtime;

namespace QuantGen.Hls
{
    /// <summary>
    /// Turns a quantized graph, its range report and the knobs into the data the templates render: C++ names, exact-width
    /// types, every integer constant of every operator, ROM tables, and the per-layer estimates. Everything numeric is
    /// decided here, in C#; the templates only lay the code out.
    /// </summary>
    internal sealed class HlsPlanner
    {
        // Latency model constants (cycles), documented in docs/hls.md.
        internal const int DividerCycles = 36;
        internal const int IsqrtCycles = 32;
        internal const int RequantDepth = 4;

        private readonly ModelGraph graph;
        private readonly RangeReport ranges;
        private readonly HlsOptions options;
        private readonly List<ModelDiagnostic> diagnostics;
        private readonly CppNames names = new CppNames();
        private readonly CppNames tensorIdents = new CppNames();
        private readonly Dictionary<string, TensorView> tensors = new Dictionary<string, TensorView>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> consumers = new Dictionary<string, int>(StringComparer.Ordinal);

        public HlsPlanner(ModelGraph graph, RangeReport ranges, HlsOptions options, List<ModelDiagnostic> diagnostics)
        {
            this.graph = graph;
            this.ranges = ranges;
            this.options = options;
            this.diagnostics = diagnostics;
        }

        public string ModelIdent { get; private set; } = string.Empty;

        private string File => graph.Spec.SourceFile;

        /// <summary>The template model, or null with diagnostics.</summary>
        public ScriptObject? Plan()
        {
            int before = diagnostics.Count;
            ModelIdent = names.Reserve(graph.Name);
            CheckReuseKnobs();
            foreach (GraphNode node in graph.Nodes)
            {
                foreach (TensorInfo t in node.Inputs)
                {
                    consumers[t.Name] = consumers.TryGetValue(t.Name, out int c) ? c + 1 : 1;
                }
            }

            // Tensors in a stable order: input, then initializers and activations in layer order.
            Tensor(graph.Input);
            foreach (GraphNode node in graph.Nodes)
            {
                foreach (TensorInfo t in node.Inputs)
                {
                    Tensor(t);
                }

                if (node.Weight != null)
                {
                    Tensor(node.Weight);
                }

                if (node.Bias != null)
                {
                    Tensor(node.Bias);
                }

                Tensor(node.Output);
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            var layers = new List<ScriptObject>();
            var tables = new List<ScriptObject>();
            foreach (GraphNode node in graph.Nodes)
            {
                // A layer that cannot be planned reports its diagnostic; the others still get planned so that one
                // build names every layer to change.
                ScriptObject? layer = Layer(node, tables);
                if (layer != null)
                {
                    layers.Add(layer);
                }
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            bool stream = options.IoMode == IoMode.Stream;
            TensorView input = tensors[graph.Input.Name], output = tensors[graph.Output.Name];
            var streams = new List<ScriptObject>();
            var calls = new List<string>();
            var activations = new List<ScriptObject>();
            var readers = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (GraphNode node in graph.Nodes)
            {
                var args = new List<string>();
                foreach (TensorInfo t in node.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                {
                    TensorView v = tensors[t.Name];
                    if (!stream)
                    {
                        args.Add(t.Name == graph.Input.Name ? "input" : t.Name == graph.Output.Name ? "output" : v.Array);
                    }
                    else
                    {
                        int k = readers.TryGetValue(t.Name, out int seen) ? seen : 0;
                        readers[t.Name] = k + 1;
                        args.Add(t.Name == graph.Input.Name && Readers(t.Name) == 1 ? "input" : StreamName(v, k));
                    }
                }

                TensorView o = tensors[node.Output.Name];
                if (!stream)
                {
                    if (node.Output.Name == graph.Output.Name)
                    {
                        args.Add("output");
                    }
                    else
                    {
                        args.Add(o.Array);
                        activations.Add(Obj(("name", o.Array), ("type", o.TypeName), ("count", o.Count)));
                    }
                }
                else
                {
                    for (int k = 0; k < Readers(node.Output.Name); k++)
                    {
                        string s = StreamName(o, k);
                        args.Add(s);
                        streams.Add(Obj(("name", s), ("type", o.TypeName), ("depth", o.Count)));
                    }

                    if (node.Output.Name == graph.Output.Name)
                    {
                        args.Add("output");
                    }
                }

                calls.Add(LayerFunction(node) + "(" + string.Join(", ", args) + ");");
            }

            // Input fan-out in stream mode: the top function copies the input stream to one stream per reader.
            var inputCopies = new List<string>();
            if (stream && Readers(graph.Input.Name) > 1)
            {
                for (int k = 0; k < Readers(graph.Input.Name); k++)
                {
                    string s = StreamName(input, k);
                    inputCopies.Add(s);
                    streams.Insert(k, Obj(("name", s), ("type", input.TypeName), ("depth", input.Count)));
                }
            }

            var estimates = Estimates(layers);
            var model = new ScriptObject
            {
                ["name"] = ModelIdent,
                ["guard"] = ModelIdent.ToUpperInvariant(),
                ["spec_file"] = System.IO.Path.GetFileName(graph.Spec.SourceFile),
                ["io_stream"] = stream,
                ["io_mode"] = options.IoModeName,
                ["part"] = options.Part,
                ["clock_period"] = options.ClockPeriod,
                ["input"] = input.ToScript(),
                ["output"] = output.ToScript(),
                ["tensors"] = tensors.Values.Select(t => t.ToScript()).ToList(),
                ["weights"] = tensors.Values.Where(t => t.IsConstant).Select(t => t.ToScript()).ToList(),
                ["tables"] = tables,
                ["layers"] = layers,
                ["activations"] = activations,
                ["streams"] = streams,
                ["input_copies"] = inputCopies,
                ["calls"] = calls,
                ["estimates"] = estimates,
                ["labels"] = graph.Spec.Labels.ToList(),
            };
            return model;
        }

        /// <summary>How many layer inputs read <paramref name="tensor"/> (one stream each in stream mode).</summary>
        private int Readers(string tensor) => consumers.TryGetValue(tensor, out int c) ? c : 0;

        private static string StreamName(TensorView v, int k) => "s_" + v.Ident + "_" + k.ToString(CultureInfo.InvariantCulture);

        private string LayerFunction(GraphNode node) => layerIdents[node.Layer.Name];

        private readonly Dictionary<string, string> layerIdents = new Dictionary<string, string>(StringComparer.Ordinal);

        private void CheckReuseKnobs()
        {
            foreach (KeyValuePair<string, int> kv in options.LayerReuse)
            {
                GraphNode? node = graph.Nodes.FirstOrDefault(n => n.Layer.Name == kv.Key);
                if (node == null)
                {
                    Error(HlsErrors.ReuseFactorNotApplicable, $"LayerReuseFactors names layer \"{kv.Key}\", which the model does not have (layers: {string.Join(", ", graph.Nodes.Select(n => n.Layer.Name))})", SourcePlace.None);
                }
                else if (!HasReuse(node.Layer))
                {
                    Error(HlsErrors.ReuseFactorNotApplicable, $"LayerReuseFactors sets a reuse factor for layer \"{kv.Key}\" ({node.Layer.Op}), but only Dense, MatMul and Conv2d layers have multipliers to reuse", node.Layer.Place);
                }
            }

            foreach (GraphNode node in graph.Nodes)
            {
                layerIdents[node.Layer.Name] = names.Reserve(node.Layer.Name);
                if (HasReuse(node.Layer))
                {
                    // Dense/MatMul: the last input axis; Conv2d: one output channel's window, C / group x kh x kw.
                    int k = node.Layer is Conv2dLayer ? node.Weight!.ElementCount / node.Weight.Shape[0] : node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
                    int r = options.ReuseFor(node.Layer.Name);
                    if (r > k || k % r != 0)
                    {
                        var valid = Enumerable.Range(1, k).Where(d => k % d == 0);
                        string source = options.LayerReuse.ContainsKey(node.Layer.Name) ? "LayerReuseFactors" : "ReuseFactor";
                        Error(HlsErrors.ReuseFactorNotApplicable, $"{source} {r} does not fit layer \"{node.Layer.Name}\" ({node.Layer.Op}, inner dimension {k}): a reuse factor must divide it; valid: {string.Join(", ", valid)}", node.Layer.Place);
                    }
                }
            }
        }

        private static bool HasReuse(LayerSpec layer) => layer is DenseLayer || layer is MatMulLayer || layer is Conv2dLayer;

        private void Error(string id, string message, SourcePlace place) =>
            diagnostics.Add(new ModelDiagnostic(id, message, File, place.Line > 0 ? place.Path : null, place.Line, place.Column));

        private void Tensor(TensorInfo t)
        {
            if (tensors.ContainsKey(t.Name))
            {
                return;
            }

            if (!ranges.Tensors.TryGetValue(t.Name, out IntRange r))
            {
                Error(HlsErrors.UnsupportedModel, $"tensor \"{t.Name}\" has no integer range (is it a float tensor?)", t.Place);
                return;
            }

            if ((r.Min < 0 && r.Bits > 64) || (r.Min >= 0 && r.Bits > 63))
            {
                Error(HlsErrors.UnsupportedModel, $"tensor \"{t.Name}\" needs {r.Bits} bits, more than the 64 the HLS backend supports", t.Place);
                return;
            }

            string ident = tensorIdents.Reserve(t.Name);
            string array = names.Reserve(t.Kind == TensorKind.Initializer ? ident : "act_" + ident);
            var view = new TensorView(t, ident, r, array, names.Reserve(ident + "_t"));
            tensors[t.Name] = view;
        }

        private ScriptObject? Layer(GraphNode node, List<ScriptObject> tables)
        {
            LayerSpec spec = node.Layer;
            string fn = LayerFunction(node);
            bool stream = options.IoMode == IoMode.Stream;
            TensorView outT = tensors[node.Output.Name];
            var inputs = node.Inputs.Select(t => tensors[t.Name]).ToList();
            var lr = ranges.Layers.First(l => l.Layer == spec.Name);
            var layer = new ScriptObject
            {
                ["name"] = fn,
                ["layer_name"] = spec.Name,
                ["op"] = spec.Op.ToString(),
                ["out_type"] = outT.TypeName,
                ["out_tensor"] = node.Output.Name,
                ["out_count"] = outT.Count,
                ["out_lo"] = CppNames.Lit(outT.Range.Min),
                ["out_hi"] = CppNames.Lit(outT.Range.Max),
                ["zo"] = CppNames.Lit(outT.Quant?.ZeroPoint ?? 0),
                ["type_lo"] = CppNames.Lit(node.Output.Type.MinValue),
                ["type_hi"] = CppNames.Lit(node.Output.Type.MaxValue),
                ["reuse"] = 1,
                ["multipliers"] = 0L,
                ["dividers"] = 0,
                ["acc_bits"] = 0,
                ["rom_bits"] = 0L,
                ["latency"] = 0L,
                ["formula"] = string.Empty,
                ["types"] = new List<ScriptObject>(),
            };

            // Kernel parameters: activation inputs are x (and b), constants are read from their ROM arrays directly.
            var parameters = new List<string>();
            var inputNames = new List<string>();
            var streamInputs = new List<ScriptObject>();
            string[] paramNames = { "x", "b" };
            for (int i = 0; i < inputs.Count; i++)
            {
                TensorView v = inputs[i];
                if (v.IsConstant)
                {
                    inputNames.Add(v.Array);
                }
                else
                {
                    parameters.Add("const " + v.TypeName + " " + paramNames[i] + "[" + v.Count + "]");
                    inputNames.Add(paramNames[i]);
                    streamInputs.Add(Obj(("name", paramNames[i]), ("type", v.TypeName), ("count", v.Count)));
                }
            }

            parameters.Add(outT.TypeName + " y[" + outT.Count + "]");
            layer["kernel_name"] = stream ? fn + "_compute" : fn;
            layer["signature"] = "static void " + (stream ? fn + "_compute" : fn) + "(" + string.Join(", ", parameters) + ")";
            layer["x"] = inputNames[0];
            layer["b"] = inputNames.Count > 1 ? inputNames[1] : string.Empty;
            layer["zx"] = CppNames.Lit(inputs[0].Quant?.ZeroPoint ?? 0);
            layer["zb"] = CppNames.Lit(inputs.Count > 1 ? inputs[1].Quant?.ZeroPoint ?? 0 : 0);
            layer["stream_inputs"] = streamInputs;
            var outs = Enumerable.Range(0, Readers(node.Output.Name)).Select(k => "y_out" + k.ToString(CultureInfo.InvariantCulture)).ToList();
            if (node.Output.Name == graph.Output.Name)
            {
                outs.Add("y_top");
            }

            layer["stream_outputs"] = outs;
            var streamParams = streamInputs.Select(s => "hls::stream<" + s["type"] + ">& " + s["name"] + "_in").Concat(outs.Select(o => "hls::stream<" + outT.TypeName + ">& " + o));
            layer["stream_signature"] = "static void " + fn + "(" + string.Join(", ", streamParams) + ")";
            long elements = outT.Count;
            int[] inShape = node.Inputs[0].Shape;
            int last = inShape[inShape.Length - 1];
            var types = (List<ScriptObject>)layer["types"]!;

            switch (spec)
            {
                case DenseLayer d:
                {
                    TensorView w = tensors[node.Weight!.Name];
                    TensorView? bias = node.Bias != null ? tensors[node.Bias.Name] : null;
                    int n = node.Weight.Shape[0], k = node.Weight.Shape[1], rows = inputs[0].Count / k;
                    int reuse = options.ReuseFor(spec.Name);
                    IntRange xzp = lr.Find("input-zp") ?? new IntRange(0, 0);
                    IntRange acc = PartialSums(node, xzp);
                    string accType = names.Reserve(fn + "_acc_t"), xType = names.Reserve(fn + "_x_t");
                    types.Add(TypeDef(accType, acc, "accumulator and every partial sum"));
                    types.Add(TypeDef(xType, xzp, "input minus its zero point"));
                    layer["kernel"] = "dense";
                    layer["rows"] = rows;
                    layer["k"] = k;
                    layer["n"] = n;
                    WeightedFields(layer, tables, fn, spec.Name, reuse, k, n, accType, xType, w, bias, d.Clamp!, d.Requant!);
                    layer["comment"] = $"{spec.Name}: Dense [{rows} x {k}] -> [{rows} x {n}], activation {d.Activation.ToString().ToLowerInvariant()}, reuse factor {reuse}";
                    MacEstimate(layer, rows, k, n, reuse, acc);
                    layer["rom_bits"] = (long)n * k * w.Bits + (bias != null ? (long)n * bias.Bits : 0) + (long)n * (32 + 6);
                    break;
                }

                case MatMulLayer m:
                {
                    int[] sb = node.Inputs[1].Shape;
                    int rowsA = inShape[inShape.Length - 2], k = last, cols = sb[sb.Length - 1];
                    int batches = inputs[0].Count / (rowsA * k);
                    int reuse = options.ReuseFor(spec.Name);
                    IntRange p = lr.Find("product") ?? new IntRange(0, 0);
                    var acc = new IntRange(Math.Min(p.Min, 0) * k, Math.Max(p.Max, 0) * k);
                    string accType = names.Reserve(fn + "_acc_t"), aType = names.Reserve(fn + "_a_t"), bType = names.Reserve(fn + "_b_t");
                    types.Add(TypeDef(accType, acc, "accumulator and every partial sum"));
                    types.Add(TypeDef(aType, lr.Find("a-zp") ?? new IntRange(0, 0), "a minus its zero point"));
                    types.Add(TypeDef(bType, lr.Find("b-zp") ?? new IntRange(0, 0), "b minus its zero point"));
                    layer["kernel"] = "matmul";
                    layer["batches"] = batches;
                    layer["m"] = rowsA;
                    layer["k"] = k;
                    layer["n"] = cols;
                    layer["reuse"] = reuse;
                    layer["block"] = k / reuse;
                    layer["lanes"] = (cols + reuse - 1) / reuse;
                    layer["acc_type"] = accType;
                    layer["a_type"] = aType;
                    layer["b_type"] = bType;
                    layer["mult"] = CppNames.Lit(m.Requant!.Value.Multiplier);
                    layer["shift"] = m.Requant.Value.Shift;
                    layer["comment"] = $"{spec.Name}: MatMul [{batches} x {rowsA} x {k}] x [{batches} x {k} x {cols}], reuse factor {reuse}";
                    MacEstimate(layer, batches * rowsA, k, cols, reuse, acc);
                    layer["rom_bits"] = inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
                    break;
                }

                case Conv2dLayer cv:
                {
                    TensorView w = tensors[node.Weight!.Name];
                    TensorView? bias = node.Bias != null ? tensors[node.Bias.Name] : null;
                    int[] ws = node.Weight.Shape, os = node.Output.Shape;
                    int cOut = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], k = cg * kh * kw, og = cOut / cv.Group;
                    int pixels = inShape[0] * os[2] * os[3];
                    int reuse = options.ReuseFor(spec.Name);
                    if (!ConvFits(node, inputs[0], cOut, k, reuse))
                    {
                        return null;
                    }

                    IntRange xzp = lr.Find("input-zp") ?? new IntRange(0, 0);
                    IntRange window = new IntRange(Math.Min(xzp.Min, 0), Math.Max(xzp.Max, 0));   // padding is the real 0
                    IntRange acc = PartialSums(node, xzp);
                    IntRange product = Products(node.Weight.IntData!, window);
                    string accType = names.Reserve(fn + "_acc_t"), xType = names.Reserve(fn + "_x_t"), productType = names.Reserve(fn + "_product_t");
                    types.Add(TypeDef(accType, acc, "accumulator and every partial sum"));
                    types.Add(TypeDef(xType, window, "window value: input minus its zero point, 0 in the padding"));
                    types.Add(TypeDef(productType, product, "window value x weight"));
                    layer["kernel"] = "conv2d";
                    layer["product_type"] = productType;
                    layer["batch"] = inShape[0];
                    layer["c_in"] = inShape[1];
                    layer["h"] = inShape[2];
                    layer["w"] = inShape[3];
                    layer["c_out"] = cOut;
                    layer["oh"] = os[2];
                    layer["ow"] = os[3];
                    layer["kh"] = kh;
                    layer["kw"] = kw;
                    layer["ih"] = WindowIndex("oh", cv.Strides[0], cv.Pads[0], "i");
                    layer["iw"] = WindowIndex("ow", cv.Strides[1], cv.Pads[1], "j");
                    layer["cg"] = cg;
                    layer["k"] = k;
                    layer["win_count"] = inShape[1] * kh * kw;
                    layer["group"] = cv.Group;
                    // Output channel o reads the window of its group's channels: win[(o / og) * K + j].
                    layer["win_base"] = cv.Group == 1 ? string.Empty : og == 1 ? $"o * {k} + " : $"(o / {og}) * {k} + ";
                    WeightedFields(layer, tables, fn, spec.Name, reuse, k, cOut, accType, xType, w, bias, cv.Clamp!, cv.Requant!);
                    string kind = cv.Group == 1 ? string.Empty : cg == 1 ? $", depthwise (group {cv.Group})" : $", group {cv.Group}";
                    layer["comment"] = $"{spec.Name}: Conv2d [{string.Join(", ", inShape)}] -> [{string.Join(", ", os)}], kernel {kh}x{kw}, strides {cv.Strides[0]}x{cv.Strides[1]}, pads [{string.Join(", ", cv.Pads)}]{kind}, activation {cv.Activation.ToString().ToLowerInvariant()}, reuse factor {reuse}";
                    MacEstimate(layer, pixels, k, cOut, reuse, acc, 1);
                    layer["rom_bits"] = (long)cOut * k * w.Bits + (bias != null ? (long)cOut * bias.Bits : 0) + (long)cOut * (32 + 6);
                    break;
                }

                case MaxPool2dLayer mp:
                {
                    int[] os = node.Output.Shape;
                    if (!ParallelFits(node, inputs[0]))
                    {
                        return null;
                    }

                    int taps = mp.Kernel[0] * mp.Kernel[1];
                    layer["kernel"] = "maxpool2d";
                    layer["planes"] = inShape[0] * inShape[1];
                    layer["h"] = inShape[2];
                    layer["w"] = inShape[3];
                    layer["oh"] = os[2];
                    layer["ow"] = os[3];
                    layer["kh"] = mp.Kernel[0];
                    layer["kw"] = mp.Kernel[1];
                    layer["ih"] = WindowIndex("oh", mp.Strides[0], mp.Pads[0], "i");
                    layer["iw"] = WindowIndex("ow", mp.Strides[1], mp.Pads[1], "j");
                    layer["comment"] = $"{spec.Name}: MaxPool2d [{string.Join(", ", inShape)}] -> [{string.Join(", ", os)}], kernel {mp.Kernel[0]}x{mp.Kernel[1]}, strides {mp.Strides[0]}x{mp.Strides[1]}, pads [{string.Join(", ", mp.Pads)}] (padding never wins)";
                    int depth = CeilLog2(taps) + 1;
                    Simple(layer, 0, 0, elements + depth, $"E + ceil(log2(kh kw)) + 1 = {elements} + {depth}");
                    break;
                }

                case AddLayer add:
                    layer["kernel"] = "add";
                    layer["a_len"] = inputs[0].Count;
                    layer["b_len"] = inputs[1].Count;
                    layer["mult_a"] = CppNames.Lit(add.RequantA!.Value.Multiplier);
                    layer["shift_a"] = add.RequantA.Value.Shift;
                    layer["mult_b"] = CppNames.Lit(add.RequantB!.Value.Multiplier);
                    layer["shift_b"] = add.RequantB.Value.Shift;
                    layer["comment"] = $"{spec.Name}: Add (HAWQ-V3 residual: each branch rescaled separately) of {inputs[0].Count} and {inputs[1].Count} elements";
                    Simple(layer, 2, 0, elements + RequantDepth, $"E + {RequantDepth}");
                    layer["rom_bits"] = inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
                    break;

                case ReluLayer _:
                    layer["kernel"] = "relu";
                    layer["comment"] = $"{spec.Name}: ReLU, max(x, zero point)";
                    Simple(layer, 0, 0, elements + 1, "E + 1");
                    break;

                case ClipLayer c:
                    layer["kernel"] = "clip";
                    layer["qmin"] = CppNames.Lit(c.QMin!.Value);
                    layer["qmax"] = CppNames.Lit(c.QMax!.Value);
                    layer["comment"] = $"{spec.Name}: Clip to [{c.QMin}, {c.QMax}]";
                    Simple(layer, 0, 0, elements + 1, "E + 1");
                    break;

                case SoftmaxLayer s:
                {
                    int rows = inputs[0].Count / last;
                    layer["rows"] = rows;
                    layer["len"] = last;
                    if (s.Method == SoftmaxMethod.Shiftmax)
                    {
                        ShiftmaxParams p = s.Shiftmax!.Value;
                        layer["kernel"] = "softmax_shiftmax";
                        layer["x0"] = CppNames.Lit(p.X0);
                        layer["nn"] = p.N;
                        layer["out_shift"] = 32 - p.OutBits;
                        layer["comment"] = $"{spec.Name}: Shiftmax (I-ViT) over rows of {last}, n = {p.N}, x0 = {p.X0}, {p.OutBits}-bit output";
                    }
                    else
                    {
                        ISoftmaxParams p = s.IBert!.Value;
                        layer["kernel"] = "softmax_ibert";
                        layer["q_ln2"] = CppNames.Lit(p.Exp.QLn2);
                        layer["q_b"] = CppNames.Lit(p.Exp.QB);
                        layer["q_c"] = CppNames.Lit(p.Exp.QC);
                        layer["exp_shift"] = p.Exp.Shift;
                        layer["out_shift"] = 62 - p.OutBits;
                        layer["top"] = CppNames.Lit((1L << p.OutBits) - 1);
                        layer["comment"] = $"{spec.Name}: I-BERT i-softmax over rows of {last}, {p.OutBits}-bit output";
                    }

                    Simple(layer, 1, 1, (long)rows * ((3L * last) + DividerCycles + 6), $"rows x (3 L + {DividerCycles} + 6)");
                    break;
                }

                case GeluLayer g:
                    layer["mult"] = CppNames.Lit(g.Requant!.Value.Multiplier);
                    layer["shift"] = g.Requant.Value.Shift;
                    if (g.Method == GeluMethod.ShiftGelu)
                    {
                        ShiftGeluParams p = g.ShiftGelu!.Value;
                        layer["kernel"] = "gelu_shiftgelu";
                        layer["x0"] = CppNames.Lit(p.X0);
                        layer["nn"] = p.N;
                        layer["comment"] = $"{spec.Name}: ShiftGELU, element-wise (m = max(x, 0)), n = {p.N}, x0 = {p.X0}";
                        Simple(layer, 3, 1, elements + DividerCycles + 8, $"E + {DividerCycles} + 8");
                    }
                    else
                    {
                        IGeluParams p = g.IBert!.Value;
                        layer["kernel"] = "gelu_ibert";
                        layer["q_b"] = CppNames.Lit(p.QB);
                        layer["q_c"] = CppNames.Lit(p.QC);
                        layer["q_one"] = CppNames.Lit(p.QOne);
                        layer["comment"] = $"{spec.Name}: I-BERT i-GELU, element-wise";
                        Simple(layer, 3, 0, elements + 6, "E + 6");
                    }

                    break;

                case LayerNormLayer ln:
                {
                    int rows = inputs[0].Count / last;
                    long zo = outT.Quant?.ZeroPoint ?? 0;
                    string mult = names.Reserve(fn + "_multiplier"), shift = names.Reserve(fn + "_shift"), zp = names.Reserve(fn + "_zero_point");
                    tables.Add(Table(mult, ln.Requant!.Select(q => (long)q.Multiplier).ToList(), $"{spec.Name}: per-channel multipliers (gamma and the output scale folded in)"));
                    tables.Add(Table(shift, ln.Requant!.Select(q => (long)q.Shift).ToList(), $"{spec.Name}: per-channel shifts"));
                    tables.Add(Table(zp, ln.Biases!.Select(b => zo + b).ToList(), $"{spec.Name}: output zero point plus the folded beta, per channel"));
                    layer["kernel"] = "layernorm";
                    layer["rows"] = rows;
                    layer["c"] = last;
                    layer["mult_table"] = mult;
                    layer["shift_table"] = shift;
                    layer["zp_table"] = zp;
                    layer["comment"] = $"{spec.Name}: integer LayerNorm (exact bit-by-bit isqrt) over rows of {last}";
                    Simple(layer, 3, 1, (long)rows * ((3L * last) + IsqrtCycles + DividerCycles + 8), $"rows x (3 C + {IsqrtCycles} + {DividerCycles} + 8)");
                    layer["rom_bits"] = (long)last * (32 + 6 + 32);
                    break;
                }

                case AvgPoolLayer p:
                {
                    int outer = 1, inner = 1, count = inShape[p.Axis];
                    for (int i = 0; i < p.Axis; i++)
                    {
                        outer *= inShape[i];
                    }

                    for (int i = p.Axis + 1; i < inShape.Length; i++)
                    {
                        inner *= inShape[i];
                    }

                    layer["kernel"] = "avgpool";
                    layer["outer"] = outer;
                    layer["inner"] = inner;
                    layer["count"] = count;
                    layer["mult"] = CppNames.Lit(p.Requant!.Value.Multiplier);
                    layer["shift"] = p.Requant.Value.Shift;
                    layer["comment"] = $"{spec.Name}: average over axis {p.Axis} ({count} elements), 1/L folded into the multiplier";
                    Simple(layer, 1, 0, inputs[0].Count + RequantDepth, $"E_in + {RequantDepth}");
                    break;
                }

                case ReshapeLayer _:
                    layer["kernel"] = "copy";
                    layer["comment"] = $"{spec.Name}: Reshape [{string.Join(", ", inShape)}] -> [{string.Join(", ", node.Output.Shape)}] (row-major order unchanged)";
                    Simple(layer, 0, 0, elements + 1, "E + 1");
                    break;

                case TransposeLayer t:
                {
                    int rank = inShape.Length;
                    var inStrides = new long[rank];
                    long st = 1;
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        inStrides[a] = st;
                        st *= inShape[a];
                    }

                    int[] outShape = node.Output.Shape;
                    var outStrides = new long[rank];
                    st = 1;
                    for (int a = rank - 1; a >= 0; a--)
                    {
                        outStrides[a] = st;
                        st *= outShape[a];
                    }

                    var loops = new List<ScriptObject>();
                    for (int a = 0; a < rank; a++)
                    {
                        loops.Add(Obj(("var", "i" + a), ("size", outShape[a]), ("indent", new string(' ', 2 * (a + 1)))));
                    }

                    layer["kernel"] = "transpose";
                    layer["loops"] = loops;
                    layer["inner_indent"] = new string(' ', 2 * (rank + 1));
                    layer["src"] = string.Join(" + ", Enumerable.Range(0, rank).Select(a => "i" + a + " * " + inStrides[t.Perm[a]]));
                    layer["dst"] = string.Join(" + ", Enumerable.Range(0, rank).Select(a => "i" + a + " * " + outStrides[a]));
                    layer["comment"] = $"{spec.Name}: Transpose [{string.Join(", ", inShape)}] by perm ({string.Join(", ", t.Perm)})";
                    Simple(layer, 0, 0, elements + 1, "E + 1");
                    break;
                }

                case ArgMaxLayer _:
                    layer["kernel"] = "argmax";
                    layer["rows"] = inputs[0].Count / last;
                    layer["len"] = last;
                    layer["comment"] = $"{spec.Name}: ArgMax over rows of {last} (ties -> lowest index)";
                    Simple(layer, 0, 0, inputs[0].Count + 1, "E_in + 1");
                    break;

                default:
                    Error(HlsErrors.UnsupportedModel, $"layer \"{spec.Name}\": operator {spec.Op} has no HLS implementation", spec.Place);
                    return null;
            }

            if (stream)
            {
                long io = inputs.Where(v => !v.IsConstant).Sum(v => (long)v.Count) + elements;
                layer["latency"] = (long)layer["latency"]! + io;
                layer["formula"] = (string)layer["formula"]! + " + E_in + E_out (stream read and write)";
            }

            return layer;
        }

        /// <summary>Bounds every partial sum of every channel (bias plus any subset of its products), so that the
        /// accumulator type never wraps whatever order the hardware adds in.</summary>
        /// <summary>
        /// The fields Dense and Conv2d share: k products per output split over the reuse factor, n outputs requantized
        /// ceil(n / reuse) at a time, weight and bias arrays, the clamp, and the per-channel multiplier and shift tables.
        /// </summary>
        private void WeightedFields(ScriptObject layer, List<ScriptObject> tables, string fn, string layerName, int reuse, int k, int n,
            string accType, string xType, TensorView w, TensorView? bias, long[] clamp, Dyadic[] requant)
        {
            layer["reuse"] = reuse;
            layer["block"] = k / reuse;
            layer["lanes"] = (n + reuse - 1) / reuse;
            layer["acc_type"] = accType;
            layer["x_type"] = xType;
            layer["weight"] = w.Array;
            layer["weight_type"] = w.TypeName;
            layer["bias"] = bias?.Array ?? string.Empty;
            layer["lo"] = CppNames.Lit(clamp[0]);
            layer["hi"] = CppNames.Lit(clamp[1]);
            string mult = names.Reserve(fn + "_multiplier"), shift = names.Reserve(fn + "_shift");
            tables.Add(Table(mult, requant.Select(q => (long)q.Multiplier).ToList(), $"{layerName}: requantization multipliers, one per output channel"));
            tables.Add(Table(shift, requant.Select(q => (long)q.Shift).ToList(), $"{layerName}: requantization shifts"));
            layer["mult_table"] = mult;
            layer["shift_table"] = shift;
        }

        private static IntRange PartialSums(GraphNode node, IntRange x)
        {
            // Dense [N, K] and Conv2d [O, C / group, kh, kw] alike: row o holds the K weights of output channel o.
            // A padded conv position contributes 0, which every bound below already allows (any subset of products).
            int[] w = node.Weight!.IntData!;
            int n = node.Weight.Shape[0], k = w.Length / n;
            int[]? bias = node.Bias?.IntData;
            long lo = long.MaxValue, hi = long.MinValue;
            for (int o = 0; o < n; o++)
            {
                long b = bias?[o] ?? 0, l = b, h = b;
                for (int j = 0; j < k; j++)
                {
                    long a = w[(o * k) + j] * x.Min, c = w[(o * k) + j] * x.Max;
                    l += Math.Min(0, Math.Min(a, c));
                    h += Math.Max(0, Math.Max(a, c));
                }

                lo = Math.Min(lo, Math.Min(l, 0));
                hi = Math.Max(hi, Math.Max(h, 0));
            }

            return new IntRange(lo, hi);
        }

        /// <summary>The input coordinate of window tap <paramref name="tap"/> for output coordinate <paramref name="o"/>:
        /// <c>o * stride - pad + tap</c>, without the terms that are 1 or 0.</summary>
        private static string WindowIndex(string o, int stride, int pad, string tap) =>
            o + (stride == 1 ? string.Empty : " * " + stride.ToString(CultureInfo.InvariantCulture)) + (pad == 0 ? string.Empty : " - " + pad.ToString(CultureInfo.InvariantCulture)) + " + " + tap;

        /// <summary>The range of every product of a weight and a value in <paramref name="x"/> (0 included).</summary>
        private static IntRange Products(int[] weights, IntRange x)
        {
            long lo = 0, hi = 0;
            foreach (int w in weights)
            {
                long a = w * x.Min, b = w * x.Max;
                lo = Math.Min(lo, Math.Min(a, b));
                hi = Math.Max(hi, Math.Max(a, b));
            }

            return new IntRange(lo, hi);
        }

        /// <summary>Multipliers, accumulator width and latency of a reuse-factor MAC kernel (Dense, MatMul, Conv2d);
        /// <paramref name="gather"/> adds cycles per row before the MAC: 1 for Conv2d, which first gathers its window.</summary>
        private static void MacEstimate(ScriptObject layer, int rows, int k, int n, int reuse, IntRange acc, int gather = 0)
        {
            int block = k / reuse, lanes = (n + reuse - 1) / reuse;
            int depth = 2 + gather + CeilLog2(block + 1) + RequantDepth;
            layer["multipliers"] = ((long)n * block) + lanes;
            layer["acc_bits"] = acc.Bits;
            layer["latency"] = (long)rows * ((2L * reuse) + depth);
            string what = gather == 0 ? "rows" : "pixels";
            string load = gather == 0 ? "2" : (2 + gather).ToString(CultureInfo.InvariantCulture);
            layer["formula"] = $"{what} x (2 R + {load} + ceil(log2(K/R + 1)) + {RequantDepth}) = {rows} x (2 x {reuse} + {depth})";
        }

        /// <summary>Vivado/Vitis HLS stops unrolling beyond this many copies of a loop body (XFORM 203-504); the
        /// same bound caps how many registers a completely partitioned io_parallel activation may take.</summary>
        internal const int UnrollLimit = 4096;

        /// <summary>QG3012 unless the Conv2d's MAC stage (O x K / R multipliers in one cycle) can be unrolled and its
        /// input fits the io mode.</summary>
        private bool ConvFits(GraphNode node, TensorView input, int cOut, int k, int reuse)
        {
            if (!ParallelFits(node, input))
            {
                return false;
            }

            long unrolled = (long)cOut * (k / reuse);
            if (unrolled <= UnrollLimit)
            {
                return true;
            }

            var fit = Enumerable.Range(1, k).Where(d => k % d == 0 && (long)cOut * (k / d) <= UnrollLimit).ToList();
            string fix = fit.Count > 0
                ? $"raise its reuse factor (LayerReuseFactors \"{node.Layer.Name}={fit[0]}\"; divisors of {k} that fit: {string.Join(", ", fit)})"
                : $"even reuse factor {k} leaves {cOut} multipliers, one per output channel: split the layer into convolutions of at most {UnrollLimit} output channels";
            Error(HlsErrors.LayerTooLarge, $"layer \"{node.Layer.Name}\" (Conv2d, {cOut} output channels x {k} window values) would unroll {unrolled} multipliers per cycle at reuse factor {reuse}, more than {UnrollLimit} (where Vivado HLS stops unrolling: XFORM 203-504); {fix}", node.Layer.Place);
            return false;
        }

        /// <summary>QG3012 when io_parallel would partition a Conv2d/MaxPool2d input into more than
        /// <see cref="UnrollLimit"/> registers, each window value a multiplexer over all of them.</summary>
        private bool ParallelFits(GraphNode node, TensorView input)
        {
            if (options.IoMode != IoMode.Parallel || input.Count <= UnrollLimit)
            {
                return true;
            }

            Error(HlsErrors.LayerTooLarge, $"layer \"{node.Layer.Name}\" ({node.Layer.Op}) reads a [{string.Join(", ", input.Info.Shape)}] input ({input.Count} elements); io_parallel partitions it completely into registers and reads each window through a multiplexer over all of them, which does not fit beyond {UnrollLimit} elements: use IoMode io_stream", node.Layer.Place);
            return false;
        }

        private static void Simple(ScriptObject layer, long multipliers, int dividers, long latency, string formula)
        {
            layer["multipliers"] = multipliers;
            layer["dividers"] = dividers;
            layer["latency"] = latency;
            layer["formula"] = formula;
        }

        internal static int CeilLog2(long v)
        {
            int b = 0;
            while ((1L << b) < v)
            {
                b++;
            }

            return b;
        }

        private ScriptObject Estimates(List<ScriptObject> layers)
        {
            long total = 0, worst = 0, mults = 0, rom = 0;
            foreach (ScriptObject l in layers)
            {
                long lat = (long)l["latency"]!;
                total += lat;
                worst = Math.Max(worst, lat);
                mults += (long)l["multipliers"]!;
                rom += (long)l["rom_bits"]!;
            }

            long ii = options.IoMode == IoMode.Stream ? worst : total;
            long ps = options.ClockPeriodPs;
            return new ScriptObject
            {
                ["latency_cycles"] = total,
                ["ii_cycles"] = ii,
                ["multipliers"] = mults,
                ["rom_bits"] = rom,
                ["clock_period_ps"] = ps,
                ["latency_ns"] = (total * ps) / 1000,
                ["throughput_per_s"] = ii == 0 ? 0 : 1000000000000L / (ii * ps),
            };
        }

        private static ScriptObject TypeDef(string name, IntRange r, string what) =>
            Obj(("name", name), ("cpp", CppType(r)), ("comment", $"{what}: [{r.Min}, {r.Max}], {r.Bits} bits"));

        internal static string CppType(IntRange r) => (r.Min < 0 ? "qg_int<" : "qg_uint<") + r.Bits.ToString(CultureInfo.InvariantCulture) + ">";

        private static ScriptObject Table(string name, List<long> values, string comment) =>
            Obj(("name", name), ("storage", CppNames.StorageType(values.Min(), values.Max())), ("count", values.Count), ("comment", comment), ("values", CppNames.InitializerLines(values, 8)));

        /// <summary>A model-supplied name as it may appear in a // comment or a Markdown table: no line breaks, no pipes.</summary>
        internal static string CommentSafe(string name) =>
            new string(name.Select(c => c < ' ' || c == '|' || c == '`' ? '?' : c).ToArray());

        internal static ScriptObject Obj(params (string Key, object Value)[] entries)
        {
            var o = new ScriptObject();
            foreach ((string key, object value) in entries)
            {
                o[key] = value;
            }

            return o;
        }

        /// <summary>One tensor as the C++ code sees it.</summary>
        private sealed class TensorView
        {
            public TensorView(TensorInfo info, string ident, IntRange range, string array, string typeName)
            {
                Info = info;
                Ident = ident;
                Range = range;
                Array = array;
                TypeName = typeName;
            }

            public TensorInfo Info { get; }

            public string Ident { get; }

            public IntRange Range { get; }

            public string Array { get; }

            public string TypeName { get; }

            public bool IsConstant => Info.Kind == TensorKind.Initializer;

            public int Count => Info.ElementCount;

            public int Bits => Range.Bits;

            public TensorQuant? Quant => Info.Quant;

            public ScriptObject ToScript()
            {
                var o = Obj(
                    ("name", CommentSafe(Info.Name)),
                    ("name_json", System.Text.Json.JsonSerializer.Serialize(Info.Name)),
                    ("ident", Ident),
                    ("array", Array),
                    ("type", TypeName),
                    ("cpp", CppType(Range)),
                    ("element", Info.Type.ToString()),
                    ("shape", "[" + string.Join(", ", Info.Shape) + "]"),
                    ("count", Count),
                    ("min", Range.Min),
                    ("max", Range.Max),
                    ("bits", Bits),
                    ("signed", Range.Min < 0),
                    ("kind", Info.Kind.ToString().ToLowerInvariant()),
                    ("zero_point", Quant?.ZeroPoint ?? 0),
                    ("file", IsConstant ? "weights/" + Ident + ".h" : string.Empty));
                if (IsConstant)
                {
                    int[] data = Info.IntData!;
                    o["storage"] = CppNames.StorageType(Range.Min, Range.Max);
                    o["values"] = CppNames.InitializerLines(data.Select(v => (long)v).ToList(), 16);
                }

                return o;
            }
        }
    }
}
