using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Model names the C++ scope must survive (issue 17 item 1: a name starting with qg_ made the old allocator loop forever;
    /// issue 12: tensors that sanitize alike must still get distinct identifiers). Each model emits, compiles with g++ and
    /// clang++ warning-free and passes csim in both io modes.
    /// </summary>
    public class NameTests
    {
        public static TheoryData<string, string, string, string, string> Cases => new TheoryData<string, string, string, string, string>
        {
            // model, first layer, second layer, first tensor, second tensor
            { "qg_", "qg_x", "qg_", "qg_a", "qg_b" },
            { "qg_x", "fc", "qg_fc", "qg_x", "qg_" },
            { "dots", "l1", "l_1", "h.1", "h_1" },   // layer names are identifiers (QG1005); tensor names are free
            { "unicode", "f1", "f2", "hé", "hü" },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task NamesThatSanitizeAlikeOrStartWithQgCompileAndPass(string model, string layer1, string layer2, string t1, string t2)
        {
            string dir = HlsFixture.TempDir("names");
            string spec = new SmallModels(model, new[] { 8 })
                .Dense(layer1, "x", t1, 8, 6, weight: WeightName(t1, 1))
                .Dense(layer2, t1, t2, 6, 6, outZp: 3, relu: true, weight: WeightName(t2, 2))
                .Add("sum", t1, t2, "y")
                .Save(dir, "y");
            foreach (string io in new[] { "io_parallel", "io_stream" })
            {
                HlsOptions options = HlsFixture.Options(io);
                options.TestData = null;
                options.TestVectors = 10;

                // The old allocator hung here: a bounded wait turns a regression into a failure, not a stuck run.
                Task<HlsGenerationResult> gen = Task.Run(() => HlsGenerator.Generate(spec, options));
                Assert.True(await Task.WhenAny(gen, Task.Delay(TimeSpan.FromSeconds(60))) == gen, "emit-hls did not return within a minute");
                HlsGenerationResult r = await gen;
                Assert.True(r.Success, string.Join("\n", r.Diagnostics));
                HlsProject p = r.Project!;
                Assert.False(p.Name.StartsWith("qg_", StringComparison.Ordinal), p.Name);   // qg_x -> mqg_x, qg_ -> qg
                string projectDir = HlsFixture.WriteProject(p, "names-" + io);
                foreach (string compiler in HlsFixture.Compilers)
                {
                    string exe = await HlsFixture.CompileAsync(projectDir, compiler, Path.GetFileName(compiler).Replace("+", "p"));
                    HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, projectDir, "tb_data");
                    Assert.True(run.ExitCode == 0, run.Output);
                    Assert.Contains("PASS: ", run.Output);
                }

                Directory.Delete(Path.GetDirectoryName(projectDir)!, true);
            }
        }

        /// <summary>
        /// Initializers named after the tensor where ASCII: the core's SafeTensors.Write never returns for some non-ASCII
        /// tensor names (its header padding loop waits for char and byte counts to align), reported to the core's owner.
        /// </summary>
        private static string WeightName(string tensor, int n) => tensor.All(c => c < 128) ? tensor + "_w" : "w" + n;

        /// <summary>The two tensors that sanitize alike get different arrays and types (the second one a numbered suffix).</summary>
        [Fact]
        public void TensorsThatSanitizeAlikeGetDistinctIdentifiers()
        {
            string dir = HlsFixture.TempDir("names-distinct");
            string spec = new SmallModels("dots", new[] { 8 }).Dense("a", "x", "h.1", 8, 6).Dense("b", "h.1", "h_1", 6, 6).Save(dir, "h_1");
            HlsOptions options = HlsFixture.Options();
            options.TestData = null;
            HlsGenerationResult r = HlsGenerator.Generate(spec, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string defines = r.Project!.Files["firmware/defines.h"];
            Assert.Contains("h_1_t;  // h.1:", defines);
            Assert.Contains("h_1_2_t;  // h_1:", defines);
        }
    }
}
