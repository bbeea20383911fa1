using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// A Pad inside a QDQ pair, as ONNX Runtime's quantizer writes it (<c>DQ -> Pad -> Q -> DQ -> Conv / AveragePool</c>):
    /// folded into the window's pads like a Pad read directly, because the padded real zeros quantize to the zero point
    /// the window's own padding inserts. Checked against ORT on the same file.
    /// </summary>
    public sealed class QdqPadImportTests
    {
        private static readonly int[] Shape = { 1, 2, 7, 8 };

        private readonly ITestOutputHelper output;

        public QdqPadImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static float[] Values(int count, int seed, double lo, double hi)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, count).Select(_ => (float)(lo + ((hi - lo) * rng.NextDouble()))).ToArray();
        }

        /// <summary>
        /// x -> Q/DQ -> Pad (bottom 1, right 1) -> Q/DQ (<paramref name="padScale"/>) -> window -> Q/DQ -> y. The window is a
        /// stride-2 3x3 Conv (int8 per-channel weights, int32 bias) or a 3x3 stride-2 AveragePool.
        /// </summary>
        private static string Model(string window, float padScale, string file)
        {
            bool conv = window == "Conv";
            var b = new OnnxBuilder().Input("x", Shape).Output("y", 1, conv ? 4 : 2, 4, 4);
            string z = b.UInt8("z", 128), s1 = b.Scalar("s1", 0.02f), sp = b.Scalar("sp", padScale), s2 = b.Scalar("s2", conv ? 0.03f : 0.015f);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z }), s1, z });
            string p = b.Node("Pad", new[] { xd, b.Int64s("pads", new[] { 8 }, 0, 0, 0, 0, 0, 0, 1, 1), b.Scalar("zero", 0f) });
            string pd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { p, sp, z }), sp, z });
            string w;
            if (conv)
            {
                float[] ws = { 0.004f, 0.003f, 0.005f, 0.0035f };
                var rng = new Random(17);
                string wq = b.Int8s("w_q", new[] { 4, 2, 3, 3 }, Enumerable.Range(0, 72).Select(_ => (sbyte)rng.Next(-127, 128)));
                string wd = b.Node("DequantizeLinear", new[] { wq, b.Floats("w_s", new[] { 4 }, ws), b.Int8s("w_z", new[] { 4 }, new sbyte[4]) }, null, ("axis", 0L));
                string bd = b.Node("DequantizeLinear", new[] { b.Int32s("b_q", new[] { 4 }, new[] { 300, -1200, 50, 900 }), b.Floats("b_s", new[] { 4 }, ws.Select(v => v * padScale)), b.Int32s("b_z", new[] { 4 }, new int[4]) }, null, ("axis", 0L));
                w = b.Node("Conv", new[] { pd, wd, bd }, null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }));
            }
            else
            {
                w = b.Node("AveragePool", new[] { pd }, null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }));
            }

            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { w, s2, z }), s2, z }, "y");
            return b.Save(file);
        }

        [Theory]
        [InlineData("Conv")]
        [InlineData("AveragePool")]
        public void PadInsideAQdqPairFoldsAndIsWithinOneLsbOfOnnxRuntime(string window)
        {
            string path = Model(window, 0.02f, "qdq_pad_" + window + ".onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            output.WriteLine(string.Join("\n", r.Notes));
            LayerSpec layer = r.Model.Graph.Nodes.Single().Layer;
            int[] pads = layer is Conv2dLayer c ? c.Pads : ((AvgPool2dLayer)layer).Pads;
            Assert.Equal(new[] { 0, 0, 1, 1 }, pads);
            if (layer is AvgPool2dLayer pool)
            {
                Assert.True(pool.CountIncludePad);   // ONNX AveragePool without pads of its own averages the padded zeros too
            }

            Assert.Contains(r.Notes, n => n.Contains("inside a QDQ pair", StringComparison.Ordinal));
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            long max = 0;
            int differ = 0, total = 0;
            for (int k = 0; k < 40; k++)
            {
                // Inputs skewed positive so the padded zeros (the zero point) often change a window's result.
                float[] x = Values(112, 700 + k, -0.5, 2.5);
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, Shape);
                TensorQuant oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]);
                    max = Math.Max(max, d);
                    differ += d == 0 ? 0 : 1;
                    total++;
                }
            }

            output.WriteLine($"{window} after a QDQ Pad: {differ} of {total} outputs differ from ORT, max {max} LSB (40 inputs)");
            Assert.True(max <= 1, $"max {max} LSB");
        }

        /// <summary>A QuantizeLinear after the Pad with other parameters than the Pad's input would requantize: not folded, located at the Pad.</summary>
        [Fact]
        public void PadBetweenDifferentQuantizationsIsLocated()
        {
            string path = Model("Conv", 0.025f, "qdq_pad_requant.onnx");
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.ImportQdq(path));
            output.WriteLine(string.Join("\n", e.Diagnostics));
            Assert.Contains(e.Diagnostics, d => d.Id == OnnxErrors.UnsupportedOperator && d.Place != null && d.Place.Contains("Pad", StringComparison.Ordinal));
        }
    }
}
