using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using QuantGen.Hls;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Issue 15's transformer: DeiT-Tiny (the zoo's QDQ export) emitted in io_stream for the Alveo U250 with no reuse plan,
    /// within 80 % of every resource by the estimate, and bit-exact in C simulation on 1 seeded input plus the 5 adversarial
    /// ones. The slowest test of the suite: about 1 minute to import and emit, 1.5 minutes for g++ -O1, 35 s for the 6
    /// samples (2 shared cores, load about 5).
    /// </summary>
    public sealed class DeiTTests
    {
        private readonly ITestOutputHelper output;

        public DeiTTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public async Task DeiTTinyFitsTheU250WithoutAReusePlanAndPassesCsim()
        {
            HlsProject p = ZooModelTests.Emit("deit_tiny", "io_stream", "xcu250-figd2104-2L-e", 1, output);
            string report = p.Files["report.json"];
            var percent = ZooModelTests.Percent(report);
            Assert.All(percent, kv => Assert.InRange(kv.Value, 0, 80));
            Assert.InRange(percent["uram"], 1, 80);                      // the large activation buffers moved to URAM
            Assert.Contains("\"warning\": \"\"", report);
            Assert.DoesNotContain("\"reuse_choice\": \"user", report);

            // Structure: the bias Adds and the attention scale stream (no whole-tensor buffer); the big buffers are URAM with
            // their pragmas; only the residual around each attention needs a whole-tensor FIFO, never the Split's outputs
            // nor the later operands of the attention MatMuls.
            string cpp = p.Files["firmware/" + p.Name + ".cpp"];
            Assert.DoesNotContain("static void blocks_blocks_0_attn_qkv_Add_compute(", cpp);
            Assert.DoesNotContain("static void blocks_blocks_0_attn_Mul_compute(", cpp);
            Assert.Contains("type=ram_2p impl=uram)", cpp);
            Assert.Empty(PragmaRuleTests.Violations(cpp));
            var depths = Regex.Matches(cpp, @"STREAM variable=(\S+) depth=(\d+)\)").Select(m => (Name: m.Groups[1].Value, Depth: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
            Assert.All(depths.Where(d => d.Name.Contains("_attn_Split_output")), d => Assert.Equal(2, d.Depth));
            Assert.Equal(12, depths.Count(d => d.Depth > 1024));   // the residual around each block's attention (its Split, MatMuls and Transposes buffer)

            // Mutations of the URAM pragmas are caught by the rules.
            Match bind = Regex.Match(cpp, @"  QG_HLS\(BIND_STORAGE variable=\w+ type=ram_2p impl=uram\)\n");
            Assert.NotEmpty(PragmaRuleTests.Violations(cpp.Remove(bind.Index, bind.Length)));
            Match reshape = Regex.Match(cpp, @"  QG_HLS\(ARRAY_RESHAPE variable=\w+ cyclic factor=\d+ dim=1\)\n  QG_HLS\(BIND_STORAGE");
            Assert.NotEmpty(PragmaRuleTests.Violations(cpp.Remove(reshape.Index, reshape.Length - "  QG_HLS(BIND_STORAGE".Length)));

            string dir = HlsFixture.WriteProject(p, "zoo-deit");
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[0], "gcc");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            output.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: 6 samples, 6000 output elements", run.Output);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
