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
    /// <summary>GELU written out element by element: torch's tanh form and an erf form with Mul(x, 0.5) first.</summary>
    public sealed class GeluPatternTests
    {
        private readonly ITestOutputHelper output;

        public GeluPatternTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Theory]
        [InlineData("gelu_tanh.onnx", 2e-3, 4.83)]
        [InlineData("gelu_half_first.onnx", 1e-5, 2.22)]
        public void ElementwiseGeluIsRecognisedAndAgreesWithOnnxRuntime(string file, double floatTolerance, double measuredLsb)
        {
            string path = Fixtures.Model(file);
            var rng = new Random(11);
            List<float[]> calib = Enumerable.Range(0, 256).Select(_ => Enumerable.Range(0, 8).Select(__ => (float)(rng.NextDouble() * 4 - 2)).ToArray()).ToList();
            OnnxImportResult r = OnnxImporter.ImportFloat(path, calib);
            foreach (string n in r.Notes)
            {
                output.WriteLine(n);
            }

            Assert.Equal(new[] { OpKind.Dense, OpKind.Gelu, OpKind.Dense }, r.Model.Graph.Nodes.Select(n => n.Layer.Op).ToArray());
            var fl = new FloatInterpreter(r.FloatGraph);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            double maxFloat = 0, maxInt = 0;
            foreach (float[] x in calib.Take(64))
            {
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 8 });
                double[] f = fl.Run(x);
                double[] q = oracle.Dequantize(oracle.Run(oracle.Quantize(x)));
                maxFloat = Math.Max(maxFloat, f.Zip(ort, (a, b) => Math.Abs(a - b)).Max());
                maxInt = Math.Max(maxInt, q.Zip(ort, (a, b) => Math.Abs(a - b)).Max() / r.Model.Graph.Output.Quant!.Scale);
            }

            output.WriteLine($"{file}: float graph (exact-erf GELU) vs ORT max |diff| {maxFloat:G3}; integer vs ORT max {maxInt:F2} output LSB");
            Assert.True(maxFloat <= floatTolerance, $"float {maxFloat}");
            // W8A8 with ShiftGELU against ORT's float GELU: the measured maximum (deterministic), to 2 decimals.
            Assert.Equal(measuredLsb, Math.Round(maxInt, 2));
        }

        [Fact]
        public void ANonGeluChainIsStillRejected()
        {
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Fixtures.Model("malformed/unsupported-op.onnx")));
            Assert.Equal(OnnxErrors.UnsupportedOperator, e.Diagnostics[0].Id);
        }
    }
}
