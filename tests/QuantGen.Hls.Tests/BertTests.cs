using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Graph;
using QuantGen.Hls;
using QuantGen.Model;
using QuantGen.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// The zoo's BERT-tiny (samples/zoo/models/bert_tiny_ortqdq.onnx: int64 token ids and an attention mask [1, 72], two
    /// layers, dim 128, two heads) through the HLS backend with no reuse plan: an int32 id port and a mask port, one
    /// output, fitting the part by the estimate, bit-exact in C simulation on given inputs (random ids, random mask lengths,
    /// a fully padded tail) plus the adversarial vectors and the out-of-range ids (clamped).
    /// </summary>
    public sealed class BertTests
    {
        internal const string Part = "xczu9eg-ffvb1156-2-e";

        private const int Length = 72;

        private readonly ITestOutputHelper output;

        public BertTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        /// <summary>
        /// Six (ids, mask) pairs: ids uniform over [0, vocab - 1]; the mask 1 on a prefix of length 72 (no padding), 1 (a fully
        /// padded tail of 71 positions), and four random lengths, quantized with the mask input's own parameters.
        /// </summary>
        internal static List<IReadOnlyList<int[]>> Inputs(ModelGraph g, int seed)
        {
            var rng = new Random(seed);
            int vocab = (int)g.Spec.Inputs[0].RangeMax + 1;
            TensorQuant maskQ = g.Inputs[1].Quant!;
            int one = (int)Numerics.Quantization.Quantize(1, maskQ.Scale, maskQ.ZeroPoint, maskQ.Type);
            int zero = (int)Numerics.Quantization.Quantize(0, maskQ.Scale, maskQ.ZeroPoint, maskQ.Type);
            var list = new List<IReadOnlyList<int[]>>();
            foreach (int keep in new[] { Length, 1, 1 + rng.Next(Length), 1 + rng.Next(Length), 1 + rng.Next(Length), 1 + rng.Next(Length) })
            {
                int[] ids = Enumerable.Range(0, Length).Select(_ => rng.Next(vocab)).ToArray();
                int[] mask = Enumerable.Range(0, Length).Select(i => i < keep ? one : zero).ToArray();
                list.Add(new[] { ids, mask });
            }

            return list;
        }

        [Fact]
        public async Task BertTinyEmitsForTheZcu102AndPassesCsimOnGivenAndOutOfRangeIds()
        {
            ModelGraph g = OnnxImporter.ImportQdq(ZooModelTests.Zoo("bert_tiny_ortqdq.onnx")).Model.Graph;
            Assert.Equal(new[] { "input_ids", "attention_mask" }, g.Inputs.Select(t => t.Name));
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse("io_stream", null, null, Part, null, null, errors);
            Assert.Empty(errors);
            options.GoldenInputs = Inputs(g, 5);
            HlsGenerationResult r = HlsGenerator.Generate(g, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            HlsProject p = r.Project!;
            string report = p.Files["report.json"];
            output.WriteLine(System.Text.RegularExpressions.Regex.Match(report, "\"totals\": \\{[^}]*\\}[^}]*\\}").Value.Replace("\n", " "));
            Assert.All(ZooModelTests.Percent(report), kv => Assert.InRange(kv.Value, 0, 80));
            Assert.Contains("\"warning\": \"\"", report);

            string cpp = p.Files["firmware/" + p.Name + ".cpp"];
            Assert.Contains("hls::stream<input_ids_port_t>& input_ids_in, hls::stream<attention_mask_t>& attention_mask_in, hls::stream<", cpp, StringComparison.Ordinal);
            Assert.Empty(PragmaRuleTests.Violations(cpp));

            // 6 given + 5 adversarial + 2 with ids out of range.
            Assert.Equal(13, HlsFixture.ReadVectors(p.Files["tb_data/tb_input_input_ids.dat"]).Count);
            Assert.Equal(13, p.GoldenVectors);
            Assert.Equal(new[] { "tb_data/tb_input_attention_mask.dat", "tb_data/tb_input_input_ids.dat", "tb_data/tb_output_" }, p.Files.Keys.Where(k => k.StartsWith("tb_data/", StringComparison.Ordinal)).Select(k => k.StartsWith("tb_data/tb_output_", StringComparison.Ordinal) ? "tb_data/tb_output_" : k));

            // Both MaskedSoftmax layers read the mask: the top function fans it out, and the second layer's FIFO holds the
            // whole mask (the fan-out writes both in lockstep while the first layer waits for its whole mask).
            Assert.Contains("QG_LABEL(FANOUT_ATTENTION_MASK_IN)", cpp, StringComparison.Ordinal);
            Assert.Contains("QG_HLS(STREAM variable=s_attention_mask_1 depth=72)", cpp, StringComparison.Ordinal);
            string dir = HlsFixture.WriteProject(p, "bert");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[0], "gcc");
            long compileMs = clock.ElapsedMilliseconds;
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            output.WriteLine($"g++ {compileMs / 1000.0:F1} s, testbench {(clock.ElapsedMilliseconds - compileMs) / 1000.0:F1} s: " + run.Output);
            Assert.True(run.ExitCode == 0, run.Output);
            int outputs = g.Output.ElementCount;
            Assert.Contains($"PASS: 13 samples, {13 * outputs} output elements", run.Output, StringComparison.Ordinal);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
