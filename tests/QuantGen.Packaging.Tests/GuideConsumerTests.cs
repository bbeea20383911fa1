using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using QuantGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// Each guide of docs/guides followed verbatim by a new user: `dotnet new console` in a temp folder, the guide's XML
    /// block pasted into the project's ItemGroup, its C# block as the whole Program.cs, its shell block run in the app's
    /// folder, against the packed feed only (its own NuGet.config and package cache, no project reference). The blocks are
    /// read from the markdown here, never copied into the test, and the output the guide shows is asserted.
    /// </summary>
    [Collection(PackedFeedCollection.Name)]
    public sealed class GuideConsumerTests : IDisposable
    {
        private readonly ITestOutputHelper log;
        private readonly PackedFeed packed;
        private readonly string root = Path.Combine(Path.GetTempPath(), "quantgen-guide-" + Guid.NewGuid().ToString("N"));

        public GuideConsumerTests(ITestOutputHelper log, PackedFeed packed)
        {
            this.log = log;
            this.packed = packed;
            Directory.CreateDirectory(root);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(root, true);
            }
            catch (IOException)
            {
                // a build server may still hold a file; the folder is in the temp directory
            }
        }

        [Fact]
        public void AppDeveloperGuideBuildsAndPrintsWhatItShows()
        {
            string guide = "docs/guides/app-developer.md";
            IReadOnlyList<Block> blocks = Blocks(guide);
            Block xml = Assert.Single(blocks, b => b.Language == "xml");
            Block csharp = Assert.Single(blocks, b => b.Language == "csharp");
            Block shown = blocks.First(b => b.Language == "text" && b.Line > csharp.Line); // "dotnet run prints"

            string app = NewConsoleApp("app", xml.Text);
            CopySample(app, "models", "samples/models/digits_mlp.qmodel.json", "samples/models/digits_mlp.safetensors");
            File.WriteAllText(Path.Combine(app, "Program.cs"), csharp.Text);

            BuildWithoutWarnings(app);
            string run = Dotnet("run -c Release --no-build", app);
            Assert.Equal(shown.Text.Trim(), run.Trim());
        }

        [Fact]
        public void BuildPipelineAndFpgaGuidesWriteTheHlsProjectAndItsTestbenchPasses()
        {
            IReadOnlyList<Block> pipeline = Blocks("docs/guides/build-pipeline.md");
            Block xml = Assert.Single(pipeline, b => b.Language == "xml");
            string app = NewConsoleApp("app", xml.Text);
            CopySample(app, "models", "samples/models/digits_mlp.qmodel.json", "samples/models/digits_mlp.safetensors");
            CopySample(app, "data", "samples/data/digits/digits.csv");
            BuildWithoutWarnings(app);

            // The files the guide says `dotnet build` writes per QuantModel item.
            string text = File.ReadAllText(Path.Combine(Baseline.SourceRoot(), "docs", "guides", "build-pipeline.md"));
            string writes = Regex.Match(text, @"- `dotnet build` writes `([^`]+)` per `QuantModel` item:(.*?)\n- ", RegexOptions.Singleline).Groups[2].Value;
            string[] named = Regex.Matches(writes, @"`([\w.]+\.(tcl|md|json))`").Select(m => m.Groups[1].Value).ToArray();
            Assert.Contains("build_prj.tcl", named);
            Assert.Contains("manifest.json", named);
            string hls = Path.Combine(app, "bin", "Release", "net10.0", "hls", "digits_mlp");
            Assert.True(Directory.Exists(Path.Combine(hls, "firmware", "weights")), "no firmware/weights");
            foreach (string file in named)
            {
                Assert.True(File.Exists(Path.Combine(hls, file)), $"the guide says the build writes {file}; {hls} has no such file");
            }

            // The FPGA guide's C simulation, run from the same app's folder as it says, with the result its comment shows.
            Block sh = Assert.Single(Blocks("docs/guides/fpga-team.md"), b => b.Language == "sh");
            string script = Path.Combine(root, "fpga.sh");
            File.WriteAllText(script, "set -euo pipefail\n" + sh.Text);
            string output = PackedFeed.Run("bash", $"\"{script}\"", app);
            log.WriteLine($"$ bash fpga.sh\n{output}");
            MatchCollection expected = Regex.Matches(sh.Text, @"#\s*(PASS:[^\n]*)");
            Assert.NotEmpty(expected);
            foreach (Match m in expected)
            {
                Assert.Contains(m.Groups[1].Value.Trim(), output, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void BuildPipelineShellBlockRunsWithTheToolFromThePackedFeed()
        {
            // The guide runs the tool "from the root of a checkout": a folder with the sample files it names, and `quantgen`
            // installed from the packed feed (dotnet tool install --tool-path), not this repository's build.
            Block sh = Assert.Single(Blocks("docs/guides/build-pipeline.md"), b => b.Language == "sh");
            string checkout = Path.Combine(root, "checkout");
            foreach (Match m in Regex.Matches(sh.Text, @"samples/[\w/.]+\.(json|csv)"))
            {
                // a model file comes with the weights file beside it, as in a checkout
                string[] files = m.Value.EndsWith(".qmodel.json", StringComparison.Ordinal)
                    ? new[] { m.Value, m.Value.Substring(0, m.Value.Length - ".qmodel.json".Length) + ".safetensors" }
                    : new[] { m.Value };
                foreach (string file in files.Where(f => !File.Exists(Path.Combine(checkout, f))))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(checkout, file))!);
                    File.Copy(Path.Combine(Baseline.SourceRoot(), file), Path.Combine(checkout, file));
                }
            }

            File.WriteAllText(Path.Combine(root, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{packed.Feed}" />
                  </packageSources>
                </configuration>
                """);
            string tools = Path.Combine(root, "tools");
            Dotnet($"tool install QuantGen.Cli --version 0.1.0 --tool-path \"{tools}\" --configfile \"{Path.Combine(root, "NuGet.config")}\"", root);
            string script = Path.Combine(root, "pipeline.sh");
            File.WriteAllText(script, $"set -euo pipefail\nexport PATH=\"{tools}:$PATH\"\n" + sh.Text);
            string output = PackedFeed.Run("bash", $"\"{script}\"", checkout);
            log.WriteLine($"$ bash pipeline.sh\n{output}");

            // What the guide says the commands produce: the quantized model, a passing fidelity gate, an HLS project whose csim passes.
            Assert.True(File.Exists(Path.Combine(checkout, "artifacts", "digits_mlp.qmodel.json")));
            Assert.True(Directory.EnumerateFiles(Path.Combine(checkout, "artifacts", "fidelity")).Any(), "verify -r wrote no report");
            Assert.True(File.Exists(Path.Combine(checkout, "artifacts", "hls", "digits_mlp", "build_prj.tcl")));
            Assert.Matches("csim with [^:]+: PASS: ", output);
        }

        [Fact]
        public void ReadmeProgramBuildsFromThePackedFeed()
        {
            // README's "In your own project" Program.cs with the PackageReference and AdditionalFiles the sentence after it names.
            string readme = File.ReadAllText(Path.Combine(Baseline.SourceRoot(), "README.md"));
            Block csharp = Assert.Single(Blocks("README.md"), b => b.Language == "csharp");
            string items = string.Concat(Regex.Matches(readme, @"`(<(PackageReference|AdditionalFiles) [^`]+/>)`").Select(m => m.Groups[1].Value + "\n"));
            Assert.Contains("QuantGen.Runtime", items, StringComparison.Ordinal);
            Assert.Contains("AdditionalFiles", items, StringComparison.Ordinal);

            string app = NewConsoleApp("app", items);
            CopySample(app, "models", "samples/models/digits_mlp.qmodel.json", "samples/models/digits_mlp.safetensors");
            File.WriteAllText(Path.Combine(app, "Program.cs"), csharp.Text);
            BuildWithoutWarnings(app);
            string run = Dotnet("run -c Release --no-build", app);

            // The hash the program prints is the one `sha256sum` prints for the weights file (README says so via Info).
            string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(app, "models", "digits_mlp.safetensors")))).ToLowerInvariant();
            Assert.Matches(@"^digit [0-9], weights sha256 " + sha + "$", run.Trim());
        }

        private string NewConsoleApp(string name, string items)
        {
            string app = Path.Combine(root, name);
            Dotnet($"new console -o \"{app}\" --no-restore", root);
            File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{packed.Feed}" />
                  </packageSources>
                </configuration>
                """);
            string csproj = Path.Combine(app, name + ".csproj");
            string project = File.ReadAllText(csproj);
            int end = project.LastIndexOf("</Project>", StringComparison.Ordinal);
            Assert.True(end > 0, $"dotnet new wrote no project:\n{project}");
            File.WriteAllText(csproj, project.Substring(0, end) + "  <ItemGroup>\n" + items + "  </ItemGroup>\n" + project.Substring(end));
            return app;
        }

        private void BuildWithoutWarnings(string app)
        {
            string build = Dotnet("build -c Release", app);
            Assert.DoesNotMatch(@": warning [A-Z]+[0-9]+", build);
        }

        private static void CopySample(string app, string folder, params string[] files)
        {
            Directory.CreateDirectory(Path.Combine(app, folder));
            foreach (string f in files)
            {
                File.Copy(Path.Combine(Baseline.SourceRoot(), f), Path.Combine(app, folder, Path.GetFileName(f)));
            }
        }

        /// <summary>Runs dotnet with this test's own package cache, so the app gets the packages just packed.</summary>
        private string Dotnet(string arguments, string workingDirectory)
        {
            string output = PackedFeed.Run("dotnet", arguments, workingDirectory, Path.Combine(root, "packages"));
            log.WriteLine($"$ dotnet {arguments}\n{output}");
            return output;
        }

        private sealed record Block(string Language, int Line, string Text);

        /// <summary>The fenced blocks of a markdown file, un-indented by the fence's own indentation (list items).</summary>
        private static IReadOnlyList<Block> Blocks(string relative)
        {
            string[] lines = File.ReadAllLines(Path.Combine(Baseline.SourceRoot(), relative));
            var blocks = new List<Block>();
            for (int i = 0; i < lines.Length; i++)
            {
                Match open = Regex.Match(lines[i], @"^(\s*)```(\w+)\s*$");
                if (!open.Success)
                {
                    continue;
                }

                int indent = open.Groups[1].Length;
                var body = new List<string>();
                int j = i + 1;
                for (; j < lines.Length && lines[j].Trim() != "```"; j++)
                {
                    body.Add(lines[j].Length >= indent && lines[j].Substring(0, indent).Trim().Length == 0 ? lines[j].Substring(indent) : lines[j].TrimStart());
                }

                blocks.Add(new Block(open.Groups[2].Value, i + 1, string.Join("\n", body) + "\n"));
                i = j;
            }

            return blocks;
        }
    }
}
