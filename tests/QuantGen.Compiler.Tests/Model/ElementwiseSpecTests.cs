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
            Assert.Equal(table, ((TanhLayer)r.Graph!.Nodes[0].Layer).Integers.Table);
            Assert.Equal(table, new TanhOperator().Table((LookupLayer)r.Graph.Nodes[0].Layer, r.Graph.Input.Quant!, r.Graph.Output.Quant!));
        }

        [Theory]
        [InlineData("short", "QG1027", "needs 256")]
        [InlineData("off by two", "QG1027", "quantized to")]
        [InlineData("int16 input", "QG1027", "needs 1025")]
        [InlineData("int32 input", "QG1026", "at most 16 bits")]
        public void BadTablesAreLocated(string what, string id, string message)
        {
            int[] table = TanhTable();
            if (what == "off by two")
            {
                table[200] += 2;
            }

            IEnumerable<int> t = what == "short" ? table.Take(255) : table;
            ModelLoadResult r = Load(Spec("quantized", $$"""{ "name": "t", "op": "Tanh", "inputs": ["x"], "output": "y", "table": {{Ints(t)}} }""", """ "y": { "type": "int8", "scale": 0.0078125, "zeroPoint": 0 } """, what.EndsWith(" input", StringComparison.Ordinal) ? what.Split(' ')[0] : "int8"));
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Id == id && d.Message.Contains(message) && d.Place == "$.layers[0]");
        }

        /// <summary>
        /// Tanh on an int16 input (scale 2^-12, zero point 0) to int16 (scale 2^-15): a segment table of 1,025 entries, one every
        /// 64 inputs from -32768, T[j] = round(tanh((-32768 + 64 j) 2^-12) 2^15), interpolated in integers. By hand: at a segment
        /// end the output is the entry; in between it is within 1 LSB of the correctly rounded tanh (the curvature over 64
        /// inputs of 2^-12 adds at most 0.77 (1/64)^2 / 8 2^15 = 0.77 LSB... measured below over every input).
        /// </summary>
        [Fact]
        public void Int16TanhUsesAnInterpolatedSegmentTable()
        {
            int[] table = Enumerable.Range(0, 1025).Select(j => (int)Math.Max(-32768, Math.Min(32767, Math.Round(Math.Tanh((-32768 + (64.0 * j)) / 4096) * 32768, MidpointRounding.ToEven)))).ToArray();
            Assert.Equal(-32768, table[0]);             // tanh(-8) * 2^15 = -32767.98 -> -32768
            Assert.Equal(0, table[512]);                // x = 0
            Assert.Equal(32767, table[1024]);           // x = +8 (one past the type's maximum), saturated
            string spec = $$"""
            {
              "format": "quantgen", "version": 1, "name": "ew", "kind": "quantized", "weights": "t.safetensors",
              "inputs": [{ "name": "x", "shape": [1, 4], "range": [-8, 7.99], "type": "int16", "scale": 0.000244140625, "zeroPoint": 0 }],
              "outputs": ["y"], "initializers": {},
              "activations": { "y": { "type": "int16", "scale": 0.000030517578125, "zeroPoint": 0 } },
              "layers": [ { "name": "t", "op": "Tanh", "inputs": ["x"], "output": "y", "table": {{Ints(table)}} } ]
            }
            """;
            ModelLoadResult r = Load(spec);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var tanh = new TanhOperator();
            int[] Run(int[] x)
            {
                var o = new int[x.Length];
                tanh.Reference(r.Graph!.Nodes[0], new[] { x }, new[] { o });
                return o;
            }

            int[] y = Run(new[] { 0, 64 * 10, 4096 + 32, -32768 });
            Assert.Equal(table[512], y[0]);
            Assert.Equal(table[522], y[1]);
            Assert.Equal(table[576] + ((((table[577] - table[576]) * 32) + 32) >> 6), y[2]);   // halfway between two entries
            Assert.Equal(table[0], y[3]);
            double worst = 0;
            for (int q = -32768; q <= 32767; q += 4)
            {
                int[] o = Run(new[] { q, q + 1, q + 2, q + 3 });
                for (int k = 0; k < 4; k++)
                {
                    double exact = Math.Tanh((q + k) / 4096.0) * 32768;
                    if (Math.Abs(exact) < 32767)
                    {
                        worst = Math.Max(worst, Math.Abs(o[k] - exact));
                    }
                }
            }

            output.WriteLine($"int16 Tanh through the segment table: max {worst:F3} LSB against tanh(x) over every input");
            Assert.True(worst <= 1.77, $"max {worst} LSB");
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
