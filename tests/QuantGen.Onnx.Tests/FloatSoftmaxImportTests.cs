using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// A float Softmax after a quantized input (onnxruntime's quantize_static with Softmax outside op_types_to_quantize,
    /// or a Softmax at the graph output without a QuantizeLinear, issue #13): ORT's output is float probabilities. The
    /// importer maps it to the table softmax with its own output grid, uint16 over [0, 1] (int16 at scale 1/65535, zero
    /// point -32768), instead of Shiftmax's int16 at 2^-15 (0.022 off ORT on the jet tagger variant). Measured against ORT
    /// 1.31.1's float softmax of the same dequantized integers (docs/numerics.md, "Table softmax to a float output").
    /// </summary>
    public sealed class FloatSoftmaxImportTests
    {
        private const int Rows = 64;

        private readonly ITestOutputHelper output;

        public FloatSoftmaxImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        /// <summary>x -> QuantizeLinear (uint8, scale, zero point) -> DequantizeLinear -> Softmax(last axis) -> graph output.</summary>
        private static string Build(int len, float scale, byte zp, string file)
        {
            var b = new OnnxBuilder().Input("x", 1, Rows, len).Output("y", 1, Rows, len);
            string sc = b.Scalar("x_scale", scale), z = b.UInt8("x_zero_point", zp);
            string dq = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", sc, z }, "x_q"), sc, z }, "x_dq");
            b.Node("Softmax", new[] { dq }, "y", ("axis", -1L));
            return b.Save(file, 13);
        }

        /// <summary>
        /// Random rows over the whole uint8 grid plus adversarial ones: every value equal (1/L each), one value at the top
        /// and the rest at the bottom (p = 1 and e^(-255 S)), two tied maxima, a ramp over the grid, the top code everywhere.
        /// </summary>
        private static IEnumerable<float[]> Inputs(int len, float scale, byte zp, int count, int seed)
        {
            float lo = scale * (0 - zp), hi = scale * (255 - zp);
            var rng = new Random(seed);
            for (int k = 0; k < count; k++)
            {
                var x = new float[Rows * len];
                for (int r = 0; r < Rows; r++)
                {
                    int kind = k == 0 ? r % 6 : 6;
                    for (int i = 0; i < len; i++)
                    {
                        x[(r * len) + i] = kind switch
                        {
                            0 => lo,
                            1 => i == r % len ? hi : lo,
                            2 => i < 2 ? hi : lo,
                            3 => lo + ((hi - lo) * i / Math.Max(1, len - 1)),
                            4 => hi,
                            5 => i % 2 == 0 ? hi : hi - scale,
                            _ => (float)(lo + ((hi - lo) * rng.NextDouble())),
                        };
                    }
                }

                yield return x;
            }
        }

        /// <summary>
        /// ONNX Runtime's QuantizeLinear of the graph input, uint8 folded to int8 as the importer folds it: float32 x / scale
        /// rounded half to even. The reference interpreter's own Quantize (double, ties up) differs on values whose float32
        /// quotient lands on a tie (1.3499999 / 0.02 = 67.5 in float32): compared on the same input integers, the softmax alone.
        /// </summary>
        private static int[] OrtQuantize(float[] x, float scale, byte zp) =>
            x.Select(v => (int)Math.Clamp(Math.Round(v / scale, MidpointRounding.ToEven) + zp, 0, 255) - 128).ToArray();

        [Theory]
        [InlineData(5, 0.02f, (byte)128)]
        [InlineData(5, 0.1f, (byte)128)]
        [InlineData(5, 0.25f, (byte)0)]
        [InlineData(16, 0.02f, (byte)128)]
        [InlineData(16, 0.05f, (byte)128)]
        [InlineData(16, 0.1f, (byte)200)]
        [InlineData(197, 0.02f, (byte)128)]
        [InlineData(197, 0.05f, (byte)128)]
        [InlineData(197, 0.1f, (byte)128)]
        public void FloatSoftmaxAfterAQuantizedInputIsTheTableSoftmaxAtSixteenBitsOverZeroToOne(int len, float scale, byte zp)
        {
            string path = Build(len, scale, zp, $"float_softmax_{len}_{scale.ToString(CultureInfo.InvariantCulture)}_{zp}.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Softmax }, r.Model.Spec.Layers.Select(l => l.Op));
            var sm = (SoftmaxLayer)r.Model.Spec.Layers[0];
            Assert.Equal(SoftmaxMethod.Table, sm.Method);
            Assert.Contains(r.Notes, n => n.Contains("float output mapped to the table softmax", StringComparison.Ordinal));
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            TensorQuant oq = oracle.OutputQuant;
            Assert.Equal(ElementType.Int16, oq.Type);
            Assert.Equal(-32768, oq.ZeroPoint);
            Assert.Equal(1.0 / 65535, oq.Scale);

            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            double maxOrt = 0, maxExact = 0;
            long maxLsb = 0;
            int rows = 0;
            foreach (float[] x in Inputs(len, scale, zp, 50, 7000 + len))
            {
                int[] xq = OrtQuantize(x, scale, zp);
                int[] q = oracle.Run(xq);
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, Rows, len });
                for (int row = 0; row < Rows; row++)
                {
                    // The exact softmax of the dequantized integers, in double: the integer x - max only matters.
                    int o = row * len;
                    int max = Enumerable.Range(o, len).Max(i => xq[i]);
                    double sum = Enumerable.Range(o, len).Sum(i => Math.Exp((xq[i] - max) * (double)scale));
                    for (int i = o; i < o + len; i++)
                    {
                        Assert.InRange(q[i], -32768, 32767);
                        double ours = (q[i] + 32768) / 65535.0;
                        maxOrt = Math.Max(maxOrt, Math.Abs(ours - ort[i]));
                        maxExact = Math.Max(maxExact, Math.Abs(ours - (Math.Exp((xq[i] - max) * (double)scale) / sum)));
                        maxLsb = Math.Max(maxLsb, Math.Abs((long)Math.Round((ort[i] * 65535.0) - 32768, MidpointRounding.ToEven) - q[i]));
                    }

                    rows++;
                }
            }

            output.WriteLine($"| L={len}, S={scale.ToString(CultureInfo.InvariantCulture)}, zp {zp} | {rows} rows | max |ours - ORT float| {maxOrt:G3} | max |ours - exact| {maxExact:G3} | max {maxLsb} LSB of ORT rounded to the same grid |");
            // Bound: 1/2 LSB of the output grid (7.63e-6) plus the table's error before rounding (< 1e-6) plus ORT's float32.
            Assert.True(maxExact <= (0.5 / 65535) + 1e-6, $"exact {maxExact}");
            Assert.True(maxOrt <= (0.5 / 65535) + 2e-6, $"ORT {maxOrt}");
            Assert.True(maxLsb <= 1, $"{maxLsb} LSB");
        }

        /// <summary>
        /// The jet tagger's shape with Softmax left out of op_types_to_quantize: QDQ input, Gemm with QDQ weights and a
        /// QDQ output, then a float Softmax at the graph output. Imports as Dense -> table Softmax (16-bit over [0, 1]).
        /// </summary>
        [Fact]
        public void GemmThenFloatSoftmaxAtTheGraphOutputIsTheTableSoftmaxWithinHalfAnLsbOfOnnxRuntime()
        {
            var b = new OnnxBuilder().Input("x", 1, 16).Output("y", 1, 5);
            string Qdq(string t, float s, byte z)
            {
                string sc = b.Scalar(t + "_scale", s), zz = b.UInt8(t + "_zero_point", z);
                return b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { t, sc, zz }, t + "_q"), sc, zz }, t + "_dq");
            }

            var rng = new Random(91);
            string ws = b.Scalar("w_scale", 0.01f);
            string w = b.Node("DequantizeLinear", new[] { b.Int8s("w_q", new[] { 5, 16 }, Enumerable.Range(0, 80).Select(_ => (sbyte)rng.Next(-127, 128))), ws }, "w");
            string bias = b.Node("DequantizeLinear", new[] { b.Int32s("b_q", new[] { 5 }, Enumerable.Range(0, 5).Select(_ => rng.Next(-500, 500))), b.Scalar("b_scale", 0.01f * 0.02f) }, "bias");
            string h = Qdq(b.Node("Gemm", new[] { Qdq("x", 0.02f, 128), w, bias }, "logits", ("transB", 1L)), 0.05f, 120);
            b.Node("Softmax", new[] { h }, "y", ("axis", -1L));
            string path = b.Save("gemm_float_softmax.onnx", 13);

            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Dense, OpKind.Softmax }, r.Model.Spec.Layers.Select(l => l.Op));
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            double max = 0;
            int same = 0, close = 0;
            for (int k = 0; k < 200; k++)
            {
                float[] x = Enumerable.Range(0, 16).Select(_ => (float)((rng.NextDouble() * 5) - 2.5)).ToArray();
                double[] ours = oracle.Dequantize(oracle.Run(OrtQuantize(x, 0.02f, 128)));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 16 });
                double d = ours.Zip(ort, (p, o) => Math.Abs(p - o)).Max();
                max = Math.Max(max, d);
                close += d <= (0.5 / 65535) + 2e-6 ? 1 : 0;
                same += Fixtures.ArgMax(ours) == Fixtures.ArgMax(ort) ? 1 : 0;
            }

            // Where the Gemm's requantization rounds a logit 1 LSB (0.05) away from ORT's (dyadic ties up against float ties
            // to even), the probabilities move by up to about 0.05 / 4 per logit; elsewhere the softmax is within 1/2 LSB.
            output.WriteLine($"Gemm -> float Softmax: top-1 {same}/200, rows within 1/2 LSB (7.6e-6) of ORT float {close}/200, max |ours - ORT float| {max:G3}");
            Assert.True(max <= 0.026, $"max {max}");
            Assert.True(close >= 180, $"close {close}");
            Assert.True(same >= 199, $"top-1 {same}");
        }

        /// <summary>
        /// Import options that force a softmax method (OnnxImportOptions.Quantization.SoftmaxMethod) win over the importer's
        /// table mapping, and the import note says what the model got: the forced method and its own output grid, not
        /// "table softmax" with the 16-bit [0, 1] grid (the note was written before the quantizer applied the override).
        /// </summary>
        [Theory]
        [InlineData(SoftmaxMethod.Shiftmax, "shiftmax", 16, 1.0 / 32767, 0.025)]
        [InlineData(SoftmaxMethod.IBert, "ibert", 8, 1.0 / 256, 0.008)]
        public void ForcedSoftmaxMethodIsWhatTheModelGetsAndWhatTheNoteSays(SoftmaxMethod method, string name, int bits, double lsb, double bound)
        {
            string path = Build(16, 0.05f, 128, "float_softmax_forced_" + name + ".onnx");
            var options = new OnnxImportOptions { Quantization = new QuantizationOptions { SoftmaxMethod = method, SoftmaxOutBits = bits } };
            OnnxImportResult r = OnnxImporter.ImportQdq(path, options);
            GraphNode softmax = r.Model.Graph.Nodes.Single(n => n.Layer.Op == OpKind.Softmax);
            Assert.Equal(method, ((SoftmaxLayer)softmax.Layer).Integers.Method);
            Assert.Equal(0, softmax.Output.Quant!.ZeroPoint);
            string note = Assert.Single(r.Notes, n => n.Contains("Softmax", StringComparison.Ordinal));
            output.WriteLine(note);
            Assert.Contains(name, note, StringComparison.Ordinal);
            Assert.Contains("SoftmaxMethod", note, StringComparison.Ordinal);
            Assert.DoesNotContain("mapped to the table softmax", note, StringComparison.Ordinal);
            Assert.DoesNotContain("uint16 over [0, 1]", note, StringComparison.Ordinal);

            // The forced method's probabilities against ORT's float softmax of the same integers: the method's own error,
            // measured 0.0199 for Shiftmax (its shift-based exponential, docs/numerics.md) and 0.0062 (1.6 LSB of 2^-8) for I-BERT.
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            double max = 0;
            foreach (float[] x in Inputs(16, 0.05f, 128, 4, 5))
            {
                double[] ours = oracle.Dequantize(oracle.Run(OrtQuantize(x, 0.05f, 128)));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, Rows, 16 });
                max = Math.Max(max, ours.Zip(ort, (p, o) => Math.Abs(p - o)).Max());
            }

            output.WriteLine($"{name}: max |ours - ORT float| {max:G3} ({max / lsb:F1} output LSB)");
            Assert.True(max <= bound, $"max {max}");
        }
    }
}
