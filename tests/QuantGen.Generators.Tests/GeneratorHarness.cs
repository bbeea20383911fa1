using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using QuantGen.Data;
using QuantGenerator = QuantGen.Generators.QuantizedModelGenerator;

namespace QuantGen.Tests.Generators
{
    /// <summary>An additional file held in memory.</summary>
    public sealed class MemoryText : AdditionalText
    {
        private readonly SourceText text;

        public MemoryText(string path, string text)
        {
            Path = path;
            this.text = SourceText.From(text, Encoding.UTF8);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }

    /// <summary>Runs the generator the way the compiler does, on in-memory sources and model files.</summary>
    public static class GeneratorHarness
    {
        public const string ModelsDir = "/repo/models/";

        private static readonly Lazy<MetadataReference[]> References = new Lazy<MetadataReference[]>(() =>
        {
            var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
            paths.Add(typeof(QuantizedModelAttribute).Assembly.Location);
            return paths.Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
        });

        public static CSharpParseOptions ParseOptions { get; } = new CSharpParseOptions(LanguageVersion.CSharp12);

        public static string RepoModels => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));

        public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
            "Consumer",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"/repo/src/File{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        /// <summary>The spec and encoded weights of a committed model, as the targets file hands them to the compiler.</summary>
        /// <summary>The consumer code of the snapshot fixtures: the three digits models as partial classes.</summary>
        public const string FixtureSource = """
            using QuantGen;

            namespace Consumer
            {
                [QuantizedModel("models/digits_mlp.qmodel.json")]
                public partial class DigitsMlp { }

                [QuantizedModel("models/digits_vit.qmodel.json")]
                public partial class DigitsVit { }

                [QuantizedModel("models/digits_cnn.qmodel.json")]
                public partial class DigitsCnn { }
            }
            """;

        /// <summary>The spec and weights of the three fixture models.</summary>
        public static AdditionalText[] FixtureModelFiles() =>
            ModelFiles("digits_mlp").Concat(ModelFiles("digits_vit")).Concat(ModelFiles("digits_cnn")).ToArray();

        public static AdditionalText[] ModelFiles(string name)
        {
            string spec = File.ReadAllText(Path.Combine(RepoModels, name + ".qmodel.json"));
            byte[] weights = File.ReadAllBytes(Path.Combine(RepoModels, name + ".safetensors"));
            return new AdditionalText[]
            {
                new MemoryText(ModelsDir + name + ".qmodel.json", spec),
                Encoded(ModelsDir + name + ".safetensors", weights),
            };
        }

        public static AdditionalText Encoded(string originalPath, byte[] weights) =>
            new MemoryText("/repo/obj/quantgen/" + Path.GetFileName(originalPath) + ".x.safetensors.b64", "#quantgen-base64 " + originalPath + "\n" + Convert.ToBase64String(weights, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n") + "\n");

        public static GeneratorDriver Driver(IEnumerable<AdditionalText> files) =>
            CSharpGeneratorDriver.Create(
                new[] { new QuantGenerator().AsSourceGenerator() },
                files,
                ParseOptions,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

        public sealed class Run
        {
            public Run(GeneratorDriver driver, Compilation output, ImmutableArray<Diagnostic> diagnostics)
            {
                Driver = driver;
                Output = output;
                Diagnostics = diagnostics;
            }

            public GeneratorDriver Driver { get; }

            public Compilation Output { get; }

            /// <summary>Diagnostics reported by the generator.</summary>
            public ImmutableArray<Diagnostic> Diagnostics { get; }

            public GeneratorRunResult Result => Driver.GetRunResult().Results.Single();

            public string Source(string hintSuffix) => Result.GeneratedSources.Single(s => s.HintName.EndsWith(hintSuffix, StringComparison.Ordinal)).SourceText.ToString();
        }

        public static Run Generate(string source, params AdditionalText[] files)
        {
            GeneratorDriver driver = Driver(files).RunGeneratorsAndUpdateCompilation(Compilation(source), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return new Run(driver, output, diagnostics);
        }
    }
}
