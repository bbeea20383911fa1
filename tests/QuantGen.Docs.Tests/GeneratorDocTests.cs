using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace QuantGen.Tests.Docs
{
    /// <summary>
    /// The reference doc of the generated API (docs/generator.md): every C# block that declares a model from a file
    /// (<c>[QuantizedModel("...")]</c>) compiles as a whole Program.cs with the generator, and a block followed by a
    /// ```text block runs and prints exactly that text. Blocks without such a class are excerpts of generated code or
    /// declarations and are counted, not compiled.
    /// </summary>
    public sealed class GeneratorDocTests
    {
        private const string Document = "docs/generator.md";

        private static readonly IReadOnlyList<Snippet> Blocks = Snippets.Parse(Document).ToList();

        public static IEnumerable<object[]> Programs =>
            Blocks.Select((s, i) => (s, i)).Where(p => p.s.Language == "csharp" && IsProgram(p.s)).Select(p => new object[] { p.i, p.s.ToString() });

        /// <summary>The block right after (one blank line between) is a ```text block: the program's output.</summary>
        private static bool HasOutput(int index)
        {
            Snippet s = Blocks[index];
            int closing = s.Line + s.Text.Split('\n').Length;
            return index + 1 < Blocks.Count && Blocks[index + 1].Language == "text" && Blocks[index + 1].Line <= closing + 2;
        }

        private static bool IsProgram(Snippet s) => Regex.IsMatch(s.Text, "\\[QuantizedModel\\(\"[^\"]+\"");

        [Fact]
        public void TheDocumentHasTheProgramsItShows()
        {
            // Guards against vacuous theories: the float API, the DI service, the guard opt-out and the multi-input program.
            Assert.True(Programs.Count() >= 5, $"{Programs.Count()} programs in {Document}");
            Assert.Contains(Blocks, s => s.Language == "csharp" && IsProgram(s) && s.Text.Contains("new TicketRouter()", StringComparison.Ordinal));
            Assert.Contains(Enumerable.Range(0, Blocks.Count), i => Blocks[i].Text.Contains("new TicketRouter()", StringComparison.Ordinal) && HasOutput(i));
        }

        [Theory]
        [MemberData(nameof(Programs))]
        public void ProgramCompilesAndPrintsWhatTheDocShows(int index, string place)
        {
            Snippet snippet = Blocks[index];
            Compilation output = Compile(snippet, index, place);
            using var pe = new MemoryStream();
            Assert.True(output.Emit(pe).Success);
            if (!HasOutput(index))
            {
                return;
            }

            var context = new AssemblyLoadContext("doc" + index, isCollectible: true);
            TextWriter console = Console.Out;
            var printed = new StringWriter { NewLine = "\n" };
            try
            {
                pe.Position = 0;
                MethodInfo main = context.LoadFromStream(pe).EntryPoint!;
                Console.SetOut(printed);
                main.Invoke(null, main.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
            }
            finally
            {
                Console.SetOut(console);
                context.Unload();
            }

            Assert.Equal(Blocks[index + 1].Text, printed.ToString());
        }

        [Fact]
        public void TheSignaturesShownForTheMultiInputModelAreTheGeneratedOnes()
        {
            int index = Blocks.ToList().FindIndex(s => s.Language == "csharp" && s.Text.Contains("new TicketRouter()", StringComparison.Ordinal));
            Snippet signatures = Blocks[index + 2];
            Assert.Equal("text", signatures.Language);
            string generated = string.Join("\n", Compile(Blocks[index], index, Blocks[index].ToString()).SyntaxTrees.Select(t => t.ToString()));
            string[] lines = signatures.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(lines.Length >= 10, $"{lines.Length} signatures");
            Assert.All(lines, l => Assert.True(generated.Contains(l, StringComparison.Ordinal), $"not generated: {l}"));
        }

        private static Compilation Compile(Snippet snippet, int index, string place)
        {
            var files = new List<AdditionalText>();
            foreach (Match m in Regex.Matches(snippet.Text, "\\[QuantizedModel\\(\"([^\"]+)\""))
            {
                files.AddRange(DocSnippetTests.ModelFiles(m.Groups[1].Value));
            }

            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            CSharpCompilation compilation = CSharpCompilation.Create(
                "GeneratorDoc" + index,
                new[] { CSharpSyntaxTree.ParseText(snippet.Text, parse, path: "/app/Program.cs") },
                DocSnippetTests.References.Value,
                new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
            CSharpGeneratorDriver.Create(new[] { new QuantGen.Generators.QuantizedModelGenerator().AsSourceGenerator() }, files, parse)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
            var problems = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, $"{place} does not compile as pasted:\n{string.Join("\n", problems)}\n---\n{snippet.Text}");
            return output;
        }
    }
}
