using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Operators the committed MLP and ViT fixtures do not use: I-BERT i-softmax and i-GELU (the ViT re-quantized with
    /// them), Clip, Relu, ArgMax (appended to the MLP), and Conv2d / MaxPool2d in the corners the digits CNN does not
    /// reach (a synthetic model). Each project must compile and match the reference interpreter.
    /// </summary>
    public class OperatorCoverageTests
    {
        private static async Task CompileAndPass(HlsProject project, string name, int samples)
        {
            string dir = HlsFixture.WriteProject(project, name);
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[0], "gcc");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains($"PASS: {samples} samples", run.Output);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task IBertSoftmaxAndGeluAreBitExact(string io)
        {
            ModelGraph floatGraph = ModelLoader.Load(Path.Combine(HlsFixture.Root, "samples", "models", "digits_vit.float.qmodel.json")).GetGraphOrThrow();
            LabeledDataset data = LabeledDataset.Load(HlsFixture.DigitsCsv);
            var options = new QuantizationOptions { SoftmaxMethod = SoftmaxMethod.IBert, GeluMethod = GeluMethod.IBert, SoftmaxOutBits = 8 };
            QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, data.Split("train").Take(200).Select(s => s.Features).ToList(), options);
            HlsGenerationResult r = HlsGenerator.Generate(q.Graph, HlsFixture.Options(io, 2));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string cpp = r.Project!.Files["firmware/" + r.Project.Name + ".cpp"];
            Assert.Contains("qg_ibert_exp_w<", cpp);
            Assert.Empty(PragmaRuleTests.ArithmeticViolations(cpp));   // no 64-bit divider or variable 64-bit shift in an II=1 loop
            Assert.NotEmpty(PragmaRuleTests.ArithmeticViolations(Regex.Replace(cpp, @"qg_ibert_exp_w<\d+>\(", "qg_ibert_exp(")));
            Assert.NotEmpty(PragmaRuleTests.ArithmeticViolations(Regex.Replace(cpp, @"qg_ibert_exp_w<\d+>\(", "qg_ibert_exp_w<48>(")));
            Assert.Contains("qg_ibert_gelu(", cpp);
            await CompileAndPass(r.Project, "ibert-" + io, 55);
        }

        /// <summary>
        /// Stride 2, asymmetric pads, group 2 (not depthwise), a 2x3 kernel, MaxPool2d 3x2 with pads and strides 2x3, a
        /// batch of 2, a conv without bias, a non-zero input zero point; random weights (fixed seed), 20 seeded random inputs and the extreme ones (all -128,
        /// all 127, alternating, all zero point), in both io modes, reuse 1 and per-layer reuse, with g++ and clang++.
        /// </summary>
        [Theory]
        [InlineData("io_parallel", null)]
        [InlineData("io_parallel", "conv_g2=4;conv_s2=6")]
        [InlineData("io_stream", null)]
        [InlineData("io_stream", "conv_g2=12;conv_s2=3")]
        public async Task Conv2dAndMaxPool2dCornersAreBitExact(string io, string? layerReuse)
        {
            string dir = HlsFixture.TempDir("corners");
            string spec = ConvModels.WriteCorners(dir);
            HlsOptions options = HlsFixture.Options(io, 1, layerReuse);
            options.TestData = null;
            options.TestVectors = 20;
            HlsGenerationResult r = HlsGenerator.Generate(spec, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            HlsProject project = r.Project!;
            string cpp = project.Files["firmware/conv_corners.cpp"];
            Assert.Contains("win[(o / 3) * 12 + j]", cpp);                   // group 2: 3 outputs per group read 2 x 2 x 3 values
            Assert.Contains("for (int n = 0; n < 2; n++) {", cpp);           // a batch of 2
            Assert.Contains("acc[o] = 0;", cpp);                             // conv_s2 has no bias
            if (io == "io_parallel")
            {
                Assert.Contains("const int ih = oh * 2 - 1 + i;", cpp);      // conv_g2: stride 2 along H, top pad 1
                Assert.Contains("const int iw = ow + j;", cpp);              // conv_g2: no left pad (2 on the right)
                Assert.Contains("const int iw = ow * 3 - 1 + j;", cpp);      // pool: stride 3 along W, left pad 1
                Assert.Contains("qg_i64 best = -7;", cpp);                   // pool: relu output's least value (zero point -7)
                Assert.Contains("for (int nc = 0; nc < 12; nc++) {", cpp);   // pool: 2 x 6 planes
            }
            else
            {
                // Line buffers over the padded input: conv_g2 (9 x 10, pads top 1, right 2) walks 10 x 12 positions.
                Assert.Contains("const bool real = ph >= 1 && pw < 10;", cpp);
                Assert.Contains("static conv_g2_x_t line[1][4][12];", cpp);   // kh - 1 = 1 row of 4 channels x 12 columns
                Assert.Contains("if (ph >= 1 && pw >= 2 && ph <= 9 && pw <= 11 && (ph - 1) % 2 == 0) {", cpp);
                Assert.Contains("(pw - 1) % 3 == 0", cpp);                   // pool: stride 3 along W
                Assert.Contains("(-7);", cpp);                               // pool: padding holds the relu output's least value
                Assert.Contains("qg_beat<", project.Files["firmware/defines.h"]);
            }

            // The golden vectors exercise the extremes, and the outputs are not all saturated.
            List<int[]> inputs = HlsFixture.ReadVectors(project.Files["tb_data/tb_input_features.dat"]);
            List<int[]> outputs = HlsFixture.ReadVectors(project.Files["tb_data/tb_output_predictions.dat"]);
            Assert.Equal(25, inputs.Count);
            Assert.Contains(inputs, v => v.All(e => e == -128));
            Assert.Contains(inputs, v => v.All(e => e == 127));
            ModelGraph graph = ModelLoader.Load(spec).GetGraphOrThrow();
            var interpreter = new ReferenceInterpreter(graph);
            for (int i = 0; i < inputs.Count; i++)
            {
                Assert.Equal(interpreter.Run(inputs[i]), outputs[i]);
            }

            Assert.True(outputs.SelectMany(v => v).Distinct().Count() > 50, "the golden outputs should not be mostly saturated");

            string projectDir = HlsFixture.WriteProject(project, "corners-" + io);
            string[] exes = await Task.WhenAll(HlsFixture.Compilers.Select((c, i) => HlsFixture.CompileAsync(projectDir, c, "c" + i)));
            foreach (string exe in exes)
            {
                HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, projectDir, "tb_data");
                Assert.True(run.ExitCode == 0, $"{exe}: exit {run.ExitCode}\n{run.Output}");
                Assert.Contains("PASS: 25 samples, 1000 output elements, all equal to the reference interpreter", run.Output);
            }

            Directory.Delete(Path.GetDirectoryName(projectDir)!, true);
            Directory.Delete(dir, true);
        }

        [Fact]
        public async Task ClipReluAndArgMaxAreBitExact()
        {
            string dir = HlsFixture.TempDir("tail");
            foreach (string f in new[] { "digits_mlp.qmodel.json", "digits_mlp.safetensors" })
            {
                File.Copy(Path.Combine(HlsFixture.Root, "samples", "models", f), Path.Combine(dir, f));
            }

            string spec = Path.Combine(dir, "digits_mlp.qmodel.json");
            string text = File.ReadAllText(spec)
                .Replace("\"outputs\": [\"logits\"]", "\"outputs\": [\"class\"]")
                .Replace("\"inputs\": [\"pixels\"]", "\"inputs\": [\"doubled\"]")
                .Replace("\"layers\": [", "\"layers\": [\n    { \"name\": \"twice\", \"op\": \"Add\", \"inputs\": [\"pixels\", \"pixels\"], \"output\": \"doubled\", \"multiplierA\": 1073741824, \"shiftA\": 31, \"multiplierB\": 1073741824, \"shiftB\": 31 },")
                .Replace("\"activations\": {", "\"activations\": {\n    \"doubled\": { \"type\": \"int8\", \"scale\": 0.062745101749897, \"zeroPoint\": -128 },\n    \"clipped\": { \"type\": \"int8\", \"scale\": 0.17001107335090637, \"zeroPoint\": 0 },\n    \"rectified\": { \"type\": \"int8\", \"scale\": 0.17001107335090637, \"zeroPoint\": 0 },");
            int end = text.LastIndexOf(']');
            end = text.LastIndexOf('}', end);
            text = text.Substring(0, end + 1)
                + ",\n    { \"name\": \"clip\", \"op\": \"Clip\", \"inputs\": [\"logits\"], \"output\": \"clipped\", \"min\": -6.0, \"max\": 6.0, \"qmin\": -35, \"qmax\": 35 }"
                + ",\n    { \"name\": \"relu\", \"op\": \"Relu\", \"inputs\": [\"clipped\"], \"output\": \"rectified\" }"
                + ",\n    { \"name\": \"predict\", \"op\": \"ArgMax\", \"inputs\": [\"rectified\"], \"output\": \"class\" }"
                + text.Substring(end + 1);
            File.WriteAllText(spec, text);
            HlsGenerationResult r = HlsGenerator.Generate(spec, HlsFixture.Options("io_stream", 1));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string defines = r.Project!.Files["firmware/defines.h"];
            Assert.Contains("QG_LABEL(INPUT_FANOUT)", r.Project.Files["firmware/digits_mlp.cpp"]);
            Assert.Matches(@"typedef qg_uint<4> class_\w*t;  // class: activation int32 \[\], \[0, 9\]", defines);   // ArgMax over 10 classes; "class" is a keyword
            await CompileAndPass(r.Project, "tail", 55);
            Directory.Delete(dir, true);
        }
    }
}
