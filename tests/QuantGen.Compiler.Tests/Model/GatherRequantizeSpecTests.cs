using System.Collections.Generic;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Model
{
    /// <summary>Gather and Requantize in the spec: round trips, shapes and located diagnostics.</summary>
    public class GatherRequantizeSpecTests
    {
        private static string Spec(string kind, string layers, string activations = "") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "gr", "kind": "{{kind}}", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 5, 3], "range": [-1, 1]{{(kind == "quantized" ? ", \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0" : "")}} }],
          "outputs": ["y"],
          "initializers": {},
          {{(kind == "quantized" ? "\"activations\": { " + activations + " }," : "")}}
          "layers": [ {{layers}} ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        [Fact]
        public void GatherAndRequantizeRoundTrip()
        {
            string spec = Spec("float", """
                { "name": "pick", "op": "Gather", "inputs": ["x"], "output": "p", "axis": 1, "indices": [4, -1, 0] },
                { "name": "cls", "op": "Gather", "inputs": ["p"], "output": "c", "axis": -2, "indices": [0], "indices_shape": [] },
                { "name": "scale", "op": "Requantize", "inputs": ["c"], "output": "y", "factor": 0.125 }
                """);
            ModelLoadResult r = Load(spec);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(new[] { 2, 3 }, r.Graph!.Output.Shape);
            Assert.Equal(new[] { 2, 3, 3 }, r.Graph.Nodes[0].Output.Shape);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"indices_shape\": []", written, System.StringComparison.Ordinal);
            Assert.Contains("\"factor\": 0.125", written, System.StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
        }

        [Fact]
        public void QuantizedRequantizeChecksItsMultiplier()
        {
            string ok = Spec("quantized", """{ "name": "r", "op": "Requantize", "inputs": ["x"], "output": "y", "factor": 0.5, "multiplier": 1073741824, "shift": 31 }""", """ "y": { "type": "int8", "scale": 0.01, "zeroPoint": 3 } """);
            ModelLoadResult r = Load(ok);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(new Dyadic(1073741824, 31), ((RequantizeLayer)r.Graph!.Nodes[0].Layer).Integers.Requant);
            string bad = ok.Replace("\"shift\": 31", "\"shift\": 30");
            ModelLoadResult b = Load(bad);
            Assert.False(b.Success);
            Assert.Contains(b.Diagnostics, d => d.Message.Contains("factor * S_in / S_out"));
        }

        [Theory]
        [InlineData("""{ "name": "g", "op": "Gather", "inputs": ["x"], "output": "y", "axis": 1, "indices": [5] }""", "out of range")]
        [InlineData("""{ "name": "g", "op": "Gather", "inputs": ["x"], "output": "y", "axis": 3, "indices": [0] }""", "axis 3 is out of range")]
        [InlineData("""{ "name": "g", "op": "Gather", "inputs": ["x"], "output": "y", "axis": 0, "indices": [0, 1], "indices_shape": [3] }""", "holds 3")]
        [InlineData("""{ "name": "r", "op": "Requantize", "inputs": ["x"], "output": "y", "factor": -2 }""", "positive finite")]
        public void BadLayersAreLocated(string layer, string message)
        {
            ModelLoadResult r = Load(Spec("float", layer));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Message.Contains(message));
        }
    }
}
