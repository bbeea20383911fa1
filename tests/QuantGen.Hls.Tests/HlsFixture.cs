using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>Shared helpers: the fixture models, generation with knobs, temp folders, external processes.</summary>
    public static class HlsFixture
    {
        public const string TestProject = "QuantGen.Hls.Tests";

        public static string Root => Baseline.SourceRoot();

        public static string ModelPath(string model) => Path.Combine(Root, "samples", "models", model + ".qmodel.json");

        public static string DigitsCsv => Path.Combine(Root, "samples", "data", "digits", "digits.csv");

        public static HlsOptions Options(string io = "io_parallel", int reuse = 1, string? layerReuse = null)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions o = HlsOptions.Parse(io, reuse.ToString(System.Globalization.CultureInfo.InvariantCulture), layerReuse, null, null, null, errors);
            Assert.Empty(errors);
            o.TestData = DigitsCsv;
            return o;
        }

        public static HlsProject Generate(string model, HlsOptions options)
        {
            HlsGenerationResult r = HlsGenerator.Generate(ModelPath(model), options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Empty(r.Diagnostics);
            return r.Project!;
        }

        public static string TempDir(string name)
        {
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-hls-tests", name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            return dir;
        }

        public static string WriteProject(HlsProject project, string name)
        {
            string dir = Path.Combine(TempDir(name), project.Name);
            Assert.True(HlsOutputWriter.Write(dir, project));
            return dir;
        }

        /// <summary>g++ and clang++ (Debian names clang++ "clang++-14"); both must be installed.</summary>
        public static IReadOnlyList<string> Compilers => new[] { Find("g++", "g++-12"), Find("clang++", "clang++-14") };

        private static string Find(params string[] names)
        {
            foreach (string n in names)
            {
                foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
                {
                    if (File.Exists(Path.Combine(dir, n)))
                    {
                        return Path.Combine(dir, n);
                    }
                }
            }

            throw new InvalidOperationException("none of " + string.Join(", ", names) + " is on PATH; the HLS tests compile the emitted C++ with it");
        }

        /// <summary>
        /// Compiles the emitted project's firmware and testbench with the flags the FPGA team uses. g++ at -O1 (some of its
        /// warnings need the optimizer), clang++ at -O0 (compiling dominates the test time; the testbench runs in a second).
        /// </summary>
        public static async Task<string> CompileAsync(string projectDir, string compiler, string suffix)
        {
            string name = Path.GetFileName(projectDir);
            string exe = Path.Combine(projectDir, name + "_test_" + suffix);
            string optimize = Path.GetFileName(compiler).StartsWith("clang", StringComparison.Ordinal) ? "-O0" : "-O1";
            ProcessResult r = await RunAsync(compiler, projectDir, "-std=c++14", optimize, "-Wall", "-Wextra", "-Werror", "-Ifirmware", "firmware/" + name + ".cpp", name + "_test.cpp", "-o", exe);
            Assert.True(r.ExitCode == 0, $"{compiler} failed on {projectDir}:\n{r.Output}");
            return exe;
        }

        public sealed class ProcessResult
        {
            public ProcessResult(int exitCode, string output)
            {
                ExitCode = exitCode;
                Output = output;
            }

            public int ExitCode { get; }

            public string Output { get; }
        }

        public static async Task<ProcessResult> RunAsync(string file, string workingDir, params string[] args)
        {
            var psi = new ProcessStartInfo(file)
            {
                WorkingDirectory = workingDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            // A child `dotnet build` must not inherit the test host's MSBuild location.
            foreach (string v in new[] { "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            {
                psi.Environment.Remove(v);
            }

            using var p = Process.Start(psi)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return new ProcessResult(p.ExitCode, await stdout + await stderr);
        }

        public static ProcessResult Run(string file, string workingDir, params string[] args) => RunAsync(file, workingDir, args).GetAwaiter().GetResult();

        /// <summary>Whitespace-separated integers, one sample per line.</summary>
        public static List<int[]> ReadVectors(string text) =>
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ').Select(int.Parse).ToArray()).ToList();
    }
}
