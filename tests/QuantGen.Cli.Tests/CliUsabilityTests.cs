using System;
using System.IO;
using QuantGen.Cli;
using QuantGen.Data;
using Xunit;

namespace QuantGen.Tests.Cli
{
    /// <summary>What a new user runs into first: an ONNX file given to inspect, a mistyped --split, a silent bench.</summary>
    public sealed class CliUsabilityTests : IDisposable
    {
        private readonly string temp = Path.Combine(Path.GetTempPath(), "quantgen-cli-use-" + Guid.NewGuid().ToString("N"));

        public CliUsabilityTests()
        {
            Directory.CreateDirectory(temp);
        }

        public void Dispose() => Directory.Delete(temp, true);

        private static string Models => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));

        private static string OnnxModels => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("tests", "QuantGen.Onnx.Tests", "Models"));

        private static string Csv => LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"));

        private static (int Code, string Out, string Err) Run(params string[] args)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int code = CliApp.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }

        [Theory]
        [InlineData("inspect")]
        [InlineData("bench")]
        public void AnOnnxModelWhereASpecIsExpectedSaysToImportIt(string command)
        {
            (int code, string output, string error) = Run(command, Path.Combine(OnnxModels, "mlp_qdq.onnx"));
            Assert.Equal(1, code);
            Assert.Empty(output);
            Assert.Contains("mlp_qdq.onnx: error QG5007: is an ONNX model, not a QuantGen model spec (.qmodel.json); import it first: quantgen import mlp_qdq.onnx -o mlp_qdq.qmodel.json", error, StringComparison.Ordinal);
            Assert.DoesNotContain("JSON", error.Replace(".qmodel.json", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        }

        [Fact]
        public void AnOnnxModelUnderAnotherNameIsRecognisedByItsContent()
        {
            string renamed = Path.Combine(temp, "model.qmodel.json");
            File.Copy(Path.Combine(OnnxModels, "mlp_float.onnx"), renamed);
            (int code, _, string error) = Run("inspect", renamed);
            Assert.Equal(1, code);
            Assert.Contains("error QG5007: is an ONNX model", error, StringComparison.Ordinal);
            Assert.Contains("quantgen import model.qmodel.json -o model.imported.qmodel.json", error, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("verify")]
        [InlineData("bench")]
        [InlineData("quantize")]
        public void AMistypedSplitIsALocatedErrorListingTheSplits(string command)
        {
            string[] args = command switch
            {
                "verify" => new[] { "verify", Path.Combine(Models, "digits_mlp.qmodel.json"), "-f", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-d", Csv, "--split", "tset" },
                "bench" => new[] { "bench", Path.Combine(Models, "digits_mlp.qmodel.json"), "-d", Csv, "--split", "tset" },
                _ => new[] { "quantize", Path.Combine(Models, "digits_mlp.float.qmodel.json"), "-c", Csv, "--split", "tset", "-o", Path.Combine(temp, "q.qmodel.json") },
            };
            (int code, _, string error) = Run(args);
            Assert.Equal(1, code);
            Assert.Contains("error QG5002: " + Csv + ": the data set has no split \"tset\"; it has \"train\", \"test\"", error, StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", error, StringComparison.Ordinal); // no stack trace
            Assert.Equal(1, error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - (command == "bench" ? 1 : 0));
        }

        [Fact]
        public void BenchSaysWhatItDoesBeforeEachSlowStep()
        {
            (int code, string output, string error) = Run("bench", Path.Combine(Models, "digits_mlp.qmodel.json"), "--seconds", "0.05");
            Assert.True(code == 0, error);
            string[] steps = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(
                new[]
                {
                    "bench: loading digits_mlp.qmodel.json",
                    "bench: compiling the generated C# of digits_mlp in memory (the C# compiler's first run takes a few seconds)",
                    "bench: checking the generated code against the reference interpreter on 256 inputs",
                    "bench: measuring the generated code (0.05 s) and the reference interpreter (0.05 s)",
                },
                steps);
            Assert.Contains("bit-exact on 256/256", output, StringComparison.Ordinal);
            Assert.DoesNotContain("bench:", output, StringComparison.Ordinal);
        }
    }
}
