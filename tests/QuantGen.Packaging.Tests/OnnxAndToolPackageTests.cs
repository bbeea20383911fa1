using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Xml.Linq;
using QuantGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// The importer and the tool as a user gets them from the feed: a fresh console app that references only
    /// QuantGen.Onnx and follows docs/import.md, and the quantgen tool installed with <c>dotnet tool install</c>.
    /// </summary>
    [Collection(PackedFeedCollection.Name)]
    public sealed class OnnxAndToolPackageTests
    {
        /// <summary>The tool package's size limit (issue 16: it was 81 MB with ScottPlot's native libraries).</summary>
        public const long MaxToolPackageBytes = 15L * 1024 * 1024;

        private readonly PackedFeed feed;
        private readonly ITestOutputHelper log;

        public OnnxAndToolPackageTests(PackedFeed feed, ITestOutputHelper log)
        {
            this.feed = feed;
            this.log = log;
        }

        /// <summary>A folder with a NuGet.config of only the packed feed and, when given, a folder of third-party packages.</summary>
        private string NewFolder(string name, string? dependencies = null)
        {
            string dir = Path.Combine(feed.Root, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed.Feed}" />
                    {(dependencies != null ? $"<add key=\"dependencies\" value=\"{dependencies}\" />" : string.Empty)}
                  </packageSources>
                </configuration>
                """);
            return dir;
        }

        /// <summary>
        /// The third-party packages a QuantGen package depends on, copied from the machine's NuGet cache (the repository
        /// restored them) into a folder feed, so the fresh app restores offline and QuantGen.* can only come from the feed.
        /// </summary>
        private string DependencyFeed(params string[] ids)
        {
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string props = File.ReadAllText(Path.Combine(Baseline.SourceRoot(), "Directory.Packages.props"));
            string dir = Path.Combine(feed.Root, "dependencies");
            Directory.CreateDirectory(dir);
            foreach (string id in ids)
            {
                string version = System.Text.RegularExpressions.Regex.Match(props, "<PackageVersion Include=\"" + id.Replace(".", "\\.", StringComparison.Ordinal) + "\" Version=\"([^\"]+)\"").Groups[1].Value;
                Assert.False(string.IsNullOrEmpty(version), id + " has no version in Directory.Packages.props");
                string lower = id.ToLowerInvariant();
                File.Copy(Path.Combine(cache, lower, version, $"{lower}.{version}.nupkg"), Path.Combine(dir, $"{lower}.{version}.nupkg"), overwrite: true);
            }

            return dir;
        }

        private string Dotnet(string arguments, string dir)
        {
            string output = PackedFeed.Run("dotnet", arguments, dir, packages: Path.Combine(feed.Root, "packages-" + Path.GetFileName(dir)));
            log.WriteLine($"$ dotnet {arguments}\n{output}");
            return output;
        }

        [Fact]
        public void AFreshAppImportsOnnxModelsThroughTheDocumentedApi()
        {
            string repo = Baseline.SourceRoot();
            string app = NewFolder("onnx-app", DependencyFeed("Google.Protobuf"));
            foreach (string model in new[] { "mlp_qdq.onnx", "mlp_float.onnx" })
            {
                File.Copy(Path.Combine(repo, "tests", "QuantGen.Onnx.Tests", "Models", model), Path.Combine(app, model));
            }

            string[] csv = File.ReadAllLines(Path.Combine(repo, "samples", "data", "digits", "digits.csv"));
            File.WriteAllLines(Path.Combine(app, "digits.csv"), csv.Take(1).Concat(csv.Where(l => l.StartsWith("train,", StringComparison.Ordinal)).Take(200)).Concat(csv.Where(l => l.StartsWith("test,", StringComparison.Ordinal)).Take(100)));
            File.WriteAllText(Path.Combine(app, "app.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="QuantGen.Onnx" Version="0.1.0" />
                  </ItemGroup>
                </Project>
                """);

            // docs/import.md, then the imported model run by the reference interpreter on 100 test images
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System;
                using System.Collections.Generic;
                using System.IO;
                using System.Linq;
                using QuantGen.Graph;
                using QuantGen.Interpreters;
                using QuantGen.Model;
                using QuantGen.Onnx;
                using QuantGen.Quantization;

                // QDQ: scales from the file
                OnnxImportResult r = OnnxImporter.ImportQdq("mlp_qdq.onnx");
                r.Model.Save("mlp_qdq.qmodel.json");

                // float + calibration
                List<float[]> calib = CalibrationData.Load("digits.csv", featuresPerSample: 64);
                var options = new OnnxImportOptions { Quantization = new QuantizationOptions { RangeMethod = RangeMethod.Mse, BiasCorrection = true } };
                OnnxImportResult f = OnnxImporter.ImportFloat("mlp_float.onnx", calib, options);
                f.Model.Save("mlp.qmodel.json");

                // a bad file is a located diagnostic, never another exception
                File.WriteAllBytes("broken.onnx", new byte[] { 0x08, 0xFF });
                try
                {
                    OnnxImporter.Import("broken.onnx");
                }
                catch (OnnxImportException e)
                {
                    Console.WriteLine("broken: " + e.Diagnostics[0].Id);
                }

                foreach (string spec in new[] { "mlp_qdq.qmodel.json", "mlp.qmodel.json" })
                {
                    ModelGraph g = ModelLoader.Load(spec).GetGraphOrThrow();
                    var reference = new ReferenceInterpreter(g);
                    int correct = 0, total = 0;
                    foreach (string line in File.ReadLines("digits.csv").Where(l => l.StartsWith("test,", StringComparison.Ordinal)))
                    {
                        string[] cells = line.Split(',');
                        int[] y = reference.Run(reference.Quantize(cells.Skip(2).Select(float.Parse).ToArray()));
                        correct += Array.IndexOf(y, y.Max()) == int.Parse(cells[1]) ? 1 : 0;
                        total++;
                    }

                    Console.WriteLine($"{spec}: {g.Nodes.Count} layers ({string.Join(", ", g.Nodes.Select(n => n.Layer.Op))}), {correct}/{total} correct");
                }
                """);
            string build = Dotnet("build -c Release", app);
            Assert.Contains(" 0 Warning(s)", build, StringComparison.Ordinal);
            string run = Dotnet("run -c Release --no-build", app);
            Assert.Matches(@"broken: QG4001", run);
            Assert.Matches(@"mlp_qdq\.qmodel\.json: 3 layers \(Dense, Dense, Dense\), (9[5-9]|100)/100 correct", run);
            Assert.Matches(@"mlp\.qmodel\.json: 3 layers \(Dense, Dense, Dense\), (9[5-9]|100)/100 correct", run);
            Assert.True(File.Exists(Path.Combine(app, "mlp_qdq.safetensors")));
        }

        [Fact]
        public void TheToolPackageIsSmallTargetsNet8AndRollsForward()
        {
            string package = feed.Package("QuantGen.Cli");
            long size = new FileInfo(package).Length;
            log.WriteLine($"QuantGen.Cli.0.1.0.nupkg: {size:N0} bytes");
            Assert.True(size < MaxToolPackageBytes, $"the tool package is {size:N0} bytes, over {MaxToolPackageBytes:N0}");

            using ZipArchive zip = ZipFile.OpenRead(package);
            XElement m = PackageMetadataTests.Nuspec(zip, out XNamespace ns);
            Assert.Equal("DotnetTool", (string?)m.Element(ns + "packageTypes")!.Element(ns + "packageType")!.Attribute("name"));
            string[] files = zip.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("tools/net8.0/any/quantgen.dll", files);
            Assert.Contains("tools/net8.0/any/DotnetToolSettings.xml", files);
            Assert.DoesNotContain(files, f => f.Contains("/runtimes/", StringComparison.Ordinal) || f.Contains("Skia", StringComparison.OrdinalIgnoreCase) || f.Contains("ScottPlot", StringComparison.Ordinal));

            using JsonDocument config = JsonDocument.Parse(zip.GetEntry("tools/net8.0/any/quantgen.runtimeconfig.json")!.Open());
            JsonElement options = config.RootElement.GetProperty("runtimeOptions");
            Assert.Equal("net8.0", options.GetProperty("tfm").GetString());
            Assert.Equal("Major", options.GetProperty("rollForward").GetString());
            Assert.Equal("8.0.0", options.GetProperty("framework").GetProperty("version").GetString());
        }

        [Fact]
        public void TheInstalledToolRunsOnThisMachinesRuntime()
        {
            string repo = Baseline.SourceRoot();
            string dir = NewFolder("tool");
            string tools = Path.Combine(dir, "bin");
            Dotnet($"tool install QuantGen.Cli --version 0.1.0 --tool-path \"{tools}\" --configfile \"{Path.Combine(dir, "NuGet.config")}\"", dir);

            // this machine has only a newer runtime than net8.0: RollForward=Major is what lets the tool start
            string quantgen = Path.Combine(tools, OperatingSystem.IsWindows() ? "quantgen.exe" : "quantgen");
            string inspect = PackedFeed.Run(quantgen, $"inspect \"{Path.Combine(repo, "samples", "models", "digits_mlp.qmodel.json")}\"", dir);
            log.WriteLine(inspect);
            Assert.Contains("total: 17,024 MACs per inference", inspect, StringComparison.Ordinal);
        }
        /// <summary>
        /// Issue 16: the tool runs on .NET 8 and 9, not only on this machine's .NET 10. A dotnet root holding ONLY that
        /// runtime (the Microsoft.NETCore.App runtime pack from the package registry, with this SDK's muxer and hostfxr)
        /// runs the installed tool's apphost through DOTNET_ROOT: `--list-runtimes` shows the one runtime, so the tool can
        /// start on nothing else.
        /// </summary>
        [Theory]
        [InlineData("8.0.34")]
        [InlineData("9.0.23")]
        public void TheInstalledToolRunsOnDotNet8And9(string runtime)
        {
            string repo = Baseline.SourceRoot();
            string dir = NewFolder("tool-" + runtime);
            string tools = Path.Combine(dir, "bin");
            Dotnet($"tool install QuantGen.Cli --version 0.1.0 --tool-path \"{tools}\" --configfile \"{Path.Combine(dir, "NuGet.config")}\"", dir);

            // the runtime pack, restored from the machine's package sources (not the packed feed)
            string download = Path.Combine(feed.Root, "runtime-" + runtime);
            Directory.CreateDirectory(download);
            File.WriteAllText(Path.Combine(download, "rt.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
                  <ItemGroup><PackageDownload Include="Microsoft.NETCore.App.Runtime.linux-x64" Version="[{runtime}]" /></ItemGroup>
                </Project>
                """);
            string packages = Path.Combine(download, "packages");
            PackedFeed.Run("dotnet", "restore rt.csproj", download, packages);
            string pack = Path.Combine(packages, "microsoft.netcore.app.runtime.linux-x64", runtime, "runtimes", "linux-x64");

            // a dotnet root: this SDK's muxer and hostfxr, and the one shared framework
            string here = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
            string root = Path.Combine(download, "root");
            string shared = Path.Combine(root, "shared", "Microsoft.NETCore.App", runtime);
            Directory.CreateDirectory(shared);
            File.Copy(Path.Combine(here, "dotnet"), Path.Combine(root, "dotnet"), true);
            CopyTree(Path.Combine(here, "host"), Path.Combine(root, "host"));
            CopyTree(Path.Combine(pack, "lib", "net" + runtime.Substring(0, runtime.IndexOf('.')) + ".0"), shared);
            CopyTree(Path.Combine(pack, "native"), shared);
            // DOTNET_ROOT_X64 too: the apphost prefers it to DOTNET_ROOT, and without it the first version of this test ran
            // the tool on .NET 10 (the test host's environment reached the child)
            var env = new Dictionary<string, string> { ["DOTNET_ROOT"] = root, ["DOTNET_ROOT_X64"] = root, ["DOTNET_MULTILEVEL_LOOKUP"] = "0" };

            string runtimes = PackedFeed.Run(Path.Combine(root, "dotnet"), "--list-runtimes", dir, environment: env);
            log.WriteLine(runtimes);
            Assert.Equal($"Microsoft.NETCore.App {runtime} [{Path.Combine(root, "shared", "Microsoft.NETCore.App")}]", runtimes.Trim());

            string quantgen = Path.Combine(tools, "quantgen");
            string inspect = PackedFeed.Run(quantgen, $"inspect \"{Path.Combine(repo, "samples", "models", "digits_mlp.qmodel.json")}\"", dir, environment: env);
            log.WriteLine(inspect);
            Assert.Contains("total: 17,024 MACs per inference", inspect, StringComparison.Ordinal);
            string hls = PackedFeed.Run(quantgen, $"emit-hls \"{Path.Combine(repo, "samples", "models", "digits_mlp.qmodel.json")}\" -o out", dir, environment: env);
            log.WriteLine(hls);
            Assert.Contains("wrote 21 files to", hls, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, "out", "digits_mlp", "firmware", "digits_mlp.cpp")));

            // the generated C# compiled and run on that runtime: bit-exact with the reference interpreter (before .NET 10
            // the kernels take no AVX-VNNI path: QuantGenKernels.UseVnni)
            string bench = PackedFeed.Run(quantgen, $"bench \"{Path.Combine(repo, "samples", "models", "digits_cnn.qmodel.json")}\"", dir, environment: env);
            log.WriteLine(bench);
            Assert.Contains("bit-exact on 256/256", bench, StringComparison.Ordinal);
            Assert.DoesNotContain("+vnni", bench, StringComparison.Ordinal);
        }

        private static void CopyTree(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, true);
            }
        }
    }
}
