using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using QuantGen.CpuCheck;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Generated CPU code == reference interpreter, bit for bit, for both fixture models on the whole digits test
    /// split plus adversarial inputs (all max, all min, alternating, zeros, 100 random), single and batched, on
    /// every SIMD path: each path is forced in a child process with the runtime's ISA switches.
    /// </summary>
    public class CrossBackendTests
    {
        [Fact]
        public void DefaultPathIsBitExact()
        {
            List<CheckResult> results = QuantGen.CpuCheck.Program.CheckAll();
            Assert.All(results, r => Assert.True(r.Mismatches == 0 && r.Inputs == 555, r.ToString()));
        }

        /// <summary>
        /// Each row turns features off in a child process (the runtime's DOTNET_Enable* switches) and checks that the child
        /// reports the expected path, so the AVX-VNNI GEMM and every fallback (AVX-512 pmaddwd, AVX2 with and without VNNI,
        /// Vector128, scalar) are all compared with the reference. "+vnni" in the path means AvxVnni.IsSupported was true.
        /// </summary>
        [Theory]
        [InlineData("avx512", "DOTNET_EnableAVXVNNI=0")]
        [InlineData("avx2+vnni", "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0")]
        [InlineData("avx2", "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0", "DOTNET_EnableAVXVNNI=0")]
        [InlineData("vector128", "DOTNET_EnableAVX2=0")]
        [InlineData("scalar", "DOTNET_EnableHWIntrinsic=0")]
        public void ForcedSimdPathIsBitExact(string expectedPath, params string[] switches)
        {
            string here = QuantGen.CpuCheck.Mlp.SimdPath;
            if (!here.EndsWith("+vnni", StringComparison.Ordinal))
            {
                expectedPath = expectedPath.Replace("+vnni", string.Empty, StringComparison.Ordinal); // no AVX-VNNI on this machine
            }

            string[] order = { "avx512", "avx2", "vector128", "scalar" };
            int best = Array.IndexOf(order, here.Split('+')[0]);
            if (Array.IndexOf(order, expectedPath.Split('+')[0]) < best)
            {
                expectedPath = here.Split('+')[0]; // a machine without the feature can only go lower
            }

            var psi = new ProcessStartInfo("dotnet", "exec \"" + typeof(QuantGen.CpuCheck.Program).Assembly.Location + "\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string s in switches)
            {
                psi.Environment[s.Split('=')[0]] = s.Split('=')[1];
            }

            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(300_000), "the check did not finish");
            Assert.True(p.ExitCode == 0, output);
            Assert.StartsWith("path=" + expectedPath + "\n", output.Replace("\r\n", "\n"), StringComparison.Ordinal);
            Assert.Contains("digits_mlp: 555 inputs, 0 mismatches", output, StringComparison.Ordinal);
            Assert.Contains("digits_vit: 555 inputs, 0 mismatches", output, StringComparison.Ordinal);
            Assert.Contains("encoder_block: 8 inputs, 0 mismatches", output, StringComparison.Ordinal);
        }

        [Fact]
        public void EncoderBlockIsBitExactOnTheDefaultPath()
        {
            CheckResult r = QuantGen.CpuCheck.Program.CheckEncoder();
            Assert.True(r.Mismatches == 0 && r.Inputs == 8, r.ToString());
        }

        [Fact]
        public void GeneratedInferAllocatesNothing()
        {
            var mlp = new Mlp();
            var vit = new Vit();
            var encoder = new QuantGen.CpuCheck.Encoder();
            var x = new sbyte[64];
            var y = new sbyte[10];
            var tokens = new sbyte[197 * 192];
            var tokensOut = new sbyte[197 * 192];
            mlp.Infer(x, y);
            vit.Infer(x, y);
            encoder.Infer(tokens, tokensOut);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                mlp.Infer(x, y);
                vit.Infer(x, y);
                mlp.Infer(x, y, 1);
            }

            for (int i = 0; i < 3; i++)
            {
                encoder.Infer(tokens, tokensOut);
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        [Fact]
        public void BoundaryHelpersMatchTheReferenceAndPredictClassifies()
        {
            ModelGraph graph = ModelLoader.Load(Path.Combine(GeneratorHarness.RepoModels, "digits_mlp.qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            var mlp = new Mlp();
            IReadOnlyList<Sample> test = LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"))).Split("test");
            int correct = 0;
            var q = new sbyte[64];
            foreach (Sample s in test)
            {
                Mlp.QuantizeInput(s.Features, q);
                Assert.Equal(reference.Quantize(s.Features), q.Select(v => (int)v));
                correct += mlp.Predict(s.Features) == s.Label ? 1 : 0;
            }

            Assert.Equal(443, correct); // 98.44 %, the reference interpreter's accuracy (docs/fidelity.md)
            var logits = new float[10];
            Mlp.DequantizeOutput(new sbyte[] { -17, 0, 1, 2, 3, 4, 5, 6, 7, 127 }, logits);
            Assert.Equal((float)(graph.Output.Quant!.Scale * (127 - graph.Output.Quant.ZeroPoint)), logits[9]);
        }

        [Fact]
        public void InfoDescribesTheModel()
        {
            global::QuantGen.ModelInfo info = Mlp.Info;
            Assert.Equal("digits_mlp", info.Name);
            Assert.Equal((64 * 128) + (128 * 64) + (64 * 10), info.Macs);
            Assert.Equal((64 * 128) + (128 * 64) + (64 * 10) + (4 * (128 + 64 + 10)), info.WeightBytes);
            Assert.Equal(new[] { "fc1", "fc2", "fc3" }, info.Layers.Select(l => l.Name));
            Assert.All(info.Layers, l => Assert.Equal("int8-gemm-vnni", l.Kernel)); // AVX-VNNI where available, else the pmaddwd GEMM
            Assert.Equal(21, info.Layers[0].AccumulatorBits);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), info.Labels);
            Assert.Equal(new[] { "int8-gemm-vnni", "int16-gemm-pmaddwd" }, Vit.Info.Layers.Where(l => l.Op == "MatMul").Select(l => l.Kernel));
        }

        [Fact]
        public void InferRejectsWrongLengths()
        {
            var mlp = new Mlp();
            Assert.Throws<ArgumentException>(() => mlp.Infer(new sbyte[63], new sbyte[10]));
            Assert.Throws<ArgumentException>(() => mlp.Infer(new sbyte[64], new sbyte[9]));
            Assert.Throws<ArgumentException>(() => mlp.Infer(new sbyte[128], new sbyte[20], 3));
        }
    }
}
