using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>Several named inputs and outputs: spec, writer round trip, graph, range analysis, reference interpreter.</summary>
    public class MultiInputTests
    {
        private const string TwoInTwoOut = """
        {
          "format": "quantgen", "version": 1, "name": "two", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [
            { "name": "a", "shape": [2], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 0 },
            { "name": "b", "shape": [2], "range": [-0.5, 0.5], "type": "int8", "scale": 0.01, "zeroPoint": 0 }
          ],
          "outputs": ["s", "r"],
          "initializers": {},
          "activations": { "s": { "type": "int8", "scale": 0.01, "zeroPoint": 0 } },
          "layers": [
            { "name": "add", "op": "Add", "inputs": ["a", "b"], "output": "s",
              "multiplierA": 1, "shiftA": 0, "multiplierB": 1, "shiftB": 0 },
            { "name": "relu", "op": "Relu", "inputs": ["s"], "output": "r" }
          ]
        }
        """;

        [Fact]
        public void TwoInputsTwoOutputsRunInSpecOrder()
        {
            ModelGraph g = Fixtures.FromMemory(TwoInTwoOut).GetGraphOrThrow();
            Assert.Equal(new[] { "a", "b" }, g.Inputs.Select(t => t.Name));
            Assert.Equal(new[] { "s", "r" }, g.Outputs.Select(t => t.Name));
            Assert.False(g.IsSingleInputOutput);

            // s = a + b (both at scale 0.01, zero point 0): [3 + 2, -7 + 4] = [5, -3]; relu at zero point 0: [5, 0].
            int[][] outs = new ReferenceInterpreter(g).RunMany(new[] { new[] { 3, -7 }, new[] { 2, 4 } });
            Assert.Equal(new[] { 5, -3 }, outs[0]);
            Assert.Equal(new[] { 5, 0 }, outs[1]);
        }

        [Fact]
        public void RangeAnalysisReadsEveryInputsOwnRange()
        {
            ModelGraph g = Fixtures.FromMemory(TwoInTwoOut).GetGraphOrThrow();
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport report = RangeAnalysis.Analyze(g, diagnostics)!;
            Assert.Empty(diagnostics);

            // a in [-1, 1] at 0.01 -> [-100, 100]; b in [-0.5, 0.5] -> [-50, 50]; the sum [-150, 150] clamps to int8.
            Assert.Equal(-100, report.Tensors["a"].Min);
            Assert.Equal(50, report.Tensors["b"].Max);
            Assert.Equal(-128, report.Layers[0].Output.Min);
            Assert.Equal(127, report.Layers[0].Output.Max);
        }

        [Fact]
        public void InterpreterNamesTheInputThatIsWrong()
        {
            var interpreter = new ReferenceInterpreter(Fixtures.FromMemory(TwoInTwoOut).GetGraphOrThrow());
            Assert.Contains("takes 2 input(s); got 1", Assert.Throws<ArgumentException>(() => interpreter.RunMany(new[] { new[] { 1, 2 } })).Message, StringComparison.Ordinal);
            Assert.Contains("input elements in \"b\"", Assert.Throws<ArgumentException>(() => interpreter.RunMany(new[] { new[] { 1, 2 }, new[] { 1 } })).Message, StringComparison.Ordinal);
            Assert.Contains("\"b\"[1] = 300", Assert.Throws<ArgumentOutOfRangeException>(() => interpreter.RunMany(new[] { new[] { 1, 2 }, new[] { 1, 300 } })).Message, StringComparison.Ordinal);
        }

        [Fact]
        public void WriterRoundTripsInputsOutputsAndIndexInputs()
        {
            string spec = TwoInTwoOut.Replace(
                "{ \"name\": \"b\", \"shape\": [2], \"range\": [-0.5, 0.5], \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0 }",
                "{ \"name\": \"b\", \"shape\": [2], \"range\": [0, 9], \"type\": \"index\" }",
                StringComparison.Ordinal);
            var diagnostics = new List<ModelDiagnostic>();
            ModelSpec parsed = SpecParser.Parse(spec, "m.json", diagnostics)!;
            Assert.Empty(diagnostics);
            Assert.True(parsed.Inputs[1].IsIndex);
            Assert.Equal("int32 scale 1 zp 0", parsed.Inputs[1].Quant!.ToString());
            string json = SpecWriter.ToJson(parsed);
            Assert.Contains("\"type\": \"index\"", json, StringComparison.Ordinal);
            ModelSpec again = SpecParser.Parse(json, "m.json", diagnostics)!;
            Assert.Empty(diagnostics);
            Assert.Equal(json, SpecWriter.ToJson(again));
            Assert.Equal(new[] { "s", "r" }, again.Outputs.Select(o => o.Name));
        }

        [Theory]
        [InlineData("\"outputs\": [\"s\", \"r\"]", "\"outputs\": [\"s\", \"s\"]", "QG1040", "$.outputs[1]")]
        [InlineData("{ \"name\": \"b\", \"shape\"", "{ \"name\": \"a\", \"shape\"", "QG1040", "$.inputs[1]")]
        [InlineData("\"range\": [-0.5, 0.5], \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0", "\"range\": [0, 9], \"type\": \"index\", \"scale\": 0.01", "QG1041", "$.inputs[1].scale")]
        [InlineData("\"range\": [-0.5, 0.5], \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0", "\"range\": [0, 9.5], \"type\": \"index\"", "QG1041", "$.inputs[1].range")]
        [InlineData("\"range\": [-0.5, 0.5], \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0", "\"range\": [1, 9], \"type\": \"index\"", "QG1041", "$.inputs[1].range")]
        [InlineData("\"outputs\": [\"s\", \"r\"]", "\"outputs\": [\"s\", \"q\"]", "QG1007", "$.outputs[1]")]
        [InlineData("\"inputs\": [\"a\", \"b\"]", "\"inputs\": [\"a\", \"a\"]", "QG1042", "$.inputs[1]")]
        [InlineData("\"range\": [-0.5, 0.5], \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0", "\"range\": [0, 9], \"type\": \"index\"", "QG1041", "$.layers[0]")]
        public void BadInputsAndOutputsAreLocated(string from, string to, string id, string place)
        {
            string spec = TwoInTwoOut.Replace(from, to, StringComparison.Ordinal);
            Assert.NotEqual(TwoInTwoOut, spec);
            ModelLoadResult result = Fixtures.FromMemory(spec);
            Assert.Contains(result.Diagnostics, d => d.Id == id && d.Place == place);
        }

        private const string EmbeddingSpec = """
        {
          "format": "quantgen", "version": 1, "name": "emb", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [{ "name": "ids", "shape": [3], "range": [0, 3], "type": "index" }],
          "outputs": ["e"],
          "initializers": { "tok": { "type": "int8", "shape": [4, 2], "scale": 0.1 } },
          "activations": { "e": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
          "layers": [{ "name": "lookup", "op": "Embedding", "inputs": ["ids"], "output": "e", "table": "tok" }]
        }
        """;

        private static readonly RawTensor Table = TensorCodec.EncodeInts("tok", Numerics.ElementType.Int8, new[] { 4, 2 }, new[] { 1, 2, -3, -4, 50, 60, 127, -128 });

        [Fact]
        public void EmbeddingCopiesTheRowsOfTheIds()
        {
            ModelGraph g = Fixtures.FromMemory(EmbeddingSpec, Table).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(g);

            // ids [3, 0, 2] pick rows [127, -128], [1, 2], [50, 60] of the table.
            Assert.Equal(new[] { 127, -128, 1, 2, 50, 60 }, reference.Run(new[] { 3, 0, 2 }));

            // The interpreter names the input and the position of an id outside the declared range [0, 3].
            Assert.Contains("\"ids\"[1] = 4 is outside [0, 3]", Assert.Throws<ArgumentOutOfRangeException>(() => reference.Run(new[] { 0, 4, 1 })).Message, StringComparison.Ordinal);
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport report = RangeAnalysis.Analyze(g, diagnostics)!;
            Assert.Empty(diagnostics);
            Assert.Equal(-128, report.Layers[0].Output.Min);
            Assert.Equal(127, report.Layers[0].Output.Max);
        }

        [Fact]
        public void EmbeddingFloatAndQuantizationRoundTrip()
        {
            string floatSpec = EmbeddingSpec.Replace("\"kind\": \"quantized\"", "\"kind\": \"float\"", StringComparison.Ordinal)
                .Replace("\"type\": \"int8\", \"shape\": [4, 2], \"scale\": 0.1", "\"type\": \"float32\", \"shape\": [4, 2]", StringComparison.Ordinal)
                .Replace("\"activations\": { \"e\": { \"type\": \"int8\", \"scale\": 0.1, \"zeroPoint\": 0 } },", string.Empty, StringComparison.Ordinal);
            ModelGraph g = Fixtures.FromMemory(floatSpec, TensorCodec.EncodeFloats("tok", new[] { 4, 2 }, new[] { 0.1f, 0.2f, -0.3f, -0.4f, 5f, 6f, 12.7f, -12.7f })).GetGraphOrThrow();
            Assert.Equal(new[] { 12.7f, -12.7f, 0.1f, 0.2f }, new FloatInterpreter(g).Run(new[] { 3f, 0f, 1f }).Take(4).Select(v => (float)v));

            // PTQ: one scale for the table (absmax 12.7 / 127 = 0.1), the output keeps it; ids stay int32 at scale 1.
            Quantization.QuantizedModel q = Quantization.PostTrainingQuantizer.Quantize(g, new[] { new[] { 0f, 1f, 3f } });
            Assert.True(q.Graph.Input.IsIndex);
            Assert.Equal("int32 scale 1 zp 0", q.Graph.Input.Quant!.ToString());
            Assert.Equal(0.1, q.Graph.Output.Quant!.Scale, 6);
            Assert.Equal(new[] { 127, -127, 1, 2 }, new ReferenceInterpreter(q.Graph).Run(new[] { 3, 0, 1 }).Take(4));
        }

        [Fact]
        public void IdsThatPassTheTableAreRejected()
        {
            ModelGraph g = Fixtures.FromMemory(EmbeddingSpec.Replace("\"range\": [0, 3]", "\"range\": [0, 9]", StringComparison.Ordinal), Table).GetGraphOrThrow();
            var diagnostics = new List<ModelDiagnostic>();
            Assert.Null(RangeAnalysis.Analyze(g, diagnostics));
            ModelDiagnostic d = Assert.Single(diagnostics);
            Assert.Equal("QG1043", d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.Contains("range over [0, 9] but table \"tok\" has rows 0 to 3", d.Message, StringComparison.Ordinal);
        }

        private const string MaskedSpec = """
        {
          "format": "quantgen", "version": 1, "name": "masked", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [
            { "name": "scores", "shape": [2, 3], "range": [-3, 3], "type": "int8", "scale": 0.1, "zeroPoint": 0 },
            { "name": "mask", "shape": [1, 3], "range": [0, 1], "type": "int8", "scale": 1, "zeroPoint": 0 }
          ],
          "outputs": ["p"],
          "initializers": {},
          "activations": { "p": { "type": "int8", "scale": 0.0078125, "zeroPoint": 0 } },
          "layers": [{ "name": "attn", "op": "MaskedSoftmax", "inputs": ["scores", "mask"], "output": "p", "x0": -10, "n": 4, "outBits": 8 }]
        }
        """;

        [Fact]
        public void MaskedSoftmaxMatchesHandComputation()
        {
            var reference = new ReferenceInterpreter(Fixtures.FromMemory(MaskedSpec).GetGraphOrThrow());

            // Row [5, 0, 20], keep [1, 0, 1]: max 20; ShiftExp(-15, x0 -10, n 4): -15 - 8 + 1 = -22, q 2, r -2, ((18) << 2) >> 1 = 36;
            // ShiftExp(0) = (20 << 4) >> 1 = 160; sum 196, f = floor((2^31 - 1) / 196) = 10956549; (36 f) >> 24 = 23, (160 f) >> 24 = 104.
            // Row [1, 2, 3]: ShiftExp(-2) = 144, sum 304, f = 7064090: 60 and 67. The masked position is 0 in both rows.
            Assert.Equal(new[] { 23, 0, 104, 60, 0, 67 }, reference.RunMany(new[] { new[] { 5, 0, 20, 1, 2, 3 }, new[] { 1, 0, 1 } })[0]);

            // Every position masked: the row is all zeros (the float graph would give a uniform row; see docs/model-format.md).
            Assert.Equal(new int[6], reference.RunMany(new[] { new[] { 5, 0, 20, 1, 2, 3 }, new[] { 0, 0, 0 } })[0]);
        }

        [Fact]
        public void MaskedSoftmaxNeedsOneMaskRow()
        {
            ModelLoadResult r = Fixtures.FromMemory(MaskedSpec.Replace("\"shape\": [1, 3], \"range\": [0, 1]", "\"shape\": [2, 3], \"range\": [0, 1]", StringComparison.Ordinal));
            ModelDiagnostic d = Assert.Single(r.Diagnostics);
            Assert.Equal("QG1010", d.Id);
            Assert.Contains("must be one row of 3 values", d.Message, StringComparison.Ordinal);
        }
    }
}
