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
    /// <summary>The "table" Softmax and Gelu methods (what a QDQ import picks): hand-computed outputs, round trips, located diagnostics.</summary>
    public class TableSoftmaxGeluTests
    {
        private readonly ITestOutputHelper output;

        public TableSoftmaxGeluTests(ITestOutputHelper output) => this.output = output;

        private static string Spec(string layer, string outQuant, string inputType = "int8") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "tb", "kind": "quantized", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 3], "range": [-6.4, 6.35], "type": "{{inputType}}", "scale": 0.05, "zeroPoint": 0 }],
          "outputs": ["y"],
          "initializers": {},
          "activations": { "y": {{outQuant}} },
          "layers": [ {{layer}} ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        private static string Ints(IEnumerable<long> v) => "[" + string.Join(", ", v) + "]";

        /// <summary>Rows of 3: B = 29 (3 x 2^29 &lt; 2^31 - 1 &lt;= 3 x 2^30), E[d] = round(2^29 exp(-0.05 d)); output scale 1/256, zero point -128.</summary>
        private static long[] Exp() => Enumerable.Range(0, 256).Select(d => (long)Math.Round(Math.Exp(-0.05 * d) * 536870912.0, MidpointRounding.ToEven)).ToArray();

        private const string SoftmaxOut = """{ "type": "int8", "scale": 0.00390625, "zeroPoint": -128 }""";

        /// <summary>2^-31 / 2^-8 = 2^-23: multiplier 2^30, shift 53.</summary>
        private static string SoftmaxLayer(IEnumerable<long> exp, long multiplier = 1073741824, int shift = 53) =>
            $$"""{ "name": "sm", "op": "Softmax", "inputs": ["x"], "output": "y", "method": "table", "exp": {{Ints(exp)}}, "multiplier": {{multiplier}}, "shift": {{shift}} }""";

        [Fact]
        public void TableSoftmaxGivesTheCorrectlyRoundedProbabilities()
        {
            Assert.Equal(29, SoftmaxTable.ExpBits(3));
            Assert.Equal(23, SoftmaxTable.ExpBits(197));
            Assert.Equal(new Dyadic(1073741824, 53), SoftmaxTable.Output(1.0 / 256));
            ModelLoadResult r = Load(Spec(SoftmaxLayer(Exp()), SoftmaxOut));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var y = new int[6];

            // Row 1: x S = 0, 1, 2 -> softmax 0.0900, 0.2447, 0.6652 -> x 256 = 23.05, 62.64, 170.30 -> 23, 63, 170, minus 128.
            // Row 2: all equal -> 1/3 -> 85.33 -> 85 - 128 = -43.
            new SoftmaxOperator().Reference(r.Graph!.Nodes[0], new[] { new[] { 0, 20, 40, 7, 7, 7 } }, new[] { y });
            Assert.Equal(new[] { -105, -65, 42, -43, -43, -43 }, y);
            string written = SpecWriter.ToJson(r.Graph.Spec);
            Assert.Contains("\"method\": \"table\"", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
        }

        [Theory]
        [InlineData("off by two", "QG1045", "round(2^29 exp(")]
        [InlineData("short", "QG1045", "needs 256")]
        [InlineData("multiplier", "QG1045", "output multiplier")]
        [InlineData("int16 input", "QG1044", "at most 8 bits")]
        public void BadTableSoftmaxIsLocated(string what, string id, string message)
        {
            long[] exp = Exp();
            if (what == "off by two")
            {
                exp[3] -= 2;
            }

            ModelLoadResult r = Load(Spec(
                SoftmaxLayer(what == "short" ? exp.Take(255) : exp, what == "multiplier" ? 1073741823 : 1073741824),
                SoftmaxOut,
                what == "int16 input" ? "int16" : "int8"));
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Id == id && d.Message.Contains(message, StringComparison.Ordinal) && d.Place == "$.layers[0]");
        }

        /// <summary>GELU at input and output scale 0.05: q = 20 is GELU(1) = 0.8413 -> 16.83 -> 17; q = -20 is -0.1587 -> -3.17 -> -3; q = 0 is 0.</summary>
        private static long[] GeluTable() =>
            Enumerable.Range(-128, 256).Select(q => (long)Math.Max(-128, Math.Min(127, Math.Round(FloatReference.Gelu(q * 0.05) / 0.05, MidpointRounding.ToEven)))).ToArray();

        private const string GeluOut = """{ "type": "int8", "scale": 0.05, "zeroPoint": 0 }""";

        [Fact]
        public void TableGeluReadsItsTable()
        {
            long[] t = GeluTable();
            Assert.Equal(17, t[20 + 128]);
            Assert.Equal(-3, t[-20 + 128]);
            Assert.Equal(0, t[128]);
            ModelLoadResult r = Load(Spec($$"""{ "name": "g", "op": "Gelu", "inputs": ["x"], "output": "y", "method": "table", "table": {{Ints(t)}} }""", GeluOut));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var y = new int[6];
            new GeluOperator().Reference(r.Graph!.Nodes[0], new[] { new[] { 20, -20, 0, 127, -128, 1 } }, new[] { y });
            Assert.Equal(new[] { 17, -3, 0, 127, 0, (int)t[129] }, y);
            Assert.Equal(t.Select(v => (int)v), GeluOperator.TableFor(r.Graph.Input.Quant!, r.Graph.Output.Quant!));
        }

        [Theory]
        [InlineData("off by two", "quantized to")]
        [InlineData("short", "needs 256")]
        [InlineData("int16 input", "at most 8 bits")]
        public void BadTableGeluIsLocated(string what, string message)
        {
            long[] t = GeluTable();
            if (what == "off by two")
            {
                t[200] += 2;
            }

            ModelLoadResult r = Load(Spec(
                $$"""{ "name": "g", "op": "Gelu", "inputs": ["x"], "output": "y", "method": "table", "table": {{Ints(what == "short" ? t.Take(255) : t)}} }""",
                GeluOut,
                what == "int16 input" ? "int16" : "int8"));
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Id == "QG1046" && d.Message.Contains(message, StringComparison.Ordinal) && d.Place == "$.layers[0]");
        }
    }
}
