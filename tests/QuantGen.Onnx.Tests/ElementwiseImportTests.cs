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
    /// Tanh, Sigmoid, HardSigmoid, HardSwish and element-wise Mul/Sub imported from small models built in C#: the float graph
    /// against ONNX Runtime, and QDQ files against ORT on the same file (ORT evaluates the function in float between the
    /// Q/DQ nodes and rounds half to even, which is what the table stores: expected within 1 LSB).
    /// </summary>
    public sealed class ElementwiseImportTests
    {
        private readonly ITestOutputHelper output;

        public ElementwiseImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static float[] Values(int count, int seed, double lo = -3, double hi = 3)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        }

        private static OpKind[] Ops(OnnxImportResult r) => r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray();

        /// <summary>Float export: every new operator, the float graph equal to ORT within 1e-5 and the W8A8 model within a few output LSBs.</summary>
        [Fact]
        public void FloatExportOfEveryElementwiseOperatorMatchesOnnxRuntime()
        {
            var b = new OnnxBuilder().Input("x", 1, 24).Output("y", 1, 24);
            string t = b.Node("Tanh", new[] { "x" });
            string s = b.Node("Sigmoid", new[] { "x" });
            string hs = b.Node("HardSigmoid", new[] { "x" }, null, ("alpha", 1.0f / 6), ("beta", 0.5f));
            string hw = b.Node("HardSwish", new[] { "x" });
            string m = b.Node("Mul", new[] { t, s });
            string d = b.Node("Sub", new[] { b.Scalar("one", 1.0f), hs });
            string n = b.Node("Mul", new[] { d, b.Scalar("neg", -2.5f) });
            string row = b.Node("Sub", new[] { hw, b.Floats("bias", new[] { 24 }, Values(24, 3, -0.5, 0.5)) });
            b.Node("Add", new[] { b.Node("Add", new[] { m, n }), row }, "y");
            string path = b.Save("elementwise_float.onnx", 14);
            List<float[]> inputs = Enumerable.Range(0, 32).Select(i => Values(24, 100 + i)).ToList();
            OnnxImportResult r = OnnxImporter.ImportFloat(path, inputs);
            OpKind[] ops = Ops(r);
            foreach (OpKind k in new[] { OpKind.Tanh, OpKind.Sigmoid, OpKind.HardSigmoid, OpKind.HardSwish, OpKind.Mul, OpKind.Sub })
            {
                Assert.Contains(k, ops);
            }

            Assert.Equal(1.0 / 6, ((HardSigmoidLayer)r.FloatGraph.Nodes.First(g => g.Layer.Op == OpKind.HardSigmoid).Layer).Alpha, 6);
            var fl = new FloatInterpreter(r.FloatGraph);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            double max = 0, maxQ = 0;
            foreach (float[] x in inputs)
            {
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 24 });
                max = Math.Max(max, fl.Run(x).Zip(ort, (a, c) => Math.Abs(a - c)).Max());
                double[] q = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                maxQ = Math.Max(maxQ, q.Zip(ort, (a, c) => Math.Abs(a - c)).Max() / oracle.OutputQuant.Scale);
            }

            output.WriteLine($"{string.Join(" ", ops)}: float vs ORT {max:G3}, quantized vs ORT {maxQ:F2} LSB");
            Assert.True(max <= 1e-5, $"float max {max}");
            Assert.True(maxQ <= 6, $"quantized max {maxQ} LSB");
        }

        /// <summary>One QDQ file per function: x -> QDQ -> f -> QDQ; the import reads the file's scales and is within 1 LSB of ORT.</summary>
        [Theory]
        [InlineData("Tanh", 0.03f, 128, 0.0078125f, 128)]
        [InlineData("Sigmoid", 0.05f, 120, 0.00390625f, 0)]
        [InlineData("HardSigmoid", 0.04f, 128, 0.00390625f, 0)]
        [InlineData("HardSwish", 0.025f, 130, 0.015f, 20)]
        public void QdqFunctionIsWithinOneLsbOfOnnxRuntime(string op, float sx, int zx, float sy, int zy)
        {
            var b = new OnnxBuilder().Input("x", 1, 64).Output("y", 1, 64);
            string s1 = b.Scalar("s1", sx), s2 = b.Scalar("s2", sy), z1 = b.UInt8("z1", (byte)zx), z2 = b.UInt8("z2", (byte)zy);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z1 }), s1, z1 });
            string f = b.Node(op, new[] { xd });
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { f, s2, z2 }), s2, z2 }, "y");
            string path = b.Save(op.ToLowerInvariant() + "_qdq.onnx", 14);
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(op, Ops(r).Single().ToString());
            (long lsb, int differ) = Lsb(r, path, 64, 40, -4.5, 4.5);
            output.WriteLine($"{op}: max {lsb} LSB against ORT, {differ} of {64 * 40} outputs differ");
            Assert.True(lsb <= 1);
        }

        /// <summary>Mul of two activations and Sub with a constant first operand between QDQ pairs: within 1 LSB of ORT.</summary>
        [Fact]
        public void QdqMulAndSubAreWithinOneLsbOfOnnxRuntime()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 16).Output("y", 1, 2, 16);
            string z = b.UInt8("z", 128);
            string Qdq(string t, float scale, string name)
            {
                string s = b.Scalar(name, scale);
                return b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { t, s, z }), s, z }, name == "sy" ? "y" : null);
            }

            string xd = Qdq("x", 0.025f, "sx");
            string sq = Qdq(b.Node("Mul", new[] { xd, xd }), 0.04f, "sm");
            string cs = b.Scalar("cs", 0.01f);
            string c = b.Node("DequantizeLinear", new[] { b.Int8s("cq", new[] { 16 }, Enumerable.Range(0, 16).Select(i => (sbyte)(i * 11 - 80))), cs });
            Qdq(b.Node("Sub", new[] { c, sq }), 0.05f, "sy");
            string path = b.Save("mul_sub_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Mul, OpKind.Sub }, Ops(r));
            (long lsb, int differ) = Lsb(r, path, 32, 40, -3, 3);
            output.WriteLine($"Mul, Sub: max {lsb} LSB against ORT, {differ} of {32 * 40} outputs differ");
            Assert.True(lsb <= 1);
        }

        /// <summary>Shapes the integer operators cannot broadcast get a located QG4009 naming the shapes.</summary>
        [Fact]
        public void MulOfShapesThatDoNotBroadcastBySuffixIsLocated()
        {
            var b = new OnnxBuilder().Input("x", 1, 4, 6).Output("y", 1, 4, 6);
            b.Node("Mul", new[] { "x", b.Floats("col", new[] { 4, 1 }, Values(4, 9)) }, "y");
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(b.Save("mul_column.onnx")));
            output.WriteLine(string.Join("\n", e.Diagnostics));
            Assert.Contains(e.Diagnostics, d => d.Id == OnnxErrors.UnsupportedAttribute && d.Message.Contains("[4, 1]") && d.Message.Contains("Mul"));
        }

        private static (long Max, int Differ) Lsb(OnnxImportResult r, string path, int size, int count, double lo, double hi)
        {
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int[] shape = r.Model.Graph.Input.Shape;
            long max = 0;
            int differ = 0;
            for (int k = 0; k < count; k++)
            {
                float[] x = Values(size, 700 + k, lo, hi);
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, shape);
                TensorQuant oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round(ort[i] / oq.Scale + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]);
                    max = Math.Max(max, d);
                    differ += d != 0 ? 1 : 0;
                }
            }

            return (max, differ);
        }
    }
}
