using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// A MobileNetV3-style block written from C# as torch exports it: Conv -> HardSwish, global pool, a squeeze-excite on the
    /// pooled features (Gemm -> Relu -> Gemm -> HardSigmoid, alpha float32 1/6) multiplying them, and a classifier; as a
    /// float file (post-training quantized at import) and as a QDQ file (uint8 activations, int8 per-channel weights, int32
    /// biases). Both import HardSigmoid/HardSwish as their exact integer form and are compared with ONNX Runtime on the same
    /// file. The same block runs bit-exact on every SIMD path, ILGPU's CPU accelerator and HLS csim as the conformance case
    /// <c>mobilenetv3_block</c>.
    /// </summary>
    public sealed class MobileNetV3BlockImportTests
    {
        private static readonly int[] Shape = { 1, 3, 8, 8 };

        private readonly ITestOutputHelper output;

        public MobileNetV3BlockImportTests(ITestOutputHelper output) => this.output = output;

        private static float[] Values(int count, int seed, double lo, double hi)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + ((hi - lo) * rng.NextDouble()))).ToArray();
        }

        private static string Float(string file)
        {
            var b = new OnnxBuilder().Input("x", Shape).Output("y", 1, 5);
            string c = b.Node("Conv", new[] { "x", b.Floats("w", new[] { 8, 3, 3, 3 }, Values(216, 1, -0.5, 0.5)), b.Floats("bias", new[] { 8 }, Values(8, 2, -0.2, 0.2)) }, null,
                ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
            string h = b.Node("HardSwish", new[] { c });
            string flat = b.Node("Flatten", new[] { b.Node("GlobalAveragePool", new[] { h }) });
            string r = b.Node("Relu", new[] { b.Node("Gemm", new[] { flat, b.Floats("w1", new[] { 4, 8 }, Values(32, 3, -1, 1)), b.Floats("b1", new[] { 4 }, Values(4, 4, -0.1, 0.1)) }, null, ("transB", 1L)) });
            string g = b.Node("Gemm", new[] { r, b.Floats("w2", new[] { 8, 4 }, Values(32, 5, -1, 1)), b.Floats("b2", new[] { 8 }, Values(8, 6, -0.5, 0.5)) }, null, ("transB", 1L));
            string se = b.Node("HardSigmoid", new[] { g }, null, ("alpha", 1.0f / 6), ("beta", 0.5f));
            string m = b.Node("Mul", new[] { flat, se });
            b.Node("Gemm", new[] { m, b.Floats("w3", new[] { 5, 8 }, Values(40, 7, -1, 1)), b.Floats("b3", new[] { 5 }, Values(5, 8, -0.1, 0.1)) }, "y", ("transB", 1L));
            return b.Save(file, 14);
        }

        [Fact]
        public void FloatBlockImportsWithExactHardActivationsAndAgreesWithOnnxRuntime()
        {
            string path = Float("mobilenetv3_block_float.onnx");
            List<float[]> calibration = Enumerable.Range(0, 64).Select(i => Values(192, 100 + i, -2, 2)).ToList();
            OnnxImportResult r = OnnxImporter.ImportFloat(path, calibration);
            OpKind[] ops = r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray();
            output.WriteLine(string.Join(" ", ops));
            Assert.Contains(OpKind.HardSwish, ops);
            Assert.Contains(OpKind.HardSigmoid, ops);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int agree = 0, n = 200;
            double maxLsb = 0;
            for (int k = 0; k < n; k++)
            {
                float[] x = Values(192, 5000 + k, -2, 2);
                float[] ort = Fixtures.RunOrt(session, x, Shape);
                double[] q = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                agree += Fixtures.ArgMax(q) == Fixtures.ArgMax(ort) ? 1 : 0;
                maxLsb = Math.Max(maxLsb, q.Zip(ort, (a, c) => Math.Abs(a - c)).Max() / oracle.OutputQuant.Scale);
            }

            output.WriteLine($"float export, W8A8 PTQ: top-1 agreement with ORT {agree}/{n}, max |y - ORT| {maxLsb:F2} output LSB");
            Assert.True(agree >= 0.95 * n, $"top-1 {agree}/{n}");
        }

        /// <summary>The QDQ export: every tensor between a Q/DQ pair, so each integer layer can be compared with ORT's.</summary>
        private static string Qdq(string file)
        {
            var b = new OnnxBuilder().Input("x", Shape).Output("y", 1, 5);
            string z = b.UInt8("z", 128), zs = b.UInt8("zs", 10), z0 = b.UInt8("z0", 0);
            string QDQ(string t, float scale, string zp, string name)
            {
                string s = b.Scalar(name + "_s", scale);
                return b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { t, s, zp }), s, zp });
            }

            string Weights(string name, int[] dims, int seed, float[] scales, int axis)
            {
                var rng = new Random(seed);
                int count = dims.Aggregate(1, (a, d) => a * d);
                string q = b.Int8s(name + "_q", dims, Enumerable.Range(0, count).Select(_ => (sbyte)rng.Next(-127, 128)));
                return b.Node("DequantizeLinear", new[] { q, b.Floats(name + "_ws", new[] { scales.Length }, scales), b.Int8s(name + "_wz", new[] { scales.Length }, new sbyte[scales.Length]) }, null, ("axis", (long)axis));
            }

            string Bias(string name, int[] values, float[] scales)
            {
                return b.Node("DequantizeLinear", new[] { b.Int32s(name + "_q", new[] { values.Length }, values), b.Floats(name + "_bs", new[] { scales.Length }, scales), b.Int32s(name + "_bz", new[] { values.Length }, new int[values.Length]) }, null, ("axis", 0L));
            }

            const float sx = 0.016f, sc = 0.03f, sh = 0.02f, sp = 0.01f, s1 = 0.02f, s2 = 0.03f, sg = 1.0f / 255, sm = 0.008f, sy = 0.05f;
            float[] wc = Values(8, 11, 0.002, 0.005), w1 = Values(4, 12, 0.004, 0.008), w2 = Values(8, 13, 0.004, 0.008), w3 = Values(5, 14, 0.004, 0.008);
            string xd = QDQ("x", sx, z, "x");
            string c = b.Node("Conv", new[] { xd, Weights("wc", new[] { 8, 3, 3, 3 }, 21, wc, 0), Bias("bc", Enumerable.Range(0, 8).Select(i => (i * 37 % 200) - 100).ToArray(), wc.Select(v => v * sx).ToArray()) }, null,
                ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
            string h = QDQ(b.Node("HardSwish", new[] { QDQ(c, sc, z, "c") }), sh, zs, "h");
            string flat = QDQ(b.Node("Flatten", new[] { QDQ(b.Node("GlobalAveragePool", new[] { h }), sp, zs, "p") }), sp, zs, "f");
            string g1 = QDQ(b.Node("Gemm", new[] { flat, Weights("w1", new[] { 4, 8 }, 22, w1, 0), Bias("b1", new[] { 40, -30, 10, 0 }, w1.Select(v => v * sp).ToArray()) }, null, ("transB", 1L)), s1, z, "g1");
            string r = QDQ(b.Node("Relu", new[] { g1 }), s1, z, "r");
            string g2 = QDQ(b.Node("Gemm", new[] { r, Weights("w2", new[] { 8, 4 }, 23, w2, 0), Bias("b2", Enumerable.Range(0, 8).Select(i => (i * 53 % 300) - 150).ToArray(), w2.Select(v => v * s1).ToArray()) }, null, ("transB", 1L)), s2, z, "g2");
            string se = QDQ(b.Node("HardSigmoid", new[] { g2 }, null, ("alpha", 1.0f / 6), ("beta", 0.5f)), sg, z0, "se");
            string m = QDQ(b.Node("Mul", new[] { flat, se }), sm, zs, "m");
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { b.Node("Gemm", new[] { m, Weights("w3", new[] { 5, 8 }, 24, w3, 0), Bias("b3", new[] { 5, -5, 0, 20, -20 }, w3.Select(v => v * sm).ToArray()) }, null, ("transB", 1L)), b.Scalar("y_s", sy), z }), "y_s", z }, "y");
            return b.Save(file, 14);
        }

        [Fact]
        public void QdqBlockImportsWithExactHardActivationsWithinOneLsbOfOnnxRuntime()
        {
            string path = Qdq("mobilenetv3_block_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            OpKind[] ops = r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray();
            output.WriteLine(string.Join(" ", ops));
            Assert.Contains(OpKind.HardSwish, ops);
            Assert.Contains(OpKind.HardSigmoid, ops);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int agree = 0, differ = 0, total = 0, n = 200;
            long max = 0;
            for (int k = 0; k < n; k++)
            {
                float[] x = Values(192, 7000 + k, -2, 2);
                float[] ort = Fixtures.RunOrt(session, x, Shape);
                int[] q = oracle.Run(oracle.Quantize(x));
                TensorQuant oq = oracle.OutputQuant;
                double[] dq = oracle.Dequantize(q);
                agree += Fixtures.ArgMax(dq) == Fixtures.ArgMax(ort) ? 1 : 0;
                for (int i = 0; i < q.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]);
                    max = Math.Max(max, d);
                    differ += d == 0 ? 0 : 1;
                    total++;
                }
            }

            output.WriteLine($"QDQ export: top-1 agreement with ORT {agree}/{n}, {differ} of {total} outputs differ, max {max} LSB");
            Assert.True(agree >= 0.97 * n, $"top-1 {agree}/{n}");
            Assert.True(max <= 1, $"max {max} LSB");
        }
    }
}
