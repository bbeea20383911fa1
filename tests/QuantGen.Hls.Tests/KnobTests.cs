using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Tasks.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>Invalid knob values are errors with an id (never silent defaults); valid ones change the output.</summary>
    public class KnobTests
    {
        private static List<(string Code, string Message)> Parse(string? io = null, string? reuse = null, string? layers = null, string? part = null, string? clock = null, string? vectors = null)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions.Parse(io, reuse, layers, part, clock, vectors, errors);
            return errors;
        }

        [Theory]
        [InlineData("io_streams", null, null, null, null, null, HlsErrors.InvalidIoMode)]
        [InlineData(null, "0", null, null, null, null, HlsErrors.InvalidReuseFactor)]
        [InlineData(null, "-2", null, null, null, null, HlsErrors.InvalidReuseFactor)]
        [InlineData(null, "two", null, null, null, null, HlsErrors.InvalidReuseFactor)]
        [InlineData(null, null, "fc1:4", null, null, null, HlsErrors.InvalidReuseFactor)]
        [InlineData(null, null, "fc1=4;fc1=2", null, null, null, HlsErrors.InvalidReuseFactor)]
        [InlineData(null, null, null, "xc vu9p", null, null, HlsErrors.InvalidPart)]
        [InlineData(null, null, null, null, "0", null, HlsErrors.InvalidClock)]
        [InlineData(null, null, null, null, "5ns", null, HlsErrors.InvalidClock)]
        [InlineData(null, null, null, null, "-3", null, HlsErrors.InvalidClock)]
        [InlineData(null, null, null, null, null, "many", HlsErrors.InvalidTestData)]
        public void InvalidValuesAreErrors(string? io, string? reuse, string? layers, string? part, string? clock, string? vectors, string code)
        {
            List<(string Code, string Message)> errors = Parse(io, reuse, layers, part, clock, vectors);
            Assert.Equal(code, Assert.Single(errors).Code);
        }

        [Fact]
        public void ValidValuesParse()
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions o = HlsOptions.Parse("io_stream", "4", "fc1=2; fc2=8", "xcku115-flvb2104-2-e", "3.33", "10", errors);
            Assert.Empty(errors);
            Assert.Equal(IoMode.Stream, o.IoMode);
            Assert.Equal(2, o.ReuseFor("fc1"));
            Assert.Equal(8, o.ReuseFor("fc2"));
            Assert.Equal(4, o.ReuseFor("fc3"));
            Assert.Equal(3330, o.ClockPeriodPs);
            Assert.Equal(10, o.TestVectors);
        }

        private static IReadOnlyList<ModelDiagnostic> Diagnostics(string model, HlsOptions options)
        {
            HlsGenerationResult r = HlsGenerator.Generate(HlsFixture.ModelPath(model), options);
            Assert.False(r.Success);
            return r.Diagnostics;
        }

        [Fact]
        public void ReuseFactorThatDoesNotDivideIsLocatedAtTheLayer()
        {
            ModelDiagnostic d = Assert.Single(Diagnostics("digits_mlp", HlsFixture.Options(layerReuse: "fc2=3")));
            Assert.Equal(HlsErrors.ReuseFactorNotApplicable, d.Id);
            Assert.Equal("$.layers[1]", d.Place);
            Assert.True(d.Line > 0 && d.Column > 0);
            Assert.EndsWith("digits_mlp.qmodel.json", d.File);
            Assert.Contains("valid: 1, 2, 4, 8, 16, 32, 64, 128", d.Message);
        }

        [Fact]
        public void ReuseFactorForAnUnknownOrMultiplierFreeLayerIsAnError()
        {
            IReadOnlyList<ModelDiagnostic> unknown = Diagnostics("digits_mlp", HlsFixture.Options(layerReuse: "fc9=2"));
            Assert.Contains(unknown, d => d.Id == HlsErrors.ReuseFactorNotApplicable && d.Message.Contains("fc9"));
            IReadOnlyList<ModelDiagnostic> softmax = Diagnostics("digits_vit", HlsFixture.Options(layerReuse: "b0_attn=2"));
            Assert.Contains(softmax, d => d.Id == HlsErrors.ReuseFactorNotApplicable && d.Message.Contains("only Dense and MatMul"));
        }

        [Fact]
        public void FloatModelIsRejected()
        {
            HlsGenerationResult r = HlsGenerator.Generate(Path.Combine(HlsFixture.Root, "samples", "models", "digits_mlp.float.qmodel.json"), HlsFixture.Options());
            Assert.Equal(HlsErrors.UnsupportedModel, Assert.Single(r.Diagnostics).Id);
        }

        [Fact]
        public void MissingModelKeepsItsModelDiagnostic()
        {
            HlsGenerationResult r = HlsGenerator.Generate(Path.Combine(HlsFixture.Root, "no", "such.qmodel.json"), HlsFixture.Options());
            Assert.False(r.Success);
            Assert.StartsWith("QG1", Assert.Single(r.Diagnostics).Id);
        }

        [Fact]
        public void TestDataWithTheWrongFeatureCountIsAnError()
        {
            string dir = HlsFixture.TempDir("csv");
            string csv = Path.Combine(dir, "bad.csv");
            File.WriteAllText(csv, "split,label,p0,p1\ntest,0,1,2\n");
            HlsOptions o = HlsFixture.Options();
            o.TestData = csv;
            ModelDiagnostic d = Assert.Single(Diagnostics("digits_mlp", o));
            Assert.Equal(HlsErrors.InvalidTestData, d.Id);
            Assert.Equal(csv, d.File);
            Directory.Delete(dir, true);
        }

        [Fact]
        public void ReuseFactorTradesMultipliersForCycles()
        {
            HlsProject r1 = HlsFixture.Generate("digits_mlp", HlsFixture.Options());
            HlsProject r4 = HlsFixture.Generate("digits_mlp", HlsFixture.Options(reuse: 4));
            Assert.Contains("\"multipliers\": 8256,", r1.Files["report.json"]);   // fc2: 64 x 128 MACs + 64 requantizers
            Assert.Contains("\"multipliers\": 2064,", r4.Files["report.json"]);   // 64 x 32 + 16
            Assert.Contains("for (int k = 0; k < 4; k++) {", r4.Files["firmware/digits_mlp.cpp"]);
        }

        [Fact]
        public void PartAndClockReachTheScriptAndTheReport()
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions o = HlsOptions.Parse(null, null, null, "xcku115-flvb2104-2-e", "2.5", null, errors);
            o.TestData = HlsFixture.DigitsCsv;
            HlsProject p = HlsFixture.Generate("digits_mlp", o);
            Assert.Contains("set_part {xcku115-flvb2104-2-e}", p.Files["build_prj.tcl"]);
            Assert.Contains("create_clock -period 2.5 -name default", p.Files["build_prj.tcl"]);
            Assert.Contains("\"clock_period_ps\": 2500,", p.Files["report.json"]);
        }
    }
}
