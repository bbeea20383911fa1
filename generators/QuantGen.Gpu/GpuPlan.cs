using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;
using QuantGen.Plan;

namespace QuantGen.Gpu
{
    /// <summary>What one layer's lowering printed: the kernel body, its thread count, a description and the constant buffers it reads.</summary>
    public sealed class GpuKernel
    {
        internal GpuKernel(SourceWriter body, IReadOnlyList<TensorInfo> data)
        {
            Body = body;
            Data = data;
        }

        public SourceWriter Body { get; }

        /// <summary>The layer's activation inputs (constants excluded), in order.</summary>
        public IReadOnlyList<TensorInfo> Data { get; }

        /// <summary>Threads per input sample (a C# expression, usually a literal).</summary>
        public string Threads { get; set; } = "1";

        /// <summary>How the kernel divides the work (the doc comment).</summary>
        public string What { get; set; } = string.Empty;

        public bool UseW8 { get; set; }

        public bool UseC32 { get; set; }

        public bool UseC64 { get; set; }
    }

    /// <summary>
    /// The ILGPU backend's lowering of one operator (one class per operator under Lowerings/, found by
    /// <see cref="LoweringRegistry{T}.Discover"/>): one kernel per layer, one thread per output element or per row.
    /// </summary>
    public abstract class GpuLowering : IOperatorLowering
    {
        public const string Stage = "ILGPU";

        public abstract OpKind Op { get; }

        internal abstract void Emit(GpuEmitter em, GpuKernel kern, GraphNode node);

        /// <summary>Every lowering of this assembly.</summary>
        public static LoweringRegistry<GpuLowering> Registry { get; } = LoweringRegistry<GpuLowering>.Discover(Stage, typeof(GpuLowering).Assembly);
    }

    /// <summary>One layer of the GPU plan.</summary>
    public sealed class GpuLayerPlan
    {
        internal GpuLayerPlan(LayerPlan layer, GpuLowering lowering)
        {
            Layer = layer;
            Lowering = lowering;
        }

        public LayerPlan Layer { get; }

        public GraphNode Node => Layer.Node;

        public GpuLowering Lowering { get; }

        /// <summary>A Reshape is an alias of its input's device buffer: no kernel, no copy.</summary>
        public bool IsAlias => Node.Layer is ReshapeLayer;
    }

    /// <summary>The ILGPU backend's decisions for one model, built once from the <see cref="ModelPlan"/>: the lowering of every layer.</summary>
    public sealed class GpuPlan
    {
        private GpuPlan(ModelPlan model, IReadOnlyList<GpuLayerPlan> layers)
        {
            Model = model;
            Layers = layers;
        }

        public ModelPlan Model { get; }

        public IReadOnlyList<GpuLayerPlan> Layers { get; }

        public GpuLayerPlan Layer(GraphNode node) => Layers.First(l => ReferenceEquals(l.Node, node));

        public static GpuPlan? Create(ModelPlan model, LoweringRegistry<GpuLowering> registry, List<MissingLowering> missing)
        {
            var layers = new List<GpuLayerPlan>();
            foreach (LayerPlan layer in model.Layers)
            {
                GpuLowering? lowering = registry.Find(layer.Op);
                if (lowering == null)
                {
                    missing.Add(new MissingLowering(registry.Stage, layer.Node));
                    continue;
                }

                layers.Add(new GpuLayerPlan(layer, lowering));
            }

            return missing.Count > 0 ? null : new GpuPlan(model, layers);
        }
    }

    /// <summary>The ILGPU backend: ModelPlan -> GpuPlan -> the GpuSession source text.</summary>
    public static class GpuBackend
    {
        public static SourceFile? Emit(CSharpTarget target, ModelPlan model, string weightsHash, List<MissingLowering> missing) =>
            Emit(target, model, weightsHash, missing, GpuLowering.Registry);

        public static SourceFile? Emit(CSharpTarget target, ModelPlan model, string weightsHash, List<MissingLowering> missing, LoweringRegistry<GpuLowering> registry) =>
            Emit(target, model, weightsHash, missing, registry, null, out _);

        /// <param name="weightsInitializer">Where the int8 weights buffer comes from (the same embedded resource as the CPU blob; null: a base64 literal).</param>
        /// <param name="literalBytes">Bytes of the constants left in string literals (the user-string heap's share of this file).</param>
        public static SourceFile? Emit(CSharpTarget target, ModelPlan model, string weightsHash, List<MissingLowering> missing, LoweringRegistry<GpuLowering> registry, BlobInitializer? weightsInitializer, out long literalBytes)
        {
            literalBytes = 0;
            GpuPlan? plan = GpuPlan.Create(model, registry, missing);
            if (plan == null)
            {
                return null;
            }

            var emitter = new GpuEmitter(target, plan, weightsHash) { WeightsInitializer = weightsInitializer };
            SourceFile file = emitter.Emit();
            literalBytes = emitter.LiteralBytes;
            return file;
        }

        /// <summary>
        /// The session's float part (one quantized input and one output: IQuantizedModel, Run through the class's QuantizeInput
        /// and DequantizeOutput; otherwise the named Run through the class's Quantize/Dequantize helpers of each tensor), a
        /// file of its own so that the kernels' file stays free of floating point.
        /// </summary>
        public static SourceFile EmitBoundary(CSharpTarget target, ModelPlan model, string weightsHash) => GpuEmitter.BoundaryFor(target, model, weightsHash);

        /// <summary>The helpers of the ILGPU kernels (emitted once per compilation that references ILGPU).</summary>
        public static SourceFile Kernels => KernelLibrary.GpuSource();
    }
}
