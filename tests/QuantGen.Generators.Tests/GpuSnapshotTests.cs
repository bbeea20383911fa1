using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>The GPU backend's emitted files (ILGPU kernels and GpuSession) for both fixture models, guarded by baselines.</summary>
    public class GpuSnapshotTests
    {
        private static readonly string[] GpuFiles = { "QuantGen.GpuKernels.g.cs", "Consumer.DigitsMlp.QuantGen.Gpu.g.cs", "Consumer.DigitsVit.QuantGen.Gpu.g.cs", "Consumer.DigitsCnn.QuantGen.Gpu.g.cs", "Consumer.DigitsMlp.QuantGen.Gpu.Boundary.g.cs", "Consumer.DigitsVit.QuantGen.Gpu.Boundary.g.cs", "Consumer.DigitsCnn.QuantGen.Gpu.Boundary.g.cs" };

        /// <summary>The fixtures compiled with a reference to ILGPU, which switches the GPU backend on.</summary>
        private static GeneratorHarness.Run Fixtures()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation(GeneratorHarness.FixtureSource)
                .AddReferences(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll")));
            AdditionalText[] files = GeneratorHarness.FixtureModelFiles();
            GeneratorDriver driver = GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return new GeneratorHarness.Run(driver, output, diagnostics);
        }

        /// <summary>The GPU helpers (QuantGen.GpuKernels.g.cs) are the kernel library's twins file: not snapshotted.</summary>
        public static IEnumerable<object[]> Files() => GpuFiles.Skip(1).Select(f => new object[] { f });

        [Fact]
        public void NoStaleBaselines() => Baseline.VerifyNoStale("QuantGen.Generators.Tests", "GpuFixtures", Files().Select(f => (string)f[0]));

        [Theory]
        [MemberData(nameof(Files))]
        public void GeneratedGpuFileMatchesBaseline(string hintName)
        {
            GeneratorHarness.Run run = Fixtures();
            Assert.Empty(run.Diagnostics);
            Baseline.Verify("QuantGen.Generators.Tests", "GpuFixtures", hintName, run.Source(hintName));
        }

        [Fact]
        public void GpuFilesAreEmittedOnlyWhenIlgpuIsReferenced()
        {
            var with = Fixtures().Result.GeneratedSources.Select(s => s.HintName).ToList();
            var without = GeneratorHarness.Generate(GeneratorHarness.FixtureSource, GeneratorHarness.FixtureModelFiles()).Result.GeneratedSources.Select(s => s.HintName).ToList();
            Assert.All(GpuFiles, f => Assert.Contains(f, with));
            Assert.All(GpuFiles, f => Assert.DoesNotContain(f, without));
            Assert.Equal(without.OrderBy(s => s, StringComparer.Ordinal), with.Except(GpuFiles).OrderBy(s => s, StringComparer.Ordinal));
        }

        [Fact]
        public void GeneratedGpuCodeCompilesWithoutWarnings()
        {
            GeneratorHarness.Run run = Fixtures();
            var warnings = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        }

        /// <summary>An unrelated edit reuses the cached GPU emission (the ILGPU check is an equatable bool).</summary>
        [Fact]
        public void UnrelatedEditKeepsTheGpuOutputsCached()
        {
            CSharpCompilation first = GeneratorHarness.Compilation(GeneratorHarness.FixtureSource)
                .AddReferences(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll")));
            GeneratorDriver driver = GeneratorHarness.Driver(GeneratorHarness.FixtureModelFiles()).RunGenerators(first);
            CSharpCompilation second = first.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { int x; }", GeneratorHarness.ParseOptions));
            GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();
            Assert.Contains(result.GeneratedSources, s => s.HintName == "Consumer.DigitsVit.QuantGen.Gpu.g.cs");
            foreach (string step in new[] { "QuantGen.Gpu", "QuantGen.Results" })
            {
                Assert.All(result.TrackedSteps[step].SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
            }

            Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }

        /// <summary>Consumers may build with documentation files and warnings as errors: the doc comments must be valid XML.</summary>
        [Fact]
        public void GeneratedGpuDocCommentsAreValidXml()
        {
            CSharpParseOptions docs = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
            CSharpCompilation compilation = CSharpCompilation.Create(
                "Consumer",
                new[] { CSharpSyntaxTree.ParseText(GeneratorHarness.FixtureSource, docs, path: "/repo/src/File0.cs") },
                GeneratorHarness.Compilation(GeneratorHarness.FixtureSource).References.Append(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll"))),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            AdditionalText[] files = GeneratorHarness.FixtureModelFiles();
            CSharpGeneratorDriver.Create(new[] { new QuantGen.Generators.QuantizedModelGenerator().AsSourceGenerator() }, files, docs)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
            var problems = output.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.Contains(".Gpu", StringComparison.Ordinal) == true)
                .ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public void GpuOutputIsDeterministic() =>
            Assert.Equal(Fixtures().Result.GeneratedSources.Select(s => s.SourceText.ToString()), Fixtures().Result.GeneratedSources.Select(s => s.SourceText.ToString()));

        /// <summary>No float or double anywhere in the kernels and their helpers; every layer has its kernel; no weight array literals.</summary>
        [Theory]
        [InlineData("QuantGen.GpuKernels.g.cs")]
        [InlineData("Consumer.DigitsMlp.QuantGen.Gpu.g.cs")]
        [InlineData("Consumer.DigitsVit.QuantGen.Gpu.g.cs")]
        [InlineData("Consumer.DigitsCnn.QuantGen.Gpu.g.cs")]
        public void GpuPathHasNoFloatingPointNorArrayLiterals(string hintName)
        {
            SyntaxNode root = CSharpSyntaxTree.ParseText(Fixtures().Source(hintName)).GetRoot();
            var offenders = root.DescendantTokens()
                .Where(t => t.IsKind(SyntaxKind.FloatKeyword) || t.IsKind(SyntaxKind.DoubleKeyword) || t.IsKind(SyntaxKind.DecimalKeyword) ||
                            (t.IsKind(SyntaxKind.IdentifierToken) && (t.ValueText is "Math" or "MathF" or "Single" or "Double" or "Half") && hintName.Contains("GpuKernels", StringComparison.Ordinal)) ||
                            (t.IsKind(SyntaxKind.NumericLiteralToken) && t.Value is float or double or decimal))
                .Select(t => t.Text + " at " + t.GetLocation().GetLineSpan().StartLinePosition)
                .ToList();
            Assert.True(offenders.Count == 0, hintName + ": " + string.Join(", ", offenders));
            int largestInitializer = root.DescendantNodes().OfType<InitializerExpressionSyntax>().Select(i => i.Expressions.Count).DefaultIfEmpty(0).Max();
            Assert.True(largestInitializer == 0, $"an array literal with {largestInitializer} elements: constants must go through the base64 strings");
        }

        [Fact]
        public void EveryComputingLayerHasAKernelAndReshapesAreAliases()
        {
            string vit = Fixtures().Source("Consumer.DigitsVit.QuantGen.Gpu.g.cs");
            foreach (string layer in new[] { "patchify_transpose", "patch_embed", "pos_add", "b0_ln1", "b0_q", "b0_k_heads", "b0_scores", "b0_attn", "b0_ctx", "b0_gelu", "b0_res2", "ln_f", "pool", "head" })
            {
                Assert.Contains($"private static void Kernel_{layer}(Index1D index, ", vit, StringComparison.Ordinal);
                Assert.Contains($"_k_{layer} = accelerator.LoadAutoGroupedStreamKernel<", vit, StringComparison.Ordinal);
            }

            foreach (string reshape in new[] { "patchify_reshape", "patchify_flatten", "b0_q_reshape", "b0_ctx_merge" })
            {
                Assert.DoesNotContain($"Kernel_{reshape}(", vit, StringComparison.Ordinal);
                Assert.Contains($"// {reshape}: Reshape ", vit, StringComparison.Ordinal);
            }

            Assert.Contains("public sealed partial class GpuSession : IDisposable", vit, StringComparison.Ordinal);

            string cnn = Fixtures().Source("Consumer.DigitsCnn.QuantGen.Gpu.g.cs");
            foreach (string layer in new[] { "conv1", "pool1", "dw", "pw", "gap", "fc_Gemm" })
            {
                Assert.Contains($"private static void Kernel_{layer}(Index1D index, ", cnn, StringComparison.Ordinal);
            }

            foreach (string reshape in new[] { "gap_flatten", "gap_keepdims", "flatten" })
            {
                Assert.Contains($"// {reshape}: Reshape ", cnn, StringComparison.Ordinal);
            }
        }

        /// <summary>Variable shift counts only inside the guarded helpers: every shift in a kernel body has a literal count.</summary>
        [Theory]
        [InlineData("Consumer.DigitsMlp.QuantGen.Gpu.g.cs")]
        [InlineData("Consumer.DigitsVit.QuantGen.Gpu.g.cs")]
        [InlineData("Consumer.DigitsCnn.QuantGen.Gpu.g.cs")]
        public void KernelShiftCountsAreLiterals(string hintName)
        {
            SyntaxNode root = CSharpSyntaxTree.ParseText(Fixtures().Source(hintName)).GetRoot();
            var shifts = root.DescendantNodes().OfType<BinaryExpressionSyntax>()
                .Where(b => b.IsKind(SyntaxKind.LeftShiftExpression) || b.IsKind(SyntaxKind.RightShiftExpression))
                .ToList();
            Assert.All(shifts, s => Assert.True(s.Right is LiteralExpressionSyntax, $"variable shift count: {s}"));
        }
    }
}
