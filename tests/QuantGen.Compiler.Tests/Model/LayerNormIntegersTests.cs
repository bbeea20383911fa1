using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Model
{
    /// <summary>The quantized LayerNorm's integers: the folded epsilon ("varianceOffset"), its round trip, QG1047, and a hand-computed row.</summary>
    public class LayerNormIntegersTests
    {
        private readonly ITestOutputHelper output;

        public LayerNormIntegersTests(ITestOutputHelper output) => this.output = output;

        private static string Spec(string inputType, int channels, string extra, string range = "[-6.4, 6.35]") => $$"""
        {
          "format": "quantgen", "version": 1, "name": "ln", "kind": "quantized", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [2, {{channels}}], "range": {{range}}, "type": "{{inputType}}", "scale": 0.05, "zeroPoint": 0 }],
          "outputs": ["y"],
          "initializers": {},
          "activations": { "y": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
          "layers": [ { "name": "ln", "op": "LayerNorm", "inputs": ["x"], "output": "y",
            "multipliers": [{{string.Join(", ", Enumerable.Repeat("1073741824", channels))}}], "shifts": [{{string.Join(", ", Enumerable.Repeat("53", channels))}}],
            "biases": [{{string.Join(", ", Enumerable.Repeat("0", channels))}}]{{extra}} } ]
        }
        """;

        private static ModelLoadResult Load(string spec) => ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");

        [Fact]
        public void FoldedEpsilonRowIsHandComputed()
        {
            // Row [0, 0, 0, 1] with E = 4 normalises to [-202918131 x 3, 608754395] (OperatorEdgeTests.IntLayerNorm_NarrowRowWithEpsilon_ByHand);
            // the dyadic 2^30 / 2^53 = 2^-23 gives round(-24.19) = -24 and round(72.57) = 73. A constant row gives 0.
            ModelLoadResult r = Load(Spec("int8", 4, ", \"varianceOffset\": 4"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            Assert.Equal(4, ((LayerNormLayer)r.Graph!.Nodes[0].Layer).Integers.VarianceOffset);
            var y = new int[8];
            new LayerNormOperator().Reference(r.Graph.Nodes[0], new[] { new[] { 0, 0, 0, 1, 7, 7, 7, 7 } }, new[] { y });
            Assert.Equal(new[] { -24, -24, -24, 73, 0, 0, 0, 0 }, y);
        }

        [Fact]
        public void VarianceOffsetRoundTripsAndDefaultsToZero()
        {
            ModelLoadResult r = Load(Spec("int8", 4, ", \"varianceOffset\": 123456789"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string written = SpecWriter.ToJson(r.Graph!.Spec);
            Assert.Contains("\"varianceOffset\": 123456789", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));

            ModelLoadResult old = Load(Spec("int8", 4, string.Empty));
            Assert.True(old.Success, string.Join("\n", old.Diagnostics));
            Assert.Equal(0, ((LayerNormLayer)old.Graph!.Nodes[0].Layer).Integers.VarianceOffset);
        }

        [Fact]
        public void NegativeVarianceOffsetIsLocated()
        {
            ModelLoadResult r = Load(Spec("int8", 4, ", \"varianceOffset\": -1"));
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Place != null && d.Place.StartsWith("$.layers[0]", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("int32", 4, "integers within +-2^18")]
        [InlineData("int8", 4097, "at most 4096 channels")]
        public void RowsOutsideTheIntegerDomainGetQG1047(string inputType, int channels, string message)
        {
            // int32 inputs over +-20,000 at scale 0.05 reach +-400,000 > 2^18. The file is well formed; the range analysis that every backend runs before emitting rejects it.
            ModelLoadResult r = Load(Spec(inputType, channels, string.Empty, inputType == "int32" ? "[-20000, 20000]" : "[-6.4, 6.35]"));
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var diagnostics = new List<ModelDiagnostic>();
            RangeAnalysis.Analyze(r.Graph!, diagnostics);
            output.WriteLine(string.Join("\n", diagnostics));
            Assert.Contains(diagnostics, d => d.Id == LayerNormOperator.DomainProblem && d.Id == "QG1047" && d.Message.Contains(message, StringComparison.Ordinal) && d.Place == "$.layers[0]");
        }
    }
}
