using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>Every emitted file of both fixture models, guarded by baselines; plus properties of the emitted code.</summary>
    public class SnapshotTests
    {
        private static GeneratorHarness.Run Fixtures() =>
            GeneratorHarness.Generate(GeneratorHarness.FixtureSource, GeneratorHarness.FixtureModelFiles());

        public static IEnumerable<object[]> Files() => new[]
        {
            new object[] { "Consumer.DigitsMlp.QuantGen.g.cs" },
            new object[] { "Consumer.DigitsMlp.QuantGen.Boundary.g.cs" },
            new object[] { "Consumer.DigitsVit.QuantGen.g.cs" },
            new object[] { "Consumer.DigitsVit.QuantGen.Boundary.g.cs" },
            new object[] { "Consumer.DigitsCnn.QuantGen.g.cs" },
            new object[] { "Consumer.DigitsCnn.QuantGen.Boundary.g.cs" },
        };

        [Theory]
        [MemberData(nameof(Files))]
        public void GeneratedFileMatchesBaseline(string hintName)
        {
            GeneratorHarness.Run run = Fixtures();
            Assert.Empty(run.Diagnostics);
            Baseline.Verify("QuantGen.Generators.Tests", "Fixtures", hintName, run.Source(hintName));
        }

        /// <summary>
        /// The kernel library is not snapshotted: its files are the source (generators/QuantGen.Cpu/Kernels, compiled and unit
        /// tested by tests/QuantGen.Kernels.Tests); here only that the models' plans asked for the three files.
        /// </summary>
        private static readonly string[] KernelFiles = { "QuantGen.Kernels.g.cs", "QuantGen.ConvKernels.g.cs", "QuantGen.DepthwiseKernels.g.cs", "QuantGen.PointwiseKernels.g.cs", "QuantGen.TransformerKernels.g.cs", "QuantGen.AttentionKernels.g.cs" };

        [Fact]
        public void EveryGeneratedFileIsCoveredByASnapshot() =>
            Assert.Equal(Files().Select(f => (string)f[0]).Concat(KernelFiles).OrderBy(s => s, StringComparer.Ordinal), Fixtures().Result.GeneratedSources.Select(s => s.HintName).OrderBy(s => s, StringComparer.Ordinal));

        [Fact]
        public void NoStaleBaselines() => Baseline.VerifyNoStale("QuantGen.Generators.Tests", "Fixtures", Files().Select(f => (string)f[0]));

        [Fact]
        public void GeneratedCodeCompilesWithoutWarnings()
        {
            GeneratorHarness.Run run = Fixtures();
            var warnings = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        }

        [Fact]
        public void OutputIsDeterministic() =>
            Assert.Equal(Fixtures().Result.GeneratedSources.Select(s => s.SourceText.ToString()), Fixtures().Result.GeneratedSources.Select(s => s.SourceText.ToString()));

        /// <summary>No float or double (nor Math, Single, Double) anywhere in the inference path: the layer code and the kernels.</summary>
        [Theory]
        [InlineData("QuantGen.Kernels.g.cs")]
        [InlineData("QuantGen.ConvKernels.g.cs")]
        [InlineData("QuantGen.DepthwiseKernels.g.cs")]
        [InlineData("QuantGen.PointwiseKernels.g.cs")]
        [InlineData("QuantGen.TransformerKernels.g.cs")]
        [InlineData("QuantGen.AttentionKernels.g.cs")]
        [InlineData("Consumer.DigitsMlp.QuantGen.g.cs")]
        [InlineData("Consumer.DigitsVit.QuantGen.g.cs")]
        [InlineData("Consumer.DigitsCnn.QuantGen.g.cs")]
        public void InferencePathHasNoFloatingPoint(string hintName)
        {
            SyntaxNode root = CSharpSyntaxTree.ParseText(Fixtures().Source(hintName)).GetRoot();
            var offenders = root.DescendantTokens()
                .Where(t => t.IsKind(SyntaxKind.FloatKeyword) || t.IsKind(SyntaxKind.DoubleKeyword) || t.IsKind(SyntaxKind.DecimalKeyword) ||
                            (t.IsKind(SyntaxKind.IdentifierToken) && (t.ValueText is "Math" or "MathF" or "Single" or "Double" or "Half" or "Vector512Single")) ||
                            (t.IsKind(SyntaxKind.NumericLiteralToken) && t.Value is float or double or decimal))
                .Select(t => t.Text + " at " + t.GetLocation().GetLineSpan().StartLinePosition)
                .ToList();
            Assert.True(offenders.Count == 0, hintName + ": " + string.Join(", ", offenders));
            Assert.Contains(hintName.Contains("ConvKernels", StringComparison.Ordinal) ? "QuantGenConvKernels" : hintName.Contains("DepthwiseKernels", StringComparison.Ordinal) ? "QuantGenDepthwiseKernels"
                : hintName.Contains("PointwiseKernels", StringComparison.Ordinal) ? "QuantGenPointwiseKernels"
                : hintName.Contains("TransformerKernels", StringComparison.Ordinal) ? "QuantGenTransformerKernels" : "QuantGenKernels", root.ToFullString(), StringComparison.Ordinal);
        }

        [Fact]
        public void WeightsAreEmbeddedWithoutArrayLiteralsAndLayersKeepTheirNames()
        {
            string vit = Fixtures().Source("Consumer.DigitsVit.QuantGen.g.cs");
            Assert.Contains("Convert.FromBase64String(\"", vit, StringComparison.Ordinal);
            SyntaxNode root = CSharpSyntaxTree.ParseText(vit).GetRoot();
            int largestInitializer = root.DescendantNodes().OfType<InitializerExpressionSyntax>().Select(i => i.Expressions.Count).DefaultIfEmpty(0).Max();
            Assert.True(largestInitializer <= 64, $"an array literal with {largestInitializer} elements: weights must go through the base64 blob");
            foreach (string layer in new[] { "patch_embed", "pos_add", "b0_ln1", "b0_scores", "b0_attn", "b0_gelu", "pool", "head" })
            {
                Assert.Contains($"private void Layer_{layer}(", vit, StringComparison.Ordinal);
            }

            string cnn = Fixtures().Source("Consumer.DigitsCnn.QuantGen.g.cs");
            SyntaxNode cnnRoot = CSharpSyntaxTree.ParseText(cnn).GetRoot();
            Assert.True(cnnRoot.DescendantNodes().OfType<InitializerExpressionSyntax>().All(i => i.Expressions.Count <= 64), "CNN weights must go through the base64 blob");
            foreach (string layer in new[] { "conv1", "pool1", "dw", "pw", "gap", "fc_Gemm" })
            {
                Assert.Contains($"private void Layer_{layer}(", cnn, StringComparison.Ordinal);
            }
        }
    }
}
