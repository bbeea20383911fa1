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
    /// Exporter patterns lowered to existing operators, each on a small model written in C# (<see cref="OnnxBuilder"/>)
    /// and checked against ONNX Runtime on the same file. The zoo fixtures cover the same patterns as torch writes them
    /// (<see cref="ZooSurveyTests"/>).
    /// </summary>
    public sealed class ImportPatternTests
    {
        private readonly ITestOutputHelper output;

        public ImportPatternTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static IEnumerable<float> Values(int count, int seed, double lo = -1, double hi = 1)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        }

        /// <summary>Imports the float model and checks the lowered float graph against ORT; returns the import.</summary>
        private OnnxImportResult ImportAndCompare(string path, int[] shape, double tolerance = 1e-4)
        {
            int size = shape.Aggregate(1, (p, d) => p * d);
            List<float[]> inputs = Enumerable.Range(0, 16).Select(i => Values(size, 100 + i).ToArray()).ToList();
            OnnxImportResult r = OnnxImporter.ImportFloat(path, inputs);
            foreach (string n in r.Notes)
            {
                output.WriteLine(n);
            }

            var fl = new FloatInterpreter(r.FloatGraph);
            using var session = new InferenceSession(path);
            double max = 0;
            foreach (float[] x in inputs)
            {
                float[] ort = Fixtures.RunOrt(session, x, shape);
                double[] f = fl.Run(x);
                Assert.Equal(ort.Length, f.Length);
                max = Math.Max(max, f.Zip(ort, (a, b) => Math.Abs(a - b)).Max());
            }

            output.WriteLine($"{string.Join(" ", r.Model.Graph.Nodes.Select(n => n.Layer.Op))}; float graph vs ORT max |diff| {max:G3}");
            Assert.True(max <= tolerance, $"max {max}");
            return r;
        }

        private static OpKind[] Ops(OnnxImportResult r) => r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray();

        [Fact]
        public void Opset13DecomposedLayerNormIsOneLayerNorm()
        {
            var b = new OnnxBuilder().Input("x", 1, 4, 8).Output("y", 1, 4, 8);
            string mean = b.Node("ReduceMean", new[] { "x" }, null, ("axes", new long[] { -1 }));
            string d = b.Node("Sub", new[] { "x", mean });
            string sq = b.Node("Pow", new[] { d, b.Scalar("two", 2f) });
            string variance = b.Node("ReduceMean", new[] { sq }, null, ("axes", new long[] { -1 }));
            string std = b.Node("Sqrt", new[] { b.Node("Add", new[] { variance, b.Scalar("eps", 1e-5f) }) });
            string norm = b.Node("Div", new[] { d, std });
            string scaled = b.Node("Mul", new[] { norm, b.Floats("gamma", new[] { 8 }, Values(8, 1, 0.5, 1.5)) });
            b.Node("Add", new[] { scaled, b.Floats("beta", new[] { 8 }, Values(8, 2)) }, "y");
            OnnxImportResult r = ImportAndCompare(b.Save("ln13.onnx"), new[] { 1, 4, 8 });
            Assert.Equal(new[] { OpKind.LayerNorm }, Ops(r));
            Assert.Contains(r.Notes, n => n.Contains("LayerNorm written out"));
        }

        [Fact]
        public void ReduceMeanOverSpatialAxesIsReshapeAndAvgPool()
        {
            var b = new OnnxBuilder().Input("x", 1, 3, 4, 5).Output("y", 1, 2);
            string c = b.Node("Conv", new[] { "x", b.Floats("w", new[] { 2, 3, 1, 1 }, Values(6, 3)) });
            b.Node("ReduceMean", new[] { c }, "y", ("axes", new long[] { 2, 3 }), ("keepdims", 0L));
            OnnxImportResult r = ImportAndCompare(b.Save("mean23.onnx"), new[] { 1, 3, 4, 5 });
            Assert.Equal(new[] { OpKind.Conv2d, OpKind.Reshape, OpKind.AvgPool }, Ops(r));
        }

        [Fact]
        public void ReduceMeanOverNonAdjacentAxesSaysHowToFixIt()
        {
            var b = new OnnxBuilder().Input("x", 1, 3, 4, 5).Output("y", 1, 4);
            b.Node("ReduceMean", new[] { "x" }, "y", ("axes", new long[] { 1, 3 }), ("keepdims", 0L));
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(b.Save("mean13.onnx")));
            Assert.Equal(OnnxErrors.UnsupportedAttribute, e.Diagnostics[0].Id);
            Assert.Contains("non-adjacent", e.Diagnostics[0].Message);
        }

        [Fact]
        public void BatchNormalizationAfterGemmIsFoldedIntoTheDense()
        {
            var b = new OnnxBuilder().Input("x", 1, 6).Output("y", 1, 4);
            string g = b.Node("Gemm", new[] { "x", b.Floats("w", new[] { 4, 6 }, Values(24, 4)), b.Floats("b", new[] { 4 }, Values(4, 5)) }, null, ("transB", 1L));
            string bn = b.Node("BatchNormalization", new[] { g, b.Floats("g", new[] { 4 }, new[] { 1.5f, -0.7f, 0.3f, 2f }), b.Floats("beta", new[] { 4 }, Values(4, 6)), b.Floats("mean", new[] { 4 }, Values(4, 7)), b.Floats("var", new[] { 4 }, Values(4, 8, 0.1, 2)) });
            b.Node("Relu", new[] { bn }, "y");
            OnnxImportResult r = ImportAndCompare(b.Save("gemm_bn.onnx"), new[] { 1, 6 });
            Assert.Equal(new[] { OpKind.Dense }, Ops(r));
            Assert.Equal(Activation.Relu, ((DenseLayer)r.Model.Graph.Nodes[0].Layer).Activation);
        }

        [Fact]
        public void ShapeSubgraphsAndConstantArithmeticAreFolded()
        {
            // x.reshape(x.shape[0], -1) as torch traces it, and a bias computed as Pow(Constant, Constant) * initializer.
            var b = new OnnxBuilder().Input("x", 1, 2, 3, 4).Output("y", 1, 5);
            string shape = b.Node("Shape", new[] { "x" });
            string n0 = b.Node("Gather", new[] { shape, b.Int64s("zero", new int[0], 0) }, null, ("axis", 0L));
            string n0u = b.Node("Unsqueeze", new[] { n0, b.Int64s("axes0", new[] { 1 }, 0) });
            string target = b.Node("Concat", new[] { n0u, b.Int64s("minus1", new[] { 1 }, -1) }, null, ("axis", 0L));
            string flat = b.Node("Reshape", new[] { "x", target });
            string mm = b.Node("MatMul", new[] { flat, b.Floats("w", new[] { 24, 5 }, Values(120, 9)) });
            string k = b.Node("Pow", new[] { b.Scalar("base", 2f), b.Scalar("exp", 0.5f) });
            string bias = b.Node("Mul", new[] { k, b.Floats("b", new[] { 5 }, Values(5, 10)) });
            b.Node("Add", new[] { mm, bias }, "y");
            OnnxImportResult r = ImportAndCompare(b.Save("shape_fold.onnx"), new[] { 1, 2, 3, 4 });
            Assert.Equal(new[] { OpKind.Reshape, OpKind.Dense }, Ops(r));
            Assert.Contains(r.Notes, n => n.Contains("folded at import"));
        }

        [Fact]
        public void AveragePoolOverTheWholeMapIsGlobalAndAPartialOneIsNamed()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 4, 4).Output("y", 1, 2, 1, 1);
            string pad = b.Node("Pad", new[] { "x", b.Int64s("pads", new[] { 8 }, 0, 0, 0, 0, 0, 0, 0, 0) }, null, ("mode", "constant"));
            b.Node("AveragePool", new[] { pad }, "y", ("kernel_shape", new long[] { 4, 4 }), ("strides", new long[] { 4, 4 }));
            OnnxImportResult r = ImportAndCompare(b.Save("avgpool_global.onnx"), new[] { 1, 2, 4, 4 });
            Assert.Equal(new[] { OpKind.Reshape, OpKind.AvgPool, OpKind.Reshape }, Ops(r));

            // A window smaller than the map is a 2-D AvgPool (ONNX count_include_pad kept); ceil_mode=1 is named.
            var p = new OnnxBuilder().Input("x", 1, 2, 4, 4).Output("y", 1, 2, 3, 3);
            p.Node("AveragePool", new[] { "x" }, "y", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1L));
            OnnxImportResult partial = ImportAndCompare(p.Save("avgpool_partial.onnx"), new[] { 1, 2, 4, 4 });
            Assert.True(((AvgPool2dLayer)partial.Model.Graph.Nodes.Single().Layer).CountIncludePad);

            var c = new OnnxBuilder().Input("x", 1, 2, 5, 5).Output("y", 1, 2, 3, 3);
            c.Node("AveragePool", new[] { "x" }, "y", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1L));
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(c.Save("avgpool_ceil.onnx")));
            Assert.Equal(OnnxErrors.UnsupportedAttribute, e.Diagnostics[0].Id);
            Assert.Contains("ceil_mode=1", e.Diagnostics[0].Message);
        }

        /// <summary>QDQ on both sides of a Dropout, as FX's QAT writes it: equal parameters are a no-op, different ones a Requantize.</summary>
        [Theory]
        [InlineData(0.05f, true)]
        [InlineData(0.06f, false)]
        public void FakeQuantBeforeAndAfterDropout(float secondScale, bool imports)
        {
            var b = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 3);
            string z = b.UInt8("z", 128);
            string s1 = b.Scalar("s1", 0.05f), s2 = b.Scalar("s2", secondScale);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z }), s1, z });
            string dr = b.Node("Dropout", new[] { xd });
            string dd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { dr, s2, z }), s2, z });
            string ws = b.Floats("ws", new[] { 3 }, new[] { 0.01f, 0.02f, 0.015f });
            string wz = b.Int8s("wz", new[] { 3 }, new sbyte[3]);
            string w = b.Node("DequantizeLinear", new[] { b.Int8s("wq", new[] { 4, 3 }, Enumerable.Range(0, 12).Select(i => (sbyte)(i * 7 - 40))), ws, wz }, null, ("axis", 1L));
            string mm = b.Node("MatMul", new[] { dd, w });
            string so = b.Scalar("so", 0.02f);
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { mm, so, z }), so, z }, "y");
            string path = b.Save("dropout_qdq.onnx");
            if (imports)
            {
                OnnxImportResult r = OnnxImporter.ImportQdq(path);
                Assert.Equal(new[] { OpKind.Dense }, Ops(r));
                return;
            }

            // Different parameters: the second fake quant is a Requantize layer, bit-exact with ORT's float QDQ up to 1 LSB.
            OnnxImportResult q = OnnxImporter.ImportQdq(path);
            Assert.Equal(new[] { OpKind.Requantize, OpKind.Dense }, Ops(q));
            Assert.Contains(q.Notes, n => n.Contains("mapped to Requantize"));
            long lsb = DataMovementImportTests.MaxLsbAgainstOrt(q, path, new[] { 1, 4 }, 64);
            output.WriteLine($"max {lsb} LSB against ORT");

            // The Requantize rounds half toward +inf where ORT's QuantizeLinear rounds half to even: 1 LSB at the Dense's
            // input, times up to |w| * S_in / S_out ~ 4 at its output.
            Assert.True(lsb <= 5, $"max {lsb} LSB");
        }

        /// <summary>Every unsupported node in one run, grouped by operator with counts, names and what to change.</summary>
        [Fact]
        public void EveryUnsupportedNodeIsListedInOneRun()
        {
            var b = new OnnxBuilder().Input("x", 1, 8).Output("y", 1, 8);
            string t = b.Node("Neg", new[] { "x" });
            string s = b.Node("Sqrt", new[] { "x" });
            string h = b.Node("Erf", new[] { "x" });
            string c = b.Node("Concat", new[] { t, s }, null, ("axis", 1L));
            string[] parts = b.NodeN("Split", new[] { c, b.Int64s("sizes", new[] { 2 }, 8, 8) }, new[] { "p0", "p1" }, ("axis", 1L));
            string sum = b.Node("Add", new[] { parts[0], parts[1] });
            b.Node("Add", new[] { sum, h }, "y");
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(b.Save("many.onnx")));
            foreach (ModelDiagnostic d in e.Diagnostics)
            {
                output.WriteLine(d.ToString());
            }

            Assert.Equal(4, e.Diagnostics.Count);
            Assert.All(e.Diagnostics, d => Assert.Equal(OnnxErrors.UnsupportedOperator, d.Id));
            Assert.Equal(new[] { "Neg", "Sqrt", "Erf" }, e.Diagnostics.Take(3).Select(d => d.Place!.Split('(').Last().TrimEnd(')')));
            string summary = e.Diagnostics[3].Message;
            Assert.Equal("graph", e.Diagnostics[3].Place);
            Assert.Contains("3 problems in 3 nodes", summary);
            Assert.Contains("opset_version=17", summary);
        }

        /// <summary>
        /// The zoo's ORT-quantized DeiT-Tiny imports: class token Concat, 12 qkv Splits, 12 attention-scale Requantizes and
        /// the x[:, 0] Gather; the reference interpreter runs it and is compared with ORT top-1 on a few random inputs.
        /// </summary>
        [Fact]
        public void DeitTinyOrtQdqImportsAndRunsOnTheReferenceInterpreter()
        {
            string path = ZooSurveyTests.Zoo("deit_tiny_ortqdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            var ops = r.Model.Graph.Nodes.GroupBy(n => n.Layer.Op).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(string.Join(", ", ops.Select(kv => $"{kv.Key} x{kv.Value}")));
            Assert.Equal(1, ops[OpKind.Concat]);
            Assert.Equal(12, ops[OpKind.Split]);
            Assert.Equal(12, ops[OpKind.Requantize]);
            Assert.Equal(1, ops[OpKind.Gather]);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int same = 0, n = 3;
            foreach (float[] x in ZooSurveyTests.Inputs(n, 3 * 224 * 224, seed: 5))
            {
                double[] ours = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 3, 224, 224 });
                same += Fixtures.ArgMax(ours) == Fixtures.ArgMax(ort) ? 1 : 0;
                output.WriteLine($"top-1 ours {Fixtures.ArgMax(ours)} ORT {Fixtures.ArgMax(ort)}; max |diff| {ours.Zip(ort, (a, b) => Math.Abs(a - b)).Max():G3} (ORT outputs up to {ort.Max(v => Math.Abs(v)):G3})");
            }

            output.WriteLine($"top-1 same {same}/{n}");
        }
    }
}
