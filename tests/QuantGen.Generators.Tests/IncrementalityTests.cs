using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>An unrelated edit reuses every cached step; no Roslyn object is kept in a step output.</summary>
    public class IncrementalityTests
    {
        private const string Source = "[QuantGen.QuantizedModel(\"models/digits_mlp.qmodel.json\")] partial class Mlp { }";
        private static readonly string[] Steps = { "QuantGen.Classes", "QuantGen.ModelFiles", "QuantGen.Requests", "QuantGen.Results" };

        [Fact]
        public void UnrelatedEditIsCachedOrUnchanged()
        {
            CSharpCompilation first = GeneratorHarness.Compilation(Source);
            GeneratorDriver driver = GeneratorHarness.Driver(GeneratorHarness.ModelFiles("digits_mlp")).RunGenerators(first);
            CSharpCompilation second = first.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { int x; }", GeneratorHarness.ParseOptions));
            GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

            foreach (string step in Steps)
            {
                Assert.True(result.TrackedSteps.ContainsKey(step), "missing tracked step " + step);
                foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
                {
                    Assert.All(run.Outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
                }
            }

            // A diagnostic in the first run makes the diagnostics output (combined with the compilation) rerun on every edit:
            // name it, so a failure here says which one (seen once, in a clean-checkout CI run, not reproduced since).
            string firstRunDiagnostics = string.Join("; ", driver.GetRunResult().Diagnostics.Select(d => d.ToString()));
            Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.True(o.Reason == IncrementalStepRunReason.Cached, $"{o.Reason}; first run's diagnostics: [{firstRunDiagnostics}]"));
        }

        [Fact]
        public void ChangingTheModelFileRegenerates()
        {
            AdditionalText[] files = GeneratorHarness.ModelFiles("digits_mlp");
            CSharpCompilation compilation = GeneratorHarness.Compilation(Source);
            GeneratorDriver driver = GeneratorHarness.Driver(files).RunGenerators(compilation);
            var edited = new MemoryText(files[0].Path, files[0].GetText()!.ToString().Replace("\"name\": \"digits_mlp\"", "\"name\": \"digits_mlp2\""));
            driver = driver.ReplaceAdditionalText(files[0], edited).RunGenerators(compilation);
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.Contains(result.TrackedSteps["QuantGen.Results"].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
            Assert.Contains("\"digits_mlp2\"", result.GeneratedSources.Single(s => s.HintName == "Mlp.QuantGen.Boundary.g.cs").SourceText.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public void NoRoslynObjectLeaksIntoAStepOutput()
        {
            GeneratorRunResult result = GeneratorHarness.Driver(GeneratorHarness.ModelFiles("digits_mlp")).RunGenerators(GeneratorHarness.Compilation(Source)).GetRunResult().Results.Single();
            foreach (string step in Steps)
            {
                foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
                {
                    foreach ((object value, IncrementalStepRunReason _) in run.Outputs)
                    {
                        AssertNoRoslynObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                    }
                }
            }
        }

        private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
        {
            if (value == null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
            {
                return;
            }

            Type type = value.GetType();
            Assert.False(
                value is ISymbol || value is SyntaxNode || value is Compilation || value is SemanticModel || value is SyntaxTree || value is Location,
                $"{path} holds a {type.Name}: pipeline models must not keep Roslyn objects");
            if (value is DiagnosticDescriptor || type.Namespace?.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal) == true)
            {
                return;
            }

            if (value is IEnumerable items && !(value is string))
            {
                int i = 0;
                foreach (object? item in items)
                {
                    AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
                }
            }

            foreach (FieldInfo f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                AssertNoRoslynObjects(f.GetValue(value), path + "." + f.Name, seen);
            }
        }
    }
}
