using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace QuantGen.Generators
{
    /// <summary>An immutable array with structural equality, so pipeline models compare by content.</summary>
    public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        private readonly T[]? items;

        public EquatableArray(IEnumerable<T> items)
        {
            this.items = items.ToArray();
        }

        public static EquatableArray<T> Empty => new EquatableArray<T>(Array.Empty<T>());

        public int Count => items?.Length ?? 0;

        public T this[int index] => items![index];

        public bool Equals(EquatableArray<T> other)
        {
            T[] a = items ?? Array.Empty<T>(), b = other.items ?? Array.Empty<T>();
            if (a.Length != b.Length)
            {
                return false;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (!a[i].Equals(b[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int h = 17;
            foreach (T item in items ?? Array.Empty<T>())
            {
                h = (h * 31) + item.GetHashCode();
            }

            return h;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A location that survives the pipeline (a Location holds a SyntaxTree: it must not be cached).</summary>
    public sealed class LocationInfo : IEquatable<LocationInfo>
    {
        public LocationInfo(string filePath, TextSpan span, LinePositionSpan lineSpan)
        {
            FilePath = filePath;
            Span = span;
            LineSpan = lineSpan;
        }

        public string FilePath { get; }

        public TextSpan Span { get; }

        public LinePositionSpan LineSpan { get; }

        public static LocationInfo? From(Location? location) =>
            location == null || location.SourceTree == null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public bool Equals(LocationInfo? other) => other != null && FilePath == other.FilePath && Span == other.Span && LineSpan == other.LineSpan;

        public override bool Equals(object? obj) => Equals(obj as LocationInfo);

        public override int GetHashCode() => (FilePath, Span, LineSpan).GetHashCode();
    }

    /// <summary>A diagnostic to report later: descriptor id, location and message arguments, all equatable.</summary>
    public sealed class DiagnosticInfo : IEquatable<DiagnosticInfo>
    {
        public DiagnosticInfo(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args)
        {
            Descriptor = descriptor;
            Location = location;
            Args = new EquatableArray<string>(args);
        }

        public DiagnosticDescriptor Descriptor { get; }

        public LocationInfo? Location { get; }

        public EquatableArray<string> Args { get; }

        public Diagnostic ToDiagnostic() => Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Args.Cast<object>().ToArray());

        /// <summary>With a location in one of <paramref name="compilation"/>'s syntax trees: a SourceFile location in that tree.</summary>
        public Diagnostic ToDiagnostic(Compilation compilation)
        {
            Location location = Microsoft.CodeAnalysis.Location.None;
            if (Location != null)
            {
                SyntaxTree? tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == Location.FilePath);
                location = tree != null && Location.Span.End <= tree.Length ? Microsoft.CodeAnalysis.Location.Create(tree, Location.Span) : Location.ToLocation();
            }

            return Diagnostic.Create(Descriptor, location, Args.Cast<object>().ToArray());
        }

        public bool Equals(DiagnosticInfo? other) =>
            other != null && Descriptor.Id == other.Descriptor.Id && Equals(Location, other.Location) && Args.Equals(other.Args);

        public override bool Equals(object? obj) => Equals(obj as DiagnosticInfo);

        public override int GetHashCode() => (Descriptor.Id, Location, Args).GetHashCode();
    }

    /// <summary>One [LayerOverride] on the class.</summary>
    public sealed class OverrideModel : IEquatable<OverrideModel>
    {
        public OverrideModel(string layer, int weightBits, int activationBits, bool? perChannel, string? method, LocationInfo? location)
        {
            Layer = layer;
            WeightBits = weightBits;
            ActivationBits = activationBits;
            PerChannel = perChannel;
            Method = method;
            Location = location;
        }

        public string Layer { get; }

        public int WeightBits { get; }

        public int ActivationBits { get; }

        public bool? PerChannel { get; }

        public string? Method { get; }

        public LocationInfo? Location { get; }

        public bool Equals(OverrideModel? o) =>
            o != null && Layer == o.Layer && WeightBits == o.WeightBits && ActivationBits == o.ActivationBits && PerChannel == o.PerChannel && Method == o.Method && Equals(Location, o.Location);

        public override bool Equals(object? obj) => Equals(obj as OverrideModel);

        public override int GetHashCode() => (Layer, WeightBits, ActivationBits, PerChannel, Method).GetHashCode();
    }

    /// <summary>What the first pipeline step keeps of an annotated class: names and strings only, no symbols.</summary>
    public sealed class ClassModel : IEquatable<ClassModel>
    {
        public ClassModel(string? ns, string name, EquatableArray<string> containingTypes, string accessibility, string modelPath, LocationInfo? modelPathLocation, string sourceFile, EquatableArray<OverrideModel> overrides, EquatableArray<DiagnosticInfo> diagnostics, DeclaredModel? declared = null, bool concurrencyCheck = true)
        {
            ConcurrencyCheck = concurrencyCheck;
            Declared = declared;
            Namespace = ns;
            Name = name;
            ContainingTypes = containingTypes;
            Accessibility = accessibility;
            ModelPath = modelPath;
            ModelPathLocation = modelPathLocation;
            SourceFile = sourceFile;
            Overrides = overrides;
            Diagnostics = diagnostics;
        }

        public string? Namespace { get; }

        public string Name { get; }

        /// <summary>Declarations of the containing types, outermost first (e.g. "partial class Outer").</summary>
        public EquatableArray<string> ContainingTypes { get; }

        public string Accessibility { get; }

        public string ModelPath { get; }

        public LocationInfo? ModelPathLocation { get; }

        public string SourceFile { get; }

        public EquatableArray<OverrideModel> Overrides { get; }

        /// <summary>Set when the model is declared with attributes alone ([QuantizedModel(Weights = ...)]).</summary>
        public DeclaredModel? Declared { get; }

        /// <summary>[QuantizedModel(ConcurrencyCheck = ...)]: whether the generated entry points guard against concurrent use (default true).</summary>
        public bool ConcurrencyCheck { get; }

        /// <summary>Problems with the class itself (not partial, generic, ...); when any is an error nothing is emitted.</summary>
        public EquatableArray<DiagnosticInfo> Diagnostics { get; }

        /// <summary>The Roslyn-free description of the class the backends write into.</summary>
        public QuantGen.Cpu.CSharpTarget Target => new QuantGen.Cpu.CSharpTarget(Namespace, Name, ContainingTypes, ModelPath, ConcurrencyCheck, TensorSpans);

        /// <summary>Whether the compilation references a non-experimental System.Numerics.Tensors (set by the pipeline, not the parser).</summary>
        public bool TensorSpans { get; private set; }

        /// <summary>This class with <see cref="TensorSpans"/> set to <paramref name="on"/> (itself when it already is).</summary>
        public ClassModel WithTensorSpans(bool on) => on == TensorSpans ? this :
            new ClassModel(Namespace, Name, ContainingTypes, Accessibility, ModelPath, ModelPathLocation, SourceFile, Overrides, Diagnostics, Declared, ConcurrencyCheck) { TensorSpans = on };

        public string FullName => (Namespace != null ? Namespace + "." : string.Empty) + string.Concat(ContainingTypes.Select(t => t.Split(' ').Last() + ".")) + Name;

        public bool Equals(ClassModel? o) =>
            o != null && Namespace == o.Namespace && Name == o.Name && ContainingTypes.Equals(o.ContainingTypes) && Accessibility == o.Accessibility &&
            ModelPath == o.ModelPath && Equals(ModelPathLocation, o.ModelPathLocation) && SourceFile == o.SourceFile && Overrides.Equals(o.Overrides) && Diagnostics.Equals(o.Diagnostics) && Equals(Declared, o.Declared) && ConcurrencyCheck == o.ConcurrencyCheck && TensorSpans == o.TensorSpans;

        public override bool Equals(object? obj) => Equals(obj as ClassModel);

        public override int GetHashCode() => (Namespace, Name, ModelPath).GetHashCode();
    }

    /// <summary>An additional file's text, compared by path and content hash (large base64 weights are not compared byte by byte twice).</summary>
    public sealed class ModelFile : IEquatable<ModelFile>
    {
        public ModelFile(string path, string text, string sha256)
        {
            Path = path;
            Text = text;
            Sha256 = sha256;
        }

        /// <summary>Decoded weights: <paramref name="sha256"/> is the SHA-256 of <paramref name="bytes"/> (null when the text was
        /// not valid base64), <paramref name="original"/> the path of the .safetensors file.</summary>
        public ModelFile(string path, string sha256, byte[]? bytes, string? original)
        {
            Path = path;
            Text = string.Empty;
            Sha256 = sha256;
            Bytes = bytes;
            Original = original;
            IsWeights = true;
        }

        public bool IsWeights { get; }

        public byte[]? Bytes { get; }

        public string? Original { get; }

        public string Path { get; }

        public string Text { get; }

        public string Sha256 { get; }

        public bool Equals(ModelFile? o) => o != null && Path == o.Path && Sha256 == o.Sha256 && Original == o.Original && IsWeights == o.IsWeights;

        public override bool Equals(object? obj) => Equals(obj as ModelFile);

        public override int GetHashCode() => (Path, Sha256).GetHashCode();
    }

    /// <summary>A class together with the files it needs: the input of emission.</summary>
    public sealed class EmitRequest : IEquatable<EmitRequest>
    {
        public EmitRequest(ClassModel model, ModelFile? spec, ModelFile? weights, string? weightsPath, EquatableArray<DiagnosticInfo> diagnostics)
        {
            Model = model;
            Spec = spec;
            Weights = weights;
            WeightsPath = weightsPath;
            Diagnostics = diagnostics;
        }

        public ClassModel Model { get; }

        public ModelFile? Spec { get; }

        public ModelFile? Weights { get; }

        /// <summary>The original path of the weights file (before base64 encoding).</summary>
        public string? WeightsPath { get; }

        public EquatableArray<DiagnosticInfo> Diagnostics { get; }

        /// <summary>This request with the class's <see cref="ClassModel.TensorSpans"/> set (itself when unchanged).</summary>
        public EmitRequest WithTensorSpans(bool on) => on == Model.TensorSpans ? this : new EmitRequest(Model.WithTensorSpans(on), Spec, Weights, WeightsPath, Diagnostics);

        public bool Equals(EmitRequest? o) =>
            o != null && Model.Equals(o.Model) && Equals(Spec, o.Spec) && Equals(Weights, o.Weights) && WeightsPath == o.WeightsPath && Diagnostics.Equals(o.Diagnostics);

        public override bool Equals(object? obj) => Equals(obj as EmitRequest);

        public override int GetHashCode() => (Model, Spec, Weights).GetHashCode();
    }

    public sealed class GeneratedFile : IEquatable<GeneratedFile>
    {
        public GeneratedFile(string hintName, string text)
        {
            HintName = hintName;
            Text = text;
        }

        public string HintName { get; }

        public string Text { get; }

        public bool Equals(GeneratedFile? o) => o != null && HintName == o.HintName && Text == o.Text;

        public override bool Equals(object? obj) => Equals(obj as GeneratedFile);

        public override int GetHashCode() => (HintName, Text.Length).GetHashCode();
    }

    /// <summary>The output of emission: source files and diagnostics.</summary>
    public sealed class EmitResult : IEquatable<EmitResult>
    {
        public EmitResult(EquatableArray<GeneratedFile> files, EquatableArray<DiagnosticInfo> diagnostics, QuantGen.Cpu.KernelFiles kernels = QuantGen.Cpu.KernelFiles.None)
        {
            Files = files;
            Diagnostics = diagnostics;
            Kernels = kernels;
        }

        /// <summary>The kernel library files the class's code calls (the generator emits their union once per compilation).</summary>
        public QuantGen.Cpu.KernelFiles Kernels { get; }

        public EquatableArray<GeneratedFile> Files { get; }

        public EquatableArray<DiagnosticInfo> Diagnostics { get; }

        public bool Equals(EmitResult? o) => o != null && Files.Equals(o.Files) && Diagnostics.Equals(o.Diagnostics) && Kernels == o.Kernels;

        public override bool Equals(object? obj) => Equals(obj as EmitResult);

        public override int GetHashCode() => (Files, Diagnostics).GetHashCode();
    }

    internal static class TrackingNames
    {
        public const string Classes = "QuantGen.Classes";
        public const string Files = "QuantGen.ModelFiles";
        public const string Requests = "QuantGen.Requests";
        public const string Results = "QuantGen.Results";
        public const string Kernels = "QuantGen.KernelLibrary";
    }
}
