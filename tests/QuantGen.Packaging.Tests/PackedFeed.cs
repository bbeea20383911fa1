using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// Every QuantGen package, packed once per test run (Release, one <c>dotnet pack</c> of a solution filter, so MSBuild
    /// builds the shared projects once) into a local folder feed that the packaging tests share.
    /// </summary>
    public sealed class PackedFeed : IDisposable
    {
        /// <summary>The packable projects, by package id.</summary>
        public static readonly (string Id, string Project)[] Packages =
        {
            ("QuantGen.Compiler", "generators/QuantGen.Compiler/QuantGen.Compiler.csproj"),
            ("QuantGen.Runtime", "runtime/QuantGen.Runtime/QuantGen.Runtime.csproj"),
            ("QuantGen.Onnx", "runtime/QuantGen.Onnx/QuantGen.Onnx.csproj"),
            ("QuantGen.Tasks", "tasks/QuantGen.Tasks/QuantGen.Tasks.csproj"),
            ("QuantGen.Cli", "runtime/QuantGen.Cli/QuantGen.Cli.csproj"),
        };

        public PackedFeed()
        {
            Root = Path.Combine(Path.GetTempPath(), "quantgen-feed-" + Guid.NewGuid().ToString("N"));
            Feed = Path.Combine(Root, "feed");
            Directory.CreateDirectory(Root);
            string repo = Baseline.SourceRoot();

            // a solution filter next to Gen.sln would be a file in the repository; this one names the solution by path
            string filter = Path.Combine(Root, "packages.slnf");
            string projects = string.Join(",", Packages.Select(p => "\"" + p.Project.Replace("/", "\\\\", StringComparison.Ordinal) + "\""));
            File.WriteAllText(filter, "{\"solution\":{\"path\":\"" + Path.Combine(repo, "Gen.sln").Replace("\\", "\\\\", StringComparison.Ordinal) + "\",\"projects\":[" + projects + "]}}");
            PackOutput = Run("dotnet", $"pack \"{filter}\" -c Release -p:PackageOutputPath=\"{Feed}\"", repo);
        }

        /// <summary>A temporary folder of this run (the feed is in it); deleted at the end.</summary>
        public string Root { get; }

        public string Feed { get; }

        public string PackOutput { get; }

        public string Package(string id) => Path.Combine(Feed, id + ".0.1.0.nupkg");

        public string Symbols(string id) => Path.Combine(Feed, id + ".0.1.0.snupkg");

        public void Dispose()
        {
            try
            {
                Directory.Delete(Root, true);
            }
            catch (IOException)
            {
                // a build server may still hold a file; the folder is in the temp directory
            }
        }

        /// <summary>Runs a command; fails the test with its output when it exits non-zero.</summary>
        public static string Run(string file, string arguments, string workingDirectory, string? packages = null, IReadOnlyDictionary<string, string>? environment = null)
        {
            var psi = new ProcessStartInfo(file, arguments)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            if (packages != null)
            {
                psi.Environment["NUGET_PACKAGES"] = packages;
            }

            foreach (KeyValuePair<string, string> e in environment ?? new Dictionary<string, string>())
            {
                psi.Environment[e.Key] = e.Value;
            }

            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(900_000), $"{file} {arguments} did not finish");
            string output = stdout.Result + stderr;
            Assert.True(p.ExitCode == 0, $"{file} {arguments} failed ({p.ExitCode}):\n{output}");
            return output;
        }
    }

    [CollectionDefinition(Name)]
    public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>
    {
        public const string Name = "packed feed";
    }
}
