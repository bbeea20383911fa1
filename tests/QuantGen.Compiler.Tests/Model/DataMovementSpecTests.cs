using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Model
{
    /// <summary>Concat, Slice and Split in the spec: round trips and a located diagnostic for every bad field.</summary>
    public class DataMovementSpecTests
    {
        private static string Float(string layers, string output = "y", string initializers = "") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "dm", "kind": "float", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 4], "range": [-1, 1] }],
          "outputs": ["{{output}}"],
          "initializers": { {{initializers}} },
          "layers": [ {{layers}} ]
        }
        """;

        private static string Quantized(string layers, string activations, string output = "y") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "dm", "kind": "quantized", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 4], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 0 }],
          "outputs": ["{{output}}"],
          "initializers": {},
          "activations": { {{activations}} },
          "layers": [ {{layers}} ]
        }
        """;

        private static ModelLoadResult Load(string spec, params RawTensor[] tensors) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(tensors), "t.safetensors");

        [Fact]
        public void AllThreeRoundTripByteForByte()
        {
            string spec = Float("""
                { "name": "sp", "op": "Split", "inputs": ["x"], "outputs": ["a", "b", "c"], "axis": -1, "sizes": [1, 2, 1] },
                { "name": "sl", "op": "Slice", "inputs": ["b"], "output": "s", "starts": [-1, 0], "ends": [-9223372036854775808, 2], "axes": [1, 0], "steps": [-1, 1] },
                { "name": "sl2", "op": "Slice", "inputs": ["c"], "output": "s2", "starts": [0], "ends": [5] },
                { "name": "cat", "op": "Concat", "inputs": ["s", "a", "s2"], "output": "y", "axis": 1 }
                """);
            ModelLoadResult r = Load(spec);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(new[] { 2, 4 }, r.Graph!.Output.Shape);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"outputs\": [\"a\", \"b\", \"c\"],\n      \"axis\": -1,\n      \"sizes\": [1, 2, 1]", written, System.StringComparison.Ordinal);
            Assert.Contains("\"starts\": [-1, 0],\n      \"ends\": [-9223372036854775808, 2],\n      \"axes\": [1, 0],\n      \"steps\": [-1, 1]", written, System.StringComparison.Ordinal);
            Assert.Contains("\"name\": \"sl2\",\n      \"op\": \"Slice\",\n      \"inputs\": [\"c\"],\n      \"output\": \"s2\",\n      \"starts\": [0],\n      \"ends\": [5]\n", written, System.StringComparison.Ordinal);
            ModelSpec again = SpecParser.Parse(written, "w.qmodel.json", new List<ModelDiagnostic>())!;
            Assert.Equal(written, SpecWriter.ToJson(again));
            var split = (SplitLayer)again.Layers[0];
            Assert.Equal(new[] { "a", "b", "c" }, split.Outputs);
            Assert.Equal(new[] { 1, 2, 1 }, split.Sizes);
        }

        [Fact]
        public void QuantizedConcatRoundTripsItsMultipliers()
        {
            string spec = Quantized(
                """{ "name": "cat", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0, "multipliers": [1073741824, 1073741824], "shifts": [31, 31] }""",
                """ "y": { "type": "int8", "scale": 0.02, "zeroPoint": 0 } """);
            ModelLoadResult r = Load(spec);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var c = (ConcatLayer)r.Graph!.Nodes[0].Layer;
            Assert.Equal(new[] { new Dyadic(1073741824, 31), new Dyadic(1073741824, 31) }, c.Integers.Requant);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"axis\": 0,\n      \"multipliers\": [1073741824, 1073741824],\n      \"shifts\": [31, 31]", written, System.StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
        }

        [Theory]
        // spec parser: located at the bad field
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x"], "output": "y", "axis": 0 }""", "QG1005", "$.layers[0].inputs", "takes 2 or more inputs; found 1")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 8 }""", "QG1017", "$.layers[0].axis", "outside the allowed range [-8, 7]")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y" }""", "QG1004", "$.layers[0]", "missing required field \"axis\"")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0, "multipliers": [1], "shifts": [0] }""", "QG1005", "$.layers[0].multipliers", "belongs in quantized models only")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0], "ends": [1, 1], "steps": [1, 0] }""", "QG1005", "$.layers[0].steps[1]", "a slice step is never 0")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0], "ends": [1] }""", "QG1010", "$.layers[0].ends", "\"ends\" has 1 entries but \"starts\" has 2")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0], "ends": [1, 1], "axes": [0] }""", "QG1010", "$.layers[0].axes", "\"axes\" has 1 entries")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0], "ends": [1], "steps": [1, 1] }""", "QG1010", "$.layers[0].steps", "\"steps\" has 2 entries")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0], "ends": [1, 1], "axes": [1, 1] }""", "QG1005", "$.layers[0].axes[1]", "axis 1 appears twice")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [], "ends": [] }""", "QG1005", "$.layers[0].starts", "\"starts\" is empty")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0], "ends": [1.5] }""", "QG1005", "$.layers[0].ends[0]", "expected an integer")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "axis": 0, "sizes": [1, 1] }""", "QG1004", "$.layers[0]", "missing required field \"outputs\"")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "output": "y", "axis": 0, "sizes": [2] }""", "QG1005", "$.layers[0].output", "lists its results in \"outputs\"")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 0, "sizes": [2] }""", "QG1010", "$.layers[0].sizes", "\"sizes\" has 1 entries but the layer lists 2 outputs")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 0, "sizes": [2, 0] }""", "QG1005", "$.layers[0].sizes[1]", "part 1 of the Split is empty")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "y"], "axis": 0, "sizes": [1, 1] }""", "QG1008", "$.layers[0].outputs[1]", "lists \"y\" twice")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": [], "axis": 0, "sizes": [2] }""", "QG1005", "$.layers[0].outputs", "needs at least one output")]
        [InlineData("""{ "name": "r", "op": "Relu", "inputs": ["x"], "output": "y", "outputs": ["y"] }""", "QG1005", "$.layers[0].outputs", "either \"output\"")]
        [InlineData("""{ "name": "r", "op": "Relu", "inputs": ["x"], "outputs": ["y", "z"] }""", "QG1005", "$.layers[0].outputs", "a Relu layer has one output; \"outputs\" lists 2")]
        [InlineData("""{ "name": "r", "op": "Relu", "inputs": ["x"], "outputs": "y" }""", "QG1005", "$.layers[0].outputs", "\"outputs\" must be an array")]
        // graph builder: located at the layer
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 2 }""", "QG1005", "$.layers[0]", "Concat axis 2 is out of range for inputs of rank 2")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": -3 }""", "QG1005", "$.layers[0]", "Concat axis -3 is out of range")]
        [InlineData("""{ "name": "r", "op": "Reshape", "inputs": ["x"], "output": "r", "shape": [8] }, { "name": "c", "op": "Concat", "inputs": ["x", "r"], "output": "y", "axis": 0 }""", "QG1010", "$.layers[1]", "Concat inputs must have one rank")]
        [InlineData("""{ "name": "t", "op": "Transpose", "inputs": ["x"], "output": "t", "perm": [1, 0] }, { "name": "c", "op": "Concat", "inputs": ["x", "t"], "output": "y", "axis": 0 }""", "QG1010", "$.layers[1]", "must agree on every axis but 0")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0], "ends": [1], "axes": [2] }""", "QG1005", "$.layers[0]", "Slice axis 2 is out of range for the input [2, 4]")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0], "ends": [1, 1], "axes": [1, -1] }""", "QG1005", "$.layers[0]", "Slice names axis 1 twice")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0, 0, 0], "ends": [1, 1, 1] }""", "QG1005", "$.layers[0]", "Slice axis 2 is out of range")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [3], "ends": [1], "axes": [1] }""", "QG1005", "$.layers[0]", "is empty along axis 1")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [1], "ends": [3], "axes": [1], "steps": [-1] }""", "QG1005", "$.layers[0]", "is empty along axis 1")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 1, "sizes": [1, 2] }""", "QG1010", "$.layers[0]", "Split sizes [1, 2] sum to 3 but axis 1 of the input [2, 4] has 4")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 2, "sizes": [1, 1] }""", "QG1005", "$.layers[0]", "Split axis 2 is out of range")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["x", "y"], "axis": 0, "sizes": [1, 1] }""", "QG1008", "$.layers[0]", "writes \"x\", which is already defined")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 0, "sizes": [1, 1] }, { "name": "r", "op": "Relu", "inputs": ["x"], "output": "z" }""", "QG1008", "$.layers[1]", "writes \"z\", which is already defined")]
        [InlineData("""{ "name": "r", "op": "Relu", "inputs": ["z"], "output": "q" }, { "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 0, "sizes": [1, 1] }""", "QG1009", "$.layers[0]", "a tensor produced later by layer \"p\"")]
        public void EveryBadFieldIsReportedWhereItIs(string layers, string id, string path, string message)
        {
            ModelLoadResult r = Load(Float(layers));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Id == id && d.Place == path && d.Message.Contains(message, System.StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0, "multipliers": [1073741824], "shifts": [31] }""", """ "y": { "type": "int8", "scale": 0.02 } """, "QG1010", "$.layers[0].multipliers", "has 1 entries but the layer has 2 inputs")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0 }""", """ "y": { "type": "int8", "scale": 0.02 } """, "QG1004", "$.layers[0]", "a quantized Concat layer needs \"multipliers\"")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0, "multipliers": [1073741824, 1], "shifts": [31, 0] }""", """ "y": { "type": "int8", "scale": 0.02 } """, "QG1018", "$.layers[0]", "multiplier 1 (1 * 2^-0, 1) must be the input scale over the output scale, 0.01 / 0.02 = 0.5")]
        [InlineData("""{ "name": "c", "op": "Concat", "inputs": ["x", "x"], "output": "y", "axis": 0, "multipliers": [1, 1], "shifts": [0, 0] }""", "", "QG1004", "$.layers[0]", "the output \"y\" of layer \"c\" needs an entry in \"activations\"")]
        [InlineData("""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", "starts": [0], "ends": [1] }""", """ "y": { "type": "int8", "scale": 0.02 } """, "QG1018", "$.activations.y", "Slice layer \"s\" keeps its input's quantization")]
        [InlineData("""{ "name": "p", "op": "Split", "inputs": ["x"], "outputs": ["y", "z"], "axis": 0, "sizes": [1, 1] }""", """ "z": { "type": "int8", "scale": 0.02 } """, "QG1018", "$.activations.z", "activation \"z\" declares")]
        public void QuantizedParametersAreChecked(string layers, string activations, string id, string path, string message)
        {
            ModelLoadResult r = Load(Quantized(layers, activations));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Id == id && d.Place == path && d.Message.Contains(message, System.StringComparison.Ordinal));
        }

        [Fact]
        public void QuantizedConcatNeedsPerTensorConstants()
        {
            const string spec = """
            {
              "format": "quantgen", "version": 1, "name": "dm", "kind": "quantized", "weights": "t.safetensors",
              "inputs": [{ "name": "x", "shape": [2, 4], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 0 }],
              "outputs": ["y"],
              "initializers": { "c": { "type": "int8", "shape": [2, 4], "scales": [0.01, 0.02] } },
              "activations": { "y": { "type": "int8", "scale": 0.01 } },
              "layers": [ { "name": "c", "op": "Concat", "inputs": ["x", "c"], "output": "y", "axis": 0, "multipliers": [1, 1], "shifts": [0, 0] } ]
            }
            """;
            ModelLoadResult r = Load(spec, TensorCodec.EncodeInts("c", ElementType.Int8, new[] { 2, 4 }, new int[8]));
            Assert.Contains(r.Diagnostics, d => d.Id == "QG1018" && d.Message.Contains("the constant input \"c\" of Concat needs one per-tensor scale", System.StringComparison.Ordinal));
        }

        [Fact]
        public void SliceWithOutputsArrayOfOneIsTheSameLayer()
        {
            ModelLoadResult r = Load(Float("""{ "name": "s", "op": "Slice", "inputs": ["x"], "outputs": ["y"], "starts": [1], "ends": [2] }"""));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Contains("\"output\": \"y\"", SpecWriter.ToJson(r.Graph!.Spec), System.StringComparison.Ordinal);
        }
    }
}
