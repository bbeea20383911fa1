using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Issue 17 item 8: every CLI exit path prints an id; the quantizer API explains impossible settings.</summary>
    public sealed class CliRegressionTests : IDisposable
    {
        private readonly string dir = TestFiles.NewTempFolder("cli-reg");

        public void Dispose() => Directory.Delete(dir, true);

        private static string Mlp => Path.Combine(TestFiles.Models, "digits_mlp.qmodel.json");

        private static string MlpFloat => Path.Combine(TestFiles.Models, "digits_mlp.float.qmodel.json");

        private static string Rejected(int expectedCode, string id, params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = QuantGen.Cli.CliApp.Run(args, stdout, stderr);
            string err = stderr.ToString();
            Assert.True(code == expectedCode, $"exit {code}: {err}{stdout}");
            Assert.Contains("error " + id + ":", err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
            Assert.Null(FuzzRunner.CheckRejection(err));
            return err;
        }

        [Fact]
        public void AMissingSplitIsQG5002InEveryCommand()
        {
            string err = Rejected(1, "QG5002", "quantize", MlpFloat, "-c", TestFiles.DigitsCsv, "--split", "nope", "-o", Path.Combine(dir, "x.qmodel.json"));
            Assert.Contains("no split \"nope\"", err, StringComparison.Ordinal);
            Rejected(1, "QG5002", "verify", Mlp, "-f", MlpFloat, "-d", TestFiles.DigitsCsv, "--split", "nope");
            Rejected(1, "QG5002", "bench", Mlp, "-d", TestFiles.DigitsCsv, "--split", "nope", "--seconds", "0.01");
        }

        [Theory]
        [InlineData("5\n")]
        [InlineData("0")]
        [InlineData("-1")]
        public void AClockWithANewlineIsQG3005(string clock) =>
            Rejected(1, "QG3005", "emit-hls", Mlp, "-o", dir, "--clock", clock);

        [Fact]
        public void AnUnwritableOutputFolderIsQG3009()
        {
            File.WriteAllText(Path.Combine(dir, "file"), "x");
            Rejected(1, "QG3009", "emit-hls", Mlp, "-o", Path.Combine(dir, "file"), "--test-vectors", "2");
            Rejected(1, "QG3009", "emit-hls", Mlp, "-o", "/proc/quantgen-test", "--test-vectors", "2");
        }

        [Theory]
        [InlineData("-1")]
        [InlineData("0")]
        [InlineData("NaN")]
        [InlineData("Infinity")]
        [InlineData("-Infinity")]
        [InlineData("1e9")]
        public void BenchSecondsMustBePositiveAndFinite(string seconds) =>
            Rejected(2, "QG5001", "bench", Mlp, "--seconds", seconds);

        [Fact]
        public void UsageErrorsAndModelKindErrorsHaveIds()
        {
            Rejected(2, "QG5001", "inspect");
            Rejected(2, "QG5001", "nope");
            Rejected(1, "QG5004", "bench", MlpFloat, "--seconds", "0.01");
            Rejected(1, "QG5004", "verify", MlpFloat, "-f", Mlp, "-d", TestFiles.DigitsCsv);
            Rejected(1, "QG5004", "quantize", Mlp, "-c", TestFiles.DigitsCsv, "-o", Path.Combine(dir, "y.qmodel.json"));
            Rejected(1, "QG5005", "verify", Mlp, "-f", MlpFloat, "-d", TestFiles.DigitsCsv, "--limit", "20", "--max-accuracy-drop", "-1");
            Rejected(2, "QG5001", "quantize", MlpFloat, "-c", TestFiles.DigitsCsv, "-o", Path.Combine(dir, "z.qmodel.json"), "--softmax-bits", "40");
            Rejected(1, "QG5003", "quantize", MlpFloat, "-c", TestFiles.DigitsCsv, "--limit", "10", "-o", "/proc/quantgen-test/x.qmodel.json");
            Rejected(1, "QG1001", "inspect", Path.Combine(dir, "missing.qmodel.json"));
            Rejected(1, "QG1001", "inspect", dir);
        }

        [Fact]
        public void TheWeightsPathOptInIsACliFlag()
        {
            Directory.CreateDirectory(Path.Combine(dir, "spec"));
            File.WriteAllText(Path.Combine(dir, "spec", "m.qmodel.json"), File.ReadAllText(Mlp).Replace("\"digits_mlp.safetensors\"", "\"../digits_mlp.safetensors\""));
            File.Copy(Path.Combine(TestFiles.Models, "digits_mlp.safetensors"), Path.Combine(dir, "digits_mlp.safetensors"));
            Rejected(1, "QG1022", "inspect", Path.Combine(dir, "spec", "m.qmodel.json"));
            Assert.Equal(0, QuantGen.Cli.CliApp.Run(new[] { "inspect", Path.Combine(dir, "spec", "m.qmodel.json"), "--allow-external-weights" }, new StringWriter(), new StringWriter()));
        }

        [Fact]
        public void LowBitIBertAndShiftGeluSettingsNeverEscapeAsArgumentOutOfRange()
        {
            ModelGraph floatGraph = ModelLoader.Load(Path.Combine(TestFiles.Models, "digits_vit.float.qmodel.json")).GetGraphOrThrow();
            List<float[]> calibration = LabeledDataset.Load(TestFiles.DigitsCsv).Split("train").Take(16).Select(s => s.Features).ToList();
            var rng = new Random(17);
            int explained = 0, worked = 0;
            for (int i = 0; i < 24; i++)
            {
                var bits = floatGraph.Nodes.ToDictionary(n => n, n => n.Layer.Precision.ActivationBits);
                foreach (GraphNode n in floatGraph.Nodes)
                {
                    n.Layer.Precision.ActivationBits = rng.Pick(new[] { 2, 3, 4, 8 });
                }

                var options = new QuantizationOptions
                {
                    SoftmaxMethod = rng.Next(2) == 0 ? SoftmaxMethod.IBert : SoftmaxMethod.Shiftmax,
                    GeluMethod = rng.Next(2) == 0 ? GeluMethod.IBert : GeluMethod.ShiftGelu,
                    SoftmaxOutBits = rng.Next(2, 17),
                    ShiftmaxN = rng.Next(0, 31),
                    ShiftGeluN = rng.Next(0, 31),
                };
                try
                {
                    PostTrainingQuantizer.Quantize(floatGraph, calibration, options);
                    worked++;
                }
                catch (QuantizationSettingsException e)
                {
                    Assert.Contains("layer \"", e.Message, StringComparison.Ordinal);
                    explained++;
                }
                catch (ModelException e)
                {
                    Assert.All(e.Diagnostics, d => Assert.StartsWith("QG1", d.Id, StringComparison.Ordinal));
                    explained++;
                }
                finally
                {
                    foreach (KeyValuePair<GraphNode, int> kv in bits)
                    {
                        kv.Key.Layer.Precision.ActivationBits = kv.Value;
                    }
                }
            }

            Assert.Equal(24, worked + explained);
            Assert.Throws<QuantizationSettingsException>(() => PostTrainingQuantizer.Quantize(floatGraph, calibration, new QuantizationOptions { ShiftmaxN = 31 }));
            Assert.Throws<QuantizationSettingsException>(() => PostTrainingQuantizer.Quantize(floatGraph, calibration, new QuantizationOptions { SoftmaxOutBits = 1 }));
        }
    }
}
