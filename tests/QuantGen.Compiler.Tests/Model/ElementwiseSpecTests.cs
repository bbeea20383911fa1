using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Model
{
    /// <summary>Tanh, Sigmoid, HardSigmoid, HardSwish, Mul and Sub in the spec: round trips, hand-computed tables, located diagnostics.</summary>
    public class ElementwiseSpecTests
    {
        private readonly ITestOutputHelper output;

        public ElementwiseSpecTests(ITestOutputHelper output) => this.output = output;

        private static string Spec(string kind, string layers, string activations = "", string inputType = "int8") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "ew", "kind": "{{kind}}", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 3], "range": [-1.28, 1.27]{{(kind == "quantized" ? ", \"type\": \"" + inputType + "\", \"scale\": 0.01, \"zeroPoint\": 0" : "")}} }],
          "outputs": ["y"],
          "initializers": {},
          {{(kind == "quantized" ? "\"activations\": { " + activations + " }," : "")}}
          "layers": [ {{layers}} ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        /// <summary>tanh at input scale 0.01 and output scale 1/128, by hand: q = 100 is tanh(1) = 0.7616 -> 97.48 -> 97; q = -128 is tanh(-1.28) = -0.8565 -> -109.6 -> -110.</summary>
        private static int[] TanhTable() =>
            Enumerable.Range(-128, 256).Select(q => (int)Math.Max(-128, Math.Min(127, Math.Round(Math.Tanh(q * 0.01) * 128, MidpointRounding.ToEven)))).ToArray();

        private static string Ints(IEnumerable<int> v) => "[" + string.Join(", ", v) + "]";

        [Fact]
        public void FloatLayersRoundTrip()
        {
            string spec = Spec("float", """
                { "name": "t", "op": "Tanh", "inputs": ["x"], "output": "t1" },
                { "name": "s", "op": "Sigmoid", "inputs": ["t1"], "output": "s1" },
                { "name": "hs", "op": "HardSigmoid", "inputs": ["s1"], "output": "h1", "alpha": 0.25 },
                { "name": "hw", "op": "HardSwish", "inputs": ["h1"], "output": "w1" },
                { "name": "m", "op": "Mul", "inputs": ["w1", "x"], "output": "m1" },
                { "name": "d", "op": "Sub", "inputs": ["m1", "t1"], "output": "y" }
                """);
            ModelLoadResult r = Load(spec);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var hs = (HardSigmoidLayer)r.Graph!.Nodes[2].Layer;
            Assert.Equal(0.25, hs.Alpha);
            Assert.Equal(0.5, hs.Beta);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"alpha\": 0.25", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
        }

        [Fact]
        public void QuantizedTanhReadsItsTable()
        {
            int[] table = TanhTable();
            Assert.Equal(97, table[100 + 128]);
            Assert.Equal(-110, table[0]);
            Assert.Equal(0, table[128]);
            ModelLoadResult r = Load(Spec("quantized", $$"""{ "name": "t", "op": "Tanh", "inputs": ["x"], "output": "y", "table": {{Ints(table)}} }""", """ "y": { "type": "int8", "scale": 0.0078125, "zeroPoint": 0 } """));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(table, ((TanhLayer)r.Graph!.Nodes[0].Layer).Table);
            Assert.Equal(table, new TanhOperator().Table((LookupLayer)r.Graph.Nodes[0].Layer, r.Graph.Input.Quant!, r.Graph.Output.Quant!));
        }

        [Theory]
        [InlineData("short", "QG1027", "needs 256")]
        [InlineData("off by two", "QG1027", "quantized to")]
        [InlineData("int16 input", "QG1026", "at most 8 bits")]
        public void BadTablesAreLocated(string what, string id, string message)
        {
            int[] table = TanhTable();
            if (what == "off by two")
            {
                table[200] += 2;
            }

            IEnumerable<int> t = what == "short" ? table.Take(255) : table;
            ModelLoadResult r = Load(Spec("quantized", $$"""{ "name": "t", "op": "Tanh", "inputs": ["x"], "output": "y", "table": {{Ints(t)}} }""", """ "y": { "type": "int8", "scale": 0.0078125, "zeroPoint": 0 } """, what == "int16 input" ? "int16" : "int8"));
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Id == id && d.Message.Contains(message) && d.Place == "$.layers[0]");
        }

        [Fact]
        public void QuantizedMulAndSubCheckTheirMultipliers()
        {
            // Mul of x by itself: S = 0.01 * 0.01 / 0.0005 = 0.2 -> 0.2 = 1717986918 * 2^-33. Sub of m1 from x at 0.02: 0.01 / 0.02 = 0.5 = 2^30 * 2^-31, 0.0005 / 0.02 = 0.025 = 1717986918 * 2^-36.
            string layers = """
                { "name": "m", "op": "Mul", "inputs": ["x", "x"], "output": "m1", "multiplier": 1717986918, "shift": 33 },
                { "name": "d", "op": "Sub", "inputs": ["x", "m1"], "output": "y", "multiplierA": 1073741824, "shiftA": 31, "multiplierB": 1717986918, "shiftB": 36 }
                """;
            string acts = """ "m1": { "type": "int8", "scale": 0.0005, "zeroPoint": -100 }, "y": { "type": "int8", "scale": 0.02, "zeroPoint": 5 } """;
            ModelLoadResult r = Load(Spec("quantized", layers, acts));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(new Dyadic(1717986918, 33), ((MulLayer)r.Graph!.Nodes[0].Layer).Integers.Requant);
            ModelLoadResult bad = Load(Spec("quantized", layers.Replace("\"shift\": 33", "\"shift\": 32", StringComparison.Ordinal), acts));
            Assert.False(bad.Success);
            Assert.Contains(bad.Diagnostics, d => d.Message.Contains("S_a S_b / S_out"));
        }

        [Theory]
        [InlineData("""{ "name": "m", "op": "Mul", "inputs": ["x"], "output": "y" }""", "")]
        [InlineData("""{ "name": "h", "op": "HardSigmoid", "inputs": ["x"], "output": "y", "alpha": "a" }""", "")]
        public void MalformedLayersAreLocated(string layer, string message)
        {
            ModelLoadResult r = Load(Spec("float", layer));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Message.Contains(message) && d.Place != null && d.Place.StartsWith("$.layers[0]", StringComparison.Ordinal));
        }
    }
}
