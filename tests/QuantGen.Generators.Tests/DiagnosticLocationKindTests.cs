using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Issue 16 ("tests cover each diagnostic's location kind"): every generator diagnostic the harness can provoke, with the
    /// kind of location it carries and what it points at. C# problems are SourceFile locations on the compilation's own tree
    /// (the editor's squiggle): the attribute argument, the class name, the [LayerOverride] attribute or its named argument.
    /// Model-file problems are ExternalFile locations in the .qmodel.json AdditionalFile (line and column). The table in
    /// docs/diagnostics.md says the same per id.
    /// </summary>
    public class DiagnosticLocationKindTests
    {
        private static string CorpusDir => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "QuantGen.Compiler.Tests", "Corpus");

        private static AdditionalText[] Tiny(Func<string, string>? editSpec = null)
        {
            string spec = File.ReadAllText(Path.Combine(CorpusDir, "valid-quantized", "model.qmodel.json"));
            return new AdditionalText[]
            {
                new MemoryText(GeneratorHarness.ModelsDir + "tiny.qmodel.json", editSpec?.Invoke(spec) ?? spec),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "weights.safetensors", File.ReadAllBytes(Path.Combine(CorpusDir, "valid-quantized", "weights.safetensors"))),
            };
        }

        private const string Model = "[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")]";

        /// <summary>id, C# source, model files (null: Tiny()), expected kind, expected text at the location (SourceFile) or file name (ExternalFile).</summary>
        public static TheoryData<string, string, string, LocationKind, string> Cases() => new()
        {
            { "QG2001", "[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }", "tiny", LocationKind.SourceFile, "\"models/nope.qmodel.json\"" },
            { "QG2002", Model + " partial class M { }", "spec only", LocationKind.SourceFile, "\"models/tiny.qmodel.json\"" },
            { "QG2003", Model + " class Solid { }", "tiny", LocationKind.SourceFile, "Solid" },
            { "QG2004", Model + " partial class G<T> { }", "tiny", LocationKind.SourceFile, "G" },
            { "QG2005", "class Outer { " + Model + " partial class Inner { } }", "tiny", LocationKind.SourceFile, "Inner" },
            { "QG2006", Model + "[QuantGen.LayerOverride(\"fc\", WeightBits = 4)] partial class M { }", "tiny", LocationKind.SourceFile, "QuantGen.LayerOverride(\"fc\", WeightBits = 4)" },
            { "QG2007", Model + "[QuantGen.LayerOverride(\"fc9\", ActivationBits = 8)] partial class M { }", "tiny", LocationKind.SourceFile, "QuantGen.LayerOverride(\"fc9\", ActivationBits = 8)" },
            { "QG2008", Model + "[QuantGen.LayerOverride(\"fc\", WeightBits = 1)] partial class M { }", "tiny", LocationKind.SourceFile, "WeightBits = 1" },
            { "QG2009", "[QuantGen.QuantizedModel(\"\")] partial class M { }", "tiny", LocationKind.SourceFile, "\"\"" },
            { "QG2010", "[QuantGen.QuantizedModel(\"models/digits_mlp.float.qmodel.json\")] partial class M { }", "float", LocationKind.SourceFile, "\"models/digits_mlp.float.qmodel.json\"" },
            { "QG2015", Model + " partial record R { }", "tiny", LocationKind.SourceFile, "R" },
            { "QG1002", Model + " partial class M { }", "bad json", LocationKind.ExternalFile, "tiny.qmodel.json" },
            { "QG1006", Model + " partial class M { }", "bad op", LocationKind.ExternalFile, "tiny.qmodel.json" },
        };

        private static AdditionalText[] Files(string which) => which switch
        {
            "tiny" => Tiny(),
            "spec only" => new[] { Tiny()[0] },
            "bad json" => Tiny(s => s.Replace("\"kind\": \"quantized\",", "\"kind\": \"quantized\",,", StringComparison.Ordinal)),
            "bad op" => Tiny(s => s.Replace("\"op\": \"Dense\"", "\"op\": \"Conv7\"", StringComparison.Ordinal)),
            "float" => new AdditionalText[]
            {
                new MemoryText(GeneratorHarness.ModelsDir + "digits_mlp.float.qmodel.json", File.ReadAllText(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.float.qmodel.json"))),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "digits_mlp.float.safetensors", File.ReadAllBytes(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.float.safetensors"))),
            },
            _ => throw new ArgumentException(which),
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void EachDiagnosticCarriesItsLocationKind(string id, string source, string files, LocationKind kind, string at)
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(source, Files(files));
            Diagnostic d = Assert.Single(run.Diagnostics, x => x.Id == id);
            Assert.Equal(kind, d.Location.Kind);
            if (kind == LocationKind.SourceFile)
            {
                // On the compilation's own tree (not a copy with the same path): what the editor needs for a squiggle.
                Assert.Contains(run.Output.SyntaxTrees, t => ReferenceEquals(t, d.Location.SourceTree));
                Assert.Equal(at, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
            }
            else
            {
                FileLinePositionSpan span = d.Location.GetLineSpan();
                Assert.Equal(GeneratorHarness.ModelsDir + at, span.Path);
                Assert.True(span.StartLinePosition.Line > 0 || span.StartLinePosition.Character > 0, $"{id} has no line and column in {at}");
            }

            Assert.Equal(QuantGen.Generators.DiagnosticDescriptors.HelpLinkBase + id.ToLowerInvariant(), d.Descriptor.HelpLinkUri);
        }

        /// <summary>QG2016 (language version) needs a tree parsed as C# 10: at the class name of that tree.</summary>
        [Fact]
        public void LanguageVersionDiagnosticIsAtTheClassNameOfTheOldTree()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation(Model + " partial class Old { }");
            SyntaxTree old = compilation.SyntaxTrees.First();
            compilation = compilation.ReplaceSyntaxTree(old, old.WithRootAndOptions(old.GetRoot(), new CSharpParseOptions(LanguageVersion.CSharp10)));
            GeneratorHarness.Driver(Tiny()).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal(("QG2016", LocationKind.SourceFile), (d.Id, d.Location.Kind));
            Assert.Contains(output.SyntaxTrees, t => ReferenceEquals(t, d.Location.SourceTree));
            Assert.Equal("Old", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        }
    }
}
