using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>Concat, Slice and Split in the reference and float interpreters, the range analysis and PTQ; expected values by hand.</summary>
    public class DataMovementTests
    {
        private static string Quantized(string inputShape, string initializers, string activations, string layers, string output) => $$"""
        {
          "format": "quantgen", "version": 1, "name": "dm", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": {{inputShape}}, "range": [-100, 100], "type": "int8", "scale": 1.0, "zeroPoint": 0 }],
          "outputs": ["{{output}}"],
          "initializers": { {{initializers}} },
          "activations": { {{activations}} },
          "layers": [ {{layers}} ]
        }
        """;

        private static int[] Iota(int n) => Enumerable.Range(0, n).ToArray();

        private static ModelGraph Slice(string fields)
        {
            string layer = $$"""{ "name": "s", "op": "Slice", "inputs": ["x"], "output": "y", {{fields}} }""";
            return Fixtures.FromMemory(Quantized("[3, 4]", string.Empty, string.Empty, layer, "y")).GetGraphOrThrow();
        }

        // x = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
        [Theory]
        // axis 0: -1 -> 2, end -4 -> -1 (clamped to -1), step -1: rows 2, 1, 0; axis 1: 3 down to end -5 -> -1, step -2: cols 3, 1.
        [InlineData("\"starts\": [-1, 3], \"ends\": [-4, -5], \"axes\": [0, 1], \"steps\": [-1, -2]", new[] { 3, 2 }, new[] { 11, 9, 7, 5, 3, 1 })]
        // end 100 clamps to 4 on the last axis (given as -1).
        [InlineData("\"starts\": [1], \"ends\": [100], \"axes\": [-1]", new[] { 3, 3 }, new[] { 1, 2, 3, 5, 6, 7, 9, 10, 11 })]
        // start -100 clamps to 0; axes default to 0.
        [InlineData("\"starts\": [-100], \"ends\": [2]", new[] { 2, 4 }, new[] { 0, 1, 2, 3, 4, 5, 6, 7 })]
        // two axes with positive steps: rows 0, 2; cols 0, 3.
        [InlineData("\"starts\": [0, 0], \"ends\": [3, 4], \"steps\": [2, 3]", new[] { 2, 2 }, new[] { 0, 3, 8, 11 })]
        // a huge negative step takes the start only; a huge start clamps to the last element for a negative step.
        [InlineData("\"starts\": [9223372036854775807], \"ends\": [-9223372036854775808], \"axes\": [1], \"steps\": [-9223372036854775807]", new[] { 3, 1 }, new[] { 3, 7, 11 })]
        public void SliceMatchesHandComputation(string fields, int[] shape, int[] expected)
        {
            ModelGraph g = Slice(fields);
            Assert.Equal(shape, g.Output.Shape);
            Assert.Equal(expected, new ReferenceInterpreter(g).Run(Iota(12)));
            Assert.Equal(g.Input.Quant!.Scale, g.Output.Quant!.Scale);
            RangeReport r = RangeAnalysis.Analyze(g, new List<ModelDiagnostic>())!;
            Assert.Equal((-100L, 100L), (r.Tensors["y"].Min, r.Tensors["y"].Max));
        }

        // Concat of x [2, 2, 2] (scale 1, values 0..7) and the initializer c (scale 0.5, values [1, 3, -3, 5], one entry on the
        // axis) into an output at scale 1, zero point 10: c requantizes by 1/2, ties toward +inf: 0.5 -> 1, 1.5 -> 2,
        // -1.5 -> -1, 2.5 -> 3, so c contributes [1, 2, -1, 3] (+ 10); x copies through (+ 10).
        [Theory]
        [InlineData(0, "[1, 2, 2]", new[] { 3, 2, 2 }, new[] { 0, 1, 2, 3, 4, 5, 6, 7, 1, 2, -1, 3 })]
        [InlineData(1, "[2, 1, 2]", new[] { 2, 3, 2 }, new[] { 0, 1, 2, 3, 1, 2, 4, 5, 6, 7, -1, 3 })]
        [InlineData(-1, "[2, 2, 1]", new[] { 2, 2, 3 }, new[] { 0, 1, 1, 2, 3, 2, 4, 5, -1, 6, 7, 3 })]
        public void ConcatRequantizesEachInput(int axis, string cShape, int[] shape, int[] expected)
        {
            string spec = Quantized(
                "[2, 2, 2]",
                $$"""  "c": { "type": "int8", "shape": {{cShape}}, "scale": 0.5 }  """,
                """ "y": { "type": "int8", "scale": 1.0, "zeroPoint": 10 } """,
                $$"""{ "name": "cat", "op": "Concat", "inputs": ["x", "c"], "output": "y", "axis": {{axis}}, "multipliers": [1, 1073741824], "shifts": [0, 31] }""",
                "y");
            int[] dims = cShape.Trim('[', ']').Split(',').Select(s => int.Parse(s.Trim())).ToArray();
            ModelGraph g = Fixtures.FromMemory(spec, TensorCodec.EncodeInts("c", ElementType.Int8, dims, new[] { 1, 3, -3, 5 })).GetGraphOrThrow();
            Assert.Equal(shape, g.Output.Shape);
            Assert.Equal(expected.Select(v => v + 10).ToArray(), new ReferenceInterpreter(g).Run(Iota(8)));

            // range: x in [-100, 100] -> [-90, 110]; c in [-3, 5] -> [-1, 3] + 10 = [9, 13].
            RangeReport r = RangeAnalysis.Analyze(g, new List<ModelDiagnostic>())!;
            Assert.Equal((-90L, 110L), (r.Tensors["y"].Min, r.Tensors["y"].Max));
        }

        [Fact]
        public void ConcatOfTwoActivationsSaturatesTheNarrowerOutput()
        {
            // a = x (scale 1), b = x at scale 1 too but the output has scale 2: every input halves; 100 -> 50, -100 -> -50;
            // the second input comes through a Relu (same quantization), so negatives become 0.
            string spec = Quantized(
                "[2]",
                string.Empty,
                """ "y": { "type": "int8", "scale": 2.0, "zeroPoint": 0 } """,
                """
                { "name": "r", "op": "Relu", "inputs": ["x"], "output": "rx" },
                { "name": "cat", "op": "Concat", "inputs": ["x", "rx"], "output": "y", "axis": 0, "multipliers": [1073741824, 1073741824], "shifts": [31, 31] }
                """,
                "y");
            ModelGraph g = Fixtures.FromMemory(spec).GetGraphOrThrow();
            Assert.Equal(new[] { -50, 3, 0, 3 }, new ReferenceInterpreter(g).Run(new[] { -100, 5 }));
        }

        [Fact]
        public void SplitIntoThreeUnequalParts()
        {
            string spec = Quantized(
                "[2, 6]",
                string.Empty,
                string.Empty,
                """{ "name": "sp", "op": "Split", "inputs": ["x"], "outputs": ["p0", "p1", "p2"], "axis": 1, "sizes": [1, 2, 3] }""",
                "p2");
            ModelGraph g = Fixtures.FromMemory(spec).GetGraphOrThrow();
            Assert.Equal(3, g.Nodes[0].Outputs.Count);
            IReadOnlyDictionary<string, int[]> all = new ReferenceInterpreter(g).RunAll(Iota(12));
            Assert.Equal(new[] { 0, 6 }, all["p0"]);
            Assert.Equal(new[] { 1, 2, 7, 8 }, all["p1"]);
            Assert.Equal(new[] { 3, 4, 5, 9, 10, 11 }, all["p2"]);
            Assert.Equal(new[] { 2, 3 }, g.Tensors["p2"].Shape);
            RangeReport r = RangeAnalysis.Analyze(g, new List<ModelDiagnostic>())!;
            Assert.All(new[] { "p0", "p1", "p2" }, n => Assert.Equal((-100L, 100L), (r.Tensors[n].Min, r.Tensors[n].Max)));
            Assert.All(g.Nodes, n => Assert.Equal(0, n.Macs));
        }

        /// <summary>Float model: Split x [2, 4] into a [2, 1] and b [2, 3]; reverse b; Concat [reversed b, a, class token] -> [2, 5].</summary>
        private const string FloatSpec = """
        {
          "format": "quantgen", "version": 1, "name": "dmf", "kind": "float", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [2, 4], "range": [-1, 1] }],
          "outputs": ["y"],
          "initializers": { "cls": { "type": "float32", "shape": [2, 1] } },
          "layers": [
            { "name": "sp", "op": "Split", "inputs": ["x"], "outputs": ["a", "b"], "axis": -1, "sizes": [1, 3] },
            { "name": "rev", "op": "Slice", "inputs": ["b"], "output": "rb", "starts": [-1], "ends": [-100], "axes": [1], "steps": [-1] },
            { "name": "cat", "op": "Concat", "inputs": ["rb", "a", "cls"], "output": "y", "axis": 1 }
          ]
        }
        """;

        [Fact]
        public void FloatSemanticsAndPostTrainingQuantization()
        {
            ModelGraph fg = Fixtures.FromMemory(FloatSpec, TensorCodec.EncodeFloats("cls", new[] { 2, 1 }, new[] { 0.25f, -2f })).GetGraphOrThrow();
            float[] input = { 0.1f, 0.2f, 0.3f, 0.4f, -0.5f, -0.6f, -0.7f, -0.8f };
            double[] y = new FloatInterpreter(fg).Run(input);
            Assert.Equal(new[] { 0.4, 0.3, 0.2, 0.1, 0.25, -0.8, -0.7, -0.6, -0.5, -2.0 }, y.Select(v => Math.Round(v, 6)).ToArray());

            var rng = new Random(3);
            List<float[]> calibration = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToList();
            QuantizedModel q = PostTrainingQuantizer.Quantize(fg, calibration);
            ModelGraph qg = q.Graph;

            // Slice and Split keep their input's quantization and get no "activations" entry; Concat gets its own.
            Assert.Equal(new[] { "y" }, q.Spec.Activations.Select(a => a.Name).ToArray());
            Assert.Same(qg.Input.Quant, qg.Tensors["a"].Quant);
            var cat = (ConcatLayer)qg.Nodes[2].Layer;
            TensorQuant outQ = qg.Output.Quant!;
            Assert.Equal(Dyadic.FromReal(qg.Input.Quant!.Scale / outQ.Scale), cat.Integers.Requant[0]);
            Assert.Equal(Dyadic.FromReal(qg.Tensors["cls"].Quant!.Scale / outQ.Scale), cat.Integers.Requant[2]);

            // the quantized model tracks the float one within a few output steps
            var reference = new ReferenceInterpreter(qg);
            foreach (float[] x in calibration.Take(4).Append(input))
            {
                double[] fy = new FloatInterpreter(fg).Run(x);
                double[] qy = reference.Dequantize(reference.Run(reference.Quantize(x)));
                for (int i = 0; i < fy.Length; i++)
                {
                    Assert.True(Math.Abs(fy[i] - qy[i]) <= 2 * outQ.Scale + qg.Input.Quant.Scale, $"element {i}: float {fy[i]}, quantized {qy[i]}");
                }
            }

            // and its spec round-trips through the writer and the parser byte for byte
            string text = SpecWriter.ToJson(q.Spec);
            ModelSpec reparsed = SpecParser.Parse(text, "q.qmodel.json", new List<ModelDiagnostic>())!;
            Assert.Equal(text, SpecWriter.ToJson(reparsed));
            Assert.Contains("\"outputs\": [\"a\", \"b\"]", text, StringComparison.Ordinal);
        }
    }
}
