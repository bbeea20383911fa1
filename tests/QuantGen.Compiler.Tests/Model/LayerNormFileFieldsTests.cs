using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Model
{
    /// <summary>
    /// The quantized LayerNorm's two optional integer fields of issue 13 (lnagree): "biasFractions" (beta's rest below one
    /// LSB, rounded once with the product) and "varianceShift" (epsilon's fractional bits): round trips, the old-file
    /// default, located diagnostics for bad values, QG1050, and a hand-computed row.
    /// </summary>
    public class LayerNormFileFieldsTests
    {
        private readonly ITestOutputHelper output;

        public LayerNormFileFieldsTests(ITestOutputHelper output) => this.output = output;

        private static string Spec(string inputType, string extra, string range = "[-6.4, 6.35]") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "ln", "kind": "quantized", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 4], "range": {{range}}, "type": "{{inputType}}", "scale": 0.05, "zeroPoint": 0 }],
          "outputs": ["y"],
          "initializers": {},
          "activations": { "y": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
          "layers": [ { "name": "ln", "op": "LayerNorm", "inputs": ["x"], "output": "y",
            "multipliers": [1073741824, 1073741824, 1073741824, 1073741824], "shifts": [53, 53, 53, 53],
            "biases": [0, 0, 0, 0]{{extra}} } ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        [Fact]
        public void BiasFractionsJoinTheOneRoundingByHand()
        {
            // Row [0, 0, 0, 1] with E = 4 normalises to [-202918131 x 3, 608754395]; with the dyadic 2^30 / 2^53 = 2^-23 the
            // values are -24.19 and 72.57. Fractions of +0.4, -0.45 and -0.5 LSB (exactly -2^52) at shift 53 give round(-23.79)
            // = -24, round(-24.64) = -25 and round(-24.69) = -25 (beta rounded on its own would have given -24 each time); the
            // constant row [7, 7, 7, 7] normalises to 0 and round(0.4), round(-0.45), round(-0.5) (ties up) are all 0.
            long p4 = (long)(0.4 * Math.Pow(2, 53)), m45 = -(long)(0.45 * Math.Pow(2, 53)), m5 = -(1L << 52);
            ModelLoadResult r = Load(Spec("int8", $", \"varianceOffset\": 4, \"biasFractions\": [{p4}, {m45}, {m5}, 0]"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var y = new int[8];
            new LayerNormOperator().Reference(r.Graph!.Nodes[0], new[] { new[] { 0, 0, 0, 1, 7, 7, 7, 7 } }, new[] { y });
            Assert.Equal(new[] { -24, -25, -25, 73, 0, 0, 0, 0 }, y);
        }

        [Fact]
        public void VarianceShiftKeepsTheFoldedEpsilonsFraction()
        {
            // Row [0, 0, 0, 1]: C Q - S^2 = 3. eps = 0.3 LSB^2 folds to C^2 eps = 4.8: at k = 0 E = 5, at k = 4 E = 77 (4.8125).
            // Exact: 0.75 / sqrt(3/16 + 0.3) * 64 = 68.75 (scale 2^30 / 2 / 2^23 = 64); k = 4 computes 0.75 / sqrt(125/256) * 64
            // = 68.69 -> 69; k = 0 (E = 5) computes 0.75 / sqrt(8/16) * 64 = 67.88 -> 68, more than 1/2 LSB from the exact value.
            ModelLoadResult shifted = Load(Spec("int8", ", \"varianceOffset\": 77, \"varianceShift\": 4"));
            ModelLoadResult plain = Load(Spec("int8", ", \"varianceOffset\": 5"));
            Assert.True(shifted.Success && plain.Success, string.Join("\n", shifted.Diagnostics.Concat(plain.Diagnostics)));
            var y = new int[8];
            new LayerNormOperator().Reference(shifted.Graph!.Nodes[0], new[] { new[] { 0, 0, 0, 1, 3, 3, 3, 3 } }, new[] { y });
            Assert.Equal(69, y[3]);
            Assert.Equal(new[] { 0, 0, 0, 0 }, y.Skip(4));
            new LayerNormOperator().Reference(plain.Graph!.Nodes[0], new[] { new[] { 0, 0, 0, 1, 3, 3, 3, 3 } }, new[] { y });
            Assert.Equal(68, y[3]);
        }

        [Fact]
        public void FieldsRoundTripAndOlderFilesReadAsZero()
        {
            ModelLoadResult r = Load(Spec("int8", ", \"varianceOffset\": 77, \"biasFractions\": [1, -2, 3, 0], \"varianceShift\": 4"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string written = SpecWriter.ToJson(r.Graph!.Spec);
            Assert.Contains("\"varianceShift\": 4", written, StringComparison.Ordinal);
            Assert.Contains("\"biasFractions\"", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));

            ModelLoadResult old = Load(Spec("int8", string.Empty));
            Assert.True(old.Success, string.Join("\n", old.Diagnostics));
            LayerNormIntegers q = ((LayerNormLayer)old.Graph!.Nodes[0].Layer).Integers;
            Assert.Equal(0, q.VarianceShift);
            Assert.All(q.BiasFractions, f => Assert.Equal(0, f));
            string oldWritten = SpecWriter.ToJson(old.Graph.Spec);
            Assert.DoesNotContain("varianceShift", oldWritten, StringComparison.Ordinal);
            Assert.DoesNotContain("biasFractions", oldWritten, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(", \"varianceShift\": 3", "$.layers[0]")]
        [InlineData(", \"varianceShift\": 62", "$.layers[0].varianceShift")]
        [InlineData(", \"biasFractions\": [0, 0, 0]", "$.layers[0]")]
        [InlineData(", \"biasFractions\": [0, 0, 0, 4503599627370497]", "$.layers[0]")]
        public void BadFieldsAreLocated(string extra, string place)
        {
            ModelLoadResult r = Load(Spec("int8", extra));
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Place != null && d.Place.StartsWith(place, StringComparison.Ordinal));
        }

        [Fact]
        public void AVarianceShiftTooLargeForTheInputRangeIsQG1050()
        {
            // int16 inputs over +-1,600 (+-32,000 stored) at C = 4: C Q - S^2 reaches 4^2 * 64,000^2 / 4 > 2^60 / 2^30.
            ModelLoadResult r = Load(Spec("int16", ", \"varianceShift\": 30", "[-1600, 1600]"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var diagnostics = new List<ModelDiagnostic>();
            RangeAnalysis.Analyze(r.Graph!, diagnostics);
            output.WriteLine(string.Join("\n", diagnostics));
            Assert.Contains(diagnostics, d => d.Id == LayerNormOperator.VarianceShiftProblem && d.Message.Contains("varianceShift", StringComparison.Ordinal));

            // The shift PTQ picks for int16 at C = 4 (IntLayerNorm.VarianceShift) passes.
            int k = QuantGen.Numerics.IntLayerNorm.VarianceShift(4, 32768);
            ModelLoadResult ok = Load(Spec("int16", $", \"varianceShift\": {k}", "[-1600, 1600]"));
            var none = new List<ModelDiagnostic>();
            RangeAnalysis.Analyze(ok.Graph!, none);
            Assert.DoesNotContain(none, d => d.Id == LayerNormOperator.VarianceShiftProblem);
            Assert.Equal(26, k);
        }
    }
}
