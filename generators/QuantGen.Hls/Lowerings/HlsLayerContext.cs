using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Naming;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// What a lowering sees of its layer: the node, its tensors as the C++ code names them, the proven ranges, the knobs,
    /// and the model's C++ scope for derived names (types, tables), which it extends in a fixed order.
    /// </summary>
    public sealed class HlsLayerContext
    {
        private readonly IdentifierAllocator scope;
        private readonly IReadOnlyDictionary<string, HlsTensor> tensors;
        private readonly List<HlsTable> tables;
        private readonly List<ModelDiagnostic> diagnostics;
        private readonly List<HlsTypeDef> types = new List<HlsTypeDef>();

        internal HlsLayerContext(GraphNode node, string function, IReadOnlyList<HlsTensor> inputs, IReadOnlyList<HlsTensor> outputs, IReadOnlyList<string> inputArgs,
            LayerRanges ranges, HlsOptions options, int reuse, IdentifierAllocator scope, IReadOnlyDictionary<string, HlsTensor> tensors, List<HlsTable> tables, List<ModelDiagnostic> diagnostics, string file,
            bool native, IReadOnlyList<HlsStreamLayout> inLayouts, IReadOnlyList<HlsStreamLayout> outLayouts)
        {
            Native = native;
            InLayouts = inLayouts;
            OutLayouts = outLayouts;
            Node = node;
            Function = function;
            Inputs = inputs;
            Outputs = outputs;
            InputArgs = inputArgs;
            Ranges = ranges;
            Options = options;
            Reuse = reuse;
            this.scope = scope;
            this.tensors = tensors;
            this.tables = tables;
            this.diagnostics = diagnostics;
            File = file;
        }

        public GraphNode Node { get; }

        public LayerSpec Spec => Node.Layer;

        /// <summary>The layer's C++ function name.</summary>
        public string Function { get; }

        public IReadOnlyList<HlsTensor> Inputs { get; }

        public IReadOnlyList<HlsTensor> Outputs { get; }

        public HlsTensor Output => Outputs[0];

        /// <summary>How the kernel body reads input i: its parameter (an activation) or its ROM array (a constant).</summary>
        public IReadOnlyList<string> InputArgs { get; }

        public LayerRanges Ranges { get; }

        public HlsOptions Options { get; }

        /// <summary>The reuse factor chosen for this layer (1 for layers without multipliers).</summary>
        public int Reuse { get; }

        public bool Stream => Options.IoMode == IoMode.Stream;

        /// <summary>io_stream and the lowering's own streaming kernel (<see cref="HlsLowering.Streams"/>): print the stream template.</summary>
        public bool Native { get; }

        /// <summary>The beat layout of each input (flat one-element beats for constants and in io_parallel).</summary>
        public IReadOnlyList<HlsStreamLayout> InLayouts { get; }

        public IReadOnlyList<HlsStreamLayout> OutLayouts { get; }

        public string File { get; }

        public int[] InShape => Node.Inputs[0].Shape;

        public int Last => InShape[InShape.Length - 1];

        internal IReadOnlyList<HlsTypeDef> Types => types;

        /// <summary>Any tensor of the model (a weight, a bias) as the C++ code names it.</summary>
        public HlsTensor Tensor(TensorInfo t) => tensors[t.Name];

        /// <summary>A derived C++ name of this layer, e.g. <c>Name("acc_t")</c> -> "fc1_acc_t" (unique in the model's scope).</summary>
        public string Name(string suffix) => scope.Get("layer " + Spec.Name + " " + suffix, Function + "_" + suffix);

        /// <summary>Declares a typedef for a layer intermediate holding <paramref name="range"/> (exact width).</summary>
        public string Type(string suffix, IntRange range, string what)
        {
            string name = Name(suffix);
            types.Add(new HlsTypeDef(name, HlsPlanner.CppType(range), $"{what}: [{range.Min}, {range.Max}], {range.Bits} bits"));
            return name;
        }

        /// <summary>Adds a ROM table to parameters.h and returns its name.</summary>
        public string Table(string suffix, IEnumerable<long> values, string comment)
        {
            string name = Name(suffix);
            var list = values.ToList();
            tables.Add(new HlsTable(name, CppFormat.StorageType(list.Min(), list.Max()), comment, list.ToEquatable()));
            return name;
        }

        public void Error(string id, string message) =>
            diagnostics.Add(new ModelDiagnostic(id, message, File, Spec.Place.Line > 0 ? Spec.Place.Path : null, Spec.Place.Line, Spec.Place.Column));

        /// <summary>The input coordinate of window tap <paramref name="tap"/> for output coordinate <paramref name="o"/>:
        /// <c>o * stride - pad + tap</c>, without the terms that are 1 or 0.</summary>
        public static string WindowIndex(string o, int stride, int pad, string tap) =>
            o + (stride == 1 ? string.Empty : " * " + stride.ToString(CultureInfo.InvariantCulture)) + (pad == 0 ? string.Empty : " - " + pad.ToString(CultureInfo.InvariantCulture)) + " + " + tap;
    }
}
