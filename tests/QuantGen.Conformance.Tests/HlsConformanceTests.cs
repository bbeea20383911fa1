using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Hls;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Every corpus case through the HLS backend in both io modes: the emitted project's C simulation (its testbench holds
    /// golden vectors from the reference interpreter, adversarial ones included, and fails on any differing element) must
    /// compile warning-free and pass. io_parallel runs with g++, io_stream with clang++ when both are installed, so each
    /// compiler sees every operator.
    /// </summary>
    public class HlsConformanceTests
    {
        public static IEnumerable<object[]> Cells =>
            from c in Corpus.Cases
            from mode in new[] { "io_parallel", "io_stream" }
            select new object[] { c.Name, mode };

        [Theory]
        [MemberData(nameof(Cells))]
        public void CsimPassesBitExact(string name, string mode)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse(mode, null, null, null, null, "12", errors);
            Assert.Empty(errors);
            var diagnostics = new List<ModelDiagnostic>();
            HlsGenerationResult result = HlsGenerator.Generate(q.Graph, options, diagnostics);
            Assert.True(result.Success, string.Join("\n", diagnostics));
            // A folder of this run's own: two test runs at once (two worktrees, a CI run beside a developer's) must not
            // compile into or delete each other's testbench ("Text file busy").
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-conformance-hls", name + "-" + mode + "-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Assert.True(HlsOutputWriter.Write(dir, result.Project!));
            string? compiler = Compiler(mode == "io_stream" ? "clang++" : "g++") ?? HlsCsim.FindCompiler();
            Assert.True(compiler != null, "no C++ compiler: install g++ (.ci/run does)");
            CsimResult csim = HlsCsim.Run(dir, result.Project!.Name, compiler);
            Assert.True(csim.Ran && csim.Passed, csim.Compiler + "\n" + csim.Output);
            Assert.Contains("PASS", csim.Output, StringComparison.Ordinal);
            Directory.Delete(dir, recursive: true);
        }

        private static string? Compiler(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
                .Where(d => d.Length > 0).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }
}
