using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Model;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The float boundary of the multi-input GPU session (GpuEmitter.MultiBoundary.cs) for the three specs of
    /// GpuMultiSessionApiTests, guarded by baselines (Baselines/GpuMulti), with doc comments that are valid XML (a consumer
    /// may build documentation with warnings as errors).
    /// </summary>
    public class GpuMultiSnapshotTests
    {
        private const string Source = """
            using QuantGen;

            namespace Consumer
            {
                [QuantizedModel("models/two.qmodel.json")]
                public partial class Two { }

                [QuantizedModel("models/tok.qmodel.json")]
                public partial class Tok { }

                [QuantizedModel("models/cls.qmodel.json")]
                public partial class Cls { }
            }
            """;

        private static readonly string[] Boundaries = { "Consumer.Two.QuantGen.Gpu.Boundary.g.cs", "Consumer.Tok.QuantGen.Gpu.Boundary.g.cs", "Consumer.Cls.QuantGen.Gpu.Boundary.g.cs" };

        private static AdditionalText[] Files() => new AdditionalText[]
        {
            new MemoryText(GeneratorHarness.ModelsDir + "two.qmodel.json", MultiIoSpecs.Two),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "two.safetensors", SafeTensors.Write(Array.Empty<RawTensor>())),
            new MemoryText(GeneratorHarness.ModelsDir + "tok.qmodel.json", MultiIoSpecs.Tok),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "tok.safetensors", SafeTensors.Write(new[] { TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 2 }, new[] { 1, 2, -3, -4, 50, 60, 127, -128 }) })),
            new MemoryText(GeneratorHarness.ModelsDir + "cls.qmodel.json", MultiInputClassifierApiTests.Spec),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "cls.safetensors", MultiInputClassifierApiTests.Weights()),
        };

        private static (Compilation Output, GeneratorHarness.Run Run) Generate(CSharpParseOptions options)
        {
            CSharpCompilation compilation = CSharpCompilation.Create(
                "Consumer",
                new[] { CSharpSyntaxTree.ParseText(Source, options, path: "/repo/src/File0.cs") },
                GeneratorHarness.Compilation(Source).References.Append(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll"))),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new QuantGen.Generators.QuantizedModelGenerator().AsSourceGenerator() }, Files(), options)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return (output, new GeneratorHarness.Run(driver, output, diagnostics));
        }

        public static IEnumerable<object[]> Names() => Boundaries.Select(f => new object[] { f });

        [Fact]
        public void NoStaleBaselines() => Baseline.VerifyNoStale("QuantGen.Generators.Tests", "GpuMulti", Boundaries);

        [Theory]
        [MemberData(nameof(Names))]
        public void BoundaryFileMatchesBaseline(string hintName)
        {
            (_, GeneratorHarness.Run run) = Generate(GeneratorHarness.ParseOptions);
            Assert.Empty(run.Diagnostics);
            Baseline.Verify("QuantGen.Generators.Tests", "GpuMulti", hintName, run.Source(hintName));
        }

        [Fact]
        public void BoundaryDocCommentsAreValidXmlAndTheCodeCompilesWithoutWarnings()
        {
            (Compilation output, GeneratorHarness.Run run) = Generate(GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose));
            Assert.Empty(run.Diagnostics);
            var problems = output.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.Contains(".Gpu", StringComparison.Ordinal) == true)
                .ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }
}
