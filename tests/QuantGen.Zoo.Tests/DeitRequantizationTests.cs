using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Operators;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Issue 13 (deitagree): what ORT's 1-LSB differences on DeiT-Tiny's matrix products are. Every Dense (qkv, proj, fc1, fc2)
    /// and activation MatMul (q k^T, attention x V) is fed ORT's own input integers; per element the exact accumulator
    /// acc = sum (a - za)(w - zw) gives the real value acc S_a S_w / S_y + z_y. Compared with ORT's output integers: QuantGen's
    /// dyadic requantization (half up), the exactly rounded value (half to even), MLAS's QLinear requantization
    /// (float32(acc) * float32(S_a S_w / S_y), nearest even: what ORT runs when it fuses the QDQ pairs, with graph optimizations on),
    /// and a float32 dot product of the dequantized operands (what ORT runs here, optimizations off; summed in order, where
    /// MLAS's sgemm blocks and uses FMA: an approximation of ORT's order, not its bits).
    /// </summary>
    public class DeitRequantizationTests
    {
        private readonly ITestOutputHelper output;

        public DeitRequantizationTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private sealed class Counts
        {
            public long Elements;
            public long OursVsOrt;       // QuantGen != ORT
            public long OrtNotRounded;   // ORT != exactly rounded
            public long OursNotRounded;  // QuantGen != exactly rounded
            public long ExplainedByOrt;  // QuantGen == exactly rounded != ORT
            public long MlasEqualsOrt;   // float32(acc) * float32(M) rounded to even == ORT
            public long DotEqualsOrt;    // float32 dot product of dequantized operands, / S_y, rounded to even == ORT
            public long Ties;            // exact value an exact k + 1/2 (ties: QuantGen rounds up, ORT to even)
        }

        [Fact]
        public void MatrixProductDifferencesAreOrtsFloatArithmeticNotTheDyadic()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            string path = ZooCatalog.PathOf(e);
            OnnxGraph onnx = OnnxReader.ReadFile(path).Graph!;
            Dictionary<string, string> quantized = ZooLayerTests.QuantizedActivations(onnx);

            ModelGraph g = OnnxImporter.ImportQdq(path, new OnnxImportOptions { Name = e.Model.Name }).Model.Graph;
            List<GraphNode> products = g.Nodes.Where(n => (n.Layer.Op == OpKind.Dense || n.Layer.Op == OpKind.MatMul)
                && n.Inputs.All(t => quantized.ContainsKey(t.Name)) && quantized.ContainsKey(n.Output.Name)
                && n.Layer.Name.Contains("blocks", StringComparison.Ordinal)).ToList();
            Assert.Equal(72, products.Count);
            var wanted = products.SelectMany(n => n.Inputs.Concat(new[] { n.Output })).Select(t => quantized[t.Name]).Distinct().ToList();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(ZooLayerTests.WithOutputs(File.ReadAllBytes(path), wanted), options);
            string input = session.InputMetadata.Keys.First();
            var byKind = new SortedDictionary<string, Counts>(StringComparer.Ordinal);
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", 1))
            {
                using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(
                    new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, e.Model.Shape)) }, wanted);
                Dictionary<string, int[]> ints = r.ToDictionary(v => v.Name, v => ZooLayerTests.Integers(v.Value), StringComparer.Ordinal);
                foreach (GraphNode n in products)
                {
                    string kind = n.Layer.Op == OpKind.Dense ? new[] { "qkv", "proj", "fc1", "fc2" }.First(p => n.Layer.Name.Contains("_" + p + "_", StringComparison.Ordinal))
                        : n.Layer.Name.EndsWith("MatMul_1", StringComparison.Ordinal) ? "attention x V" : "q k^T";
                    if (!byKind.TryGetValue(kind, out Counts? c))
                    {
                        c = byKind[kind] = new Counts();
                    }

                    Measure(n, n.Inputs.Select(t => ints[quantized[t.Name]]).ToArray(), ints[quantized[n.Output.Name]], c);
                }
            }

            output.WriteLine("| product | elements | QuantGen != ORT | ORT != exactly rounded | QuantGen != exactly rounded | of QuantGen != ORT: QuantGen exact, ORT not | MLAS float32(acc) x float32(M) == ORT | float32 dot product == ORT | exact ties |");
            output.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach ((string kind, Counts c) in byKind)
            {
                output.WriteLine($"| {kind} | {c.Elements} | {c.OursVsOrt} | {c.OrtNotRounded} | {c.OursNotRounded} | {c.ExplainedByOrt} | {P(c.MlasEqualsOrt, c.Elements)} | {P(c.DotEqualsOrt, c.Elements)} | {c.Ties} |");
            }

            long ours = byKind.Values.Sum(c => c.OursNotRounded), differ = byKind.Values.Sum(c => c.OursVsOrt), explained = byKind.Values.Sum(c => c.ExplainedByOrt);
            output.WriteLine($"all: QuantGen != ORT {differ}, of which QuantGen exactly rounded and ORT not {explained}; QuantGen not exactly rounded {ours}");

            // QuantGen's dyadic (31-bit mantissa, ties up) is the exactly rounded value except on exact ties; the differences
            // from ORT are ORT's float32 arithmetic.
            // Measured on the fixture trained 15 + 10 epochs (session 16, 2026-12-07, 1 test digit; docs/numerics.md "DeiT-Tiny's
            // matrix products against ORT's float32" has the random-backbone fixture's 40, the 15-epoch one's 26): 20 of
            // 5,936,004 elements differ, and on every one QuantGen is the exactly rounded value and ORT is not.
            Assert.Equal(5_936_004, byKind.Values.Sum(c => c.Elements));
            Assert.Equal(0, ours);
            Assert.Equal(20, differ);
            Assert.Equal(20, explained);
        }

        private static void Measure(GraphNode n, int[][] ins, int[] ort, Counts c)
        {
            int[] x = ins[0];
            TensorQuant qx = n.Inputs[0].Quant!, qy = n.Output.Quant!;
            var ours = new int[n.Output.ElementCount];
            OperatorRegistry.Core.Find(n.Layer.Op)!.Reference(n, ins, new[] { ours });
            int rows, k, cols, batches;
            int[] wt;           // [batch][t][j]: the right operand minus its zero point
            double[] ws;        // per output column
            if (n.Layer.Op == OpKind.Dense)
            {
                int[] w = n.Weight!.IntData!;
                cols = n.Weight.Shape[0];
                k = n.Weight.Shape[1];
                rows = x.Length / k;
                batches = 1;
                long zw = n.Weight.Quant!.ZeroPoint;
                ws = n.Weight.ChannelScales ?? Enumerable.Repeat(n.Weight.Quant.Scale, cols).ToArray();
                wt = new int[k * cols];
                for (int t = 0; t < k; t++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        wt[(t * cols) + j] = (int)(w[(j * k) + t] - zw);
                    }
                }
            }
            else
            {
                int[] sa = n.Inputs[0].Shape, sb = n.Inputs[1].Shape;
                rows = sa[sa.Length - 2];
                k = sa[sa.Length - 1];
                cols = sb[sb.Length - 1];
                batches = x.Length / (rows * k);
                long zb = n.Inputs[1].Quant!.ZeroPoint;
                ws = Enumerable.Repeat(n.Inputs[1].Quant!.Scale, cols).ToArray();
                wt = ins[1].Select(v => (int)(v - zb)).ToArray();
            }

            float fx = (float)qx.Scale, fy = (float)qy.Scale;
            for (int bt = 0; bt < batches; bt++)
            {
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < cols; j++)
                    {
                        float fw = (float)ws[j];
                        long acc = 0;
                        float dot = 0;
                        for (int t = 0; t < k; t++)
                        {
                            long a = x[(((bt * rows) + i) * k) + t] - qx.ZeroPoint;
                            int w = wt[(((bt * k) + t) * cols) + j];
                            acc += a * w;
                            dot += (a * fx) * (w * fw);
                        }

                        int o = (((bt * rows) + i) * cols) + j;
                        double exact = ((double)acc * qx.Scale * ws[j] / qy.Scale) + qy.ZeroPoint;
                        long rounded = Clamp(Math.Round(exact, MidpointRounding.ToEven));
                        float m = (fx * fw) / fy;
                        long mlas = Clamp(MathF.Round((float)acc * m, MidpointRounding.ToEven) + qy.ZeroPoint);
                        long viaDot = Clamp(MathF.Round(dot / fy, MidpointRounding.ToEven) + qy.ZeroPoint);
                        c.Elements++;
                        c.OursVsOrt += ours[o] != ort[o] ? 1 : 0;
                        c.OrtNotRounded += ort[o] != rounded ? 1 : 0;
                        c.OursNotRounded += ours[o] != rounded ? 1 : 0;
                        c.ExplainedByOrt += ours[o] != ort[o] && ours[o] == rounded ? 1 : 0;
                        c.MlasEqualsOrt += mlas == ort[o] ? 1 : 0;
                        c.DotEqualsOrt += viaDot == ort[o] ? 1 : 0;
                        c.Ties += exact - Math.Floor(exact) == 0.5 && exact > -128 && exact < 127 ? 1 : 0;
                    }
                }
            }
        }

        private static long Clamp(double v) => (long)Math.Max(-128, Math.Min(127, v));

        private static string P(long part, long whole) => (100.0 * part / whole).ToString("0.000", CultureInfo.InvariantCulture) + " %";
    }
}
