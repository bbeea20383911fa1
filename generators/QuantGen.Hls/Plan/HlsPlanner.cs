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

            // Top-level ports: not "input"/"output", which are Verilog keywords and would be renamed in the RTL.
            string inPort = scope.Get("port in", "x_in"), outPort = scope.Get("port out", "y_out");
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

            // Tensors in a stable order: input, then each layer's inputs, weight, bias and outputs.
            Tensor(Graph.Input);
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

            // Folding: a dry run of every lowering (in layer order, so derived names are allocated as in the real run)
            // gives the cost of the layers without a reuse factor; the MAC layers are sized from their shapes.
            HlsResources fixedPart = HlsResources.Zero;
            var folding = new List<FoldingLayer>();
            var io = new Dictionary<GraphNode, HlsResources>();
            foreach (GraphNode node in Graph.Nodes)
            {
                HlsLowering l = lowerings[node];
                io[node] = IoResources(node);
                fixedPart += io[node];
                MacShape? mac = l.HasReuse ? l.Mac(node, plan.Layer(node).Ranges, t => tensors[t.Name]) : null;
                if (mac != null)
                {
                    bool user = !options.AutoReuse || options.LayerReuse.ContainsKey(node.Layer.Name);
                    folding.Add(new FoldingLayer(node.Layer.Name, mac, user ? options.ReuseFor(node.Layer.Name) : (int?)null, options.LayerReuse.ContainsKey(node.Layer.Name) ? "LayerReuseFactors" : "ReuseFactor"));
                }

                // A user's reuse factor is checked here (QG3012 before the fit); an automatic layer's dry run at R = 1 may
                // fail the unroll rule, which the folding then respects.
                var dryDiagnostics = new List<ModelDiagnostic>();
                bool userMac = mac != null && (!options.AutoReuse || options.LayerReuse.ContainsKey(node.Layer.Name));
                HlsLowered? dry = l.Lower(Context(node, userMac ? options.ReuseFor(node.Layer.Name) : 1, new List<HlsTable>(), dryDiagnostics));
                if (mac == null || userMac)
                {
                    diagnostics.AddRange(dryDiagnostics);
                }

                if (mac == null && dry != null)
                {
                    fixedPart += ResourceModel.Other(dry.Cost, device);
                }
            }

            if (diagnostics.Count != before)
            {
                return null;
            }

            (Dictionary<string, int> reuse, Dictionary<string, string> why) = Folding.Choose(folding, fixedPart, device, out string? fitError, out string? fitWarning);
            if (fitError != null)
            {
                Error(HlsErrors.DoesNotFit, fitError, SourcePlace.None);
                return null;
            }

            var layers = new List<HlsLayerPlan>();
            var tables = new List<HlsTable>();
            foreach (GraphNode node in Graph.Nodes)
            {
                // A layer that cannot be planned reports its diagnostic; the others still get planned so that one
                // build names every layer to change.
                HlsLowering l = lowerings[node];
                MacShape? mac = folding.Where(f => f.Name == node.Layer.Name).Select(f => f.Shape).FirstOrDefault();
                int r = reuse.TryGetValue(node.Layer.Name, out int chosen) ? chosen : 1;
                HlsLayerPlan? layer = Layer(node, l, tables, r, why.TryGetValue(node.Layer.Name, out string? w) ? w : "no multipliers to reuse", device, mac, io[node]);
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
            HlsTensor input = tensors[Graph.Input.Name], output = tensors[Graph.Output.Name];
            var streams = new List<HlsArray>();
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
                        args.Add(t.Name == Graph.Input.Name ? inPort : t.Name == Graph.Output.Name ? outPort : v.Array);
                    }
                    else
                    {
                        int k = seen.TryGetValue(t.Name, out int s) ? s : 0;
                        seen[t.Name] = k + 1;
                        args.Add(t.Name == Graph.Input.Name && Readers(t.Name) == 1 ? inPort : StreamName(t.Name, k));
                    }
                }

                foreach (TensorInfo ot in node.Outputs)
                {
                    HlsTensor o = tensors[ot.Name];
                    if (!stream)
                    {
                        if (ot.Name == Graph.Output.Name)
                        {
                            args.Add(outPort);
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
                            streams.Add(new HlsArray(s, o.Type, o.Count));
                        }

                        if (ot.Name == Graph.Output.Name)
                        {
                            args.Add(outPort);
                        }
                    }
                }

                calls.Add(scope.Get(PlanNames.LayerKey(node.Layer.Name)) + "(" + string.Join(", ", args) + ");");
            }

            // Input fan-out in stream mode: the top function copies the input stream to one stream per reader.
            var inputCopies = new List<string>();
            if (stream && Readers(Graph.Input.Name) > 1)
            {
                for (int k = 0; k < Readers(Graph.Input.Name); k++)
                {
                    string s = StreamName(Graph.Input.Name, k);
                    inputCopies.Add(s);
                    streams.Insert(k, new HlsArray(s, input.Type, input.Count));
                }
            }

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
                inputCopies.ToEquatable(),
                calls.ToEquatable(),
                Estimates(layers, device, fitWarning),
                Graph.Spec.Labels.ToEquatable());
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
                    int k = l.ReduceDim(node);
                    int r = options.ReuseFor(node.Layer.Name);
                    if (r > k)
                    {
                        string source = options.LayerReuse.ContainsKey(node.Layer.Name) ? "LayerReuseFactors" : "ReuseFactor";
                        Error(HlsErrors.ReuseFactorNotApplicable, $"{source} {r} does not fit layer \"{node.Layer.Name}\" ({node.Layer.Op}, inner dimension {k}): a reuse factor is at most the inner dimension; valid: 1 to {k}", node.Layer.Place);
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
            return new HlsLayerContext(node, scope.Get(PlanNames.LayerKey(node.Layer.Name)), inputs, outputs, inputArgs, plan.Layer(node).Ranges, options, reuse, scope, tensors, tables, sink, File);
        }

        /// <summary>What a layer's I/O costs: in io_stream its input and output buffers and one FIFO per stream it
        /// writes (depth = the tensor, as emitted); in io_parallel its output registers (completely partitioned).</summary>
        private HlsResources IoResources(GraphNode node)
        {
            HlsResources r = HlsResources.Zero;
            bool stream = options.IoMode == IoMode.Stream;
            if (stream)
            {
                foreach (TensorInfo t in node.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                {
                    r += ResourceModel.Buffer((long)t.ElementCount * tensors[t.Name].Bits);
                }
            }

            foreach (TensorInfo o in node.Outputs)
            {
                int bits = tensors[o.Name].Bits;
                if (stream)
                {
                    r += ResourceModel.Buffer((long)o.ElementCount * bits);
                    for (int k = 0; k < Math.Max(1, Readers(o.Name)); k++)
                    {
                        r += ResourceModel.Fifo(o.ElementCount, bits);
                    }
                }
                else
                {
                    r += new HlsResources(0, 0, (long)o.ElementCount * bits, 0, 0, 0);
                }
            }

            return r;
        }

        private HlsLayerPlan? Layer(GraphNode node, HlsLowering lowering, List<HlsTable> tables, int reuse, string reuseChoice, FpgaDevice device, MacShape? mac, HlsResources io)
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
            var streamInputs = new List<HlsArray>();
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
                    streamInputs.Add(new HlsArray(p, v.Type, v.Count));
                }
            }

            var layerOutputs = new List<HlsLayerOutput>();
            for (int j = 0; j < outputs.Count; j++)
            {
                HlsTensor o = outputs[j];
                string p = lowering.OutputParam(j, outputs.Count);
                parameters.Add(o.Type + " " + p + "[" + Str(o.Count) + "]");
                var outs = Enumerable.Range(0, Readers(node.Outputs[j].Name)).Select(k => p + "_out" + Str(k)).ToList();
                if (node.Outputs[j].Name == Graph.Output.Name)
                {
                    outs.Add(p + "_top");
                }

                layerOutputs.Add(new HlsLayerOutput(p, o.Type, o.Count, outs.ToEquatable()));
            }

            HlsLayerContext context = Context(node, reuse, tables, diagnostics);
            HlsLowered? lowered = lowering.Lower(context);
            if (lowered == null)
            {
                return null;
            }

            HlsCost cost = lowered.Cost;
            HlsResources resources = io + (mac != null ? ResourceModel.Mac(mac, reuse, device) : ResourceModel.Other(cost, device));
            if (stream)
            {
                long moved = inputs.Where(v => !v.IsConstant).Sum(v => (long)v.Count) + outputs.Sum(o => (long)o.Count);
                cost = cost with { Latency = cost.Latency + moved, Formula = cost.Formula + " + E_in + E_out (stream read and write)" };
            }

            var streamParams = streamInputs.Select(s => "hls::stream<" + s.Type + ">& " + s.Name + "_in")
                .Concat(layerOutputs.SelectMany(o => o.Streams.Select(s => "hls::stream<" + o.Type + ">& " + s)));
            return new HlsLayerPlan(
                fn,
                spec.Name,
                spec.Op.ToString(),
                lowered.Template,
                lowered.Comment,
                "static void " + (stream ? fn + "_compute" : fn) + "(" + string.Join(", ", parameters) + ")",
                stream ? fn + "_compute" : fn,
                "static void " + fn + "(" + string.Join(", ", streamParams) + ")",
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
