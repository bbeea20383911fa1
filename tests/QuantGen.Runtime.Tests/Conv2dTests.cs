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
    /// <summary>Conv2d (plain, depthwise) and MaxPool2d: expected values worked out by hand in the comments.</summary>
    public class Conv2dTests
    {
        private const string QuantizedSpec = """
        {
          "format": "quantgen", "version": 1, "name": "conv", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [1, 1, 3, 3], "range": [-10, 10], "type": "int8", "scale": 1, "zeroPoint": 0 }],
          "outputs": ["m"],
          "initializers": {
            "w": { "type": "int8", "shape": [2, 1, 2, 2], "scales": [1, 1] },
            "b": { "type": "int32", "shape": [2], "scales": [1, 1] }
          },
          "activations": { "c": { "type": "int8", "scale": 1, "zeroPoint": 0 } },
          "layers": [
            { "name": "conv", "op": "Conv2d", "inputs": ["x"], "output": "c", "weight": "w", "bias": "b", "activation": "none",
              "strides": [1, 1], "pads": [0, 0, 1, 1], "group": 1,
              "multipliers": [1073741824, 1073741824], "shifts": [30, 31], "clamp": [-128, 127] },
            { "name": "pool", "op": "MaxPool2d", "inputs": ["c"], "output": "m", "kernel": [2, 2], "strides": [2, 2], "pads": [0, 0, 1, 1] }
          ]
        }
        """;

        private static ModelGraph Quantized(string spec) => Fixtures.FromMemory(
            spec,
            TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 2, 1, 2, 2 }, new[] { 1, 0, 0, 1, 1, 1, 1, 1 }),
            TensorCodec.EncodeInts("b", ElementType.Int32, new[] { 2 }, new[] { 0, 1 })).GetGraphOrThrow();

        [Fact]
        public void ConvAndMaxPoolMatchHandComputation()
        {
            ModelGraph g = Quantized(QuantizedSpec);
            Assert.Equal(new[] { 1, 2, 3, 3 }, g.Tensors["c"].Shape);
            Assert.Equal(new[] { 1, 2, 2, 2 }, g.Output.Shape);
            var interpreter = new ReferenceInterpreter(g);

            // x = [[1 2 3] [4 5 6] [7 8 9]], zero padding below and right.
            // channel 0 (diagonal kernel, M = 1): x[i][j] + x[i+1][j+1] = [[6 8 3] [12 14 6] [7 8 9]]
            // channel 1 (all-ones kernel, bias 1, M = 0.5, ties up): [[13 17 10] [25 29 16] [16 18 10]] / 2
            //   = [[7 9 5] [13 15 8] [8 9 5]]
            // 2x2 max pool, stride 2, padded below and right: ch0 [[14 6] [8 9]], ch1 [[15 8] [9 5]]
            IReadOnlyDictionary<string, int[]> all = interpreter.RunAll(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
            Assert.Equal(new[] { 6, 8, 3, 12, 14, 6, 7, 8, 9, 7, 9, 5, 13, 15, 8, 8, 9, 5 }, all["c"]);
            Assert.Equal(new[] { 14, 6, 8, 9, 15, 8, 9, 5 }, all["m"]);

            // Range analysis: |x| <= 128 (zero point 0), channel 1 sums 4 products of at most 128 plus the bias 1.
            RangeReport? ranges = RangeAnalysis.Analyze(g, new List<ModelDiagnostic>());
            Assert.NotNull(ranges);
        }

        [Fact]
        public void SpecWriterRoundTripsConvAttributes()
        {
            ModelGraph g = Quantized(QuantizedSpec);
            string json = SpecWriter.ToJson(g.Spec);
            Assert.Contains("\"pads\": [0, 0, 1, 1]", json);
            ModelGraph again = Quantized(json);
            var a = new ReferenceInterpreter(g);
            var b = new ReferenceInterpreter(again);
            int[] x = { -128, 127, -5, 0, 3, 9, -77, 100, 1 };
            Assert.Equal(a.Run(x), b.Run(x));
        }

        [Fact]
        public void WrongWeightShapeIsAShapeMismatch()
        {
            ModelLoadResult r = Fixtures.FromMemory(
                QuantizedSpec.Replace("\"group\": 1", "\"group\": 2"),
                TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 2, 1, 2, 2 }, new[] { 1, 0, 0, 1, 1, 1, 1, 1 }),
                TensorCodec.EncodeInts("b", ElementType.Int32, new[] { 2 }, new[] { 0, 1 }));
            Assert.False(r.Success);
            Assert.Contains(r.Diagnostics, d => d.Id == ModelErrors.ShapeMismatch && d.Message.Contains("group 2"));
        }

        private const string FloatSpec = """
        {
          "format": "quantgen", "version": 1, "name": "dw", "kind": "float", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [1, 2, 2, 2], "range": [-4, 4] }],
          "outputs": ["y"],
          "initializers": { "w": { "type": "float32", "shape": [2, 1, 1, 1] }, "b": { "type": "float32", "shape": [2] } },
          "layers": [
            { "name": "dw", "op": "Conv2d", "inputs": ["x"], "output": "y", "weight": "w", "bias": "b", "activation": "relu", "group": 2 }
          ]
        }
        """;

        [Fact]
        public void DepthwiseFloatAndQuantizedMatchHandComputation()
        {
            ModelGraph g = Fixtures.FromMemory(
                FloatSpec,
                TensorCodec.EncodeFloats("w", new[] { 2, 1, 1, 1 }, new[] { 2f, -1f }),
                TensorCodec.EncodeFloats("b", new[] { 2 }, new[] { 0.5f, 0f })).GetGraphOrThrow();
            // channel 0: relu(2 x + 0.5), channel 1: relu(-x)
            double[] y = new FloatInterpreter(g).Run(new[] { 1f, -1f, 0f, 2f, 1f, -1f, 0f, 2f });
            Assert.Equal(new[] { 2.5, 0, 0.5, 4.5, 0, 1, 0, 0 }, y);

            // PTQ on the corners of the range reproduces it within one output step.
            var calib = new List<float[]> { new[] { -4f, 4, -4, 4, 4, -4, 4, -4 }, new[] { 1f, -1f, 0f, 2f, 1f, -1f, 0f, 2f } };
            QuantizedModel q = PostTrainingQuantizer.Quantize(g, calib);
            var oracle = new ReferenceInterpreter(q.Graph);
            double[] yq = oracle.Dequantize(oracle.Run(oracle.Quantize(calib[1])));
            Assert.All(yq.Zip(y, (a, b) => System.Math.Abs(a - b)), d => Assert.True(d <= q.Graph.Output.Quant!.Scale));
        }

        private const string BiasFloatSpec = """
        {
          "format": "quantgen", "version": 1, "name": "dwbias", "kind": "float", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [1, 2, 1, 2], "range": [0, 100] }],
          "outputs": ["y"],
          "initializers": { "w": { "type": "float32", "shape": [2, 1, 1, 2] }, "b": { "type": "float32", "shape": [2] } },
          "layers": [
            { "name": "dw", "op": "Conv2d", "inputs": ["x"], "output": "y", "weight": "w", "bias": "b", "activation": "none", "group": 2 }
          ]
        }
        """;

        [Fact]
        public void BiasCorrectionOfADepthwiseConvAddsEachChannelsWeightRoundingTimesItsOwnInputMean()
        {
            ModelGraph g = Fixtures.FromMemory(
                BiasFloatSpec,
                TensorCodec.EncodeFloats("w", new[] { 2, 1, 1, 2 }, new[] { 1f, 0.3f, 1f, 0.3f }),
                TensorCodec.EncodeFloats("b", new[] { 2 }, new[] { 0f, 0f })).GetGraphOrThrow();
            // channel 0 sees 10 everywhere, channel 1 sees 100: means 10 and 100 (NCHW, axis 1)
            var calib = new List<float[]> { new[] { 10f, 10f, 100f, 100f } };
            QuantizedModel plain = PostTrainingQuantizer.Quantize(g, calib);
            QuantizedModel corrected = PostTrainingQuantizer.Quantize(g, calib, new QuantizationOptions { BiasCorrection = true });
            Assert.Equal(new[] { 0, 0 }, plain.Graph.Tensors["b"].IntData);

            // Weight scale 1/127 per channel (max |w| = 1): 0.3 x 127 = 38.1 rounds to 38, so each channel loses
            // 0.3 - 38/127 = 0.000787 on its second tap; the input scale is 100/255 (range [0, 100], int8).
            double wScale = (float)(1.0 / 127), inScale = (float)(100.0 / 255);
            double lost = 0.3f - 38 * wScale;
            int Expected(double mean) => (int)Numerics.Quantization.RoundHalfUp((float)(lost * mean) / (inScale * wScale));
            int[] b = corrected.Graph.Tensors["b"].IntData!;
            Assert.Equal(new[] { Expected(10), Expected(100) }, b);
            Assert.Equal(3, b[0]);   // 0.00787 / 0.003088 = 2.55
            Assert.Equal(26, b[1]);  // 0.0787 / 0.003088 = 25.5

            // and the integer model's output moves toward the float one on that input
            double[] y = new FloatInterpreter(g).Run(calib[0]);
            var oq = new ReferenceInterpreter(corrected.Graph);
            var op = new ReferenceInterpreter(plain.Graph);
            double errCorrected = oq.Dequantize(oq.Run(oq.Quantize(calib[0]))).Zip(y, (a, r) => System.Math.Abs(a - r)).Sum();
            double errPlain = op.Dequantize(op.Run(op.Quantize(calib[0]))).Zip(y, (a, r) => System.Math.Abs(a - r)).Sum();
            Assert.True(errCorrected <= errPlain, $"corrected {errCorrected} vs plain {errPlain}");
        }
    }
}
