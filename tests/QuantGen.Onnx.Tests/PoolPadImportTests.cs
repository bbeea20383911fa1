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
    /// AveragePool with a window (ONNX count_include_pad 0 and 1) as AvgPool2d, and a constant zero Pad folded into the
    /// pads of the Conv / AveragePool after it; float graphs against ONNX Runtime, the quantized import against ORT's QDQ.
    /// </summary>
    public sealed class PoolPadImportTests
    {
        private readonly ITestOutputHelper output;

        public PoolPadImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static float[] Values(int count, int seed, double lo = -2, double hi = 2)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        }

        /// <summary>Float import equals ORT within 1e-5; the W8A8 model is within a few output LSBs of ORT's float result.</summary>
        private OnnxImportResult CheckFloat(string path, int[] shape)
        {
            int size = shape.Aggregate(1, (p, d) => p * d);
            List<float[]> inputs = Enumerable.Range(0, 16).Select(i => Values(size, 300 + i)).ToList();
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

            output.WriteLine($"{string.Join(" ", r.Model.Graph.Nodes.Select(n => n.Layer.Op))}: float vs ORT {max:G3}, quantized vs ORT {maxQ:F2} LSB; notes: {string.Join(" | ", r.Notes)}");
            Assert.True(max <= 1e-5, $"float max {max}");
            Assert.True(maxQ <= 4, $"quantized max {maxQ} LSB");
            return r;
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        public void WindowedAveragePoolFollowsCountIncludePad(long include)
        {
            var b = new OnnxBuilder().Input("x", 1, 3, 8, 9).Output("y", 1, 3, 4, 5);
            b.Node("AveragePool", new[] { "x" }, "y", ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 0, 1 }), ("count_include_pad", include));
            OnnxImportResult r = CheckFloat(b.Save($"avgpool_{include}.onnx"), new[] { 1, 3, 8, 9 });
            var pool = (AvgPool2dLayer)r.Model.Graph.Nodes.Single().Layer;
            Assert.Equal(new[] { 1, 1, 0, 1 }, pool.Pads);
            Assert.Equal(include == 1, pool.CountIncludePad);
        }

        /// <summary>torch's padded nn.AvgPool2d: Pad (zeros) then AveragePool; the zeros are counted, so count_include_pad becomes 1.</summary>
        [Fact]
        public void PadBeforeAveragePoolFoldsWithTheZerosCounted()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 6, 6).Output("y", 1, 2, 7, 3);
            string p = b.Node("Pad", new[] { "x", b.Int64s("pads", new[] { 8 }, 0, 0, 1, 0, 0, 0, 2, 1) });
            b.Node("AveragePool", new[] { p }, "y", ("kernel_shape", new long[] { 3, 2 }), ("strides", new long[] { 1, 2 }));
            OnnxImportResult r = CheckFloat(b.Save("pad_avgpool.onnx"), new[] { 1, 2, 6, 6 });
            var pool = (AvgPool2dLayer)r.Model.Graph.Nodes.Single().Layer;
            Assert.Equal(new[] { 1, 0, 2, 1 }, pool.Pads);
            Assert.True(pool.CountIncludePad);
        }

        /// <summary>An asymmetric "same" padding written as a separate Pad before a stride-2 Conv: folded into the Conv's pads.</summary>
        [Fact]
        public void PadBeforeConvFoldsIntoItsPads()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 7, 8).Output("y", 1, 4, 4, 4);
            string p = b.Node("Pad", new[] { "x", b.Int64s("pads", new[] { 8 }, 0, 0, 0, 0, 0, 0, 1, 1), b.Scalar("zero", 0f) });
            b.Node("Conv", new[] { p, b.Floats("w", new[] { 4, 2, 3, 3 }, Values(72, 5, -0.5, 0.5)), b.Floats("bias", new[] { 4 }, Values(4, 6, -0.1, 0.1)) }, "y", ("strides", new long[] { 2, 2 }));
            OnnxImportResult r = CheckFloat(b.Save("pad_conv.onnx"), new[] { 1, 2, 7, 8 });
            var conv = (Conv2dLayer)r.Model.Graph.Nodes.Single().Layer;
            Assert.Equal(new[] { 0, 0, 1, 1 }, conv.Pads);
        }

        /// <summary>A reflection Pad (or one read by anything but Conv/AveragePool) is still a located QG4003.</summary>
        [Fact]
        public void ReflectPadIsLocated()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 6, 6).Output("y", 1, 2, 8, 8);
            string p = b.Node("Pad", new[] { "x", b.Int64s("pads", new[] { 8 }, 0, 0, 1, 1, 0, 0, 1, 1) }, null, ("mode", "reflect"));
            b.Node("Relu", new[] { p }, "y");
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(b.Save("reflect_pad.onnx")));
            output.WriteLine(string.Join("\n", e.Diagnostics));
            Assert.Contains(e.Diagnostics, d => d.Id == OnnxErrors.UnsupportedOperator && d.Place != null && d.Place.Contains("Pad", StringComparison.Ordinal));
        }

        /// <summary>QDQ AveragePool with a window against ORT on the same file: within 1 LSB (dyadic ties up vs float ties to even).</summary>
        [Fact]
        public void QdqWindowedAveragePoolIsWithinOneLsbOfOnnxRuntime()
        {
            var b = new OnnxBuilder().Input("x", 1, 2, 7, 7).Output("y", 1, 2, 4, 4);
            string z = b.UInt8("z", 128), s1 = b.Scalar("s1", 0.02f), s2 = b.Scalar("s2", 0.015f);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z }), s1, z });
            string pool = b.Node("AveragePool", new[] { xd }, null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { pool, s2, z }), s2, z }, "y");
            string path = b.Save("avgpool_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.Equal(OpKind.AvgPool2d, r.Model.Graph.Nodes.Single().Layer.Op);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            long max = 0;
            for (int k = 0; k < 40; k++)
            {
                float[] x = Values(98, 900 + k);
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 2, 7, 7 });
                TensorQuant oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    max = Math.Max(max, Math.Abs((long)Math.Round(ort[i] / oq.Scale + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]));
                }
            }

            output.WriteLine($"AvgPool2d QDQ: max {max} LSB against ORT over 40 inputs");
            Assert.True(max <= 1);
        }
    }
}
