using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// How one QuantGen operator is imported from ONNX: the ONNX operator types it comes from, and either a lowering
    /// (<see cref="LowersDirectly"/>: the importer dispatches those op types to <see cref="Lower"/>), the importer's
    /// built-in pattern lowering (the fused and folded patterns of OnnxLowering.*), or an explicit
    /// <see cref="NotImportable"/> reason. One class per operator in Import/&lt;Op&gt;Import.cs; the registry test fails
    /// when an operator has none.
    /// </summary>
    public abstract class OnnxImportRule : IOperatorLowering
    {
        public abstract OpKind Op { get; }

        /// <summary>ONNX operator types this operator is imported from (alone or as the start of a pattern); empty when not importable.</summary>
        public abstract IReadOnlyList<string> OnnxOps { get; }

        /// <summary>Null when the operator is imported; otherwise why no ONNX graph maps to it.</summary>
        public virtual string? NotImportable => null;

        /// <summary>True when <see cref="Lower"/> maps <see cref="OnnxOps"/>; false when the built-in pattern lowering does.</summary>
        public virtual bool LowersDirectly => false;

        /// <summary>The op types the importer sends to <see cref="Lower"/> (default: all of <see cref="OnnxOps"/> when <see cref="LowersDirectly"/>).</summary>
        public virtual IReadOnlyList<string> DispatchedOps => LowersDirectly ? OnnxOps : Array.Empty<string>();

        /// <summary>Maps one ONNX node (constants already folded) to layers through <paramref name="c"/>; throws an <see cref="OnnxImportException"/> (via <see cref="OnnxImportContext.Fail"/>) when it cannot.</summary>
        internal virtual void Lower(OnnxImportContext c) => throw new NotSupportedException($"{GetType().Name} does not lower directly");
    }

    /// <summary>The ONNX import stage's registry (<see cref="LoweringRegistry{T}"/>), and the op-type dispatch of the rules that lower directly.</summary>
    public static class OnnxImportRegistry
    {
        public static LoweringRegistry<OnnxImportRule> Rules { get; } = LoweringRegistry<OnnxImportRule>.Discover("ONNX import", typeof(OnnxImportRule).Assembly);

        private static readonly Dictionary<string, OnnxImportRule> Direct = Rules.All
            .SelectMany(r => r.DispatchedOps.Select(o => (Op: o, Rule: r)))
            .ToDictionary(p => p.Op, p => p.Rule, StringComparer.Ordinal);

        /// <summary>The rule that lowers ONNX op type <paramref name="onnxOp"/> directly, or null (built-in lowering or unsupported).</summary>
        public static OnnxImportRule? ForOnnxOp(string onnxOp) => Direct.TryGetValue(onnxOp, out OnnxImportRule? r) ? r : null;

        /// <summary>Every ONNX op type some rule imports, for the "supported" lists of diagnostics.</summary>
        public static IEnumerable<string> DirectOnnxOps => Direct.Keys.OrderBy(k => k, StringComparer.Ordinal);
    }

    /// <summary>What a rule sees of the importer: the node, its resolved inputs, shapes, constants, and how to add layers.</summary>
    internal abstract class OnnxImportContext
    {
        public abstract OnnxNode Node { get; }

        /// <summary>Input tensor names with Identity/Dropout/QDQ aliases resolved ("" for an omitted optional input).</summary>
        public abstract IReadOnlyList<string> Inputs { get; }

        public abstract long Opset { get; }

        public abstract int[] Shape(string tensor);

        /// <summary>The constant value of <paramref name="tensor"/> (initializer, Constant, folded subgraph, DequantizeLinear of one), or null.</summary>
        public abstract TensorValue? Constant(string tensor);

        /// <summary>How many nodes (and the graph output) read <paramref name="tensor"/>.</summary>
        public abstract int Uses(string tensor);

        public abstract OnnxImportException Fail(string id, string message);

        /// <summary>A constant input as a float initializer of the spec (per-tensor DequantizeLinear values kept as fixed integers); returns the name to list as the layer's input.</summary>
        public abstract string Initializer(string tensor);

        /// <summary>Adds <paramref name="layer"/> (named after the node) reading <paramref name="inputs"/> and writing <paramref name="outputs"/> of the given shapes.</summary>
        public abstract void Add(LayerSpec layer, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyList<int[]> shapes);

        public abstract void Note(string note);

        public long? Int(string attribute) => Node.Attribute(attribute)?.I;

        public long[]? Ints(string attribute) => Node.Attribute(attribute)?.Ints.ToArray();

        /// <summary>An integer constant input (e.g. Slice's starts), or a located error naming its role.</summary>
        public long[] IntConstant(int input, string role)
        {
            if (input >= Inputs.Count || Inputs[input].Length == 0 || !(Constant(Inputs[input]) is TensorValue v) || v.IsFloat)
            {
                throw Fail(OnnxErrors.UnsupportedAttribute, $"the {role} (input {input}{(input < Inputs.Count ? " '" + Inputs[input] + "'" : string.Empty)}) must be an integer constant (an initializer, a Constant or a folded shape computation)");
            }

            return v.Ints!;
        }

        public bool Has(int input) => input < Inputs.Count && Inputs[input].Length > 0;

        public static string Dims(int[] s) => "[" + string.Join(", ", s) + "]";
    }
}
