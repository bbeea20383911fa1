using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;
using Xunit;

namespace QuantGen.Tests.Model
{
    /// <summary>AvgPool2d in the spec: round trip, the divisor dyadics, hand-computed integer results for both count_include_pad rules.</summary>
    public class AvgPool2dSpecTests
    {
        // 1/c for c = 1..4 as dyadics: 2^30 * 2^-30, 2^30 * 2^-31, 1431655765 * 2^-32, 2^30 * 2^-32.
        private const string Dyadics = "\"multipliers\": [1073741824, 1073741824, 1431655765, 1073741824], \"shifts\": [30, 31, 32, 32]";

        private static string Spec(string kind, string pool) => $$"""
        {
          "format": "quantgen", "version": 1, "name": "ap", "kind": "{{kind}}", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [1, 1, 3, 3], "range": [-1.28, 1.27]{{(kind == "quantized" ? ", \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0" : "")}} }],
          "outputs": ["y"],
          "initializers": {},
          {{(kind == "quantized" ? "\"activations\": { \"y\": { \"type\": \"int8\", \"scale\": 0.01, \"zeroPoint\": 0 } }," : "")}}
          "layers": [ { "name": "pool", "op": "AvgPool2d", "inputs": ["x"], "output": "y", {{pool}} } ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        [Fact]
        public void FloatLayerRoundTrips()
        {
            ModelLoadResult r = Load(Spec("float", "\"kernel\": [2, 3], \"strides\": [2, 1], \"pads\": [1, 0, 0, 2], \"count_include_pad\": 1"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(new[] { 1, 1, 2, 3 }, r.Graph!.Output.Shape);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"count_include_pad\": 1", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
        }

        /// <summary>x = 1..9 (scale 0.01, output at the same scale), 2x2 windows, pads [1, 1, 0, 0]: corner 1 / 1 = 1, top edge (1 + 2) / 2 = 1.5 -> 2 (ties up), interior (1 + 2 + 4 + 5) / 4 = 3; counting the pads: 1 / 4 -> 0, 3 / 4 -> 1.</summary>
        [Theory]
        [InlineData(0, new[] { 1, 2, 3, 3, 3, 4, 6, 6, 7 })]
        [InlineData(1, new[] { 0, 1, 1, 1, 3, 4, 3, 6, 7 })]
        public void IntegerResultsByHand(int include, int[] expected)
        {
            ModelLoadResult r = Load(Spec("quantized", $"\"kernel\": [2, 2], \"pads\": [1, 1, 0, 0], \"count_include_pad\": {include}, {Dyadics}"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            GraphNode node = r.Graph!.Nodes[0];
            var y = new int[9];
            new AvgPool2dOperator().Reference(node, new[] { new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 } }, new[] { y });
            Assert.Equal(expected, y);
        }

        [Theory]
        [InlineData("\"kernel\": [2, 2], \"pads\": [2, 0, 0, 0], " + Dyadics, "pads must be smaller than the kernel")]
        [InlineData("\"kernel\": [2, 2], \"multipliers\": [1073741824], \"shifts\": [30]", "needs 4")]
        [InlineData("\"kernel\": [2, 2], \"multipliers\": [1073741824, 1073741824, 1431655765, 1073741824], \"shifts\": [30, 31, 32, 31]", "S_in / (S_out 4)")]
        public void BadLayersAreLocated(string pool, string message)
        {
            ModelLoadResult r = Load(Spec("quantized", pool));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Message.Contains(message) && d.Place == "$.layers[0]");
        }
    }
}
