using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;
using QuantGenerator = QuantGen.Generators.QuantizedModelGenerator;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// Fuzzing of the generator's attribute arguments ([QuantizedModel] path, [LayerOverride] layer and bit widths) on the
    /// digits MLP: the generator must never throw (CS8785) or report QG2099, and when it reports no error the generated
    /// code must compile. Each case runs the generator and the compiler, so the default run tries only a few.
    /// </summary>
    public sealed class GeneratorFuzzTests
    {
        private static readonly Lazy<MetadataReference[]> References = new Lazy<MetadataReference[]>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Append(typeof(QuantizedModelAttribute).Assembly.Location)
                .Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).Distinct()
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

        private static readonly string[] Paths = { "digits_mlp.qmodel.json", "models/digits_mlp.qmodel.json", "", "nope.qmodel.json", "digits_mlp", "\\", "../digits_mlp.qmodel.json", "x\ny", "\"" };

        private static readonly string[] Layers = { "fc1", "fc2", "fc3", "nope", "", "FC1", "fc1\n", "qg_fc1" };

        private readonly ITestOutputHelper output;

        public GeneratorFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void AttributeArguments()
        {
            string spec = File.ReadAllText(Path.Combine(TestFiles.Models, "digits_mlp.qmodel.json"));
            string weights = "#quantgen-base64 /m/models/digits_mlp.safetensors\n" + Convert.ToBase64String(File.ReadAllBytes(Path.Combine(TestFiles.Models, "digits_mlp.safetensors"))) + "\n";
            FuzzRunner.Run(output, "generator-attributes", rng =>
            {
                var sb = new StringBuilder("using QuantGen;\n");
                string path = rng.Next(3) == 0 ? Mutators.RandomString(rng) : rng.Pick(Paths);
                sb.Append("[QuantizedModel(").Append(Literal(path)).Append(")]\n");
                for (int i = 0; i < rng.Next(0, 3); i++)
                {
                    string layer = rng.Next(4) == 0 ? Mutators.RandomString(rng) : rng.Pick(Layers);
                    sb.Append("[LayerOverride(").Append(Literal(layer));
                    if (rng.Next(2) == 0)
                    {
                        sb.Append(", WeightBits = ").Append(Mutators.InterestingInteger(rng) is long w && w >= int.MinValue && w <= int.MaxValue ? w : 8);
                    }

                    if (rng.Next(2) == 0)
                    {
                        sb.Append(", ActivationBits = ").Append(rng.Pick(new[] { 0, 1, 2, 8, 16, 32, 33, -1 }));
                    }

                    sb.Append(")]\n");
                }

                sb.Append(rng.Next(8) == 0 ? "public class M { }\n" : "public partial class M { }\n");
                return Generate(sb.ToString(), spec, weights);
            }, minCases: 3, maxAllocatedBytes: 1L << 30);
        }

        private static string Literal(string s) => SymbolDisplay.FormatLiteral(s, quote: true);

        private static CaseOutcome Generate(string source, string spec, string weights)
        {
            var parse = new CSharpParseOptions(LanguageVersion.CSharp12);
            CSharpCompilation compilation = CSharpCompilation.Create(
                "FuzzConsumer",
                new[] { CSharpSyntaxTree.ParseText(source, parse, path: "/m/src/M.cs") },
                References.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            var files = ImmutableArray.Create<AdditionalText>(new Text("/m/models/digits_mlp.qmodel.json", spec), new Text("/m/obj/digits_mlp.safetensors.b64", weights));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new QuantGenerator().AsSourceGenerator() }, files, parse)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation result, out ImmutableArray<Diagnostic> generatorDiagnostics);
            GeneratorDriverRunResult run = driver.GetRunResult();
            if (run.Results.Any(r => r.Exception != null))
            {
                throw new InvalidOperationException("the generator threw: " + run.Results.First(r => r.Exception != null).Exception);
            }

            var errors = generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                return CaseOutcome.Rejected(string.Join("\n", errors));
            }

            // No generator error: whatever the generator wrote must compile (errors in the user's own source aside).
            var generatedErrors = result.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree != null && d.Location.SourceTree.FilePath != "/m/src/M.cs").ToList();
            if (generatedErrors.Count > 0)
            {
                throw new InvalidOperationException("the generated code does not compile:\n" + string.Join("\n", generatedErrors.Take(5)));
            }

            return CaseOutcome.Ok();
        }

        private sealed class Text : AdditionalText
        {
            private readonly SourceText text;

            public Text(string path, string content)
            {
                Path = path;
                text = SourceText.From(content, Encoding.UTF8);
            }

            public override string Path { get; }

            public override SourceText GetText(CancellationToken cancellationToken = default) => text;
        }
    }
}
