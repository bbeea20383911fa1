using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls.Devices;
using QuantGen.Hls.Lowerings;
using QuantGen.Model;
using QuantGen.Naming;
using QuantGen.Operators;
using QuantGen.Plan;

namespace QuantGen.Hls.Plan
{
    /// <summary>
    /// Turns a quantized graph's <see cref="ModelPlan"/> and the knobs into the <see cref="HlsModelPlan"/> the templates
    /// print: C++ names (the plan's allocator, extended with this backend's derived names in a fixed order), exact-width
    /// types, every layer through its operator's <see cref="HlsLowering"/>, the top function's wiring and the estimates.
    /// Everything numeric is decided here and in the lowerings; the templates only lay the code out.
    /// </summary>
    public sealed class HlsPlanner
    {
        // Latency model constants (cycles), documented in docs/hls.md.
        internal const int DividerCycles = 36;
        internal const int IsqrtCycles = 32;
        internal const int RequantDepth = 4;

        /// <summary>Vivado/Vitis HLS stops unrolling beyond this many copies of a loop body (XFORM 203-504); the
        /// same bound caps how many registers a completely partitioned io_parallel activation may take.</summary>
        internal const int UnrollLimit = 4096;

        private readonly ModelPlan plan;
        private readonly HlsOptions options;
        private readonly List<ModelDiagnostic> diagnostics;
        private readonly LoweringRegistry<HlsLowering> registry;
        private readonly IdentifierAllocator scope;
        private readonly Dictionary<string, HlsTensor> tensors = new Dictionary<string, HlsTensor>(StringComparer.Ordinal);
        private readonly Dictionary<string, int> readers = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly Dictionary<string, HlsStreamLayout> layouts = new Dictionary<string, HlsStreamLayout>(StringComparer.Ordinal);
        private readonly List<HlsTypeDef> beatTypes = new List<HlsTypeDef>();
        private readonly Dictionary<GraphNode, bool> native = new Dictionary<GraphNode, bool>();

        public HlsPlanner(ModelPlan plan, HlsOptions options, List<ModelDiagnostic> diagnostics, LoweringRegistry<HlsLowering>? registry = null)
        {
            this.plan = plan;
            this.options = options;
            this.diagnostics = diagnostics;
            this.registry = registry ?? HlsLowering.Registry;
            scope = plan.Names.NewCppScope();
        }

        private ModelGraph Graph => plan.Graph;

        private string File => Graph.Spec.SourceFile;

