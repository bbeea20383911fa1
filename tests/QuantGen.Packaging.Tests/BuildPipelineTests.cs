using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using QuantGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// The build side of the weights pipeline (QuantGen.Generators.targets + the QuantGenEncodeWeights task) in real
    /// `dotnet build`s of a fresh app outside the repository that uses the generator and the targets as the package does
    /// (analyzer dlls, the compiled task, the targets file), built from this repository's outputs (no pack: fast).
    /// </summary>
    public sealed class BuildPipelineTests : IDisposable
    {
        private readonly ITestOutputHelper log;
        private readonly string root = Path.Combine(Path.GetTempPath(), "quantgen-build-" + Guid.NewGuid().ToString("N").Substring(0, 12));

        public BuildPipelineTests(ITestOutputHelper log)
        {
            this.log = log;
            Directory.CreateDirectory(root);
        }

        public void Dispose()
        {
            if (Environment.GetEnvironmentVariable("QUANTGEN_KEEP_TEMP") == "1")
            {
                return;
            }

            try
            {
                Directory.Delete(root, true);
            }
            catch (IOException)
            {
                // the temp directory
            }
        }

        private static string Configuration => typeof(BuildPipelineTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

        /// <summary>
        /// Two model classes whose weights files hold the same bytes (one embedded resource, not CS1508), built from two
        /// different folders: the generated sources, the DLL and the PDB are byte-identical (ContinuousIntegrationBuild maps
        /// the source paths, as for any .NET project), and Info.WeightsSha256 is the SHA-256 of the .safetensors file.
        /// </summary>
        [Fact]
        public void TheSameAppBuiltInTwoFoldersIsByteIdenticalAndSameBytesWeightsShareOneResource()
        {
            string one = WriteApp(Path.Combine(root, "one", "app"), missingWeights: false);
            string two = WriteApp(Path.Combine(root, "second", "deeper", "app"), missingWeights: false);
            const string Build = "build -c Release -nodeReuse:false -p:UseSharedCompilation=false -p:ContinuousIntegrationBuild=true";
            foreach (string app in new[] { one, two })
            {
                string output = Dotnet(Build, app, expectSuccess: true);
                Assert.DoesNotMatch(@": (warning|error) [A-Z]+[0-9]+", output);
            }

            // Generated sources: every file, same names, same bytes.
            string[] Generated(string app) => Directory.GetFiles(Path.Combine(app, "obj", "Release", "net10.0", "generated"), "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(app, f)).OrderBy(f => f, StringComparer.Ordinal).ToArray();
            string[] files = Generated(one);
            Assert.Contains(files, f => f.EndsWith("A.QuantGen.g.cs", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("B.QuantGen.g.cs", StringComparison.Ordinal));
            Assert.Equal(files, Generated(two));
            foreach (string f in files.Append(Path.Combine("bin", "Release", "net10.0", "app.dll")).Append(Path.Combine("bin", "Release", "net10.0", "app.pdb")))
            {
                byte[] a = File.ReadAllBytes(Path.Combine(one, f)), b = File.ReadAllBytes(Path.Combine(two, f));
                Assert.True(a.AsSpan().SequenceEqual(b), $"{f} differs between the two folders ({a.Length} and {b.Length} bytes)");
                log.WriteLine($"identical: {f} ({a.Length} bytes, sha256 {Convert.ToHexString(SHA256.HashData(a)).ToLowerInvariant()})");
            }

            // One resource for the two same-bytes files, named by their SHA-256, which Info reports for both classes.
            string sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(one, "models", "a.safetensors")))).ToLowerInvariant();
            string run = Dotnet("bin/Release/net10.0/app.dll", one, expectSuccess: true, exe: true);
            Assert.Contains($"resources: QuantGen.Weights.{sha}.safetensors\n", run.Replace("\r\n", "\n"), StringComparison.Ordinal);
            Assert.Contains($"A {sha} ", run, StringComparison.Ordinal);
            Assert.Contains($"B {sha} ", run, StringComparison.Ordinal);
            Assert.Matches(@"A [0-9a-f]{64} (9[5-9]|100)/100", run);
            Assert.Matches(@"B [0-9a-f]{64} (9[5-9]|100)/100", run);
        }

        /// <summary>A weights file listed as AdditionalFiles but missing on disk: QG2013 with the file, not MSB4018 and a stack trace.</summary>
        [Fact]
        public void AMissingWeightsFileIsQG2013WithTheFile()
        {
            string app = WriteApp(Path.Combine(root, "missing"), missingWeights: true);
            string output = Dotnet("build -c Release -nodeReuse:false -p:UseSharedCompilation=false", app, expectSuccess: false);
            Assert.Matches(@"models/gone\.safetensors : error QG2013: The weights file ""models/gone\.safetensors"" listed as AdditionalFiles does not exist", output);
            Assert.DoesNotContain("MSB4018", output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }

        /// <summary>
        /// The app: the digits MLP twice (a.safetensors and b.safetensors hold the same bytes), classes A and B, built with the
        /// generator and the targets from this repository's outputs as a package consumer gets them.
        /// </summary>
        private string WriteApp(string app, bool missingWeights)
        {
            string repo = Baseline.SourceRoot();
            string models = Path.Combine(repo, "samples", "models");
            Directory.CreateDirectory(Path.Combine(app, "models"));
            string spec = File.ReadAllText(Path.Combine(models, "digits_mlp.qmodel.json"));
            foreach (string name in new[] { "a", "b" })
            {
                File.WriteAllText(Path.Combine(app, "models", name + ".qmodel.json"), spec.Replace("\"digits_mlp.safetensors\"", $"\"{name}.safetensors\"", StringComparison.Ordinal));
                File.Copy(Path.Combine(models, "digits_mlp.safetensors"), Path.Combine(app, "models", name + ".safetensors"));
            }

            string csv = Path.Combine(repo, "samples", "data", "digits", "digits.csv");
            File.WriteAllLines(Path.Combine(app, "test.csv"), File.ReadLines(csv).Where(l => l.StartsWith("test,", StringComparison.Ordinal)).Take(100));
            string bin = Path.Combine(repo, "generators", "QuantGen.Generators", "bin", Configuration, "netstandard2.0");
            string analyzers = string.Join(";", new[] { "QuantGen.Generators", "QuantGen.Compiler", "QuantGen.Cpu", "QuantGen.Gpu" }.Select(a => Path.Combine(bin, a + ".dll")));
            string task = Path.Combine(repo, "tasks", "QuantGen.Build.Tasks", "bin", Configuration, "netstandard2.0", "QuantGen.Build.Tasks.dll");
            foreach (string f in analyzers.Split(';').Append(task))
            {
                Assert.True(File.Exists(f), $"{f} is missing: build the repository first");
            }

            string runtime = Path.Combine(AppContext.BaseDirectory, "QuantGen.Runtime.dll"), compiler = Path.Combine(AppContext.BaseDirectory, "QuantGen.Compiler.dll");
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
                    <QuantGenBuildTasksAssembly>{task}</QuantGenBuildTasksAssembly>
                  </PropertyGroup>
                  <ItemGroup>
                    <Reference Include="{runtime}" />
                    <Reference Include="{compiler}" />
                    <Analyzer Include="{analyzers}" />
                    <AdditionalFiles Include="models/a.qmodel.json;models/a.safetensors;models/b.qmodel.json;models/b.safetensors" />
                    <AdditionalFiles Include="models/gone.safetensors" Condition="{(missingWeights ? "true" : "false")}" />
                    <!-- What SourceLink supplies in a git checkout: with ContinuousIntegrationBuild it maps this folder to /_/. -->
                    <SourceRoot Include="$(MSBuildProjectDirectory)/" />
                  </ItemGroup>
                  <Import Project="{Path.Combine(repo, "generators", "QuantGen.Generators", "build", "QuantGen.Generators.targets")}" />
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System;
                using System.IO;
                using System.Linq;
                using QuantGen;

                [QuantizedModel("models/a.qmodel.json")]
                public partial class A { }

                [QuantizedModel("models/b.qmodel.json")]
                public partial class B { }

                public static class Program
                {
                    public static void Main()
                    {
                        Console.Write("resources: " + string.Join(", ", typeof(A).Assembly.GetManifestResourceNames().OrderBy(n => n, StringComparer.Ordinal)) + "\n");
                        var a = new A();
                        var b = new B();
                        int correctA = 0, correctB = 0, total = 0;
                        foreach (string line in File.ReadLines("test.csv"))
                        {
                            string[] cells = line.Split(',');
                            float[] pixels = cells.Skip(2).Select(float.Parse).ToArray();
                            int label = int.Parse(cells[1]);
                            correctA += a.Predict(pixels) == label ? 1 : 0;
                            correctB += b.Predict(pixels) == label ? 1 : 0;
                            total++;
                        }

                        Console.Write($"A {A.Info.WeightsSha256} {correctA}/{total}\n");
                        Console.Write($"B {B.Info.WeightsSha256} {correctB}/{total}\n");
                    }
                }
                """);
            return app;
        }

        private string Dotnet(string arguments, string workingDirectory, bool expectSuccess, bool exe = false)
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
            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(600_000), $"dotnet {arguments} did not finish");
            string output = stdout.Result + stderr;
            log.WriteLine($"$ dotnet {arguments}   (in {workingDirectory})\n{output}");
            Assert.True((p.ExitCode == 0) == expectSuccess, $"dotnet {arguments} exited with {p.ExitCode}{(exe ? string.Empty : " (build)")}:\n{output}");
            return output;
        }
    }
}
