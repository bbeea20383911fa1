using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Docs
{
    /// <summary>
    /// Every C# and shell snippet of README.md and docs/guides/*.md, as a user would paste it: C# blocks compile as a whole
    /// Program.cs with the generator (no errors, no warnings); shell blocks run verbatim with bash in a fresh folder
    /// (`quantgen` is this repository's build of the tool); the README's CI block (the whole suite) is checked for commands
    /// and paths, since `.ci/run` runs it; XML blocks name real packages and real QuantModel metadata.
    /// </summary>
    public sealed class DocSnippetTests
    {
        private readonly ITestOutputHelper log;

        public DocSnippetTests(ITestOutputHelper log) => this.log = log;

        private static string Configuration => typeof(DocSnippetTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

        public static IEnumerable<object[]> CSharp => Snippets.Data("csharp");

        public static IEnumerable<object[]> Shell => Snippets.Data("sh", "bash", "shell");

        public static IEnumerable<object[]> Xml => Snippets.Data("xml");

        [Fact]
        public void TheParserFindsTheSnippetsTheDocsHave()
        {
            // Guards against a parser change that would make the theories below vacuous.
            Assert.Contains(Snippets.All, s => s.File == "README.md" && s.Language == "csharp");
            Assert.Contains(Snippets.All, s => s.File == "README.md" && s.Language == "sh");
            Assert.Contains(Snippets.All, s => s.File == "docs/guides/app-developer.md" && s.Language == "csharp" && s.Text.StartsWith("using QuantGen;", StringComparison.Ordinal));
            Assert.Contains(Snippets.All, s => s.File == "docs/guides/build-pipeline.md" && s.Language == "sh");
            Assert.Contains(Snippets.All, s => s.File == "docs/guides/fpga-team.md" && s.Language == "sh");
            Assert.Contains(Snippets.All, s => s.File == "docs/guides/build-pipeline.md" && s.Language == "xml");
            Assert.All(Snippets.All, s => Assert.False(string.IsNullOrWhiteSpace(s.Language), $"{s}: a fence without a language"));
        }

        [Theory]
        [MemberData(nameof(CSharp))]
        public void CSharpSnippetCompilesAsPasted(int index, string place)
        {
            Snippet snippet = Snippets.All[index];
            var files = new List<AdditionalText>();
            foreach (Match m in Regex.Matches(snippet.Text, "\\[QuantizedModel\\(\"([^\"]+)\"\\)\\]"))
            {
                files.AddRange(ModelFiles(m.Groups[1].Value));
            }

            Assert.True(files.Count > 0, $"{place}: no [QuantizedModel(\"...\")] class");
            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            CSharpCompilation compilation = CSharpCompilation.Create(
                "Snippet",
                new[] { CSharpSyntaxTree.ParseText(snippet.Text, parse, path: "/app/Program.cs") },
                References.Value,
                new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
            CSharpGeneratorDriver.Create(new[] { new QuantGen.Generators.QuantizedModelGenerator().AsSourceGenerator() }, files, parse)
                .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
            var problems = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, $"{place} does not compile as pasted:\n{string.Join("\n", problems)}\n---\n{snippet.Text}");
            using var pe = new MemoryStream();
            Assert.True(output.Emit(pe).Success);
        }

        [Theory]
        [MemberData(nameof(Shell))]
        public void ShellSnippetRunsVerbatim(int index, string place)
        {
            Snippet snippet = Snippets.All[index];
            string[] commands = snippet.Text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
            if (commands.Any(c => c.StartsWith("dotnet test Gen.sln", StringComparison.Ordinal)))
            {
                // The README's two commands are the CI job itself (.ci/run runs them): check that they name what exists.
                foreach (string c in commands)
                {
                    Assert.StartsWith("dotnet ", c, StringComparison.Ordinal);
                    foreach (string path in c.Split(' ').Where(t => t.Contains('/', StringComparison.Ordinal) || t.EndsWith(".sln", StringComparison.Ordinal)))
                    {
                        Assert.True(File.Exists(Path.Combine(Snippets.Repo, path)) || Directory.Exists(Path.Combine(Snippets.Repo, path)), $"{place}: {path} does not exist");
                    }
                }

                Assert.Contains("dotnet run -c Release --project samples/Digits", File.ReadAllText(Path.Combine(Snippets.Repo, ".ci", "run")), StringComparison.Ordinal);
                Assert.Contains("dotnet test Gen.sln", File.ReadAllText(Path.Combine(Snippets.Repo, ".ci", "run")), StringComparison.Ordinal);
                return;
            }

            string dir = Path.Combine(Path.GetTempPath(), "quantgen-docs-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            try
            {
                Prepare(dir);
                string script = Path.Combine(dir, ".snippet.sh");
                File.WriteAllText(script, "set -euo pipefail\n" + snippet.Text);
                (int code, string output) = Bash(script, dir);
                log.WriteLine($"{place}\n{snippet.Text}---\n{output}");
                Assert.True(code == 0, $"{place} failed ({code}):\n{output}");
                foreach (Match expected in Regex.Matches(snippet.Text, "#\\s*(PASS:[^\\n]*)"))
                {
                    Assert.Contains(expected.Groups[1].Value.Trim(), output, StringComparison.Ordinal);
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(dir, true);
                }
                catch (IOException)
                {
                }
            }
        }

        [Theory]
        [MemberData(nameof(Xml))]
        public void XmlSnippetNamesRealPackagesAndMetadata(int index, string place)
        {
            Snippet snippet = Snippets.All[index];
            XElement project = XElement.Parse("<Project>" + snippet.Text + "</Project>");
            var packageIds = Directory.GetFiles(Snippets.Repo, "*.csproj", SearchOption.AllDirectories)
                .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
                .Select(f => Regex.Match(File.ReadAllText(f), "<PackageId>([^<]+)</PackageId>").Groups[1].Value)
                .Where(id => id.Length > 0)
                .ToHashSet(StringComparer.Ordinal);
            // The QuantModel metadata the targets or the task read (the task reads the item's metadata itself).
            string tasks = string.Concat(Directory.GetFiles(Path.Combine(Snippets.Repo, "tasks", "QuantGen.Tasks"), "*.*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal))
                .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
                .Select(File.ReadAllText));
            foreach (XElement e in project.Descendants())
            {
                switch (e.Name.LocalName)
                {
                    case "PackageReference":
                        Assert.True(packageIds.Contains((string)e.Attribute("Include")!), $"{place}: no package {(string?)e.Attribute("Include")} is built here ({string.Join(", ", packageIds)})");
                        break;
                    case "QuantModel":
                        foreach (XAttribute a in e.Attributes().Where(a => a.Name.LocalName != "Include"))
                        {
                            Assert.True(tasks.Contains("%(QuantModel." + a.Name.LocalName + ")", StringComparison.Ordinal) || tasks.Contains("GetMetadata(\"" + a.Name.LocalName + "\")", StringComparison.Ordinal), $"{place}: QuantGen.Tasks does not read QuantModel metadata {a.Name.LocalName}");
                        }

                        break;
                    case "AdditionalFiles":
                        break;
                    default:
                        Assert.Fail($"{place}: unexpected element <{e.Name.LocalName}> in a user-facing project snippet");
                        break;
                }
            }
        }

        internal static readonly Lazy<MetadataReference[]> References = new Lazy<MetadataReference[]>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
                .Append(typeof(QuantizedModelAttribute).Assembly.Location)
                .Distinct()
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
                .ToArray());

        /// <summary>
        /// The spec and the (encoded) weights a snippet's attribute names: the sample model of that file name, or the digits MLP
        /// standing in for a placeholder name (its "weights" renamed to match), as the build's targets hand them to the generator.
        /// </summary>
        internal static IEnumerable<AdditionalText> ModelFiles(string modelPath)
        {
            string models = Path.Combine(Snippets.Repo, "samples", "models");
            string file = Path.GetFileName(modelPath);
            string stem = file.Substring(0, file.Length - ".qmodel.json".Length);

            // Models the reference docs use that are no sample (tests/QuantGen.Docs.Tests/Models: a multi-input classifier).
            string fixtures = Path.Combine(Snippets.Repo, "tests", "QuantGen.Docs.Tests", "Models");
            if (!File.Exists(Path.Combine(models, file)) && File.Exists(Path.Combine(fixtures, file)))
            {
                models = fixtures;
            }

            string source = File.Exists(Path.Combine(models, file)) ? stem : "digits_mlp";
            string spec = File.ReadAllText(Path.Combine(models, source + ".qmodel.json"))
                .Replace($"\"weights\": \"{source}.safetensors\"", $"\"weights\": \"{stem}.safetensors\"", StringComparison.Ordinal);
            byte[] weights = File.ReadAllBytes(Path.Combine(models, source + ".safetensors"));
            string dir = "/app/" + Path.GetDirectoryName(modelPath)!.Replace('\\', '/');
            yield return new Text(dir + "/" + file, spec);
            yield return new Text("/app/obj/quantgen/" + stem + ".safetensors.b64", "#quantgen-base64 " + dir + "/" + stem + ".safetensors\n" + Convert.ToBase64String(weights) + "\n");
        }

        /// <summary>
        /// A fresh folder as the guides assume it: the repository's samples (linked), `quantgen` on PATH, and the HLS project
        /// of the digits MLP where `dotnet build -c Release` writes it for a QuantModel item with TestData.
        /// </summary>
        private void Prepare(string dir)
        {
            Directory.CreateDirectory(Path.Combine(dir, ".tools"));
            File.CreateSymbolicLink(Path.Combine(dir, "samples"), Path.Combine(Snippets.Repo, "samples"));
            string cli = Directory.GetFiles(Path.Combine(Snippets.Repo, "runtime", "QuantGen.Cli", "bin", Configuration), "quantgen.dll", SearchOption.AllDirectories)
                .OrderByDescending(f => f, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new InvalidOperationException("runtime/QuantGen.Cli is not built");
            string tool = Path.Combine(dir, ".tools", "quantgen");
            File.WriteAllText(tool, $"#!/bin/sh\nexec dotnet \"{cli}\" \"$@\"\n");
            string setup = Path.Combine(dir, ".setup.sh");
            File.WriteAllText(setup, "set -euo pipefail\nchmod +x .tools/quantgen\nquantgen emit-hls samples/models/digits_mlp.qmodel.json -o bin/Release/net10.0/hls --test-data samples/data/digits/digits.csv\n");
            (int code, string output) = Bash(setup, dir);
            Assert.True(code == 0, "preparing the folder failed:\n" + output);
        }

        private static (int Code, string Output) Bash(string script, string dir)
        {
            var psi = new ProcessStartInfo("bash", $"\"{script}\"") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.Environment["PATH"] = Path.Combine(dir, ".tools") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(300_000), "the snippet did not finish in 5 minutes");
            return (p.ExitCode, stdout.Result + stderr);
        }

        internal sealed class Text : AdditionalText
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
