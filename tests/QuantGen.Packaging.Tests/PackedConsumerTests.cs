using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using QuantGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// The packages as a user meets them: `dotnet pack` into a local folder feed, then a fresh project outside the
    /// repository references QuantGen.Runtime by PackageReference (no project references, its own NuGet.config and
    /// package cache), declares a [QuantizedModel] class, builds, and runs.
    /// </summary>
    [Collection(PackedFeedCollection.Name)]
    public sealed class PackedConsumerTests : IDisposable
    {
        private readonly ITestOutputHelper log;
        private readonly PackedFeed packed;
        private readonly string root = Path.Combine(Path.GetTempPath(), "quantgen-pack-" + Guid.NewGuid().ToString("N"));

        public PackedConsumerTests(ITestOutputHelper log, PackedFeed packed)
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

        /// <summary>
        /// Runs dotnet. <paramref name="freshPackages"/>: restore into this test's own packages folder, so the consumer gets
        /// the packages just packed, never a cached 0.1.0. Never for commands on the repository's projects: their restore
        /// would point the repository's obj/project.assets.json at that folder, which Dispose deletes while other test
        /// projects may still build against it (NETSDK1064).
        /// </summary>
        private string Dotnet(string arguments, string workingDirectory, bool freshPackages)
        {
            var psi = new ProcessStartInfo("dotnet", arguments)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            if (freshPackages)
            {
                psi.Environment["NUGET_PACKAGES"] = Path.Combine(root, "packages");
            }

            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(600_000), $"dotnet {arguments} did not finish");
            string output = stdout.Result + stderr;
            log.WriteLine($"$ dotnet {arguments}\n{output}");
            Assert.True(p.ExitCode == 0, $"dotnet {arguments} failed ({p.ExitCode}):\n{output}");
            return output;
        }

        [Fact]
        public void ConsumerBuildsAndRunsAgainstThePackedRuntime()
        {
            string repo = Baseline.SourceRoot();
            string feed = packed.Feed; // packed once per run, shared with the other packaging tests

            Assert.True(File.Exists(Path.Combine(feed, "QuantGen.Runtime.0.1.0.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, "QuantGen.Compiler.0.1.0.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, "QuantGen.Tasks.0.1.0.nupkg")));

            string app = Path.Combine(root, "app");
            Directory.CreateDirectory(Path.Combine(app, "models"));
            foreach (string f in new[] { "digits_mlp.qmodel.json", "digits_mlp.safetensors" })
            {
                File.Copy(Path.Combine(repo, "samples", "models", f), Path.Combine(app, "models", f));
            }

            string csv = Path.Combine(repo, "samples", "data", "digits", "digits.csv");
            File.WriteAllLines(Path.Combine(app, "test.csv"), File.ReadLines(csv).Take(1).Concat(File.ReadLines(csv).Where(l => l.StartsWith("test,", StringComparison.Ordinal)).Take(100)));
            File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "app.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="QuantGen.Runtime" Version="0.1.0" />
                    <PackageReference Include="QuantGen.Tasks" Version="0.1.0" PrivateAssets="all" />
                    <AdditionalFiles Include="models/digits_mlp.qmodel.json;models/digits_mlp.safetensors" />
                    <QuantModel Include="models/digits_mlp.qmodel.json" TestData="test.csv" ReuseFactor="2" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System;
                using System.IO;
                using System.Linq;
                using QuantGen;

                [QuantizedModel("models/digits_mlp.qmodel.json")]
                public partial class Digits { }

                public static class Program
                {
                    public static void Main()
                    {
                        var model = new Digits();
                        int total = 0, correct = 0;
                        foreach (string line in File.ReadLines("test.csv").Skip(1))
                        {
                            string[] cells = line.Split(',');
                            float[] pixels = cells.Skip(2).Select(float.Parse).ToArray();
                            correct += model.Predict(pixels) == int.Parse(cells[1]) ? 1 : 0;
                            total++;
                        }

                        Console.WriteLine($"model {Digits.Info.Name}: {correct}/{total} correct, {Digits.Info.Macs} MACs, simd {Digits.SimdPath}");
                    }
                }
                """);
            string build = Dotnet("build -c Release", app, freshPackages: true);
            Assert.DoesNotMatch(@": warning [A-Z]+[0-9]+", build);
            Assert.Contains(" 0 Warning(s)", build, StringComparison.Ordinal);
            string hls = Path.Combine(app, "bin", "Release", "net10.0", "hls", "digits_mlp");
            Assert.True(File.Exists(Path.Combine(hls, "firmware", "digits_mlp.cpp")), "the HLS project was not written by the packaged task");
            Assert.True(File.Exists(Path.Combine(hls, "build_prj.tcl")));
            string run = Dotnet("run -c Release --no-build", app, freshPackages: true);
            Assert.Matches(@"model digits_mlp: (9[5-9]|100)/100 correct, 17024 MACs, simd \w+", run);
        }
    }
}
