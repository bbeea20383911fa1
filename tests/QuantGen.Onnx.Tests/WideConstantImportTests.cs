using System;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// <see cref="OnnxImportOptions.WideConstantOperands"/> on a synthetic QDQ file (not only through DeiT-Tiny's): an Add of a
    /// float constant between QDQ pairs, as ONNX Runtime's quantizer leaves a bias or position embedding after a MatMul. With
    /// the option on (the default) the constant is kept as int32 at a scale 2^-k of the output's and the Add rounds the one
    /// sum ORT rounds; with it off, or when two Adds share the constant, it is an 8-bit copy (half its own step off).
    /// Checked against ORT on the same file over every input level of every element.
    /// </summary>
    public sealed class WideConstantImportTests
    {
        private const int Width = 64;
        private const float InScale = 0.01223292201757431f, OutScale = 0.012380355969071388f;

        private readonly ITestOutputHelper output;

        public WideConstantImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static float[] Constant()
        {
            var rng = new Random(4242);
            return Enumerable.Range(0, Width).Select(_ => (float)((rng.NextDouble() * 0.158) - 0.079)).ToArray();
        }

        /// <summary>x -> Q/DQ -> Add(c) -> Q/DQ -> y; with <paramref name="shared"/> a second Add reads the same constant.</summary>
        private static string Model(bool shared, string file)
        {
            var b = new OnnxBuilder().Input("x", 1, Width).Output("y", 1, Width);
            string zx = b.UInt8("zx", 128), zo = b.UInt8("zo", 127), sx = b.Scalar("sx", InScale), so = b.Scalar("so", OutScale);
            string c = b.Floats("c", new[] { Width }, Constant());
            string xd = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { "x", sx, zx }), sx, zx });
            string sum = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { b.Node("Add", new[] { xd, c }), so, zo }), so, zo });
            if (shared)
            {
                sum = b.Node("DequantizeLinear", new[] { b.Node("QuantizeLinear", new[] { b.Node("Add", new[] { sum, c }), so, zo }), so, zo });
            }

            b.Node("Identity", new[] { sum }, "y");
            return b.Save(file);
        }

        private static TensorInfo ConstantOperand(OnnxImportResult r) => r.Model.Graph.Nodes.First(n => n.Layer is AddLayer).Inputs[1];

        /// <summary>Outputs that differ from ORT's (re-quantized at the output scale) over 256 inputs: element i of input k sits at level (k + 37 i) mod 256.</summary>
        private (int Differ, long Max) AgainstOrt(OnnxImportResult r, string path)
        {
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            using var session = new InferenceSession(path);
            int differ = 0;
            long max = 0;
            for (int k = 0; k < 256; k++)
            {
                float[] x = Enumerable.Range(0, Width).Select(i => (((k + (37 * i)) % 256) - 128) * InScale).ToArray();
                int[] q = oracle.Run(oracle.Quantize(x));
                float[] ort = Fixtures.RunOrt(session, x, new[] { 1, Width });
                TensorQuant oq = oracle.OutputQuant;
                for (int i = 0; i < q.Length; i++)
                {
                    long d = Math.Abs((long)Math.Round((ort[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]);
                    differ += d == 0 ? 0 : 1;
                    max = Math.Max(max, d);
                }
            }

            return (differ, max);
        }

        [Fact]
        public void TheFloatConstantIsKeptAsInt32AndTheAddEqualsOnnxRuntime()
        {
            string path = Model(false, "wide_constant_add.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            TensorInfo c = ConstantOperand(r);
            Assert.Equal(ElementType.Int32, c.Type);
            Assert.Contains(r.Notes, n => n.Contains("kept as int32", StringComparison.Ordinal));

            // The integers are the nearest to c / S_c at a power-of-two fraction of the output scale (the importer's own rule,
            // ResidualAdd.WideConstant, restated here: S_c = S_o * 2^-k for an integer k > 0, |q - c / S_c| <= 1/2).
            double k = Math.Log(OutScale / c.Quant!.Scale, 2);
            Assert.Equal(Math.Round(k), k, 9);
            Assert.True(k > 8, $"k = {k}");
            float[] cf = Constant();
            for (int i = 0; i < Width; i++)
            {
                Assert.True(Math.Abs(c.IntData![i] - (cf[i] / c.Quant.Scale)) <= 0.5 + 1e-9, $"{i}: {c.IntData[i]} vs {cf[i] / c.Quant.Scale}");
            }

            (int differ, long max) = AgainstOrt(r, path);
            output.WriteLine($"wide constant: {differ} of {256 * Width} outputs differ from ORT, max {max} LSB");
            Assert.Equal(0, differ);
        }

        [Fact]
        public void WithTheOptionOffTheConstantIsEightBitAndMissesOnnxRuntimeByOneLsb()
        {
            string path = Model(false, "wide_constant_add_off.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path, new OnnxImportOptions { WideConstantOperands = false });
            Assert.Equal(8, ConstantOperand(r).Type.Bits);
            Assert.DoesNotContain(r.Notes, n => n.Contains("kept as int32", StringComparison.Ordinal));
            (int differ, long max) = AgainstOrt(r, path);
            output.WriteLine($"8-bit constant: {differ} of {256 * Width} outputs differ from ORT, max {max} LSB");

            // Half a step of the 8-bit copy (0.079 / 127 / 2 = 0.025 output LSB at most) moves some sums across a rounding edge.
            Assert.True(differ > 0, "the 8-bit copy rounded every sum as ORT does: the option would not matter");
            Assert.Equal(1, max);
        }

        [Fact]
        public void AConstantTwoAddsShareStaysEightBit()
        {
            string path = Model(true, "wide_constant_add_shared.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            Assert.All(r.Model.Graph.Nodes.Where(n => n.Layer is AddLayer), n => Assert.Equal(8, n.Inputs[1].Type.Bits));
            (int differ, long max) = AgainstOrt(r, path);
            output.WriteLine($"shared 8-bit constant: {differ} of {256 * Width} outputs differ from ORT, max {max} LSB");
            Assert.True(max <= 2, $"max {max} LSB");
        }
    }
}
