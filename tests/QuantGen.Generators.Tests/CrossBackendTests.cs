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
    /// Generated CPU code == reference interpreter, bit for bit, for the digits MLP, ViT and CNN on the whole digits test
    /// split plus adversarial inputs (all max, all min, alternating, zeros, 100 random), and for the synthetic convolution
    /// model on adversarial plus 200 random inputs, single and batched, on every SIMD path: each path is forced in a
    /// child process with the runtime's ISA switches.
    /// </summary>
    public class CrossBackendTests
    {
        [Fact]
        public void DefaultPathIsBitExact()
        {
            List<CheckResult> results = QuantGen.CpuCheck.Program.CheckAll();
            Assert.Equal(new[] { "digits_mlp", "digits_vit", "digits_cnn" }, results.Select(r => r.Model));
            Assert.All(results, r => Assert.True(r.Mismatches == 0 && r.Inputs == 555, r.ToString()));
        }

        [Fact]
        public void SyntheticConvModelIsBitExactOnTheDefaultPath()
        {
            CheckResult r = QuantGen.CpuCheck.Program.CheckSynthetic();
            Assert.True(r.Mismatches == 0 && r.Inputs == 205, r.ToString());
        }

        /// <summary>
        /// The synthetic model exercises what it is there for: both Conv2d kernels and, on the adversarial inputs, the
        /// saturation at both ends of the int16 and int4 activations (so accumulator or clamp bugs cannot hide).
        /// </summary>
        [Fact]
        public void SyntheticConvModelReachesTheKernelsAndTheExtremes()
        {
            Assert.Equal(
                new[] { "conv_a:int16-im2col-pmaddwd", "pool:scalar", "conv_b:scalar-int64", "conv_c:int16-im2col-pmaddwd", "conv_d:int16-im2col-pmaddwd" },
                QuantGen.CpuCheck.ConvSynthetic.Info.Layers.Select(l => l.Name + ":" + l.Kernel));
            ModelGraph graph = ModelLoader.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("tests", "QuantGen.CpuCheck", "models", "conv_synthetic.qmodel.json"))).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            var seen = new Dictionary<string, HashSet<int>>();
            foreach (int[] input in QuantGen.CpuCheck.Program.Adversarial(graph.Input.ElementCount, 200))
            {
                foreach (KeyValuePair<string, int[]> kv in reference.RunAll(input))
                {
                    if (!seen.TryGetValue(kv.Key, out HashSet<int>? set))
                    {
                        seen[kv.Key] = set = new HashSet<int>();
                    }

                    set.UnionWith(kv.Value);
                }
            }

            Assert.Contains(-32768, seen["a"]);
            Assert.Contains(32767, seen["a"]);
            Assert.Contains(0, seen["b"]);
            Assert.Contains(32767, seen["b"]);
            Assert.Equal(16, seen["c"].Count); // every int4 value, -8 and 7 included
            Assert.True(seen["a"].Count > 1000 && seen["b"].Count > 500 && seen["y"].Count > 50, string.Join(", ", seen.Select(kv => kv.Key + ": " + kv.Value.Count)));
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
            Assert.Contains("digits_cnn: 555 inputs, 0 mismatches", output, StringComparison.Ordinal);
            Assert.Contains("conv_synthetic: 205 inputs, 0 mismatches", output, StringComparison.Ordinal);
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
            var cnn = new QuantGen.CpuCheck.Cnn();
            var synthetic = new QuantGen.CpuCheck.ConvSynthetic();
            var x = new sbyte[64];
            var y = new sbyte[10];
            var xs = new sbyte[QuantGen.CpuCheck.ConvSynthetic.InputLength];
            var ys = new sbyte[QuantGen.CpuCheck.ConvSynthetic.OutputLength];
            var xs3 = new sbyte[3 * QuantGen.CpuCheck.ConvSynthetic.InputLength];
            var ys3 = new sbyte[3 * QuantGen.CpuCheck.ConvSynthetic.OutputLength];
            var tokens = new sbyte[197 * 192];
            var tokensOut = new sbyte[197 * 192];
            mlp.Infer(x, y);
            vit.Infer(x, y);
            encoder.Infer(tokens, tokensOut);
            cnn.Infer(x, y);
            synthetic.Infer(xs, ys);
            synthetic.Infer(xs3, ys3, 3);
            Assert.Equal(0, QuantGen.Testing.Allocations.Fewest(() =>
            {
                for (int i = 0; i < 100; i++)
                {
                    mlp.Infer(x, y);
                    vit.Infer(x, y);
                    mlp.Infer(x, y, 1);
                    cnn.Infer(x, y);
                    cnn.Infer(x, y, 1);
                    synthetic.Infer(xs, ys);
                    synthetic.Infer(xs3, ys3, 3);
                }

                for (int i = 0; i < 3; i++)
                {
                    encoder.Infer(tokens, tokensOut);
                }
            }));
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

            // digits_cnn: conv1 8 x 8x8 outputs x 9 taps, depthwise 8 x 4x4 x 9, pointwise 16 x 4x4 x 8, fc 10 x 16.
            global::QuantGen.ModelInfo cnn = QuantGen.CpuCheck.Cnn.Info;
            Assert.Equal((8 * 64 * 9) + (8 * 16 * 9) + (16 * 16 * 8) + (10 * 16), cnn.Macs);
            Assert.Equal((8 * 9) + (8 * 9) + (16 * 8) + (10 * 16) + (4 * (8 + 8 + 16 + 10)), cnn.WeightBytes);
            Assert.Equal(new[] { "int8-conv-nhwc-gemm", "int8-maxpool", "int8-depthwise-nhwc", "int8-conv-nhwc-gemm" }, cnn.Layers.Where(l => l.Op is "Conv2d" or "MaxPool2d").Select(l => l.Kernel));
            Assert.Equal(new[] { 1, 16, 4, 4 }, cnn.Layers.Single(l => l.Name == "pw").OutputShape);
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
