using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// The HLS lowering of one operator: given the layer's context (tensors, names, ranges, knobs) it returns the kernel
    /// record its template prints, and its cost, or null after reporting a located diagnostic. One class per operator,
    /// found by <see cref="LoweringRegistry{T}.Discover"/>; an operator with no class is QG3007, never an exception.
    /// </summary>
    public abstract class HlsLowering : IOperatorLowering
    {
        public abstract OpKind Op { get; }

        /// <summary>Whether the layer has multipliers a reuse factor can share (Dense, MatMul, Conv2d).</summary>
        public virtual bool HasReuse => false;

        /// <summary>The kernel parameter of input <paramref name="index"/> when it is an activation.</summary>
        public virtual string InputParam(int index, int count) => index == 0 ? "x" : "b";

        /// <summary>The kernel parameter of output <paramref name="index"/>.</summary>
        public virtual string OutputParam(int index, int count) => "y";

        /// <summary>
        /// Identifiers beyond the fixed keyword list (Naming/Keywords.cs) that this operator's kernel declares in a scope
        /// where it also reads global ROM arrays; the planner reserves them before naming the model's tensors.
        /// </summary>
        public virtual IEnumerable<string> LocalNames(GraphNode node) => System.Array.Empty<string>();

        /// <summary>The inner (reduced) dimension the reuse factor divides; only called when <see cref="HasReuse"/>.</summary>
        public virtual int ReduceDim(GraphNode node) => 0;

        /// <summary>The largest reuse factor the kernel accepts: <see cref="ReduceDim"/>, or more when it folds across outputs.</summary>
        public virtual int MaxReuse(GraphNode node) => ReduceDim(node);

        /// <summary>The MAC shape the folding sizes (Dense, MatMul, Conv2d); null for layers without a reuse factor.</summary>
        public virtual MacShape? Mac(GraphNode node, LayerRanges ranges, Func<TensorInfo, HlsTensor> tensor) => null;

        /// <summary>
        /// Whether the layer has an io_stream kernel of its own that reads and writes beats as they come (line buffers,
        /// element-wise lanes) instead of buffering its whole input; <paramref name="layout"/> gives each activation's beat
        /// layout. Layers that answer false are wrapped: read the whole input, run the array kernel, write the output.
        /// </summary>
        public virtual bool Streams(GraphNode node, Func<TensorInfo, HlsStreamLayout> layout) => false;

        public abstract HlsLowered? Lower(HlsLayerContext layer);

        /// <summary>The registry of every lowering in this assembly.</summary>
        public static LoweringRegistry<HlsLowering> Registry { get; } = LoweringRegistry<HlsLowering>.Discover("HLS", typeof(HlsLowering).Assembly);

        protected static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

        protected static string Shape(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";
    }

    /// <summary>What a lowering decides for its layer: the template, the comment heading the kernel, the reuse factor, the cost, the record.</summary>
    /// <remarks><see cref="Lead"/>: for a streaming kernel, how many input beats it reads before its first output beat, and
    /// <see cref="Slack"/> how many more it may read between two output beats (a stride's skipped rows); the planner sizes
    /// the FIFOs of forked tensors from them. -1: the layer reads its whole input first.</remarks>
    public sealed record HlsLowered(string Template, string Comment, int Reuse, HlsCost Cost, HlsKernel Kernel, long Lead = -1, long Slack = 0, string ReplacesWeight = "");
}
