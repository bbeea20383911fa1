using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Onnx;
using QuantGen.Testing;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Issue 15's done-when models: the zoo's ONNX Runtime QDQ exports (samples/zoo/models/*_ortqdq.onnx) through the
    /// importer, emitted with no reuse plan (ReuseFactor auto) for the part named, fitted by the estimate (every resource
    /// at most 80 %), and run in C simulation bit-exactly against the reference interpreter (2 seeded inputs plus the 5
    /// adversarial ones, g++ -O1). Each model is imported and emitted once.
    /// </summary>
    public sealed class ZooModelTests
    {
        private readonly ITestOutputHelper output;

        public ZooModelTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        internal static string Zoo(string file) => Path.Combine(Baseline.SourceRoot(), "samples", "zoo", "models", file);

        internal static HlsProject Emit(string model, string io, string part, int vectors, ITestOutputHelper? log = null)
        {
            OnnxImportResult imported = OnnxImporter.ImportQdq(Zoo(model + "_ortqdq.onnx"));
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse(io, null, null, part, null, vectors.ToString(CultureInfo.InvariantCulture), errors);
            Assert.Empty(errors);
            HlsGenerationResult r = HlsGenerator.Generate(imported.Model.Graph, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string report = r.Project!.Files["report.json"];
            log?.WriteLine($"{model} ({io}, {part}): " + Regex.Match(report, "\"totals\": \\{[^}]*\\}[^}]*\\}").Value.Replace("\n", " "));
            return r.Project;
        }

        /// <summary>The percent of the part each resource takes by the estimate (report.json).</summary>
        internal static Dictionary<string, int> Percent(string report) =>
            new[] { "dsp", "lut", "ff", "bram18", "uram" }.ToDictionary(k => k, k => int.Parse(Regex.Match(report, "\"percent\": \\{[^}]*\"" + k + "\": (\\d+)").Groups[1].Value, CultureInfo.InvariantCulture));

        public static TheoryData<string, string, string> Models => new TheoryData<string, string, string>
        {
            { "jet_tagger", "io_parallel", "xc7z020clg400-1" },
            { "ad_autoencoder", "io_parallel", "xc7z020clg400-1" },
            { "ds_cnn", "io_stream", "xc7z020clg400-1" },
            { "resnet8", "io_stream", "xc7z020clg400-1" },
            { "mobilenet_v1", "io_stream", "xcvu9p-flga2104-2L-e" },
        };

        [Theory]
        [MemberData(nameof(Models))]
        public async Task EmitsWithoutAReusePlanFitsAndPassesCsim(string model, string io, string part)
        {
            HlsProject p = Emit(model, io, part, 2, output);
            string report = p.Files["report.json"];
            Assert.All(Percent(report), kv => Assert.InRange(kv.Value, 0, 80));
            Assert.Contains("\"warning\": \"\"", report);
            Assert.DoesNotContain("\"reuse_choice\": \"user", report);

            string dir = HlsFixture.WriteProject(p, "zoo-" + model);
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[0], "gcc");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            output.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: 7 samples", run.Output);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        /// <summary>
        /// The convolutional models stream: no layer buffers a whole feature map (line buffers, channel-packed beats), and
        /// every FIFO is shallower than its tensor except where a fork's other branch really buffers.
        /// </summary>
        [Fact]
        public void ResNet8StreamsThroughLineBuffersWithShallowFifos()
        {
            HlsProject p = Emit("resnet8", "io_stream", "xc7z020clg400-1", 1);
            string cpp = p.Files["firmware/" + p.Name + ".cpp"];
            Assert.Equal(7, Regex.Matches(cpp, "static \\w+_x_t line\\[").Count);          // every 3x3 Conv2d (the two 1x1 shortcuts need no line buffer)
            Assert.Empty(Regex.Matches(cpp, "static void (\\w+)_compute\\("));   // no layer buffers its whole input
            Assert.Contains("QG_LABEL(READ_ROW)", cpp);                                 // the Dense streams row by row
            var depths = Regex.Matches(cpp, "STREAM variable=\\S+ depth=(\\d+)").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(3, depths.Count(d => d > 2));                                          // the three residual forks
            Assert.All(depths, d => Assert.True(d < 1024, $"depth {d}"));                       // never the whole 32 x 32 map
            Assert.Contains("typedef qg_beat<", p.Files["firmware/defines.h"]);
        }
    }
}
