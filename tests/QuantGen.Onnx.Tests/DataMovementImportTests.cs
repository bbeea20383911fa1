using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Onnx.Import;
using QuantGen.Operators;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// The import registry (every operator declares how it is imported) and the operators it lowers directly: Concat,
    /// Slice, Split, Gather, Requantize, each on a small model built in C# and checked against ONNX Runtime (float graph)
    /// and through the reference interpreter (quantized).
    /// </summary>
    public sealed class DataMovementImportTests
    {
        private readonly ITestOutputHelper output;

        public DataMovementImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static float[] Values(int count, int seed, double lo = -1, double hi = 1)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        }

        /// <summary>The largest difference in output LSBs between the quantized import (reference interpreter) and ORT on the same QDQ file.</summary>
        internal static long MaxLsbAgainstOrt(OnnxImportResult r, string path, int[] shape, int count)
        {
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int size = shape.Aggregate(1, (p, d) => p * d);
            long max = 0;
            for (int k = 0; k < count; k++)
            {
                float[] x = Values(size, 500 + k);
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, shape);
                var oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    max = Math.Max(max, Math.Abs((long)Math.Round(ort[i] / oq.Scale + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]));
                }
            }

            return max;
        }

        /// <summary>Float import vs ORT (1e-4), then the quantized model through the reference interpreter within a few output LSBs of the float graph.</summary>
        private OnnxImportResult Check(string path, int[] shape)
        {
            int size = shape.Aggregate(1, (p, d) => p * d);
            List<float[]> inputs = Enumerable.Range(0, 16).Select(i => Values(size, 100 + i)).ToList();
            OnnxImportResult r = OnnxImporter.ImportFloat(path, inputs);
            var fl = new FloatInterpreter(r.FloatGraph);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            double max = 0, maxQ = 0;
            foreach (float[] x in inputs)
            {
                float[] ort = Fixtures.RunOrt(session, x, shape);
                double[] f = fl.Run(x);
                Assert.Equal(ort.Length, f.Length);
                max = Math.Max(max, f.Zip(ort, (a, b) => Math.Abs(a - b)).Max());
                double[] q = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                maxQ = Math.Max(maxQ, q.Zip(ort, (a, b) => Math.Abs(a - b)).Max() / oracle.OutputQuant.Scale);
            }

            output.WriteLine($"{string.Join(" ", r.Model.Graph.Nodes.Select(n => n.Layer.Op))}: float vs ORT {max:G3}, quantized vs ORT {maxQ:F1} LSB");
            Assert.True(max <= 1e-4, $"float max {max}");
            Assert.True(maxQ <= 12, $"quantized max {maxQ} LSB");
            return r;
        }

        private static OpKind[] Ops(OnnxImportResult r) => r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray();

        [Fact]
        public void EveryOperatorDeclaresHowItIsImported()
        {
            LoweringRegistry<OnnxImportRule> rules = OnnxImportRegistry.Rules;
            Assert.Empty(rules.Missing());
            foreach (OnnxImportRule r in rules.All)
            {
                Assert.True(r.OnnxOps.Count > 0 ^ r.NotImportable != null, $"{r.Op}: either ONNX op types or a not-importable reason");
            }

            Assert.Equal(new[] { OpKind.Concat }, rules.Without(OpKind.Concat).Missing());
            foreach (string op in new[] { "Concat", "Slice", "Split", "Gather", "QuantizeLinear" })
            {
                Assert.NotNull(OnnxImportRegistry.ForOnnxOp(op));
            }

            Assert.Null(OnnxImportRegistry.ForOnnxOp("Conv"));
        }

        /// <summary>timm's class token (Expand of a constant, Concat), a fused qkv unbound (Split + Squeeze), a Slice and x[:, 0].</summary>
        [Fact]
        public void ClassTokenQkvUnbindSliceAndClassPick()
        {
            var b = new OnnxBuilder().Input("x", 1, 4, 6).Output("y", 1, 5);
            string cls = b.Node("Expand", new[] { b.Floats("cls_token", new[] { 1, 1, 6 }, Values(6, 1)), b.Int64s("cls_shape", new[] { 3 }, 1, 1, 6) });
            string t = b.Node("Concat", new[] { cls, "x" }, null, ("axis", 1L));
            string qkv = b.Node("MatMul", new[] { t, b.Floats("w_qkv", new[] { 6, 18 }, Values(108, 2)) });
            string r = b.Node("Reshape", new[] { qkv, b.Int64s("r_shape", new[] { 4 }, 1, 5, 3, 6) });
            string p = b.Node("Transpose", new[] { r }, null, ("perm", new long[] { 2, 0, 1, 3 }));
            string[] parts = b.NodeN("Split", new[] { p, b.Int64s("sizes", new[] { 3 }, 1, 1, 1) }, new[] { "q3", "k3", "v3" }, ("axis", 0L));
            string[] qkvs = parts.Select((s, i) => b.Node("Squeeze", new[] { s, b.Int64s("sq" + i, new[] { 1 }, 0) })).ToArray();
            string sum = b.Node("Add", new[] { b.Node("Add", new[] { qkvs[0], qkvs[1] }), qkvs[2] });
            string sl = b.Node("Slice", new[] { sum, b.Int64s("st", new[] { 1 }, 5), b.Int64s("en", new[] { 1 }, -100), b.Int64s("ax", new[] { 1 }, 2), b.Int64s("sp", new[] { 1 }, -1) });
            b.Node("Gather", new[] { sl, b.Int64s("zero", new int[0], 0) }, "y", ("axis", 1L));
            OnnxImportResult res = Check(b.Save("deit_parts.onnx"), new[] { 1, 4, 6 });
            OpKind[] ops = Ops(res);
            Assert.Equal(new[] { OpKind.Concat, OpKind.Dense, OpKind.Reshape, OpKind.Transpose, OpKind.Split }, ops.Take(5));
            Assert.Contains(OpKind.Slice, ops);
            Assert.Equal(OpKind.Gather, ops.Last());
        }

        /// <summary>Split by num_outputs (opset 18: ceil parts, the last smaller) and Gather with an index list.</summary>
        [Fact]
        public void SplitByNumOutputsAndGatherIndexList()
        {
            var b = new OnnxBuilder().Input("x", 1, 7, 3).Output("y", 1, 3, 3);
            string[] parts = b.NodeN("Split", new[] { "x" }, new[] { "a", "b", "c" }, ("axis", 1L), ("num_outputs", 3L));
            string j = b.Node("Concat", new[] { parts[2], parts[0] }, null, ("axis", 1L));
            string g = b.Node("Gather", new[] { j, b.Int64s("idx", new[] { 3 }, 3, -4, 0) }, null, ("axis", 1L));
            b.Node("Add", new[] { g, b.Node("Slice", new[] { parts[1], b.Int64s("s0", new[] { 1 }, 0), b.Int64s("e0", new[] { 1 }, 3) }) }, "y");
            OnnxImportResult r = Check(b.Save("split18.onnx", 18), new[] { 1, 7, 3 });
            Assert.Equal(new[] { 3, 3, 1 }, ((SplitLayer)r.Model.Graph.Nodes[0].Layer).Sizes);
        }

        /// <summary>ORT's quantize_static form of the attention scale: Mul by 0.125 between two QDQ pairs is a Requantize, within 1 LSB of ORT.</summary>
        [Fact]
        public void ScalarMulBetweenQdqPairsIsRequantize()
        {
            var b = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 3);
            string z = b.UInt8("z", 128);
            string s1 = b.Scalar("s1", 0.02f), s2 = b.Scalar("s2", 0.03f), s3 = b.Scalar("s3", 0.005f);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z }), s1, z });
            string ws = b.Floats("ws", new[] { 3 }, new[] { 0.01f, 0.02f, 0.015f });
            string wz = b.Int8s("wz", new[] { 3 }, new sbyte[3]);
            string w = b.Node("DequantizeLinear", new[] { b.Int8s("wq", new[] { 4, 3 }, Enumerable.Range(0, 12).Select(i => (sbyte)(i * 9 - 50))), ws, wz }, null, ("axis", 1L));
            string mm = b.Node("MatMul", new[] { xd, w });
            string md = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { mm, s2, z }), s2, z });
            string scaled = b.Node("Mul", new[] { md, b.Scalar("scale", 0.125f) });
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { scaled, s3, z }), s3, z }, "y");
            string path = b.Save("mul_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Dense, OpKind.Requantize }, Ops(r));
            var layer = (RequantizeLayer)r.Model.Graph.Nodes[1].Layer;
            Assert.Equal(0.125, layer.Factor);
            long lsb = MaxLsbAgainstOrt(r, path, new[] { 1, 4 }, 64);
            output.WriteLine($"max {lsb} LSB against ORT");
            Assert.True(lsb <= 1);
        }

        [Fact]
        public void EmbeddingLookupOfTokenIdsSaysWhatIsMissing()
        {
            var b = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 4, 8);
            string ids = b.Node("Cast", new[] { "x" }, null, ("to", 7L));
            b.Node("Gather", new[] { b.Floats("table", new[] { 10, 8 }, Values(80, 3)), ids }, "y", ("axis", 0L));
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(b.Save("embedding.onnx")));
            output.WriteLine(string.Join("\n", e.Diagnostics));
            Assert.Contains(e.Diagnostics, d => d.Message.Contains("embedding lookup") || d.Message.Contains("integer"));
        }
    }
}