        /// <summary>The plan, or null with diagnostics.</summary>
        public HlsModelPlan? Plan()
        {
            int before = diagnostics.Count;
            string modelIdent = scope.Get(PlanNames.ModelKey);

            // Top-level ports: not "input"/"output", which are Verilog keywords and would be renamed in the RTL. One input and
            // one output keep the names x_in / y_out; several get one port per tensor, named after it, in spec order.
            bool single = Graph.Inputs.Count == 1 && Graph.Outputs.Count == 1;
            var inPorts = Graph.Inputs.ToDictionary(t => t.Name, t => single ? scope.Get("port in", "x_in") : scope.Get("port in " + t.Name, plan.Names.CppTensor(t.Name) + "_in"), StringComparer.Ordinal);
            var outPorts = Graph.Outputs.ToDictionary(t => t.Name, t => single ? scope.Get("port out", "y_out") : scope.Get("port out " + t.Name, plan.Names.CppTensor(t.Name) + "_out"), StringComparer.Ordinal);
            string inPort = inPorts[Graph.Input.Name], outPort = outPorts[Graph.Output.Name];
            var lowerings = new Dictionary<GraphNode, HlsLowering>();
            foreach (GraphNode node in Graph.Nodes)
            {
                HlsLowering? l = registry.Find(node.Layer.Op);
                if (l == null)
                {
                    Error(HlsErrors.UnsupportedModel, $"layer \"{node.Layer.Name}\": operator {node.Layer.Op} has no HLS implementation (the {registry.Stage} backend supports {string.Join(", ", registry.All.Select(x => x.Op))})", node.Layer.Place);
                }
                else
                {
                    lowerings[node] = l;
                }
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            CheckReuseKnobs(lowerings);
            FpgaDevice? device = FpgaDevice.Find(options.Part);
            if (device == null)
            {
                Error(HlsErrors.InvalidPart, $"Part \"{options.Part}\" is not a device QuantGen has resource numbers for; known devices (a part number starts with one): {FpgaDevice.KnownList}", SourcePlace.None);
                return null;
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                foreach (TensorInfo t in node.Inputs)
                {
                    readers[t.Name] = Readers(t.Name) + 1;
                }
            }

            // Kernel parameters and loop variables a template uses next to the model's global arrays (x0, y0, i0, ...)
            // are taken first, so that a constant tensor of that name moves aside instead of being shadowed.
            foreach (GraphNode node in Graph.Nodes)
            {
                foreach (string local in lowerings[node].LocalNames(node))
                {
                    scope.Get("local " + local, local);
                }
            }

            // Tensors in a stable order: inputs, then each layer's inputs, weight, bias and outputs.
            foreach (TensorInfo t in Graph.Inputs)
            {
                Tensor(t);
            }

            foreach (GraphNode node in Graph.Nodes)
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

                foreach (TensorInfo o in node.Outputs)
                {
                    Tensor(o);
                }
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            bool stream = options.IoMode == IoMode.Stream;
            if (stream)
            {
                PlanLayouts();
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                native[node] = stream && lowerings[node].Streams(node, Layout);
            }

            // Folding: a dry run of every lowering (in layer order, so derived names are allocated as in the real run)
            // gives the cost of the layers without a reuse factor; the MAC layers are sized from their shapes.
            HlsResources fixedPart = HlsResources.Zero;
            var folding = new List<FoldingLayer>();
            var io = new Dictionary<GraphNode, HlsResources>();
            var dryRuns = new Dictionary<GraphNode, HlsLowered>();
            foreach (GraphNode node in Graph.Nodes)
            {
                HlsLowering l = lowerings[node];
                io[node] = IoResources(node, device);
                MacShape? mac = l.HasReuse ? l.Mac(node, plan.Layer(node).Ranges, t => tensors[t.Name]) : null;
                if (mac != null)
                {
                    bool user = !options.AutoReuse || options.LayerReuse.ContainsKey(node.Layer.Name);
                    folding.Add(new FoldingLayer(node.Layer.Name, mac, user ? options.ReuseFor(node.Layer.Name) : (int?)null, options.LayerReuse.ContainsKey(node.Layer.Name) ? "LayerReuseFactors" : "ReuseFactor"));
                }

                // A user's reuse factor is checked here (QG3012 before the fit); an automatic layer is dry-run at R = K, which
                // always unrolls (only its stream lead and buffers are read); the folding then respects the unroll rule.
                var dryDiagnostics = new List<ModelDiagnostic>();
                bool userMac = mac != null && (!options.AutoReuse || options.LayerReuse.ContainsKey(node.Layer.Name));
                HlsLowered? dry = l.Lower(Context(node, userMac ? options.ReuseFor(node.Layer.Name) : mac != null ? mac.K : 1, new List<HlsTable>(), dryDiagnostics));
                if (mac == null || userMac)
                {
                    diagnostics.AddRange(dryDiagnostics);
                }

                if (mac == null && dry != null)
                {
                    fixedPart += ResourceModel.Other(dry.Cost, device);
                }

                if (dry != null)
                {
                    dryRuns[node] = dry;
                    io[node] += ResourceModel.Buffer(dry.Cost.BufferBits);
                }
            }

            // FIFO depths from the producer/consumer rates (io_stream), then every FIFO's memory with its producer.
            Dictionary<string, (int Depth, string Why)> depths = stream ? FifoDepths(dryRuns) : new Dictionary<string, (int, string)>();
            if (stream)
            {
                foreach (GraphNode node in Graph.Nodes)
                {
                    foreach (TensorInfo o in node.Outputs)
                    {
                        for (int k = 0; k < Readers(o.Name); k++)
                        {
                            io[node] += ResourceModel.Fifo(depths[o.Name + " " + Str(k)].Depth, (int)Layout(o).BeatBits);
                        }
                    }
                }
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                fixedPart += io[node];
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            var fixedLayers = Graph.Nodes.Select(n => (n.Layer.Name, io[n] + (dryRuns.TryGetValue(n, out HlsLowered? d) && !lowerings[n].HasReuse ? ResourceModel.Other(d.Cost, device) : HlsResources.Zero))).ToList();
            (Dictionary<string, int> reuse, Dictionary<string, string> why) = Folding.Choose(folding, fixedPart, device, out string? fitError, out string? fitWarning, fixedLayers);
            if (fitError != null)
            {
                Error(HlsErrors.DoesNotFit, fitError, SourcePlace.None);
                return null;
            }

            var layers = new List<HlsLayerPlan>();
            var tables = new List<HlsTable>();
            var replaced = new List<string>();
            foreach (GraphNode node in Graph.Nodes)
            {
                // A layer that cannot be planned reports its diagnostic; the others still get planned so that one
                // build names every layer to change.
                HlsLowering l = lowerings[node];
                MacShape? mac = folding.Where(f => f.Name == node.Layer.Name).Select(f => f.Shape).FirstOrDefault();
                int r = reuse.TryGetValue(node.Layer.Name, out int chosen) ? chosen : 1;
                HlsLayerPlan? layer = Layer(node, l, tables, r, why.TryGetValue(node.Layer.Name, out string? w) ? w : "no multipliers to reuse", device, mac, io[node], replaced);
                if (layer != null)
                {
                    layers.Add(layer);
                }
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            HlsTensor input = tensors[Graph.Input.Name], output = tensors[Graph.Output.Name];
            var streams = new List<HlsStream>();
            var calls = new List<string>();
            var activations = new List<HlsArray>();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (GraphNode node in Graph.Nodes)
            {
                var args = new List<string>();
                foreach (TensorInfo t in node.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                {
                    HlsTensor v = tensors[t.Name];
                    if (!stream)
                    {
                        // An index input is read from the clamped copy the top function makes (v.Array), never from its port.
                        // Several ports: a model output that a layer also reads lives in its activation array and is copied to
                        // its port at the end (an ap_vld output port is never read back).
                        args.Add(inPorts.TryGetValue(t.Name, out string? ip) && !t.IsIndex ? ip : single && outPorts.TryGetValue(t.Name, out string? op) ? op : v.Array);
                    }
                    else
                    {
                        int k = seen.TryGetValue(t.Name, out int s) ? s : 0;
                        seen[t.Name] = k + 1;
                        args.Add(inPorts.TryGetValue(t.Name, out string? ip) && !t.IsIndex && Readers(t.Name) == 1 ? ip : StreamName(t.Name, k));
                    }
                }

                foreach (TensorInfo ot in node.Outputs)
                {
                    HlsTensor o = tensors[ot.Name];
                    if (!stream)
                    {
                        if (outPorts.TryGetValue(ot.Name, out string? op) && (single || Readers(ot.Name) == 0))
                        {
                            args.Add(op);
                        }
                        else
                        {
                            args.Add(o.Array);
                            activations.Add(new HlsArray(o.Array, o.Type, o.Count));
                        }
                    }
                    else
                    {
                        for (int k = 0; k < Readers(ot.Name); k++)
                        {
                            string s = StreamName(ot.Name, k);
                            args.Add(s);
                            (int depth, string depthWhy) = depths[ot.Name + " " + Str(k)];
                            streams.Add(new HlsStream(s, depth, depthWhy, Layout(ot)));
                        }

                        if (outPorts.TryGetValue(ot.Name, out string? op))
                        {
                            args.Add(op);
                        }
                    }
                }

                calls.Add(scope.Get(PlanNames.LayerKey(node.Layer.Name)) + "(" + string.Join(", ", args) + ");");
            }

            // Input fan-out in stream mode: the top function copies an input stream to one stream per reader. An index input
            // always goes through the top function's clamp (io_parallel: into its activation array; io_stream: into one
            // stream per reader).
            var inputCopies = new List<string>();
            var ports = new List<HlsPort>();
            int first = 0;
            foreach (TensorInfo t in Graph.Inputs)
            {
                var copies = new List<string>();
                if (stream && (Readers(t.Name) > 1 || t.IsIndex))
                {
                    for (int k = 0; k < Readers(t.Name); k++)
                    {
                        string s = StreamName(t.Name, k);
                        copies.Add(s);
                        (int depth, string depthWhy) = depths[t.Name + " " + Str(k)];
                        streams.Insert(first++, new HlsStream(s, depth, depthWhy, Layout(t)));
                    }
                }

                if (t == Graph.Input)
                {
                    inputCopies.AddRange(copies);
                }

                HlsTensor v = tensors[t.Name];
                if (!stream && t.IsIndex)
                {
                    activations.Insert(ports.Count(p => p.IsIndex), new HlsArray(v.Array, v.Type, v.Count));
                }

                string portType = t.IsIndex ? scope.Get("port type " + t.Name, v.Ident + "_port_t") : v.Type;
                HlsStreamLayout layout = stream ? Layout(t) : HlsStreamLayout.Flat(v.Count, v.Type, v.Bits);
                ports.Add(new HlsPort(
                    inPorts[t.Name],
                    v,
                    t.IsIndex ? layout with { BeatType = portType, ElementType = portType, ElementBits = 32 } : layout,
                    t.IsIndex,
                    portType,
                    v.Max,
                    t.IsIndex ? scope.Get("clamp " + t.Name, "clamp_" + v.Ident) : string.Empty,
                    v.Array,
                    copies.ToEquatable(),
                    single ? "tb_input_features.dat" : "tb_input_" + v.Ident + ".dat"));
            }

            var outs = Graph.Outputs.Select(t =>
            {
                HlsTensor v = tensors[t.Name];
                HlsStreamLayout layout = stream ? Layout(t) : HlsStreamLayout.Flat(v.Count, v.Type, v.Bits);
                string copy = !stream && !single && Readers(t.Name) > 0 ? scope.Get("copy " + t.Name, "copy_" + v.Ident) : string.Empty;
                return new HlsPort(outPorts[t.Name], v, layout, false, v.Type, v.Max, copy, v.Array, EquatableArray<string>.Empty, single ? "tb_output_predictions.dat" : "tb_output_" + v.Ident + ".dat");
            }).ToList();

            return new HlsModelPlan(
                modelIdent,
                inPort,
                outPort,
                modelIdent.ToUpperInvariant(),
                System.IO.Path.GetFileName(Graph.Spec.SourceFile),
                stream,
                options.IoModeName,
                options.Part,
                options.ClockPeriod,
                input,
                output,
                tensors.Values.ToEquatable(),
                tables.ToEquatable(),
                layers.ToEquatable(),
                activations.ToEquatable(),
                streams.ToEquatable(),
                stream ? Layout(Graph.Input) : HlsStreamLayout.Flat(input.Count, input.Type, input.Bits),
                stream ? Layout(Graph.Output) : HlsStreamLayout.Flat(output.Count, output.Type, output.Bits),
                beatTypes.ToEquatable(),
                inputCopies.ToEquatable(),
                calls.ToEquatable(),
                Estimates(layers, device, fitWarning),
                Graph.Spec.Labels.ToEquatable(),
                replaced.ToEquatable(),
                !single || Graph.Input.IsIndex,
                ports.ToEquatable(),
                outs.ToEquatable());
        }

        /// <summary>FIFO depth of a stream between two layers that both keep pace: Vitis HLS's default.</summary>
        internal const int DefaultFifoDepth = 2;

        /// <summary>The beat layout of an activation in io_stream.</summary>
        private HlsStreamLayout Layout(TensorInfo t) => layouts[t.Name];

        /// <summary>
        /// io_stream beat layouts: every NCHW feature map travels one pixel per beat with its C channels packed (what line
        /// buffers and channel-parallel element-wise kernels consume); a Reshape that only merges the spatial axes of such a
        /// map ([N, C, H, W] -> [N, C, H W]) keeps the layout; everything else is one element per beat, row-major.
        /// </summary>
        private void PlanLayouts()
        {
            void Set(TensorInfo t, HlsStreamLayout? pixel)
            {
                HlsTensor v = tensors[t.Name];
                if (pixel == null)
                {
                    layouts[t.Name] = HlsStreamLayout.Flat(t.ElementCount, v.Type, v.Bits);
                    return;
                }

                if (!pixel.Packed)
                {
                    layouts[t.Name] = pixel with { BeatType = v.Type };   // one channel: the pixel order is the row-major order
                    return;
                }

                string beat = scope.Get("beat " + t.Name, v.Ident + "_beat_t");
                beatTypes.Add(new HlsTypeDef(beat, "qg_beat<" + v.Type + ", " + Str(pixel.Lanes) + ">", $"one pixel of {v.Name}: {pixel.Lanes} channels per beat, {pixel.Beats} beats"));
                layouts[t.Name] = pixel with { BeatType = beat };
            }

            // Feature maps: the rank-4 tensors a Conv2d or MaxPool2d reads or writes, and those joined to them through
            // element-wise layers (a residual Add's other input, a ReLU after it); other rank-4 tensors (attention scores
            // [N, heads, L, L]) stay row-major.
            var maps = new HashSet<string>(StringComparer.Ordinal);
            bool Elementwise(GraphNode n) => n.Layer.Op == OpKind.Relu || n.Layer.Op == OpKind.Clip || n.Layer.Op == OpKind.Add || n.Layer.Op == OpKind.Gelu;
            foreach (GraphNode n in Graph.Nodes.Where(n => n.Layer.Op == OpKind.Conv2d || n.Layer.Op == OpKind.MaxPool2d))
            {
                maps.UnionWith(n.Inputs.Concat(n.Outputs).Where(t => t.Kind != TensorKind.Initializer && t.Shape.Length == 4).Select(t => t.Name));
            }

            for (bool grew = true; grew;)
            {
                grew = false;
                foreach (GraphNode n in Graph.Nodes.Where(Elementwise))
                {
                    var io = n.Inputs.Concat(n.Outputs).Where(t => t.Kind != TensorKind.Initializer && t.Shape.Length == 4).ToList();
                    if (io.Any(t => maps.Contains(t.Name)))
                    {
                        foreach (TensorInfo t in io.Where(t => t.ElementCount == n.Output.ElementCount))
                        {
                            grew |= maps.Add(t.Name);
                        }
                    }
                }
            }

            HlsStreamLayout? Pixel(TensorInfo t) =>
                maps.Contains(t.Name) ? new HlsStreamLayout(t.Shape[0], t.Shape[1], t.Shape[2] * t.Shape[3], tensors[t.Name].Type, string.Empty, tensors[t.Name].Bits) : null;

            foreach (TensorInfo t in Graph.Inputs)
            {
                Set(t, Pixel(t));
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                foreach (TensorInfo o in node.Outputs)
                {
                    HlsStreamLayout? pixel = Pixel(o);
                    TensorInfo x = node.Inputs[0];
                    bool packedIn = layouts.TryGetValue(x.Name, out HlsStreamLayout? inLayout) && inLayout.Packed && x.Shape.Length >= 3 && o.Shape.Length >= 2
                        && o.Shape[0] == x.Shape[0] && o.Shape[1] == x.Shape[1];
                    if (pixel == null && packedIn && inLayout!.Spatial == 1 && node.Layer.Op == OpKind.Reshape && o.Shape.Length == 4 && o.Shape[2] * o.Shape[3] == 1)
                    {
                        pixel = new HlsStreamLayout(o.Shape[0], o.Shape[1], 1, tensors[o.Name].Type, string.Empty, tensors[o.Name].Bits);   // keepdims after a global pool
                    }

                    if (pixel == null && packedIn && node.Layer.Op == OpKind.Reshape && o.Shape.Length == 3)
                    {
                        pixel = new HlsStreamLayout(o.Shape[0], o.Shape[1], o.Shape[2], tensors[o.Name].Type, string.Empty, tensors[o.Name].Bits);
                    }
                    else if (pixel == null && packedIn && node.Layer is AvgPoolLayer ap && ap.Axis == 2 && x.Shape.Length == 3)
                    {
                        // A global pool over the positions: one output pixel of C channels per image.
                        pixel = new HlsStreamLayout(o.Shape[0], o.Shape[1], 1, tensors[o.Name].Type, string.Empty, tensors[o.Name].Bits);
                    }

                    Set(o, pixel);
                }
            }
        }

        /// <summary>
        /// FIFO depths (io_stream), keyed "tensor k" for the k-th stream of a tensor. Two layers that keep pace need
        /// <see cref="DefaultFifoDepth"/>. A forked tensor whose branches meet again (a residual Add) needs, on the shorter
        /// branch, as many beats as the longer branch reads before its first output reaches the join: the sum of the
        /// streaming kernels' leads (line buffers: about kh rows) and stride slack, in beats of the forked tensor; a branch
        /// through a layer that buffers its whole input (or through another fork) makes that the whole tensor. A buffered
        /// layer with several inputs reads them one after the other, so every input after its first gets the whole tensor;
        /// so do the outputs of a multi-output layer (written one after the other). Never more than the tensor's beats.
        /// </summary>
        private Dictionary<string, (int Depth, string Why)> FifoDepths(Dictionary<GraphNode, HlsLowered> dry)
        {
            var result = new Dictionary<string, (int, string)>(StringComparer.Ordinal);
            var consumers = new Dictionary<string, List<(GraphNode Node, int Index)>>(StringComparer.Ordinal);
            foreach (GraphNode node in Graph.Nodes)
            {
                var acts = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).ToList();
                for (int i = 0; i < acts.Count; i++)
                {
                    if (!consumers.TryGetValue(acts[i].Name, out var list))
                    {
                        consumers[acts[i].Name] = list = new List<(GraphNode, int)>();
                    }

                    list.Add((node, i));
                }
            }

            var producers = Graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o.Name, p => p.n, StringComparer.Ordinal);
            var all = new List<TensorInfo>(Graph.Inputs);
            all.AddRange(Graph.Nodes.SelectMany(n => n.Outputs));
            foreach (TensorInfo t in all)
            {
                if (!consumers.TryGetValue(t.Name, out var readersOf))
                {
                    continue;
                }

                int beats = Layout(t).Beats;
                bool multiOutput = producers.TryGetValue(t.Name, out GraphNode? producer) && producer.Outputs.Count > 1 && MeetsLaterOutputInLockstep(producer, t, consumers);
                var lags = readersOf.Select(r => readersOf.Count > 1 ? Lag(r.Node, t, dry) : 0).ToList();
                double longest = lags.Max();
                for (int k = 0; k < readersOf.Count; k++)
                {
                    (GraphNode reader, int index) = readersOf[k];
                    (int, string) d = (DefaultFifoDepth, native[reader] || index == 0 ? "producer and consumer keep pace" : "a later input of a buffered layer, from a buffered layer that holds up nothing else while it waits");
                    if (multiOutput)
                    {
                        d = (beats, "whole tensor: a multi-output layer writes its outputs one after the other, and this one meets a later one in a lockstep layer");
                    }
                    else if (!native[reader] && index > 0 && !DrainsLater(reader, index, producers))
                    {
                        d = (beats, "whole tensor: the consumer buffers its inputs one after the other");
                    }
                    else if (readersOf.Count > 1 && longest > lags[k])
                    {
                        double need = longest - lags[k];
                        d = double.IsPositiveInfinity(need) || need + DefaultFifoDepth >= beats
                            ? (beats, "whole tensor: another branch of this fork buffers its whole input before the branches meet")
                            : ((int)Math.Ceiling(need) + DefaultFifoDepth, $"fork: the longest branch reads {Str((long)Math.Ceiling(longest))} beats before its first output meets this one");
                    }

                    result[t.Name + " " + Str(k)] = d;
                }
            }

            return result;
        }

        /// <summary>
        /// Whether input <paramref name="index"/> (> 0) of the buffered layer <paramref name="reader"/> may wait in a default-depth
        /// FIFO while the reader takes its earlier inputs whole: true when, going upstream through single-reader streaming
        /// layers, the input comes from a buffered layer B that feeds nothing else (B has read all its inputs before writing,
        /// so B waiting on this FIFO holds up nothing upstream), and, if B writes several outputs one after the other, every
        /// output of B that the reader's earlier inputs depend on comes before this one. Otherwise the whole tensor.
        /// </summary>
        private bool DrainsLater(GraphNode reader, int index, Dictionary<string, GraphNode> producers)
        {
            var acts = reader.Inputs.Where(t => t.Kind != TensorKind.Initializer).ToList();
            var earlier = new HashSet<string>(StringComparer.Ordinal);
            var todo = new Stack<string>(acts.Take(index).Select(t => t.Name));
            while (todo.Count > 0)
            {
                string name = todo.Pop();
                if (earlier.Add(name) && producers.TryGetValue(name, out GraphNode? p))
                {
                    foreach (TensorInfo t in p.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                    {
                        todo.Push(t.Name);
                    }
                }
            }

            TensorInfo cur = acts[index];
            for (int guard = 0; guard <= Graph.Nodes.Count; guard++)
            {
                if (Readers(cur.Name) != 1 || !producers.TryGetValue(cur.Name, out GraphNode? p))
                {
                    return false;   // a fork or the graph input: a stall here holds up the other readers
                }

                if (!native[p])
                {
                    int mine = p.Outputs.ToList().FindIndex(o => o.Name == cur.Name);
                    for (int j = 0; j < p.Outputs.Count; j++)
                    {
                        if (Readers(p.Outputs[j].Name) != 1 || (j > mine && earlier.Contains(p.Outputs[j].Name)))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                var pin = p.Inputs.Where(t => t.Kind != TensorKind.Initializer).ToList();
                if (pin.Count != 1 || p.Outputs.Count != 1)
                {
                    return false;
                }

                cur = pin[0];
            }

            return false;
        }

        /// <summary>
        /// A multi-output layer writes its outputs one after the other (output j completely before output j + 1). Output j
        /// can only stall that writer when its readers cannot drain it before a later output arrives: when some lockstep
        /// layer (a streaming kernel with several activation inputs, e.g. a residual Add) reads both output j's data and a
        /// later output's. Where the paths meet in a buffered layer instead, that layer reads its inputs one after the other
        /// and its later inputs already get whole-tensor FIFOs, so output j's own FIFO keeps the default depth.
        /// </summary>
        private bool MeetsLaterOutputInLockstep(GraphNode producer, TensorInfo output, Dictionary<string, List<(GraphNode Node, int Index)>> consumers)
        {
            HashSet<GraphNode> Reach(TensorInfo from)
            {
                var seen = new HashSet<GraphNode>();
                var todo = new Queue<string>();
                todo.Enqueue(from.Name);
                while (todo.Count > 0)
                {
                    if (!consumers.TryGetValue(todo.Dequeue(), out var list))
                    {
                        continue;
                    }

                    foreach ((GraphNode n, int _) in list)
                    {
                        if (seen.Add(n) && native[n])   // a buffered layer absorbs its inputs: paths through it never stall this one
                        {
                            foreach (TensorInfo o in n.Outputs)
                            {
                                todo.Enqueue(o.Name);
                            }
                        }
                    }
                }

                return seen;
            }

            int j = producer.Outputs.ToList().FindIndex(o => o.Name == output.Name);
            HashSet<GraphNode> mine = Reach(output);
            for (int later = j + 1; later < producer.Outputs.Count; later++)
            {
                HashSet<GraphNode> theirs = Reach(producer.Outputs[later]);
                if (mine.Any(n => theirs.Contains(n) && native[n] && n.Inputs.Count(x => x.Kind != TensorKind.Initializer) > 1))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>How many beats of <paramref name="fork"/> the branch starting at <paramref name="node"/> reads before its
        /// first output reaches the next layer with several activation inputs (infinity through a buffered layer or a fork).</summary>
        private double Lag(GraphNode node, TensorInfo fork, Dictionary<GraphNode, HlsLowered> dry)
        {
            double lag = 0;
            double ratio = (double)Layout(fork).Beats / Layout(node.Inputs[0]).Beats;
            for (int guard = 0; guard < Graph.Nodes.Count; guard++)
            {
                if (node.Inputs.Count(t => t.Kind != TensorKind.Initializer) > 1)
                {
                    return lag;
                }

                if (!native[node] || !dry.TryGetValue(node, out HlsLowered? l) || l.Lead < 0)
                {
                    return double.PositiveInfinity;
                }

                lag += (l.Lead + l.Slack) * ratio;
                if (node.Outputs.Count != 1 || Readers(node.Output.Name) > 1)
                {
                    return double.PositiveInfinity;
                }

                GraphNode? next = Graph.Nodes.FirstOrDefault(n => n.Inputs.Any(t => t.Name == node.Output.Name));
                if (next == null)
                {
                    return lag;
                }

                ratio = (double)Layout(fork).Beats / Layout(node.Output).Beats;
                node = next;
            }

            return double.PositiveInfinity;
        }

        /// <summary>How many layer inputs read <paramref name="tensor"/> (one stream each in stream mode).</summary>
        private int Readers(string tensor) => readers.TryGetValue(tensor, out int c) ? c : 0;

        private string StreamName(string tensor, int k) =>
            scope.Get("stream " + tensor + " " + Str(k), "s_" + plan.Names.CppTensor(tensor) + "_" + Str(k));

        private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

        private void CheckReuseKnobs(Dictionary<GraphNode, HlsLowering> lowerings)
        {
            foreach (KeyValuePair<string, int> kv in options.LayerReuse)
            {
                GraphNode? node = Graph.Nodes.FirstOrDefault(n => n.Layer.Name == kv.Key);
                if (node == null)
                {
                    Error(HlsErrors.ReuseFactorNotApplicable, $"LayerReuseFactors names layer \"{kv.Key}\", which the model does not have (layers: {string.Join(", ", Graph.Nodes.Select(n => n.Layer.Name))})", SourcePlace.None);
                }
                else if (lowerings.TryGetValue(node, out HlsLowering? l) && !l.HasReuse)
                {
                    Error(HlsErrors.ReuseFactorNotApplicable, $"LayerReuseFactors sets a reuse factor for layer \"{kv.Key}\" ({node.Layer.Op}), but only Dense, MatMul and Conv2d layers have multipliers to reuse", node.Layer.Place);
                }
            }

            foreach (GraphNode node in Graph.Nodes)
            {
                if (lowerings.TryGetValue(node, out HlsLowering? l) && l.HasReuse && (!options.AutoReuse || options.LayerReuse.ContainsKey(node.Layer.Name)))
                {
                    // Any factor up to K: when R does not divide K the last block of the MAC loop is padded.
                    int k = l.ReduceDim(node), max = l.MaxReuse(node);
                    int r = options.ReuseFor(node.Layer.Name);
                    if (r > max)
                    {
                        string source = options.LayerReuse.ContainsKey(node.Layer.Name) ? "LayerReuseFactors" : "ReuseFactor";
                        string rule = max == k ? "a reuse factor is at most the inner dimension" : $"a reuse factor is at most outputs x inner dimension ({max})";
                        Error(HlsErrors.ReuseFactorNotApplicable, $"{source} {r} does not fit layer \"{node.Layer.Name}\" ({node.Layer.Op}, inner dimension {k}): {rule}; valid: 1 to {max}", node.Layer.Place);
                    }
                }
            }
        }

        private void Error(string id, string message, SourcePlace place) =>
            diagnostics.Add(new ModelDiagnostic(id, message, File, place.Line > 0 ? place.Path : null, place.Line, place.Column));

        private void Tensor(TensorInfo t)
        {
            if (tensors.ContainsKey(t.Name))
            {
                return;
            }

            if (!plan.Ranges.Tensors.TryGetValue(t.Name, out IntRange r))
            {
                Error(HlsErrors.UnsupportedModel, $"tensor \"{t.Name}\" has no integer range (is it a float tensor?)", t.Place);
                return;
            }

            if ((r.Min < 0 && r.Bits > 64) || (r.Min >= 0 && r.Bits > 63))
            {
                Error(HlsErrors.UnsupportedModel, $"tensor \"{t.Name}\" needs {r.Bits} bits, more than the 64 the HLS backend supports", t.Place);
                return;
            }

            string ident = plan.Names.CppTensor(t.Name);
            bool constant = t.Kind == TensorKind.Initializer;
            string array = scope.Get("array " + t.Name, constant ? ident : "act_" + ident);
            string type = scope.Get("type " + t.Name, ident + "_t");
            tensors[t.Name] = new HlsTensor(
                CppFormat.CommentSafe(t.Name),
                System.Text.Json.JsonSerializer.Serialize(t.Name),
                ident,
                array,
                type,
                CppType(r),
                t.Type.ToString(),
                "[" + string.Join(", ", t.Shape) + "]",
                t.ElementCount,
                r.Min,
                r.Max,
                r.Bits,
                t.Kind.ToString().ToLowerInvariant(),
                t.Quant?.ZeroPoint ?? 0,
                constant ? "weights/" + ident + ".h" : string.Empty,
                constant ? CppFormat.StorageType(r.Min, r.Max) : string.Empty,
                constant ? t.IntData!.Select(v => (long)v).ToEquatable() : EquatableArray<long>.Empty);
        }

        private HlsLayerContext Context(GraphNode node, int reuse, List<HlsTable> tables, List<ModelDiagnostic> sink)
        {
            var inputs = node.Inputs.Select(t => tensors[t.Name]).ToList();
            var outputs = node.Outputs.Select(t => tensors[t.Name]).ToList();
            HlsLowering lowering = registry.Find(node.Layer.Op)!;
            var inputArgs = inputs.Select((v, i) => v.IsConstant ? v.Array : lowering.InputParam(i, inputs.Count)).ToList();
            bool stream = options.IoMode == IoMode.Stream;
            var inLayouts = node.Inputs.Select(t => stream && t.Kind != TensorKind.Initializer ? Layout(t) : HlsStreamLayout.Flat(t.ElementCount, tensors[t.Name].Type, tensors[t.Name].Bits)).ToList();
            var outLayouts = node.Outputs.Select(t => stream ? Layout(t) : HlsStreamLayout.Flat(t.ElementCount, tensors[t.Name].Type, tensors[t.Name].Bits)).ToList();
            return new HlsLayerContext(node, scope.Get(PlanNames.LayerKey(node.Layer.Name)), inputs, outputs, inputArgs, plan.Layer(node).Ranges, options, reuse, scope, tensors, tables, sink, File,
                native.TryGetValue(node, out bool n) && n, inLayouts, outLayouts);
        }

        /// <summary>What a layer's I/O costs: in io_stream its input and output buffers and one FIFO per stream it
        /// writes (depth = the tensor, as emitted); in io_parallel its output registers (completely partitioned).</summary>
        private HlsResources IoResources(GraphNode node, FpgaDevice device)
        {
            HlsResources r = HlsResources.Zero;
            bool stream = options.IoMode == IoMode.Stream;
            if (stream && native[node])
            {
                return r;   // a streaming kernel keeps only its own state (line buffer, counted by its lowering); FIFOs come later
            }

            if (stream)
            {
                foreach (TensorInfo t in node.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                {
                    r += Layout(t).Packed ? ResourceModel.Buffer(t.ElementCount, (long)tensors[t.Name].Bits) : ResourceModel.Buffer(t.ElementCount, tensors[t.Name].Bits, device);
                }
            }

            foreach (TensorInfo o in node.Outputs)
            {
                int bits = tensors[o.Name].Bits;
                if (stream)
                {
                    r += Layout(o).Packed ? ResourceModel.Buffer(o.ElementCount, (long)bits) : ResourceModel.Buffer(o.ElementCount, bits, device);
                }
                else
                {
                    r += new HlsResources(0, 0, (long)o.ElementCount * bits, 0, 0, 0);
                }
            }

            return r;
        }

        /// <summary>A buffered io_stream layer's flat buffer in URAM: elements per word, or 0 (block RAM, registers, or not buffered).</summary>
        private int UramPackOf(GraphNode node, TensorInfo t, HlsTensor v, FpgaDevice device) =>
            options.IoMode == IoMode.Stream && !native[node] && !Layout(t).Packed ? ResourceModel.UramPack(v.Count, v.Bits, device) : 0;

        private HlsLayerPlan? Layer(GraphNode node, HlsLowering lowering, List<HlsTable> tables, int reuse, string reuseChoice, FpgaDevice device, MacShape? mac, HlsResources io, List<string> replaced)
        {
            LayerSpec spec = node.Layer;
            string fn = scope.Get(PlanNames.LayerKey(spec.Name));
            bool stream = options.IoMode == IoMode.Stream;
            var inputs = node.Inputs.Select(t => tensors[t.Name]).ToList();
            var outputs = node.Outputs.Select(t => tensors[t.Name]).ToList();
            HlsTensor outT = outputs[0];

            // Kernel parameters: activation inputs are x (and b), constants are read from their ROM arrays directly.
            var parameters = new List<string>();
            var inputArgs = new List<string>();
            var streamInputs = new List<HlsStreamPort>();
            for (int i = 0; i < inputs.Count; i++)
            {
                HlsTensor v = inputs[i];
                if (v.IsConstant)
                {
                    inputArgs.Add(v.Array);
                }
                else
                {
                    string p = lowering.InputParam(i, inputs.Count);
                    parameters.Add("const " + v.Type + " " + p + "[" + Str(v.Count) + "]");
                    inputArgs.Add(p);
                    streamInputs.Add(new HlsStreamPort(p, v.Type, v.Count, stream ? Layout(node.Inputs[i]) : HlsStreamLayout.Flat(v.Count, v.Type, v.Bits), UramPackOf(node, node.Inputs[i], v, device)));
                }
            }

            var layerOutputs = new List<HlsLayerOutput>();
            for (int j = 0; j < outputs.Count; j++)
            {
                HlsTensor o = outputs[j];
                string p = lowering.OutputParam(j, outputs.Count);
                parameters.Add(o.Type + " " + p + "[" + Str(o.Count) + "]");
                var outs = Enumerable.Range(0, Readers(node.Outputs[j].Name)).Select(k => p + "_out" + Str(k)).ToList();
                if (Graph.Outputs.Any(t => t.Name == node.Outputs[j].Name))
                {
                    outs.Add(p + "_top");
                }

                layerOutputs.Add(new HlsLayerOutput(p, o.Type, o.Count, outs.ToEquatable(), stream ? Layout(node.Outputs[j]) : HlsStreamLayout.Flat(o.Count, o.Type, o.Bits), UramPackOf(node, node.Outputs[j], o, device)));
            }

            HlsLayerContext context = Context(node, reuse, tables, diagnostics);
            HlsLowered? lowered = lowering.Lower(context);
            if (lowered == null)
            {
                return null;
            }

            if (lowered.ReplacesWeight.Length > 0 && Graph.Nodes.Count(n => n.Inputs.Concat(n.Weight != null ? new[] { n.Weight } : System.Array.Empty<TensorInfo>()).Any(t => t.Name == node.Weight!.Name)) == 1)
            {
                replaced.Add(lowered.ReplacesWeight);
            }

            HlsCost cost = lowered.Cost;
            HlsResources resources = io + (mac != null ? ResourceModel.Mac(mac, reuse, device) : ResourceModel.Other(cost, device));
            bool isNative = stream && native[node];
            if (stream && !isNative)
            {
                long moved = streamInputs.Sum(v => (long)v.Layout.Beats) + layerOutputs.Sum(o => (long)o.Layout.Beats);
                cost = cost with { Latency = cost.Latency + moved, Formula = cost.Formula + " + beats in + beats out (whole input buffered, then written)" };
            }

            var streamParams = streamInputs.Select(s => "hls::stream<" + s.Layout.BeatType + ">& " + s.Name + "_in")
                .Concat(layerOutputs.SelectMany(o => o.Streams.Select(s => "hls::stream<" + o.Layout.BeatType + ">& " + s)));
            return new HlsLayerPlan(
                fn,
                spec.Name,
                spec.Op.ToString(),
                lowered.Template,
                lowered.Comment,
                "static void " + (stream && !isNative ? fn + "_compute" : fn) + "(" + string.Join(", ", parameters) + ")",
                stream && !isNative ? fn + "_compute" : fn,
                "static void " + fn + "(" + string.Join(", ", streamParams) + ")",
                isNative,
                streamInputs.ToEquatable(),
                layerOutputs.ToEquatable(),
                inputArgs[0],
                inputArgs.Count > 1 ? inputArgs[1] : string.Empty,
                CppFormat.Lit(inputs[0].ZeroPoint),
                CppFormat.Lit(inputs.Count > 1 ? inputs[1].ZeroPoint : 0),
                CppFormat.Lit(outT.ZeroPoint),
                outT.Type,
                outT.Count,
                CppFormat.Lit(outT.Min),
                CppFormat.Lit(outT.Max),
                CppFormat.Lit(node.Output.Type.MinValue),
                CppFormat.Lit(node.Output.Type.MaxValue),
                lowered.Reuse,
                context.Types.ToEquatable(),
                cost,
                resources,
                reuseChoice,
                lowered.Kernel);
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

        private HlsEstimates Estimates(List<HlsLayerPlan> layers, FpgaDevice device, string? warning)
        {
            long total = 0, worst = 0, mults = 0, rom = 0;
            HlsResources used = HlsResources.Zero;
            foreach (HlsLayerPlan l in layers)
            {
                total += l.Latency;
                worst = Math.Max(worst, l.Latency);
                mults += l.Multipliers;
                rom += l.RomBits;
                used += l.Resources;
            }

            long ii = options.IoMode == IoMode.Stream ? worst : total;
            long ps = options.ClockPeriodPs;
            var available = new HlsResources(device.Dsp, device.Lut, device.Ff, device.Bram18, device.Uram, 0);
            var percent = new HlsResources(Percent(used.Dsp, device.Dsp), Percent(used.Lut, device.Lut), Percent(used.Ff, device.Ff), Percent(used.Bram18, device.Bram18), Percent(used.Uram, device.Uram), 0);
            return new HlsEstimates(total, ii, mults, rom, ps, (total * ps) / 1000, ii == 0 ? 0 : 1000000000000L / (ii * ps),
                used, device.Name, device.Board, available, percent, warning ?? string.Empty);
        }

        /// <summary>Whole percent, rounded up (1 % as soon as anything is used); 0 of 0 is 0, anything of 0 is 999.</summary>
        private static long Percent(long used, long available) => used == 0 ? 0 : available == 0 ? 999 : ((used * 100) + available - 1) / available;

        internal static string CppType(IntRange r) => (r.Min < 0 ? "qg_int<" : "qg_uint<") + r.Bits.ToString(CultureInfo.InvariantCulture) + ">";
    }
}
