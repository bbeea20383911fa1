using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>The kernel library files generated code calls (emitted once per compilation, only when a model uses them).</summary>
    [Flags]
    public enum KernelFiles
    {
        None = 0,

        /// <summary>QuantGenKernels: the SIMD helpers and the integer-numerics twins (QuantGen.Kernels.g.cs).</summary>
        Kernels = 1,

        /// <summary>QuantGenConvKernels: im2col and the convolution row kernels (QuantGen.ConvKernels.g.cs).</summary>
        ConvKernels = 2,

        /// <summary>QuantGenDepthwiseKernels: the depthwise convolutions on vpdpbusd (QuantGen.DepthwiseKernels.g.cs).</summary>
        DepthwiseKernels = 4,

        /// <summary>QuantGenPointwiseKernels: the 1x1 / small-K conv GEMM with the multiply-high store (QuantGen.PointwiseKernels.g.cs).</summary>
        PointwiseKernels = 8,

        /// <summary>QuantGenTransformerKernels: the attention row kernels, the vectorized table softmax (QuantGen.TransformerKernels.g.cs).</summary>
        TransformerKernels = 16,

        /// <summary>QuantGenAttentionKernels: attention's activation x activation GEMMs with one requantization (QuantGen.AttentionKernels.g.cs).</summary>
        AttentionKernels = 32,

        /// <summary>QuantGenStemKernels: the image layouts of the RGB stems (QuantGen.StemKernels.g.cs).</summary>
        StemKernels = 64,
    }

    /// <summary>
    /// Instance scratch buffers shared by the layers of one model (each sized for its largest user). A layer's plan says
    /// what it needs; the model's plan holds the element-wise maximum, so no size depends on the order of emission.
    /// </summary>
    public sealed record CpuScratch(
        int PadBytes = 0,
        int MmShorts = 0,
        int GemmA = 0,
        int RowInts = 0,
        int GemmB = 0,
        int RowLongs = 0,
        int MmQuads = 0,
        int MmColBias = 0,
        int MmRowBias = 0,
        int GemmU = 0,
        int ConvImage = 0,
        int ConvCol = 0,
        int ConvOut = 0)
    {
        public static CpuScratch None { get; } = new CpuScratch();

        public CpuScratch Max(CpuScratch o) => new CpuScratch(
            Math.Max(PadBytes, o.PadBytes),
            Math.Max(MmShorts, o.MmShorts),
            Math.Max(GemmA, o.GemmA),
            Math.Max(RowInts, o.RowInts),
            Math.Max(GemmB, o.GemmB),
            Math.Max(RowLongs, o.RowLongs),
            Math.Max(MmQuads, o.MmQuads),
            Math.Max(MmColBias, o.MmColBias),
            Math.Max(MmRowBias, o.MmRowBias),
            Math.Max(GemmU, o.GemmU),
            Math.Max(ConvImage, o.ConvImage),
            Math.Max(ConvCol, o.ConvCol),
            Math.Max(ConvOut, o.ConvOut));
    }

    /// <summary>How a layer's kernel treats the channels-last (NHWC) layout of its 4-D activations.</summary>
    public enum CpuLayout
    {
        /// <summary>The graph's NCHW only (every kernel that does not say otherwise).</summary>
        ChannelsFirst = 0,

        /// <summary>Reads its activation input and writes its output in either layout, as the plan says (the NHWC convolutions).</summary>
        Convertible = 1,

        /// <summary>Element by element on same-shaped operands: inputs and output share whatever layout they have (ReLU, residual Add).</summary>
        Elementwise = 2,

        /// <summary>Writes its output in the layout its input has, either one (max pooling).</summary>
        Preserving = 3,
    }

    /// <summary>
    /// What a strategy decided for one layer: the kernel (the name <c>ModelInfo</c> reports), the scratch it needs and the
    /// kernel library files its code calls. Strategies derive records with the facts their emission prints (proven
    /// operand bounds, fused neighbours, ...), so the emitter decides nothing.
    /// </summary>
    public record CpuKernelPlan(string Kernel)
    {
        public CpuScratch Scratch { get; init; } = CpuScratch.None;

        public KernelFiles Library { get; init; } = KernelFiles.None;

        /// <summary>Whether the kernel can run on channels-last activations; the plan decides which tensors do.</summary>
        public CpuLayout Layout { get; init; } = CpuLayout.ChannelsFirst;
    }

    /// <summary>One layer of the CPU plan: the shared layer facts, the strategy chosen and its decision.</summary>
    public sealed class CpuLayerPlan
    {
        internal CpuLayerPlan(LayerPlan layer, CpuStrategy strategy, CpuKernelPlan kernel)
        {
            Layer = layer;
            Strategy = strategy;
            Kernel = kernel;
        }

        public LayerPlan Layer { get; }

        public GraphNode Node => Layer.Node;

        public CpuKernelPlan Kernel { get; }

        internal CpuStrategy Strategy { get; }
    }

    /// <summary>
    /// The CPU backend's decisions for one model, built once from the <see cref="ModelPlan"/> before anything is printed: per
    /// layer the first strategy (of its operator's ordered list) that accepts it, the model's scratch buffers, the batched
    /// Dense row chain and the kernel library files the model needs. The emitter prints it; <c>ModelInfo</c> reads it.
    /// </summary>
    public sealed class CpuPlan
    {
        /// <summary>Up to this many samples of a batch run as the rows of one GEMM per layer of a Dense chain.</summary>
        public const int BatchRows = 64;

        private CpuPlan(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers)
        {
            Model = model;
            Layers = layers;
            RowChain = FindRowChain(model, layers);
            CpuScratch scratch = layers.Aggregate(CpuScratch.None, (s, l) => s.Max(l.Kernel.Scratch));
            if (RowChain != null)
            {
                scratch = scratch.Max(new CpuScratch(
                    GemmA: RowChain.Max(l => BatchRows * ((DenseGemmPlan)l.Kernel).RowsPerSample * ((DenseGemmPlan)l.Kernel).KPairs * 2),
                    GemmU: RowChain.Max(l => ((DenseGemmPlan)l.Kernel).K % 4 != 0 ? BatchRows * ((DenseGemmPlan)l.Kernel).RowsPerSample * ((DenseGemmPlan)l.Kernel).KQuads * 4 : 0)));
            }

            Scratch = scratch;
            Library = layers.Aggregate(KernelFiles.Kernels, (f, l) => f | l.Kernel.Library);
            ChannelsLastTensors = PlanChannelsLast(model, layers);
            storage = layers.Where(l => l.Kernel is ISharedStorage).ToDictionary(l => l.Node.Output.Name, l => ((ISharedStorage)l.Kernel).Into, StringComparer.Ordinal);
            FusedAdds = ResidualFusion.Find(model, layers, IsChannelsLast, Storage);
            foreach (ResidualFusion f in FusedAdds)
            {
                storage[f.Conv.Output.Name] = f.Add.Output.Name;
            }

            FusedBiases = BiasFusion.Find(model, layers);
            foreach (BiasFusion f in FusedBiases)
            {
                storage[f.Dense.Output.Name] = f.Add.Output.Name;
            }

            PaddedImages = Conv2dLowering.PaddedImages(model, layers, IsChannelsLast, Storage);
            ModelGraph graph = model.Graph;
            OutputInPlace = graph.IsSingleInputOutput && !graph.Input.IsIndex && !graph.Nodes.Any(nd => nd.Inputs.Any(t => t.Name == graph.Output.Name));
            Arena = PlanArena();
        }

        /// <summary>
        /// The single-tensor API's layer that produces the graph's output writes straight into the caller's span (no other layer
        /// reads it), so that output has no buffer.
        /// </summary>
        public bool OutputInPlace { get; }

        /// <summary>
        /// The tensors stored as their depthwise consumer's padded u-image (<see cref="Conv2dLowering.PaddedImages"/>): the producer
        /// writes into the window, the consumer writes the border and reads it in place; their buffers are the image's size.
        /// </summary>
        public IReadOnlyDictionary<string, PaddedImage> PaddedImages { get; }

        /// <summary>The padded image <paramref name="t"/> is stored as, or null.</summary>
        public PaddedImage? PaddedImageOf(TensorInfo t) => PaddedImages.TryGetValue(t.Name, out PaddedImage? img) ? img : null;

        /// <summary>Where the intermediate activations live: one arena, offsets from their liveness over <see cref="CallOrder"/>.</summary>
        public BufferArena Arena { get; }

        /// <summary>
        /// What a layer's call reads besides its own operands: the other operand of a fused residual Add (the conv stores the
        /// Add's result), the input of a transpose fused into a MatMul's packing (read straight from its buffer).
        /// </summary>
        public IEnumerable<TensorInfo> ExtraReads(GraphNode node)
        {
            ResidualFusion? add = FusedAdds.FirstOrDefault(f => ReferenceEquals(f.Conv, node));
            if (add != null)
            {
                yield return add.Other;
            }

            if (Layer(node).Kernel is MatMulPlan { FusedTranspose: string t })
            {
                yield return Model.Graph.Nodes.First(nd => nd.Layer.Name == t).Inputs[0];
            }
        }

        private BufferArena PlanArena()
        {
            ModelGraph graph = Model.Graph;
            var bytes = new Dictionary<string, int>(StringComparer.Ordinal);
            var inputs = new HashSet<string>(graph.Inputs.Select(t => t.Name), StringComparer.Ordinal);
            foreach (TensorInfo t in graph.Nodes.SelectMany(nd => nd.Outputs))
            {
                string root = Storage(t.Name);
                if (inputs.Contains(root) || (OutputInPlace && root == graph.Output.Name))
                {
                    continue;
                }

                int size = checked(t.ElementCount * CSharp.Size(t.Type));
                size = PaddedImages.TryGetValue(root, out PaddedImage? img) ? Math.Max(size, img.Bytes) : size;
                bytes[root] = bytes.TryGetValue(root, out int b) ? Math.Max(b, size) : size;
            }

            var calls = new List<ArenaCall>();
            foreach (GraphNode node in CallOrder(graph.Nodes))
            {
                IEnumerable<TensorInfo> reads = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).Concat(ExtraReads(node));
                calls.Add(new ArenaCall(reads.Select(t => Storage(t.Name)).ToList(), node.Outputs.Select(t => Storage(t.Name)).ToList()));
            }

            return BufferArena.Plan(bytes, calls, graph.Outputs.Select(t => Storage(t.Name)));
        }

        /// <summary>The bias Adds fused into the store of the Dense before them (<see cref="BiasFusion.Find"/>); their layers do nothing.</summary>
        public IReadOnlyList<BiasFusion> FusedBiases { get; }

        /// <summary>The bias fusion that <paramref name="node"/> (the Dense or the Add) takes part in, or null.</summary>
        public BiasFusion? FusedBias(GraphNode node) => FusedBiases.FirstOrDefault(f => ReferenceEquals(f.Dense, node) || ReferenceEquals(f.Add, node));

        /// <summary>The residual Adds fused into the store of a conv (<see cref="ResidualFusion.Find"/>); their layers do nothing.</summary>
        public IReadOnlyList<ResidualFusion> FusedAdds { get; }

        /// <summary>The fusion that <paramref name="node"/> (the conv or the Add) takes part in, or null.</summary>
        public ResidualFusion? FusedAdd(GraphNode node) => FusedAdds.FirstOrDefault(f => ReferenceEquals(f.Conv, node) || ReferenceEquals(f.Add, node));

        /// <summary>
        /// The layers Infer calls, in order: the graph's nodes, except that a conv with a fused residual Add runs where its Add
        /// stood (the Add's other operand may come from a later node, ResNet's shortcut conv; the conv's output is read by that
        /// Add alone, and the arena keeps the conv's input live up to that call) and the Add, which does nothing, is not called.
        /// </summary>
        public IEnumerable<GraphNode> CallOrder(IEnumerable<GraphNode> nodes)
        {
            foreach (GraphNode node in nodes)
            {
                if (FusedAdds.Any(f => ReferenceEquals(f.Conv, node)))
                {
                    continue;
                }

                ResidualFusion? f = FusedAdds.FirstOrDefault(f => ReferenceEquals(f.Add, node));
                yield return f != null ? f.Conv : node;
            }
        }

        private readonly Dictionary<string, string> storage;

        /// <summary>
        /// The tensor whose buffer holds <paramref name="tensor"/>: itself, or for the output of a ReLU fused into an int8 Add
        /// (<see cref="FusedReluPlan"/>) the Add's output, for a Reshape's view (<see cref="ReshapeView"/>) its input's buffer, for
        /// the output of a conv with a fused residual Add (<see cref="FusedAdds"/>) or of a Dense with a fused bias Add
        /// (<see cref="FusedBiases"/>) the Add's output.
        /// </summary>
        public string Storage(string tensor)
        {
            while (storage.TryGetValue(tensor, out string? into))
            {
                tensor = into;
            }

            return tensor;
        }

        public ModelPlan Model { get; }

        public IReadOnlyList<CpuLayerPlan> Layers { get; }

        public CpuScratch Scratch { get; }

        /// <summary>The kernel library files the generated code of this model calls.</summary>
        public KernelFiles Library { get; }

        /// <summary>The Dense layers in order when the whole graph is a chain of int8 GEMMs from the input to the output; else null.</summary>
        public IReadOnlyList<CpuLayerPlan>? RowChain { get; }

        /// <summary>
        /// The activations kept channels-last ([n][h][w][c]) between layers: every 4-D tensor whose producer and consumers
        /// can all run on that layout, ReLU and residual Add joining their operands and output into one group that changes
        /// layout together. The graph's input and outputs stay NCHW: the convolutions next to them transpose (the only
        /// transposes), so 1x1 convolutions are plain GEMMs and im2col rows are contiguous copies.
        /// </summary>
        public IReadOnlyCollection<string> ChannelsLastTensors { get; }

        public bool IsChannelsLast(TensorInfo t) => ChannelsLastTensors.Contains(t.Name);

        public CpuLayerPlan Layer(GraphNode node) => Layers.First(l => ReferenceEquals(l.Node, node));

        private static IReadOnlyCollection<string> PlanChannelsLast(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers)
        {
            var layout = new Dictionary<GraphNode, CpuLayout>();
            foreach (CpuLayerPlan l in layers)
            {
                layout[l.Node] = l.Kernel.Layout;
            }

            // Union-find over tensor names: an element-wise (or layout-preserving) layer ties its activation operands and its
            // output together.
            var parent = new Dictionary<string, string>(StringComparer.Ordinal);
            string Find(string t)
            {
                while (parent.TryGetValue(t, out string? p) && p != t)
                {
                    t = p;
                }

                return t;
            }

            foreach (CpuLayerPlan l in layers.Where(l => l.Kernel.Layout == CpuLayout.Elementwise || l.Kernel.Layout == CpuLayout.Preserving))
            {
                string root = Find(l.Node.Output.Name);
                foreach (TensorInfo t in l.Node.Inputs.Where(t => t.Kind != TensorKind.Initializer))
                {
                    string r = Find(t.Name);
                    if (r != root)
                    {
                        parent[r] = root;
                    }
                }
            }

            var excluded = new HashSet<string>(model.Graph.Inputs.Select(t => Find(t.Name)), StringComparer.Ordinal);
            var candidates = new List<string>();
            HashSet<GraphNode> pooledFlattens = PooledFlattens(model, layers);
            foreach (CpuLayerPlan l in layers)
            {
                foreach (TensorInfo t in l.Node.Outputs)
                {
                    IReadOnlyList<GraphNode> consumers = model.Consumers(t.Name);
                    bool ok = t.Shape.Length == 4 && l.Kernel.Layout != CpuLayout.ChannelsFirst && !model.IsGraphOutput(t) && consumers.Count > 0
                        && consumers.All(c => pooledFlattens.Contains(c) || (layout.TryGetValue(c, out CpuLayout cl) && cl != CpuLayout.ChannelsFirst));
                    if (!ok)
                    {
                        excluded.Add(Find(t.Name));
                    }

                    candidates.Add(t.Name);
                }
            }

            var last = new HashSet<string>(candidates.Where(t => !excluded.Contains(Find(t))), StringComparer.Ordinal);
            foreach (GraphNode f in pooledFlattens.Where(f => last.Contains(f.Inputs[0].Name)))
            {
                last.Add(f.Output.Name);
            }

            return last;
        }

        /// <summary>
        /// The flattens (Reshape [n, c, h, w] -&gt; [n, c, h * w]) whose only consumer is the int8 row average pool over the last
        /// axis (the global pools of DS-CNN and MobileNet). A flatten copies bytes in either layout, so a channels-last input
        /// gives [n][h * w][c], which the pool reads as columns (QuantGenKernels.AvgColumnsS8); the 3-D output is then listed
        /// as channels-last too. Its producer no longer transposes to NCHW (a scalar transpose below 16 positions).
        /// </summary>
        private static HashSet<GraphNode> PooledFlattens(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers)
        {
            var found = new HashSet<GraphNode>();
            foreach (CpuLayerPlan l in layers.Where(l => l.Node.Layer.Op == OpKind.Reshape))
            {
                GraphNode f = l.Node;
                int[] s = f.Inputs[0].Shape, os = f.Output.Shape;
                bool flatten = f.Inputs.Count == 1 && s.Length == 4 && os.Length == 3 && os[0] == s[0] && os[1] == s[1] && os[2] == s[2] * s[3];
                IReadOnlyList<GraphNode> consumers = model.Consumers(f.Output.Name);
                if (!flatten || model.IsGraphOutput(f.Output) || consumers.Count != 1 || consumers[0].Layer is not AvgPoolLayer pool || pool.Axis != 2)
                {
                    continue;
                }

                if (layers.First(c => ReferenceEquals(c.Node, consumers[0])).Kernel.Kernel == AvgPoolLowering.RowsKernel)
                {
                    found.Add(f);
                }
            }

            return found;
        }

        /// <summary>
        /// Plans every layer with the lowering <paramref name="registry"/> finds for its operator; layers without one are
        /// listed in <paramref name="missing"/> and the result is null.
        /// </summary>
        public static CpuPlan? Create(ModelPlan model, LoweringRegistry<CpuLowering> registry, List<MissingLowering> missing)
        {
            var context = new CpuPlanContext(model);
            var layers = new List<CpuLayerPlan>();
            foreach (LayerPlan layer in model.Layers)
            {
                CpuLowering? lowering = registry.Find(layer.Op);
                if (lowering == null)
                {
                    missing.Add(new MissingLowering(registry.Stage, layer.Node));
                    continue;
                }

                CpuLayerPlan? chosen = null;
                foreach (CpuStrategy strategy in lowering.Strategies)
                {
                    CpuKernelPlan? plan = strategy.TryPlan(context, layer.Node);
                    if (plan != null)
                    {
                        chosen = new CpuLayerPlan(layer, strategy, plan);
                        break;
                    }
                }

                if (chosen == null)
                {
                    missing.Add(new MissingLowering(registry.Stage, layer.Node));
                    continue;
                }

                layers.Add(chosen);
            }

            return missing.Count > 0 ? null : new CpuPlan(model, layers);
        }

        private static IReadOnlyList<CpuLayerPlan>? FindRowChain(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers)
        {
            ModelGraph graph = model.Graph;
            var chain = new List<CpuLayerPlan>();
            if (!graph.IsSingleInputOutput)
            {
                return null;
            }

            string previous = graph.Input.Name;
            foreach (CpuLayerPlan l in layers)
            {
                GraphNode node = l.Node;
                if (!(node.Layer is DenseLayer) || !(l.Kernel is DenseGemmPlan) || node.Inputs[0].Name != previous
                    || node.Inputs.Count(t => t.Kind != TensorKind.Initializer) != 1 || CSharp.Type(graph.Input.Type) != "sbyte")
                {
                    return null;
                }

                chain.Add(l);
                previous = node.Output.Name;
            }

            return chain.Count > 0 && previous == graph.Output.Name ? chain : null;
        }
    }

    /// <summary>What strategies may read while planning: the model plan (ranges, producers, consumers).</summary>
    public sealed class CpuPlanContext
    {
        internal CpuPlanContext(ModelPlan model)
        {
            Model = model;
        }

        public ModelPlan Model { get; }

        public RangeReport Ranges => Model.Ranges;

        public LayerRanges RangesOf(GraphNode node) => Model.Layer(node).Ranges;
    }

    /// <summary>
    /// One way of running an operator on the CPU (VNNI GEMM, pmaddwd, scalar int64, ...): <see cref="TryPlan"/> decides
    /// from the model plan alone whether it applies and returns its immutable record (or null), EmitPlan prints it.
    /// </summary>
    public abstract class CpuStrategy
    {
        public abstract CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node);

        internal abstract void EmitPlan(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan);
    }

    /// <summary>A strategy whose records have one type.</summary>
    public abstract class CpuStrategy<TPlan> : CpuStrategy
        where TPlan : CpuKernelPlan
    {
        internal sealed override void EmitPlan(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => Emit(e, w, node, (TPlan)plan);

        internal abstract void Emit(CpuEmitter e, SourceWriter w, GraphNode node, TPlan plan);
    }

    /// <summary>
    /// The CPU backend's lowering of one operator: its strategies, best first (the last one always applies). One class per
    /// operator under Lowerings/, found by <see cref="LoweringRegistry{T}.Discover"/>.
    /// </summary>
    public abstract class CpuLowering : IOperatorLowering
    {
        public const string Stage = "C# CPU";

        public abstract OpKind Op { get; }

        public abstract IReadOnlyList<CpuStrategy> Strategies { get; }

        /// <summary>Every lowering of this assembly.</summary>
        public static LoweringRegistry<CpuLowering> Registry { get; } = LoweringRegistry<CpuLowering>.Discover(Stage, typeof(CpuLowering).Assembly);
    }
}
