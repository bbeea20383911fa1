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
        int GemmU = 0)
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
            Math.Max(GemmU, o.GemmU));
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
        }

        public ModelPlan Model { get; }

        public IReadOnlyList<CpuLayerPlan> Layers { get; }

        public CpuScratch Scratch { get; }

        /// <summary>The kernel library files the generated code of this model calls.</summary>
        public KernelFiles Library { get; }

        /// <summary>The Dense layers in order when the whole graph is a chain of int8 GEMMs from the input to the output; else null.</summary>
        public IReadOnlyList<CpuLayerPlan>? RowChain { get; }

        public CpuLayerPlan Layer(GraphNode node) => Layers.First(l => ReferenceEquals(l.Node, node));

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
