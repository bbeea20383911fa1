using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Generators;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>Issue 16 item 5: generator diagnostics as the editor needs them (location kind, help link, no cascade).</summary>
    public class EditorDiagnosticTests
    {
        private static string CorpusDir => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "QuantGen.Compiler.Tests", "Corpus");

        private static AdditionalText[] Tiny() => new AdditionalText[]
        {
            new MemoryText(GeneratorHarness.ModelsDir + "tiny.qmodel.json", File.ReadAllText(Path.Combine(CorpusDir, "valid-quantized", "model.qmodel.json"))),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "weights.safetensors", File.ReadAllBytes(Path.Combine(CorpusDir, "valid-quantized", "weights.safetensors"))),
        };

        [Fact]
        public void AttributeArgumentDiagnosticIsInSource()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }", Tiny());
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2001", d.Id);
            Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
            Assert.Equal("\"models/nope.qmodel.json\"", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
            Assert.Equal(DiagnosticDescriptors.HelpLinkBase + "qg2001", d.Descriptor.HelpLinkUri);
        }

        [Fact]
        public void ClassNameDiagnosticIsInSource()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] class NotPartial { }", Tiny());
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2003", d.Id);
            Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
            Assert.Equal("NotPartial", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        }

        [Fact]
        public void SpecFileDiagnosticStaysInTheAdditionalFile()
        {
            AdditionalText[] files = Tiny();
            files[0] = new MemoryText(GeneratorHarness.ModelsDir + "tiny.qmodel.json", "{ \"format\": ");
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class M { }", files);
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal(LocationKind.ExternalFile, d.Location.Kind);
            Assert.EndsWith("tiny.qmodel.json", d.Location.GetLineSpan().Path, StringComparison.Ordinal);
        }

        [Fact]
        public void QG2015_RecordIsReportedNotIgnored()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial record R { }", Tiny());
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2015", d.Id);
            Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
            Assert.Equal("R", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        }

        [Fact]
        public void QG2016_LangVersionBelow11()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation("[QuantGen.QuantizedModel(\"models/tiny.qmodel.json\")] partial class Old { }");
            SyntaxTree old = compilation.SyntaxTrees.First();
            compilation = compilation.ReplaceSyntaxTree(old, old.WithRootAndOptions(old.GetRoot(), new CSharpParseOptions(LanguageVersion.CSharp10)));
            GeneratorHarness.Driver(Tiny()).RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> diagnostics);
            Diagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG2016", d.Id);
            Assert.Equal("Old", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        }

        [Fact]
        public void ModelErrorDoesNotCascadeIntoCS1061()
        {
            const string Source = "[QuantGen.QuantizedModel(\"models/nope.qmodel.json\")] partial class M { }\n" +
                "static class Use { static int Go() { var m = new M(); m.Infer(default, default); _ = M.Info; return m.Predict(default); } }";
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, Tiny());
            Assert.Equal("QG2001", Assert.Single(run.Diagnostics).Id);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }
}
