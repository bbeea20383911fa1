using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Hls;
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
        public void ReuseFactorAboveTheInnerDimensionIsLocatedAtTheLayer()
        {
            // Any factor up to K is valid (issue 15: the MAC loop is padded when R does not divide K); a Dense layer folds
            // across its outputs up to N K (64 x 128 for fc2); beyond that is an error.
            ModelDiagnostic d = Assert.Single(Diagnostics("digits_mlp", HlsFixture.Options(layerReuse: "fc2=8193")));
            Assert.Equal(HlsErrors.ReuseFactorNotApplicable, d.Id);
            Assert.Equal("$.layers[1]", d.Place);
            Assert.True(d.Line > 0 && d.Column > 0);
            Assert.EndsWith("digits_mlp.qmodel.json", d.File);
            Assert.Contains("a reuse factor is at most outputs x inner dimension (8192); valid: 1 to 8192", d.Message);
        }

        [Fact]
        public void ReuseFactorForAnUnknownOrMultiplierFreeLayerIsAnError()
        {
            IReadOnlyList<ModelDiagnostic> unknown = Diagnostics("digits_mlp", HlsFixture.Options(layerReuse: "fc9=2"));
            Assert.Contains(unknown, d => d.Id == HlsErrors.ReuseFactorNotApplicable && d.Message.Contains("fc9"));
            IReadOnlyList<ModelDiagnostic> softmax = Diagnostics("digits_vit", HlsFixture.Options(layerReuse: "b0_attn=2"));
            Assert.Contains(softmax, d => d.Id == HlsErrors.ReuseFactorNotApplicable && d.Message.Contains("only Dense, MatMul and Conv2d"));
        }

        [Fact]
        public void ConvReuseFactorIsAtMostItsWindow()
        {
            // conv1 and dw are 3x3 over one channel (K = 9), pw 1x1 over 8 channels (K = 8), fc_Gemm K = 16: a global 12
            // exceeds the three convs' windows (4 would now be valid: the MAC loop is padded).
            IReadOnlyList<ModelDiagnostic> global = Diagnostics("digits_cnn", HlsFixture.Options(reuse: 12));
            Assert.Equal(new[] { "$.layers[0]", "$.layers[2]", "$.layers[3]" }, global.Select(d => d.Place).ToArray());
            Assert.All(global, d => Assert.Equal(HlsErrors.ReuseFactorNotApplicable, d.Id));
            Assert.Contains("ReuseFactor 12 does not fit layer \"conv1\" (Conv2d, inner dimension 9): a reuse factor is at most the inner dimension; valid: 1 to 9", global[0].Message);
            ModelDiagnostic pool = Assert.Single(Diagnostics("digits_cnn", HlsFixture.Options(layerReuse: "pool1=2")));
            Assert.Equal(HlsErrors.ReuseFactorNotApplicable, pool.Id);
            Assert.Contains("\"pool1\" (MaxPool2d), but only Dense, MatMul and Conv2d", pool.Message);
        }

        /// <summary>QG3012: an io_parallel Conv2d input beyond 4096 elements, reported for every such layer; io_stream
        /// takes the same model.</summary>
        [Fact]
        public void ConvInputTooLargeForIoParallelIsLocatedAndStreamTakesIt()
        {
            string dir = HlsFixture.TempDir("big-input");
            string spec = ConvModels.WriteSingleConv(dir, 8, 32, 32, 8, second: true);   // 8192 input elements, twice
            HlsOptions parallel = HlsFixture.Options();
            parallel.TestData = null;
            parallel.TestVectors = 2;
            HlsGenerationResult r = HlsGenerator.Generate(spec, parallel);
            Assert.False(r.Success);
            Assert.Equal(new[] { "$.layers[0]", "$.layers[1]" }, r.Diagnostics.Select(x => x.Place).ToArray());
            Assert.Contains("layer \"big_conv2\" (Conv2d) reads a [1, 8, 32, 32] input", r.Diagnostics[1].Message);
            ModelDiagnostic d = r.Diagnostics[0];
            Assert.Equal(HlsErrors.LayerTooLarge, d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.True(d.Line > 0 && d.Column > 0);
            Assert.EndsWith("single_conv.qmodel.json", d.File);
            Assert.Equal("layer \"big_conv\" (Conv2d) reads a [1, 8, 32, 32] input (8192 elements); io_parallel partitions it completely into registers and reads each window through a multiplexer over all of them, which does not fit beyond 4096 elements: use IoMode io_stream", d.Message);

            HlsOptions stream = HlsFixture.Options("io_stream");
            stream.TestData = null;
            stream.TestVectors = 2;
            Assert.True(HlsGenerator.Generate(spec, stream).Success);
            Directory.Delete(dir, true);
        }

        [Fact]
        public void MaxPoolInputTooLargeForIoParallelIsLocated()
        {
            string dir = HlsFixture.TempDir("big-pool");
            string spec = ConvModels.WriteSinglePool(dir, 8, 32, 32);
            HlsOptions parallel = HlsFixture.Options();
            parallel.TestData = null;
            parallel.TestVectors = 2;
            ModelDiagnostic d = Assert.Single(HlsGenerator.Generate(spec, parallel).Diagnostics);
            Assert.Equal(HlsErrors.LayerTooLarge, d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.StartsWith("layer \"big_pool\" (MaxPool2d) reads a [1, 8, 32, 32] input (8192 elements); io_parallel partitions it", d.Message);
            HlsOptions stream = HlsFixture.Options("io_stream");
            stream.TestData = null;
            stream.TestVectors = 2;
            Assert.True(HlsGenerator.Generate(spec, stream).Success);
            Directory.Delete(dir, true);
        }

        /// <summary>QG3012: a Conv2d whose MAC stage would unroll more than 4096 multipliers names the reuse factors that fit.</summary>
        [Fact]
        public void ConvUnrollingTooManyMultipliersSuggestsAReuseFactor()
        {
            string dir = HlsFixture.TempDir("wide-conv");
            string spec = ConvModels.WriteSingleConv(dir, 64, 4, 4, 64);   // 64 outputs x 576 window values
            HlsOptions o = HlsFixture.Options("io_stream");
            o.TestData = null;
            o.TestVectors = 2;
            ModelDiagnostic d = Assert.Single(HlsGenerator.Generate(spec, o).Diagnostics);
            Assert.Equal(HlsErrors.LayerTooLarge, d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.Equal("layer \"big_conv\" (Conv2d, 64 output channels x 576 window values) would unroll 36864 multipliers per cycle at reuse factor 1, more than 4096 (where Vivado HLS stops unrolling: XFORM 203-504); raise its reuse factor (LayerReuseFactors \"big_conv=9\"; any factor from 9 to 576 fits)", d.Message);
            HlsOptions fixedUp = HlsFixture.Options("io_stream", layerReuse: "big_conv=9");
            fixedUp.TestData = null;
            fixedUp.TestVectors = 2;
            HlsGenerationResult ok = HlsGenerator.Generate(spec, fixedUp);
            Assert.True(ok.Success, string.Join("\n", ok.Diagnostics));
            Assert.Contains("\"multipliers\": 4104,", ok.Project!.Files["report.json"]);   // 64 x 576 / 9 MACs + ceil(64 / 9) requantizers
            Directory.Delete(dir, true);
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
