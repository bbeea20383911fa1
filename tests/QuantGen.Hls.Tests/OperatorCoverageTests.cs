using System.IO;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;
using QuantGen.Tasks.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Operators the two committed fixtures do not use: I-BERT i-softmax and i-GELU (the ViT re-quantized with them),
    /// and Clip, Relu, ArgMax (appended to the MLP). Each project must compile and match the reference interpreter.
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
            Assert.Contains("qg_ibert_exp(", cpp);
            Assert.Contains("qg_ibert_gelu(", cpp);
            await CompileAndPass(r.Project, "ibert-" + io, 55);
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
