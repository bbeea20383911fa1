using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Json;

namespace QuantGen.Generators
{
    /// <summary>
    /// [QuantizedModel] partial classes -> integer-only C# inference code.
    /// Pipeline: classes (ForAttributeWithMetadataName) + model files (AdditionalFiles: *.qmodel.json and the
    /// base64-encoded weights written by QuantGen.Generators.targets) -> an <see cref="EmitRequest"/> per class ->
    /// <see cref="Emitter"/> -> sources and diagnostics. Every step output is equatable, so an unrelated edit
    /// reuses the cached emission; the generator never throws (failures become QG2099).
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class QuantizedModelGenerator : IIncrementalGenerator
    {
        public const string SpecSuffix = ".qmodel.json";
        public const string EncodedWeightsSuffix = ".safetensors.b64";
        public const string EncodedHeader = "#quantgen-base64 ";
        public const string GpuTrackingName = "QuantGen.Gpu";

        public const string TensorsTrackingName = "QuantGen.Tensors";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ClassModel> classes = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    Parser.QuantizedModelAttribute,
                    static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax || node is Microsoft.CodeAnalysis.CSharp.Syntax.RecordDeclarationSyntax,
                    Parser.Parse)
                .WithTrackingName(TrackingNames.Classes);

            IncrementalValueProvider<ImmutableArray<ModelFile>> files = context.AdditionalTextsProvider
                .Where(static t => t.Path.EndsWith(SpecSuffix, StringComparison.OrdinalIgnoreCase) || t.Path.EndsWith(EncodedWeightsSuffix, StringComparison.OrdinalIgnoreCase))
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Select(static (pair, ct) => ReadFile(pair.Left, pair.Right.GetOptions(pair.Left), ct))
                .Where(static f => f != null)
                .Select(static (f, _) => f!)
                .WithTrackingName(TrackingNames.Files)
                .Collect();

            IncrementalValuesProvider<EmitRequest> requests = classes
                .Combine(files)
                .Select(static (pair, _) => Resolve(pair.Left, pair.Right))
                .WithTrackingName(TrackingNames.Requests);

            // GPU backend (docs/gpu.md): ILGPU kernels and a GpuSession are emitted only when the compilation references ILGPU.
            IncrementalValueProvider<bool> gpu = context.CompilationProvider
                .Select(static (c, _) => c.GetTypeByMetadataName("ILGPU.Runtime.Accelerator") != null)
                .WithTrackingName(GpuTrackingName);
            // Set by QuantGen.Generators.targets when it embeds every weights file as a resource (then no model carries its
            // weights in a string literal); an in-memory compilation without it keeps small blobs as base64 literals.
            IncrementalValueProvider<bool> embedded = context.AnalyzerConfigOptionsProvider
                .Select(static (o, _) => o.GlobalOptions.TryGetValue("build_property.QuantGenWeightsEmbedded", out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
            // System.Numerics.Tensors interop (docs/generator.md): RunTensors only when a non-experimental TensorSpan is referenced.
            IncrementalValueProvider<bool> tensors = context.CompilationProvider
                .Select(static (c, _) => TensorSpansUsable(c))
                .WithTrackingName(TensorsTrackingName);
            IncrementalValuesProvider<EmitResult> results = requests
                .Combine(tensors)
                .Select(static (pair, _) => pair.Left.WithTensorSpans(pair.Right))
                .Combine(gpu)
                .Combine(embedded)
                .Select(static (r, ct) => Emitter.EmitSafely(r.Left.Left, ct, r.Left.Right, r.Right))
                .WithTrackingName(TrackingNames.Results);

            // The kernel library, once per compilation: the files some model's plan asks for (none without a model).
            IncrementalValueProvider<KernelFiles> library = results
                .Select(static (r, _) => r.Files.Count > 0 ? r.Kernels : KernelFiles.None)
                .Collect()
                .Select(static (all, _) => all.Aggregate(KernelFiles.None, (a, b) => a | b))
                .WithTrackingName(TrackingNames.Kernels);
            context.RegisterSourceOutput(library.Combine(gpu), static (spc, pair) =>
            {
                foreach (SourceFile f in KernelLibrary.CpuSources(pair.Left))
                {
                    spc.AddSource(f.HintName, SourceText.From(f.Text, Encoding.UTF8));
                }

                if (pair.Right && pair.Left != KernelFiles.None)
                {
                    SourceFile g = GpuBackend.Kernels;
                    spc.AddSource(g.HintName, SourceText.From(g.Text, Encoding.UTF8));
                }
            });

            // Diagnostics are reported against the compilation's own syntax trees, so a location in C# is a SourceFile
            // location (squiggles, #pragma warning disable, .editorconfig severities); only this cheap step reruns per edit.
            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
                .Select(static (r, _) => r.Diagnostics)
                .Where(static d => d.Count > 0);
            context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) =>
            {
                foreach (DiagnosticInfo d in pair.Left)
                {
                    spc.ReportDiagnostic(d.ToDiagnostic(pair.Right));
                }
            });

