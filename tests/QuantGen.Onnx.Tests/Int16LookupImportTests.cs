using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// Tanh, Sigmoid, HardSigmoid and HardSwish between int16 QDQ pairs (opset 21): Tanh and Sigmoid imported as segment
    /// tables (1,025 entries, interpolated; docs/numerics.md), HardSigmoid and HardSwish as their exact integer form
    /// (PiecewiseLinear, within 1/2 + e LSB of f), and compared with ONNX Runtime, which evaluates Q(f(DQ(x))) in float.
    /// </summary>
    public sealed class Int16LookupImportTests
    {
        private readonly ITestOutputHelper output;

        public Int16LookupImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        /// <summary>
        /// x -> QDQ int16 (scale sx) -> f -> QDQ int16 (scale sy); 40 random inputs of 64 over [-6, 6]. Bounds from the error
        /// analysis (docs/numerics.md): 1 + h^2 max|f''| / (8 S_y) + h |jump f'| / (4 S_y), h = 64 sx: Tanh 1.8, Sigmoid 1.3.
        /// HardSigmoid (ONNX's default alpha 0.2f) and HardSwish: exact, within 1/2 + e of f (e &lt; 1e-3 here, asserted against f
        /// in double), and 1 LSB from ORT's float32 f rounded half to even at a tie, 0 elsewhere, except where ORT itself is
        /// more than 1/2 LSB from f (counted; the segment tables cost 34 and 9 LSB at the kinks before).
        /// </summary>
        [Theory]
        [InlineData("Tanh", 0.0002f, 0.00003125f, 2)]
        [InlineData("Sigmoid", 0.0002f, 0.0000160f, 2)]
        [InlineData("HardSigmoid", 0.0002f, 0.0000160f, 1)]
        [InlineData("HardSwish", 0.0002f, 0.0002f, 1)]
        [InlineData("HardSwish", 0.0002f, 0.0000160f, 1)]
        public void Int16QdqFunctionImportsAsASegmentTableCloseToOnnxRuntime(string op, float sx, float sy, long bound)
        {
            var b = new OnnxBuilder().Input("x", 1, 64).Output("y", 1, 64);
            string s1 = b.Scalar("s1", sx), s2 = b.Scalar("s2", sy), z1 = b.Int16("z1", 0), z2 = b.Int16("z2", -3);
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", s1, z1 }), s1, z1 });
            string f = b.Node(op, new[] { xd });
            b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { f, s2, z2 }), s2, z2 }, "y");
            string path = b.Save(op.ToLowerInvariant() + "_int16_qdq.onnx", 21);
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            var layer = (LookupLayer)r.Model.Graph.Nodes.Single().Layer;
            Assert.Equal(op, layer.Op.ToString());
            bool exact = op.StartsWith("Hard", StringComparison.Ordinal);
            Assert.Equal(exact ? 0 : 1025, layer.Integers.Table.Count);
            Assert.Equal(exact, layer.Integers.Exact != null);
            Assert.Equal(ElementType.Int16, r.Model.Graph.Input.Quant!.Type);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            var rng = new Random(41);
            long max = 0;
            int differ = 0, ortOff = 0;
            for (int k = 0; k < 40; k++)
            {
                float[] x = Enumerable.Range(0, 64).Select(_ => (float)((rng.NextDouble() * 12) - 6)).ToArray();
                int[] qx = oracle.Quantize(x);
                int[] q = oracle.Run(qx);
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 64 });
                TensorQuant oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]);
                    if (exact)
                    {
                        // The exact form against f in double: within 1/2 + e (e < 1e-3 here), unsaturated. Where ORT's float32
                        // graph is itself more than 1/2 LSB from f (a near-tie it rounds the other way, or HardSwish at
                        // x = -2.6838, S_y = 1.6e-5, where ORT is 4.7 LSB from f and the exact form 0.3), the output is counted,
                        // not compared.
                        double xr = (double)sx * qx[i];
                        double fx = op == "HardSwish" ? xr * Math.Max(0, Math.Min(1, (xr / 6) + 0.5)) : Math.Max(0, Math.Min(1, ((double)0.2f * xr) + 0.5));
                        double v = (fx / oq.Scale) + oq.ZeroPoint;
                        if (v > -32768 && v < 32767)
                        {
                            Assert.True(Math.Abs(q[i] - v) <= 0.501, $"{op} x {qx[i]}: {q[i]} vs f {v:R}");
                        }

                        if (v > -32768 && v < 32767 && Math.Abs((ort[i] / oq.Scale) + oq.ZeroPoint - v) > 0.5)
                        {
                            ortOff++;
                            continue;
                        }
                    }

                    max = Math.Max(max, d);
                    differ += d == 0 ? 0 : 1;
                }
            }

            output.WriteLine($"{op} int16 -> int16: max {max} LSB against ORT, {differ} of {64 * 40} outputs differ; {ortOff} where ORT is more than 1/2 LSB from f");
            Assert.True(max <= bound, $"max {max} LSB");
        }
    }
}
