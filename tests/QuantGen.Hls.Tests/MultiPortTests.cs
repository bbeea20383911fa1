using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Models with several named inputs and outputs, and token-id inputs, through the HLS backend: one top-function port per
    /// model input and output (spec order, named after the tensors), one golden file per tensor, every output compared
    /// bit-exactly in C simulation in both io modes; ids outside [0, n - 1] are clamped at the top function (the golden
    /// vectors include such ids with the clamped ids' outputs, and a mutated clamp fails csim).
    /// </summary>
    public sealed class MultiPortTests
    {
        internal const string TwoSpec = MultiIoSpecs.Two;

        /// <summary>Token ids (valid ids [0, 8] of a 10-row table) and a quantized input; the embedding rows plus the input.</summary>
        internal const string TokSpec = """
            {
              "format": "quantgen", "version": 1, "name": "tok", "kind": "quantized", "weights": "tok.safetensors",
              "inputs": [
                { "name": "input_ids", "shape": [2, 3], "range": [0, 8], "type": "index" },
                { "name": "bias", "shape": [4], "range": [-1, 1], "type": "int8", "scale": 0.1, "zeroPoint": 0 }
              ],
              "outputs": ["sum"],
              "initializers": { "table": { "type": "int8", "shape": [10, 4], "scale": 0.1 } },
              "activations": { "e": { "type": "int8", "scale": 0.1, "zeroPoint": 0 }, "sum": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
              "layers": [
                { "name": "emb", "op": "Embedding", "inputs": ["input_ids"], "output": "e", "table": "table" },
                { "name": "add", "op": "Add", "inputs": ["e", "bias"], "output": "sum", "multiplierA": 1, "shiftA": 0, "multiplierB": 1, "shiftB": 0 }
              ]
            }
            """;

        internal static Graph.ModelGraph Two() =>
            ModelLoader.Load(TwoSpec, "two.qmodel.json", SafeTensors.Write(Array.Empty<RawTensor>()), "two.safetensors").GetGraphOrThrow();

        internal static Graph.ModelGraph Tok()
        {
            int[] rows = Enumerable.Range(0, 40).Select(i => ((i * 37) % 255) - 127).ToArray();
            byte[] weights = SafeTensors.Write(new[] { TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 10, 4 }, rows) });
            return ModelLoader.Load(TokSpec, "tok.qmodel.json", weights, "tok.safetensors").GetGraphOrThrow();
        }

        internal static HlsProject Emit(Graph.ModelGraph g, string io, int vectors = 6, IReadOnlyList<IReadOnlyList<int[]>>? given = null)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse(io, null, null, null, null, vectors.ToString(System.Globalization.CultureInfo.InvariantCulture), errors);
            Assert.Empty(errors);
            options.GoldenInputs = given;
            HlsGenerationResult r = HlsGenerator.Generate(g, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            return r.Project!;
        }

        internal static async Task<HlsFixture.ProcessResult> Csim(HlsProject p, string name, int compiler = 0)
        {
            string dir = HlsFixture.WriteProject(p, name);
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[compiler], compiler == 0 ? "gcc" : "clang");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
            return run;
        }

        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task TwoInputsTwoOutputsGetOnePortEachAndPassCsim(string io)
        {
            HlsProject p = Emit(Two(), io);
            string cpp = p.Files["firmware/two.cpp"];
            string signature = Regex.Match(cpp, @"\nvoid two\(([^)]*)\)").Groups[1].Value;
            string expected = io == "io_stream"
                ? "hls::stream<left_in_t>& left_in_in, hls::stream<right_in_t>& right_in_in, hls::stream<sum_t>& sum_out, hls::stream<pos_t>& pos_out"
                : "const left_in_t left_in_in[16], const right_in_t right_in_in[8], sum_t sum_out[16], pos_t pos_out[16]";
            Assert.Equal(expected, signature);
            Assert.Contains("void two(" + expected + ");", p.Files["firmware/two.h"], StringComparison.Ordinal);
            Assert.Empty(PragmaRuleTests.Violations(cpp));
            if (io == "io_parallel")
            {
                // "sum" is an output and relu's input: the layers use its array, the port gets a copy (never read back).
                Assert.Contains("  add(left_in_in, right_in_in, act_sum);\n  relu(act_sum, pos_out);\n  copy_sum(act_sum, sum_out);\n}", cpp, StringComparison.Ordinal);
            }

            foreach (string port in new[] { "left_in_in", "right_in_in", "sum_out", "pos_out" })
            {
                Assert.Contains($"QG_HLS(INTERFACE mode={(io == "io_stream" ? "axis" : "ap_vld")} port={port})", cpp, StringComparison.Ordinal);
            }

            // One golden file per tensor, the expected ones from the reference interpreter (5 adversarial vectors on top).
            var reference = new ReferenceInterpreter(Two());
            List<int[]> left = HlsFixture.ReadVectors(p.Files["tb_data/tb_input_left_in.dat"]), right = HlsFixture.ReadVectors(p.Files["tb_data/tb_input_right_in.dat"]);
            List<int[]> sum = HlsFixture.ReadVectors(p.Files["tb_data/tb_output_sum.dat"]), pos = HlsFixture.ReadVectors(p.Files["tb_data/tb_output_pos.dat"]);
            Assert.Equal(11, left.Count);
            Assert.All(new[] { right.Count, sum.Count, pos.Count }, c => Assert.Equal(11, c));
            Assert.All(right, r => Assert.All(r, v => Assert.InRange(v, -22, 28)));
            Assert.Contains(right, r => r.All(v => v == 28));
            for (int s = 0; s < left.Count; s++)
            {
                int[][] o = reference.RunMany(new[] { left[s], right[s] });
                Assert.Equal(o[0], sum[s]);
                Assert.Equal(o[1], pos[s]);
            }

            HlsFixture.ProcessResult run = await Csim(p, "two-" + io, io == "io_stream" ? 1 : 0);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: 11 samples, 352 output elements", run.Output, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task TokenIdsAreAnInt32PortClampedAtTheTopAndPassCsim(string io)
        {
            HlsProject p = Emit(Tok(), io);
            string cpp = p.Files["firmware/tok.cpp"];
            Assert.Contains("typedef qg_int<32> input_ids_port_t;", p.Files["firmware/defines.h"], StringComparison.Ordinal);
            Assert.Contains("typedef qg_uint<4> input_ids_t;", p.Files["firmware/defines.h"], StringComparison.Ordinal);
            Assert.Contains(io == "io_stream" ? "hls::stream<input_ids_port_t>& input_ids_in," : "const input_ids_port_t input_ids_in[6],", cpp, StringComparison.Ordinal);
            Assert.Contains("id < 0 ? 0 : id > 8 ? 8 : id", cpp, StringComparison.Ordinal);
            Assert.Contains("clamped to the nearest valid id", p.Files["README.md"], StringComparison.Ordinal);

            // The two out-of-range vectors come last: ids -1, int.MinValue, n, int.MaxValue among valid ones, expecting the
            // clamped ids' output.
            List<int[]> ids = HlsFixture.ReadVectors(p.Files["tb_data/tb_input_input_ids.dat"]);
            List<int[]> bias = HlsFixture.ReadVectors(p.Files["tb_data/tb_input_bias.dat"]);
            List<int[]> sum = HlsFixture.ReadVectors(p.Files["tb_data/tb_output_sum.dat"]);
            Assert.Equal(new[] { -1, int.MinValue, 2, -1, int.MinValue, 5 }, ids[^2]);
            Assert.Equal(new[] { 9, int.MaxValue, 8, 9, int.MaxValue, 8 }, ids[^1]);
            var reference = new ReferenceInterpreter(Tok());
            Assert.Equal(reference.RunMany(new[] { new[] { 0, 0, 2, 0, 0, 5 }, bias[^2] })[0], sum[^2]);
            Assert.Equal(reference.RunMany(new[] { new[] { 8, 8, 8, 8, 8, 8 }, bias[^1] })[0], sum[^1]);
            Assert.All(ids.Take(ids.Count - 2), r => Assert.All(r, v => Assert.InRange(v, 0, 8)));

            HlsFixture.ProcessResult run = await Csim(p, "tok-" + io, io == "io_stream" ? 1 : 0);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains($"PASS: {ids.Count} samples, {ids.Count * 24} output elements", run.Output, StringComparison.Ordinal);

            // Mutation: an id above the valid ids read as row 0 instead of row 8 fails the out-of-range vector.
            var mutated = new SortedDictionary<string, string>(p.Files, StringComparer.Ordinal);
            mutated["firmware/tok.cpp"] = cpp.Replace("id > 8 ? 8 : id", "id > 8 ? 0 : id", StringComparison.Ordinal);
            Assert.NotEqual(cpp, mutated["firmware/tok.cpp"]);
            HlsFixture.ProcessResult bad = await Csim(new HlsProject(p.Name, mutated), "tok-mutated-" + io, io == "io_stream" ? 1 : 0);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains($"MISMATCH sample {ids.Count - 1}, output sum[0]", bad.Output, StringComparison.Ordinal);
        }

        /// <summary>Feature maps on several ports: in io_stream every port carries pixel beats (channels packed), which the
        /// testbench packs and unpacks per port; the conv output is both a model output and the Add's input.</summary>
        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task FeatureMapPortsPassCsim(string io)
        {
            string dir = HlsFixture.TempDir("two-maps-model");
            HlsProject p = Emit(ModelLoader.Load(ConvModels.WriteTwoMaps(dir)).GetGraphOrThrow(), io, 4);
            Directory.Delete(dir, true);
            string cpp = p.Files["firmware/two_maps.cpp"];
            string expected = io == "io_stream"
                ? "hls::stream<x_2_beat_t>& x_2_in, hls::stream<r_2_beat_t>& r_2_in, hls::stream<sum_beat_t>& sum_out, hls::stream<y_2_beat_t>& y_2_out"
                : "const x_2_t x_2_in[90], const r_2_t r_2_in[120], sum_t sum_out[120], y_2_t y_2_out[120]";
            // x, r and y are kernel locals (x, r: parameter and loop names), so the allocator moves those tensors to x_2, r_2, y_2.
            Assert.Equal(expected, Regex.Match(cpp, @"\nvoid two_maps\(([^)]*)\)").Groups[1].Value);
            Assert.Empty(PragmaRuleTests.Violations(cpp));
            HlsFixture.ProcessResult run = await Csim(p, "two-maps-" + io, io == "io_stream" ? 1 : 0);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: 9 samples, 2160 output elements", run.Output, StringComparison.Ordinal);
        }

        /// <summary>
        /// The model-specific files of the multi-port projects against Baselines/multiport_&lt;model&gt;_&lt;io&gt;/: top function and
        /// kernels, header, defines, testbench and README (accept reviewed changes with QUANTGEN_ACCEPT_BASELINES=1).
        /// </summary>
        [Theory]
        [InlineData("two", "io_parallel")]
        [InlineData("two", "io_stream")]
        [InlineData("tok", "io_parallel")]
        [InlineData("tok", "io_stream")]
        public void EmittedFilesMatchBaselines(string model, string io)
        {
            HlsProject p = Emit(model == "two" ? Two() : Tok(), io, 2);
            string[] pinned = { "firmware/" + model + ".cpp", "firmware/" + model + ".h", "firmware/defines.h", model + "_test.cpp", "README.md" };
            foreach (string f in pinned)
            {
                Baseline.Verify(HlsFixture.TestProject, "multiport_" + model + "_" + io, f.Replace('/', '_'), p.Files[f]);
            }

            Baseline.VerifyNoStale(HlsFixture.TestProject, "multiport_" + model + "_" + io, pinned.Select(f => f.Replace('/', '_')));
        }

        [Fact]
        public void GivenGoldenInputsReplaceTheRandomOnesAndAreChecked()
        {
            int[] ids = { 0, 1, 2, 3, 4, 12 };
            HlsProject p = Emit(Tok(), "io_parallel", given: new[] { new[] { ids, new[] { 1, -1, 10, -10 } } });
            Assert.Equal("0 1 2 3 4 12", p.Files["tb_data/tb_input_input_ids.dat"].Split('\n')[0]);
            Assert.Contains("given inputs: 1", p.Files["README.md"], StringComparison.Ordinal);

            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse("io_parallel", null, null, null, null, null, errors);
            options.GoldenInputs = new[] { new[] { ids, new[] { 1, -1, 11, -10 } } };
            HlsGenerationResult r = HlsGenerator.Generate(Tok(), options);
            Assert.False(r.Success);
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal("QG3006", d.Id);
            Assert.Contains("\"bias\" holds a value outside its declared range [-10, 10]", d.Message, StringComparison.Ordinal);

            options.GoldenInputs = new[] { new[] { ids } };
            r = HlsGenerator.Generate(Tok(), options);
            Assert.Contains("golden input 0 has 1 tensor(s); model \"tok\" has 2 input(s) (input_ids, bias)", Assert.Single(r.Diagnostics).Message, StringComparison.Ordinal);
        }

        [Fact]
        public void TestDataForSeveralInputsIsQG3015()
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse("io_parallel", null, null, null, null, null, errors);
            options.TestData = HlsFixture.DigitsCsv;
            HlsGenerationResult r = HlsGenerator.Generate(Two(), options);
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal("QG3015", d.Id);
            Assert.Contains("model \"two\" has 2 inputs (left_in, right-in)", d.Message, StringComparison.Ordinal);
            Assert.Null(r.Project);
        }
    }
}
