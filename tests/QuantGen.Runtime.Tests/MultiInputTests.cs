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
        public void BadInputsAndOutputsAreLocated(string from, string to, string id, string place)
        {
            string spec = TwoInTwoOut.Replace(from, to, StringComparison.Ordinal);
            Assert.NotEqual(TwoInTwoOut, spec);
            ModelLoadResult result = Fixtures.FromMemory(spec);
            Assert.Contains(result.Diagnostics, d => d.Id == id && d.Place == place);
        }
    }
}