            context.RegisterSourceOutput(results, static (spc, result) =>
            {
                foreach (GeneratedFile f in result.Files)
                {
                    spc.AddSource(f.HintName, SourceText.From(f.Text, Encoding.UTF8));
                }
            });
        }

        /// <summary>
        /// System.Numerics.Tensors 10.0 and later: TensorSpan and ReadOnlyTensorSpan exist and are not marked experimental
        /// (9.0 marks them SYSLIB5001; code using them would warn, and break under warnings-as-errors).
        /// </summary>
        internal static bool TensorSpansUsable(Compilation compilation)
        {
            INamedTypeSymbol? span = compilation.GetTypeByMetadataName("System.Numerics.Tensors.TensorSpan`1");
            INamedTypeSymbol? readOnly = compilation.GetTypeByMetadataName("System.Numerics.Tensors.ReadOnlyTensorSpan`1");
            static bool Experimental(ISymbol s) => s.GetAttributes().Any(a => a.AttributeClass?.Name == "ExperimentalAttribute");
            return span != null && readOnly != null && !Experimental(span) && !Experimental(readOnly) && !Experimental(span.ContainingAssembly) && !Experimental(span.ContainingModule);
        }

        private static ModelFile? ReadFile(AdditionalText text, Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options, CancellationToken ct)
        {
            SourceText? source = text.GetText(ct);
            if (source == null)
            {
                return null;
            }

            if (text.Path.EndsWith(EncodedWeightsSuffix, StringComparison.OrdinalIgnoreCase))
            {
                options.TryGetValue("build_metadata.AdditionalFiles.QuantGenWeightsSource", out string? original);
                return WeightsText.Decode(text.Path, source, string.IsNullOrEmpty(original) ? null : original, ct);
            }

            string content = source.ToString();
            using var sha = SHA256.Create();
            string hash = string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(content)).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            return new ModelFile(text.Path, content, hash);
        }

        /// <summary>'/'-separated, with "." and ".." resolved (no file-system access).</summary>
        internal static string NormalizePath(string path)
        {
            string[] parts = path.Replace('\\', '/').Split('/');
            var stack = new List<string>();
            for (int i = 0; i < parts.Length; i++)
            {
                string p = parts[i];
                if (p == "." || (p.Length == 0 && i > 0))
                {
                    continue;
                }

                if (p == ".." && stack.Count > 0 && stack[stack.Count - 1] != "..")
                {
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }

                stack.Add(p);
            }

            return string.Join("/", stack);
        }

        internal static EmitRequest Resolve(ClassModel model, ImmutableArray<ModelFile> files)
        {
            var diagnostics = new List<DiagnosticInfo>();
            if (model.ModelPath.Length == 0 || model.Diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
            {
                return new EmitRequest(model, null, null, null, EquatableArray<DiagnosticInfo>.Empty);
            }

            if (model.Declared != null)
            {
                string wantedWeights = NormalizePath(model.Declared.WeightsPath).TrimStart('/');
                ModelFile? encoded = files.FirstOrDefault(f => f.Path.EndsWith(EncodedWeightsSuffix, StringComparison.OrdinalIgnoreCase) &&
                    EncodedOriginal(f) is string original && (original == wantedWeights || original.EndsWith("/" + wantedWeights, StringComparison.Ordinal)));
                if (encoded == null)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.WeightsNotFound, model.ModelPathLocation, model.Declared.WeightsPath, model.Declared.WeightsPath));
                }

                return new EmitRequest(model, null, encoded, encoded != null ? EncodedOriginal(encoded) : null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            string wanted = NormalizePath(model.ModelPath).TrimStart('/');
            string classDir = NormalizePath(model.SourceFile);
            ModelFile? spec = files
                .Where(f => f.Path.EndsWith(SpecSuffix, StringComparison.OrdinalIgnoreCase))
                .Where(f => NormalizePath(f.Path) == wanted || NormalizePath(f.Path).EndsWith("/" + wanted, StringComparison.Ordinal))
                .OrderByDescending(f => CommonPrefix(NormalizePath(f.Path), classDir))
                .ThenBy(f => f.Path, StringComparer.Ordinal)
                .FirstOrDefault();
            if (spec == null)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.ModelFileNotFound, model.ModelPathLocation, model.ModelPath));
                return new EmitRequest(model, null, null, null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            string? weightsName = null;
            try
            {
                if (JsonParser.Parse(spec.Text) is JsonObject root && root.Get("weights") is JsonString w)
                {
                    weightsName = w.Value;
                }
            }
            catch (JsonParseException)
            {
                // reported with its position when the spec is parsed for emission
            }

            if (weightsName == null)
            {
                return new EmitRequest(model, spec, null, null, EquatableArray<DiagnosticInfo>.Empty);
            }

            string specDir = NormalizePath(spec.Path);
            int slash = specDir.LastIndexOf('/');
            string weightsPath = NormalizePath((slash >= 0 ? specDir.Substring(0, slash + 1) : string.Empty) + weightsName);
            ModelFile? weights = files.FirstOrDefault(f => f.Path.EndsWith(EncodedWeightsSuffix, StringComparison.OrdinalIgnoreCase) && EncodedOriginal(f) == weightsPath);
            if (weights == null)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.WeightsNotFound, model.ModelPathLocation, weightsName, weightsPath));
            }

            return new EmitRequest(model, spec, weights, weightsPath, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        /// <summary>The original path recorded in the first line of an encoded weights file.</summary>
        internal static string? EncodedOriginal(ModelFile f) => f.Original == null ? null : NormalizePath(f.Original);

        private static int CommonPrefix(string a, string b)
        {
            int n = 0;
            while (n < a.Length && n < b.Length && a[n] == b[n])
            {
                n++;
            }

            return n;
        }
    }
}
