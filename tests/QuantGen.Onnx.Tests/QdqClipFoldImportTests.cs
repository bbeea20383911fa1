using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// onnxruntime's QDQ with asymmetric activations puts a Relu/Clip between two QDQ pairs of different parameters
    /// (Conv -> Q1/DQ1 -> Clip(0, 6) -> Q2/DQ2, the ReLU6 MobileNet variant: 59 layers instead of 32, issue #13). The Relu
    /// and Clip layers clamp in their input's quantization and keep it, so the two-step import (Conv at Q1, then a Clip
    /// layer at Q1) is one clamp: the Relu/Clip is fused into the producer's clamp at Q1. Proven here by building the
    /// two-step model from the same lowering (the activation taken back out of the layer and a Clip/Relu layer inserted)
    /// and comparing every output integer, then compared with ONNX Runtime on the same file.
    /// </summary>
    public sealed class QdqClipFoldImportTests
    {
        private readonly ITestOutputHelper output;

        public QdqClipFoldImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static string Qdq(OnnxBuilder b, string t, float scale, byte zp)
        {
            string sc = b.Scalar(t + "_scale", scale), z = b.UInt8(t + "_zero_point", zp);
            return b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { t, sc, z }, t + "_q"), sc, z }, t + "_dq");
        }

        private static string Weights(OnnxBuilder b, string name, int[] dims, float scale, Random rng)
        {
            int n = dims.Aggregate(1, (p, d) => p * d);
            return b.Node("DequantizeLinear", new[] { b.Int8s(name + "_q", dims, Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-127, 128))), b.Scalar(name + "_scale", scale) }, name);
        }

        private static string Bias(OnnxBuilder b, string name, int n, float scale, Random rng) =>
            b.Node("DequantizeLinear", new[] { b.Int32s(name + "_q", new[] { n }, Enumerable.Range(0, n).Select(_ => rng.Next(-2000, 2000))), b.Scalar(name + "_scale", scale) }, name);

        /// <summary>
        /// x -> QDQ -> Conv 3x3 -> Q1/DQ1 (uint8, zero point 60: 0 and 6 both inside the range) -> Clip(0, 6) (or Relu) ->
        /// Q2/DQ2 (uint8, zero point 0, scale <paramref name="q2Scale"/>) -> Conv 1x1 -> QDQ -> y. Q1's top is 195 x 0.05 = 9.75.
        /// </summary>
        private static string ConvModel(string act, float q2Scale, string file)
        {
            var rng = new Random(act == "Clip" ? 41 : 42);
            var b = new OnnxBuilder().Input("x", 1, 2, 6, 6).Output("y", 1, 3, 6, 6);
            string x = Qdq(b, "x", 0.02f, 128);
            string c1 = b.Node("Conv", new[] { x, Weights(b, "w1", new[] { 4, 2, 3, 3 }, 0.02f, rng), Bias(b, "b1", 4, 0.02f * 0.02f, rng) }, "c1", ("pads", new long[] { 1, 1, 1, 1 }));
            string a1 = Qdq(b, c1, 0.05f, 60);
            string r = act == "Clip"
                ? b.Node("Clip", new[] { a1, b.Scalar("lo", 0f), b.Scalar("hi", 6f) }, "r")
                : b.Node("Relu", new[] { a1 }, "r");
            string a2 = Qdq(b, r, q2Scale, 0);
            string c2 = b.Node("Conv", new[] { a2, Weights(b, "w2", new[] { 3, 4, 1, 1 }, 0.01f, rng), Bias(b, "b2", 3, q2Scale * 0.01f, rng) }, "c2");
            string sy = b.Scalar("y_scale", 0.04f), zy = b.UInt8("y_zero_point", 128);
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { c2, sy, zy }, "y_q"), sy, zy }, "y");
            return b.Save(file, 13);
        }

        /// <summary>The same lowering with the fused activation taken back out: the layer at its own output, then a Clip/Relu layer.</summary>
        private static QuantizedModel TwoStep(string path, string layerName, Activation fused)
        {
            LoweredModel lowered = OnnxImporter.Lower(path);
            var layer = (WeightedLayer)lowered.Spec.Layers.First(l => l.Name == layerName);
            Assert.Equal(fused, layer.Activation);
            string outName = layer.Output, pre = outName + "_pre";
            layer.Activation = Activation.None;
            layer.Output = pre;
            LayerSpec act = fused == Activation.Relu6 ? new ClipLayer { Min = 0, Max = 6 } : new ReluLayer();
            act.Name = layerName + "_act";
            act.Inputs.Add(pre);
            act.Output = outName;
            lowered.Spec.Layers.Insert(lowered.Spec.Layers.IndexOf(layer) + 1, act);
            var fixedActs = new Dictionary<string, TensorQuant>(lowered.FixedActivations, StringComparer.Ordinal) { [pre] = lowered.FixedActivations[outName] };
            ModelGraph g = OnnxImporter.BuildFloatGraph(lowered, path);
            return PostTrainingQuantizer.FromStatistics(g, CalibrationStatistics.None, new QuantizationOptions { FixedActivations = fixedActs, FixedWeights = lowered.FixedWeights });
        }

        private static IEnumerable<float[]> Inputs(int n, int seed)
        {
            var rng = new Random(seed);
            yield return Enumerable.Repeat(2.54f, n).ToArray();     // every input at the top code
            yield return Enumerable.Repeat(-2.56f, n).ToArray();    // every input at the bottom code
            yield return new float[n];
            for (int k = 0; k < 61; k++)
            {
                yield return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 5.2) - 2.6)).ToArray();
            }
        }

        /// <summary>
        /// Clip(0, 6) with Q2 over [0, 6], Relu with Q2 over [0, 10] (both cover what Q1's clamp lets through): fused, equal
        /// to the two-step integers, within 1 LSB of ORT.
        /// </summary>
        [Theory]
        [InlineData("Clip", 6f / 255, Activation.Relu6)]
        [InlineData("Relu", 10f / 255, Activation.Relu)]
        public void ActivationBetweenQdqPairsOfDifferentParametersFusesIntoTheConvWithTheTwoStepIntegers(string act, float q2Scale, Activation fused)
        {
            string path = ConvModel(act, q2Scale, $"conv_{act}_{q2Scale * 255:F0}_two_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Conv2d, OpKind.Conv2d }, r.Model.Spec.Layers.Select(l => l.Op));
            var conv = (Conv2dLayer)r.Model.Spec.Layers[0];
            Assert.Equal(fused, conv.Activation);
            Assert.Contains(r.Notes, n => n.Contains("between two QDQ pairs of different parameters fused", StringComparison.Ordinal));
            // The fused output keeps the producer's quantization (uint8 zero point 60 -> int8 -68 at 0.05), not Q2.
            TensorQuant q1 = r.Model.Graph.Nodes[0].Output.Quant!;
            Assert.Equal(-68, q1.ZeroPoint);
            Assert.Equal(0.05f, (float)q1.Scale);

            QuantizedModel two = TwoStep(path, conv.Name, fused);
            Assert.Equal(3, two.Graph.Nodes.Count);
            var fusedRef = new ReferenceInterpreter(r.Model.Graph);
            var twoRef = new ReferenceInterpreter(two.Graph);
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            long max = 0;
            int differing = 0, total = 0, clamped = 0;
            foreach (float[] x in Inputs(72, 43))
            {
                int[] xq = fusedRef.Quantize(x);
                Assert.Equal(r.Model.Graph.Nodes[0].Output.Name, two.Graph.Nodes[1].Output.Name);
                int[] a = fusedRef.Run(xq), b = twoRef.Run(xq);
                Assert.Equal(b, a);
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 2, 6, 6 });
                for (int i = 0; i < a.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / 0.04) + fusedRef.OutputQuant.ZeroPoint, MidpointRounding.ToEven) - a[i]);
                    max = Math.Max(max, d);
                    differing += d != 0 ? 1 : 0;
                    total++;
                }

                // The clamp is exercised at both ends: the first layer's integers at 0 (zero point) and at Q1(6).
                int[] hidden = fusedRef.RunAll(xq)[r.Model.Graph.Nodes[0].Output.Name];
                clamped += hidden.Count(v => v == -68 || (fused == Activation.Relu6 && v == -68 + 120)) > 0 ? 1 : 0;
            }

            output.WriteLine($"{act} between QDQ pairs (Q1 0.05 zp 60, Q2 {q2Scale * 255:G3}/255 zp 0): {r.Model.Graph.Nodes.Count} layers (two-step: {two.Graph.Nodes.Count}), equal on 64 inputs; vs ORT {differing}/{total} output integers differ, max {max} LSB");
            Assert.Equal(64, clamped);
            Assert.True(max <= 1, $"max {max} LSB against ORT");
        }

        /// <summary>
        /// Relu with Q2 over [0, 6] after Q1 up to 9.75: ORT saturates at 6. Ignoring Q2 (the separate Relu layer before
        /// this fold did: it kept Q1) was 40 LSB off ORT on these inputs; the fused Conv writes Q1 and a Requantize to Q2
        /// follows, within 1 LSB of ORT.
        /// </summary>
        [Fact]
        public void ReluWhoseNextQuantizationSaturatesEarlierGetsARequantizeToIt()
        {
            string path = ConvModel("Relu", 6f / 255, "conv_Relu_narrow_q2.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Conv2d, OpKind.Requantize, OpKind.Conv2d }, r.Model.Spec.Layers.Select(l => l.Op));
            Assert.Equal(Activation.Relu, ((Conv2dLayer)r.Model.Spec.Layers[0]).Activation);
            Assert.Contains(r.Notes, n => n.Contains("then a Requantize to the QuantizeLinear after it", StringComparison.Ordinal));
            Assert.Equal(-68, r.Model.Graph.Nodes[0].Output.Quant!.ZeroPoint);
            Assert.Equal(-128, r.Model.Graph.Nodes[1].Output.Quant!.ZeroPoint);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            long max = 0;
            int differing = 0, total = 0;
            foreach (float[] x in Inputs(72, 43))
            {
                int[] a = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 2, 6, 6 });
                for (int i = 0; i < a.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / 0.04) + oracle.OutputQuant.ZeroPoint, MidpointRounding.ToEven) - a[i]);
                    max = Math.Max(max, d);
                    differing += d != 0 ? 1 : 0;
                    total++;
                }
            }

            output.WriteLine($"Relu with Q2 over [0, 6] after Q1 up to 9.75: {r.Model.Graph.Nodes.Count} layers; vs ORT {differing}/{total} output integers differ, max {max} LSB");
            Assert.True(max <= 1, $"max {max} LSB against ORT");
        }
    }
}
