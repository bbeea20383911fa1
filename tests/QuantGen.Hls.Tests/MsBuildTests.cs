using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// A real `dotnet build` of a small SDK project (in a temp folder) that imports build/QuantGen.Tasks.props/.targets
    /// from the repository and uses the task assembly this test project was built with.
    /// </summary>
    public class MsBuildTests
    {
        private static string TasksAssembly => Path.Combine(AppContext.BaseDirectory, "QuantGen.Tasks.dll");

        private static string Targets(string ext) => Path.Combine(HlsFixture.Root, "tasks", "QuantGen.Tasks", "build", "QuantGen.Tasks." + ext);

        private static string CreateProject(string name, string itemMetadata)
        {
            string dir = HlsFixture.TempDir(name);
            Directory.CreateDirectory(Path.Combine(dir, "models"));
            foreach (string f in new[] { "digits_mlp.qmodel.json", "digits_mlp.safetensors" })
            {
                File.Copy(Path.Combine(HlsFixture.Root, "samples", "models", f), Path.Combine(dir, "models", f));
            }

            File.WriteAllText(Path.Combine(dir, "Small.csproj"), $@"<Project Sdk=""Microsoft.NET.Sdk"">
  <Import Project=""{Targets("props")}"" />
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <QuantGenTasksAssembly>{TasksAssembly}</QuantGenTasksAssembly>
  </PropertyGroup>
  <ItemGroup>
    <QuantModel Include=""models/digits_mlp.qmodel.json"" TestVectors=""5""{itemMetadata} />
  </ItemGroup>
  <Import Project=""{Targets("targets")}"" />
</Project>
");
            File.WriteAllText(Path.Combine(dir, "Small.cs"), "namespace Small { public static class Marker { } }\n");
            return dir;
        }

        private static HlsFixture.ProcessResult Dotnet(string dir, params string[] args) =>
            HlsFixture.Run("dotnet", dir, args.Concat(new[] { "-nologo", "-v:m", "-clp:NoSummary", "-nodeReuse:false" }).ToArray());

        private static Dictionary<string, DateTime> Snapshot(string dir) =>
            Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        [Fact]
        public void BuildWritesTheProjectRebuildRewritesNothingCleanRemovesIt()
        {
            string dir = CreateProject("msbuild", " IoMode=\"io_stream\" ReuseFactor=\"2\"");
            HlsFixture.ProcessResult first = Dotnet(dir, "build");
            Assert.True(first.ExitCode == 0, first.Output);
            string hls = Path.Combine(dir, "bin", "Debug", "net10.0", "hls", "digits_mlp");
            Assert.True(File.Exists(Path.Combine(hls, "firmware", "digits_mlp.cpp")), first.Output);
            Assert.Contains("hls::stream", File.ReadAllText(Path.Combine(hls, "firmware", "digits_mlp.cpp")));
            Assert.Equal(5 + 5, File.ReadAllLines(Path.Combine(hls, "tb_data", "tb_input_features.dat")).Length);
            string fileList = File.ReadAllText(Path.Combine(dir, "obj", "Debug", "net10.0", "Small.csproj.FileListAbsolute.txt"));
            Assert.Contains(Path.Combine(hls, "firmware", "weights", "fc1_weight.h"), fileList);
            Dictionary<string, DateTime> before = Snapshot(hls);

            HlsFixture.ProcessResult second = Dotnet(dir, "build", "--no-restore");
            Assert.True(second.ExitCode == 0, second.Output);
            Assert.Equal(before, Snapshot(hls));

            // A knob change rewrites the project (the project file is an input of the target).
            File.WriteAllText(Path.Combine(dir, "Small.csproj"), File.ReadAllText(Path.Combine(dir, "Small.csproj")).Replace("io_stream", "io_parallel"));
            HlsFixture.ProcessResult third = Dotnet(dir, "build", "--no-restore");
            Assert.True(third.ExitCode == 0, third.Output);
            Assert.DoesNotContain("hls::stream", File.ReadAllText(Path.Combine(hls, "firmware", "digits_mlp.cpp")));

            HlsFixture.ProcessResult clean = Dotnet(dir, "clean");
            Assert.True(clean.ExitCode == 0, clean.Output);
            Assert.False(Directory.Exists(Path.Combine(dir, "bin", "Debug", "net10.0", "hls")), clean.Output);
            Assert.False(Directory.Exists(Path.Combine(dir, "obj", "Debug", "net10.0", "quantgen")) && Directory.GetFiles(Path.Combine(dir, "obj", "Debug", "net10.0", "quantgen")).Length > 0);
            Directory.Delete(dir, true);
        }

        [Fact]
        public void MalformedModelAndBadKnobAreMsBuildErrorsWithCodeFileAndPlace()
        {
            string dir = CreateProject("malformed", " LayerReuseFactors=\"fc2=9000\"");
            string spec = Path.Combine(dir, "models", "digits_mlp.qmodel.json");
            string text = File.ReadAllText(spec);
            int index = text.IndexOf("\"activation\": \"relu\"", StringComparison.Ordinal);
            File.WriteAllText(spec, text.Substring(0, index) + "\"activation\": \"gelu\"" + text.Substring(index + "\"activation\": \"relu\"".Length));
            int line = text.Substring(0, index).Count(c => c == '\n') + 1;

            HlsFixture.ProcessResult build = Dotnet(dir, "build");
            Assert.NotEqual(0, build.ExitCode);
            Assert.Matches(@"models/digits_mlp\.qmodel\.json\(" + line + @",\d+\): error QG1005: .*gelu", build.Output);
            Assert.False(Directory.Exists(Path.Combine(dir, "bin", "Debug", "net10.0", "hls", "digits_mlp")));

            // Valid model, invalid knob: QG3003 at the layer in the model file.
            File.WriteAllText(spec, text);
            HlsFixture.ProcessResult knob = Dotnet(dir, "build", "--no-restore");
            Assert.NotEqual(0, knob.ExitCode);
            Assert.Matches(@"digits_mlp\.qmodel\.json\(\d+,\d+\): error QG3003: LayerReuseFactors 9000 does not fit layer ""fc2"".*valid: 1 to 8192", knob.Output);

            // Unparsable knob: QG3001 at the item in the project file.
            File.WriteAllText(Path.Combine(dir, "Small.csproj"), File.ReadAllText(Path.Combine(dir, "Small.csproj")).Replace("LayerReuseFactors=\"fc2=9000\"", "IoMode=\"io_streem\""));
            HlsFixture.ProcessResult io = Dotnet(dir, "build", "--no-restore");
            Assert.NotEqual(0, io.ExitCode);
            Assert.Matches(@"Small\.csproj\(8,5\): error QG3001: QuantModel ""models/digits_mlp\.qmodel\.json"": IoMode ""io_streem"" is not valid", io.Output);
            Assert.False(Directory.Exists(Path.Combine(dir, "bin", "Debug", "net10.0", "hls", "digits_mlp")));
            Directory.Delete(dir, true);
        }
    }
}
