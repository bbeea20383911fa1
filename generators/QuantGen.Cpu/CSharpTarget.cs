using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The partial class the C# backends write into, as plain strings (no Roslyn type): the generator's parser fills it in
    /// from the annotated class, the CLI's bench from a name of its own.
    /// </summary>
    public sealed class CSharpTarget : IEquatable<CSharpTarget>
    {
        public CSharpTarget(string? ns, string name, IEnumerable<string> containingTypes, string modelPath, bool concurrencyCheck = true, bool tensorSpans = false)
        {
            TensorSpans = tensorSpans;
            Namespace = ns;
            Name = name;
            ContainingTypes = containingTypes.ToArray();
            ModelPath = modelPath;
            ConcurrencyCheck = concurrencyCheck;
        }

        public string? Namespace { get; }

        public string Name { get; }

        /// <summary>Declarations of the containing types, outermost first (e.g. "partial class Outer").</summary>
        public IReadOnlyList<string> ContainingTypes { get; }

        /// <summary>The model path as the attribute gives it (printed in headers and ModelInfo).</summary>
        public string ModelPath { get; }

        /// <summary>
        /// Whether every public entry point guards its instance against a second concurrent call (an interlocked busy flag;
        /// [QuantizedModel(ConcurrencyCheck = false)] turns it off at compile time).
        /// </summary>
        public bool ConcurrencyCheck { get; }

        /// <summary>
        /// Whether the compilation references a System.Numerics.Tensors whose TensorSpan is not experimental (10.0 and later):
        /// then the float API gains <c>RunTensors</c> over ReadOnlyTensorSpan / TensorSpan.
        /// </summary>
        public bool TensorSpans { get; }

        /// <summary>The hint name prefix of the class's generated files: namespace, containing types and name, dot-separated.</summary>
        public string HintBase => (Namespace != null ? Namespace + "." : string.Empty) + string.Concat(ContainingTypes.Select(t => t.Split(' ').Last() + ".")) + Name;

        public bool Equals(CSharpTarget? o) => o != null && Namespace == o.Namespace && Name == o.Name && ModelPath == o.ModelPath && ConcurrencyCheck == o.ConcurrencyCheck && TensorSpans == o.TensorSpans && ContainingTypes.SequenceEqual(o.ContainingTypes);

        public override bool Equals(object? obj) => Equals(obj as CSharpTarget);

        public override int GetHashCode() => (Namespace, Name, ModelPath).GetHashCode();
    }

    /// <summary>One generated source file: its hint name and text.</summary>
    public sealed class SourceFile : IEquatable<SourceFile>
    {
        public SourceFile(string hintName, string text)
        {
            HintName = hintName;
            Text = text;
        }

        public string HintName { get; }

        public string Text { get; }

        public bool Equals(SourceFile? o) => o != null && HintName == o.HintName && Text == o.Text;

        public override bool Equals(object? obj) => Equals(obj as SourceFile);

        public override int GetHashCode() => (HintName, Text.Length).GetHashCode();
    }

    /// <summary>A layer whose operator a backend has no lowering for: the glue reports it as QG2012 at the layer's place in the spec.</summary>
    public sealed class MissingLowering
    {
        public MissingLowering(string stage, QuantGen.Graph.GraphNode node)
        {
            Stage = stage;
            Node = node;
        }

        public string Stage { get; }

        public QuantGen.Graph.GraphNode Node { get; }
    }
}
