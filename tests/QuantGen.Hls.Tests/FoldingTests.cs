using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Hls.Devices;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>Device table, per-layer resource estimates, padded reuse factors and automatic folding (issue 15).</summary>
    public class FoldingTests
    {
        private static HlsOptions Options(string part, string? reuse = null, string io = "io_parallel", string? layerReuse = null)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions o = HlsOptions.Parse(io, reuse, layerReuse, part, null, "10", errors);
            Assert.Empty(errors);
            return o;
        }

        [Theory]
        [InlineData("xc7z020clg400-1", "xc7z020", 220, 53200, 280)]
        [InlineData("xc7a100tcsg324-1", "xc7a100t", 240, 63400, 270)]
        [InlineData("xczu9eg-ffvb1156-2-e", "xczu9eg", 2520, 274080, 1824)]
        [InlineData("xcvu9p-flga2104-2L-e", "xcvu9p", 6840, 1182240, 4320)]
        [InlineData("xcu250-figd2104-2L-e", "xcu250", 12288, 1728000, 5376)]
        public void PartsResolveToTheirDevice(string part, string device, int dsp, int lut, int bram18)
        {
            FpgaDevice d = FpgaDevice.Find(part)!;
            Assert.Equal((device, dsp, lut, bram18), (d.Name, d.Dsp, d.Lut, d.Bram18));
        }

        [Fact]
        public void AnUnknownPartListsTheKnownOnes()
        {
            HlsGenerationResult r = HlsGenerator.Generate(HlsFixture.ModelPath("digits_mlp"), Options("xc7k325tffg900-2", "1"));
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal(HlsErrors.InvalidPart, d.Id);
            Assert.Contains("xc7z020 (Zynq-7020 (Pynq-Z2)), xc7a100t (Artix-7 100T (Arty A7-100T)), xczu9eg", d.Message);
        }

        /// <summary>R = 3 does not divide K = 128: the MAC loop's last block is padded, and csim stays bit-exact.</summary>
        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task AReuseFactorThatDoesNotDivideKIsPadded(string io)
        {
            HlsOptions o = HlsFixture.Options(io, 1, "fc2=3");
            HlsProject p = HlsFixture.Generate("digits_mlp", o);
            string cpp = p.Files["firmware/digits_mlp.cpp"];
            Assert.Contains("if (j >= 128) continue;", cpp);
            Assert.Contains("for (int t = 0; t < 43; t++) {", cpp);   // ceil(128 / 3)
            await Csim(p, "padded-" + io);
        }

        /// <summary>hls4ml's jet tagger shape (16-64-32-32-5, ReLU) and the MLPerf Tiny autoencoder shape (640-128x4-8-128x4-640).</summary>
        private static string Mlp(string dir, string name, int[] widths)
        {
            var m = new SmallModels(name, new[] { widths[0] });
            string input = "x";
            for (int i = 1; i < widths.Length; i++)
            {
                string output = i == widths.Length - 1 ? "y" : "h" + i;
                m.Dense("fc" + i, input, output, widths[i - 1], widths[i], relu: i < widths.Length - 1);
                input = output;
            }

            return m.Save(dir, "y");
        }

        private static readonly int[] JetTagger = { 16, 64, 32, 32, 5 };
        private static readonly int[] Autoencoder = { 640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640 };

        public static TheoryData<string, string> Models => new TheoryData<string, string>
        {
            { "jet_tagger", "xc7z020clg400-1" },
            { "autoencoder", "xczu9eg-ffvb1156-2-e" },
            { "autoencoder", "xc7z020clg400-1" },   // past R = K: every layer folded across its outputs
        };

        /// <summary>
        /// Folding stops at one multiplier per layer (R = N K for Dense): a model whose weights alone exceed the part's
        /// block RAM (1024 x 1024 x 8 bits = 8 Mbit against the Zynq-7020's 280 x 18 Kbit = 5 Mbit) is QG3013 and says why.
        /// </summary>
        [Fact]
        public void AModelLargerThanThePartSaysSo()
        {
            string dir = HlsFixture.TempDir("fold-big-z7");
            string spec = Mlp(dir, "big", new[] { 1024, 1024 });
            ModelDiagnostic d = Assert.Single(HlsGenerator.Generate(spec, Options("xc7z020clg400-1")).Diagnostics);
            Assert.Equal(HlsErrors.DoesNotFit, d.Id);
            Assert.Contains("of the BRAM18 of xc7z020", d.Message);
            Assert.Contains("every reuse factor is at its maximum: use a larger part", d.Message);
            Directory.Delete(dir, true);
        }

        [Theory]
        [MemberData(nameof(Models))]
        public async Task ModelsFoldToFitThePartWithoutAReusePlan(string name, string part)
        {
            string dir = HlsFixture.TempDir("fold-" + name);
            string spec = Mlp(dir, name, name == "jet_tagger" ? JetTagger : Autoencoder);
            HlsGenerationResult r = HlsGenerator.Generate(spec, Options(part));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string report = r.Project!.Files["report.json"];
            foreach (string resource in new[] { "dsp", "lut", "ff", "bram18" })
            {
                int percent = int.Parse(Regex.Match(report, "\"percent\": \\{[^}]*\"" + resource + "\": (\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(percent, 0, 80);
            }

            Assert.Contains("\"reuse_choice\": \"auto", report);
            Assert.Contains("\"warning\": \"\"", report);

            // The same model with a user factor of 1 everywhere cannot fit the part: an error, not a silent overflow.
            HlsGenerationResult user = HlsGenerator.Generate(spec, Options(part, "1"));
            Assert.Contains(user.Diagnostics, d => d.Id == HlsErrors.DoesNotFit && d.Message.Contains(part.Substring(0, 7)));

            await Csim(r.Project, "fold-" + name);
            Directory.Delete(dir, true);
        }

        private static async Task Csim(HlsProject p, string name)
        {
            string projectDir = HlsFixture.WriteProject(p, name);
            string exe = await HlsFixture.CompileAsync(projectDir, HlsFixture.Compilers[0], "gcc");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, projectDir, "tb_data");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: ", run.Output);
            Directory.Delete(Path.GetDirectoryName(projectDir)!, true);
        }
    }
}
