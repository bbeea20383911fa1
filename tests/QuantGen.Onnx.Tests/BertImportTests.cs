using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// The zoo's BERT-tiny (samples/zoo/models/bert_tiny_*.onnx: int64 token ids and attention mask [1, 72],
    /// trained by make_zoo.py on the digits as pixel tokens) through the importer: token ids -> index input + Embedding, the
    /// additive mask chain -> MaskedSoftmax. The agreement here is on random ids and mask lengths; the zoo tests measure it on
    /// the digits as tokens (ZooOrtAgreementTests).
    /// </summary>
    public sealed class BertImportTests
    {
        private const int Length = 72;

        private readonly ITestOutputHelper output;

        public BertImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static string File(string name) => ZooSurveyTests.Zoo(name);

        /// <summary>Random (ids, mask) pairs: ids in [0, vocab - 1], the mask 1 on a random-length prefix (at least 1 token).</summary>
        private static List<(long[] Ids, long[] Mask)> Inputs(int count, int vocab, int seed)
        {
            var rng = new Random(seed);
            var list = new List<(long[], long[])>();
            for (int k = 0; k < count; k++)
            {
                long[] ids = Enumerable.Range(0, Length).Select(_ => (long)rng.Next(vocab)).ToArray();
                int keep = 1 + rng.Next(Length);
                long[] mask = Enumerable.Range(0, Length).Select(i => i < keep ? 1L : 0L).ToArray();
                list.Add((ids, mask));
            }

            return list;
        }

        private static float[] Ort(InferenceSession s, long[] ids, long[] mask)
        {
            var feeds = new[]
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, new[] { 1, Length })),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, new[] { 1, Length })),
            };
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = s.Run(feeds);
            return r.First().AsTensor<float>().ToArray();
        }

        private static int Vocab(LoweredModel lowered) => (int)lowered.Spec.Inputs[0].RangeMax + 1;

        [Theory]
        [InlineData("bert_tiny_float17.onnx")]
        [InlineData("bert_tiny_float13.onnx")]
        public void FloatExportLowersToIndexInputEmbeddingAndMaskedSoftmax(string file)
        {
            LoweredModel l = OnnxImporter.Lower(File(file));
            Assert.Equal(new[] { "input_ids", "attention_mask" }, l.Spec.Inputs.Select(i => i.Name));
            Assert.True(l.Spec.Inputs[0].IsIndex);
            Assert.False(l.Spec.Inputs[1].IsIndex);
            Assert.Equal((0.0, 1.0), (l.Spec.Inputs[1].RangeMin, l.Spec.Inputs[1].RangeMax));
            Assert.Equal(new[] { 1, Length }, l.Spec.Inputs[1].Shape);
            Assert.Single(l.Spec.Layers, x => x.Op == OpKind.Embedding);
            Assert.Equal(2, l.Spec.Layers.Count(x => x.Op == OpKind.MaskedSoftmax));
            Assert.DoesNotContain(l.Spec.Layers, x => x.Op == OpKind.Softmax);
            Assert.All(l.Spec.Layers.Where(x => x.Op == OpKind.MaskedSoftmax), x => Assert.Equal("attention_mask", x.Inputs[1]));
        }

        [Fact]
        public void FloatInterpreterEqualsOrtOnTheFloatFile()
        {
            string f = File("bert_tiny_float17.onnx");
            LoweredModel l = OnnxImporter.Lower(f);
            var fl = new FloatInterpreter(OnnxImporter.BuildFloatGraph(l, f));
            using var session = new InferenceSession(f);
            double worst = 0;
            foreach ((long[] ids, long[] mask) in Inputs(8, Vocab(l), 13))
            {
                float[] o = Ort(session, ids, mask);
                double[] q = fl.RunMany(new[] { ids.Select(v => (float)v).ToArray(), mask.Select(v => (float)v).ToArray() })[0];
                Assert.Equal(o.Length, q.Length);
                worst = Math.Max(worst, q.Zip(o, (a, b) => Math.Abs(a - b)).Max());
            }

            output.WriteLine($"bert_tiny_float17: float interpreter vs ORT, largest |difference| over 8 inputs = {worst:G4}");
            Assert.True(worst <= 1e-4, $"largest difference {worst}");
        }
        /// <summary>Top-1 of the integer model against ORT on the same file, over <paramref name="count"/> random inputs.</summary>
        private (int Agree, int Count) Agreement(OnnxImportResult r, string onnx, int count)
        {
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            TensorQuant maskQ = r.Model.Graph.Inputs[1].Quant!;
            using var session = new InferenceSession(onnx);
            int agree = 0;
            foreach ((long[] ids, long[] mask) in Inputs(count, Vocab(r.Lowered), 29))
            {
                int[] qIds = ids.Select(v => (int)v).ToArray();
                int[] qMask = mask.Select(v => (int)Numerics.Quantization.Quantize(v, maskQ.Scale, maskQ.ZeroPoint, maskQ.Type)).ToArray();
                double[] q = oracle.Dequantize(oracle.RunMany(new[] { qIds, qMask })[0]);
                agree += Fixtures.ArgMax(q) == Fixtures.ArgMax(Ort(session, ids, mask)) ? 1 : 0;
            }

            return (agree, count);
        }

        /// <summary>ids [1, 4] int64 -> Gather(DequantizeLinear(table [6, 8], scale, zero point)) -> QuantizeLinear/DequantizeLinear -> y.</summary>
        private static string QuantizedTableModel(string name, int tableType, byte[] tableBytes, float scale, int zeroPoint)
        {
            var b = new OnnxBuilder();
            b.InputOf("ids", OnnxDataType.Int64, 1, 4).Output("y", 1, 4, 8);
            string q = tableType == OnnxDataType.Int8
                ? b.Int8s("table_q", new[] { 6, 8 }, tableBytes.Select(v => (sbyte)v))
                : b.UInt8s("table_q", new[] { 6, 8 }, tableBytes);
            string zp = tableType == OnnxDataType.Int8 ? b.Int8s("table_zp", new int[0], new[] { (sbyte)zeroPoint }) : b.UInt8("table_zp", (byte)zeroPoint);
            string table = b.Node("DequantizeLinear", new[] { q, b.Scalar("table_s", scale), zp }, "table");
            string e = b.Node("Gather", new[] { table, "ids" }, "emb", ("axis", 0L));
            string eq = b.Node("QuantizeLinear", new[] { e, "table_s", "table_zp" }, "emb_q");
            b.Node("DequantizeLinear", new[] { eq, "table_s", "table_zp" }, "y");
            return b.Save(name);
        }

        [Fact]
        public void QdqEmbeddingTableKeepsTheFilesInt8IntegersAndScale()
        {
            // Values in [-100, 90]: a re-quantization from the dequantized table would pick scale 2/127, not the file's 0.02.
            byte[] file = Enumerable.Range(0, 48).Select(i => (byte)(sbyte)(((i * 37) % 191) - 100)).ToArray();
            OnnxImportResult r = OnnxImporter.ImportQdq(QuantizedTableModel("int8_table.onnx", OnnxDataType.Int8, file, 0.02f, 0));
            foreach (string n in r.Notes) { output.WriteLine(n); }
            string table = ((EmbeddingLayer)r.Model.Spec.Layers.Single(l => l.Op == OpKind.Embedding)).Table;
            InitializerSpec spec = r.Model.Spec.Initializers.Single(i => i.Name == table);
            Assert.Equal(ElementType.Int8, spec.Type);
            Assert.Equal(new[] { (double)0.02f }, spec.Scales);
            Assert.Equal(0L, spec.ZeroPoint);
            Assert.Equal(file, r.Model.Weights.Single(w => w.Name == table).Data);
            Assert.Contains(r.Notes, n => n.Contains("keeps the file's int8 integers", StringComparison.Ordinal));

            // The rows the integer model copies are the file's: ids 5, 0, 3, 5.
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            int[] y = oracle.RunMany(new[] { new[] { 5, 0, 3, 5 } })[0];
            int[] expected = new[] { 5, 0, 3, 5 }.SelectMany(id => file.Skip(id * 8).Take(8).Select(v => (int)(sbyte)v)).ToArray();
            Assert.Equal(expected, y);
        }

        /// <summary>ORT's output of a synthetic file for ids [1, 4].</summary>
        private static float[] OrtOf(string onnx, long[] ids)
        {
            using var session = new InferenceSession(onnx);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(new[] { NamedOnnxValue.CreateFromTensor("ids", new DenseTensor<long>(ids, new[] { 1, 4 })) });
            return r.First().AsTensor<float>().ToArray();
        }

        [Theory]
        [InlineData(OnnxDataType.UInt8, 140)]
        [InlineData(OnnxDataType.Int8, -7)]
        public void QdqEmbeddingTableWithAZeroPointKeepsTheFilesIntegersAndZeroPoint(int type, int zeroPoint)
        {
            // An asymmetric per-tensor table as ONNX Runtime's quantize_static writes a Gather's initializer (uint8 with a zero
            // point), and the int8 form: the spec keeps the file's integers (uint8 folded to int8: value - 128, zero point - 128).
            byte[] file = Enumerable.Range(0, 48).Select(i => (byte)((i * 53) % 256)).ToArray();
            string onnx = QuantizedTableModel(type == OnnxDataType.UInt8 ? "uint8_zp_table.onnx" : "int8_zp_table.onnx", type, file, 0.01f, zeroPoint);
            OnnxImportResult r = OnnxImporter.ImportQdq(onnx);
            foreach (string n in r.Notes) { output.WriteLine(n); }
            int shift = type == OnnxDataType.UInt8 ? 128 : 0;
            int[] fileInts = file.Select(v => (type == OnnxDataType.UInt8 ? (int)v : (sbyte)v) - shift).ToArray();
            string table = ((EmbeddingLayer)r.Model.Spec.Layers.Single(l => l.Op == OpKind.Embedding)).Table;
            InitializerSpec spec = r.Model.Spec.Initializers.Single(i => i.Name == table);
            Assert.Equal(ElementType.Int8, spec.Type);
            Assert.Equal(new[] { (double)0.01f }, spec.Scales);
            Assert.Equal((long)(zeroPoint - shift), spec.ZeroPoint);
            Assert.Equal(fileInts.Select(v => (byte)(sbyte)v).ToArray(), r.Model.Weights.Single(w => w.Name == table).Data);
            Assert.Contains(r.Notes, n => n.Contains($"keeps the file's {(type == OnnxDataType.UInt8 ? "uint8" : "int8")} integers, scale 0.01 and zero point {zeroPoint}", StringComparison.Ordinal));
            Assert.DoesNotContain(r.Notes, n => n.Contains("re-quantized", StringComparison.Ordinal));

            // The integer model copies the file's rows with the table's zero point: ids 1, 2, 4, 0.
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            Assert.Equal(zeroPoint - shift, r.Model.Graph.Output.Quant!.ZeroPoint);
            int[] y = oracle.RunMany(new[] { new[] { 1, 2, 4, 0 } })[0];
            Assert.Equal(new[] { 1, 2, 4, 0 }.SelectMany(id => fileInts.Skip(id * 8).Take(8)).ToArray(), y);

            // Its real values are ORT's on the same file exactly (DequantizeLinear -> Gather -> QuantizeLinear -> DequantizeLinear
            // of the same step and zero point is lossless), not within half a step as a re-quantized table was.
            float[] ort = OrtOf(onnx, new long[] { 1, 2, 4, 0 });
            double[] real = oracle.Dequantize(y);
            for (int i = 0; i < real.Length; i++)
            {
                Assert.True(Math.Abs(real[i] - ort[i]) <= 1e-6, $"element {i}: {real[i]} vs ORT {ort[i]}");
            }
        }

        /// <summary>
        /// A per-axis table as ONNX Runtime's quantize_static can write a Gather's initializer (DequantizeLinear with one scale
        /// and zero point per row, axis 0, or per feature, axis 1; int8, and uint8 with zero points), then QuantizeLinear at the
        /// output's one scale: the import keeps the file's integers, scales and zero points, and the Embedding requantizes each
        /// gathered integer to the output (a dyadic per row/feature). Compared with ONNX Runtime on the same file.
        /// </summary>
        [Theory]
        [InlineData(0, OnnxDataType.Int8)]
        [InlineData(1, OnnxDataType.Int8)]
        [InlineData(0, OnnxDataType.UInt8)]
        [InlineData(1, OnnxDataType.UInt8)]
        public void QdqEmbeddingTablePerAxisKeepsTheFilesIntegersAndAgreesWithOrt(int axis, int type)
        {
            int count = axis == 0 ? 6 : 8;
            bool u8 = type == OnnxDataType.UInt8;
            byte[] file = Enumerable.Range(0, 48).Select(i => (byte)((i * 53 + 11) % 256)).ToArray();
            float[] scales = Enumerable.Range(0, count).Select(k => 0.004f * (float)Math.Pow(2, 5.0 * k / (count - 1))).ToArray();
            int[] zps = Enumerable.Range(0, count).Select(k => u8 ? (k == 0 ? 0 : k == count - 1 ? 255 : 100 + (7 * k)) : (k == 0 ? -128 : k == count - 1 ? 127 : (13 * k) - 40)).ToArray();
            var b = new OnnxBuilder();
            b.InputOf("ids", OnnxDataType.Int64, 1, 4).Output("y", 1, 4, 8);
            string q = u8 ? b.UInt8s("table_q", new[] { 6, 8 }, file) : b.Int8s("table_q", new[] { 6, 8 }, file.Select(v => (sbyte)v));
            string zp = u8 ? b.UInt8s("table_zp", new[] { count }, zps.Select(z => (byte)z)) : b.Int8s("table_zp", new[] { count }, zps.Select(z => (sbyte)z));
            string t = b.Node("DequantizeLinear", new[] { q, b.Floats("table_s", new[] { count }, scales), zp }, "table", ("axis", (long)axis));
            string e = b.Node("Gather", new[] { t, "ids" }, "emb", ("axis", 0L));
            string yzp = u8 ? b.UInt8s("y_zp", new int[0], new[] { (byte)128 }) : b.Int8s("y_zp", new int[0], new[] { (sbyte)0 });
            string eq = b.Node("QuantizeLinear", new[] { e, b.Scalar("y_s", 0.05f), yzp }, "emb_q");
            b.Node("DequantizeLinear", new[] { eq, "y_s", "y_zp" }, "y");
            string onnx = b.Save($"per_axis{axis}_{(u8 ? "u8" : "i8")}_table.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(onnx);
            foreach (string n in r.Notes) { output.WriteLine(n); }
            Assert.Contains(r.Notes, n => n.Contains($"keeps the file's {(u8 ? "uint8" : "int8")} integers quantized per {(axis == 0 ? "row" : "feature")} (axis {axis}, {count} scales and zero points)", StringComparison.Ordinal));
            Assert.DoesNotContain(r.Notes, n => n.Contains("re-quantized", StringComparison.Ordinal));

            // The spec: the file's integers (uint8 folded to int8); its scales and zero points on the layer (the initializer
            // has one scale, the largest, which no integer depends on).
            int shift = u8 ? 128 : 0;
            int[] fileInts = file.Select(v => (u8 ? (int)v : (sbyte)v) - shift).ToArray();
            var layer = (EmbeddingLayer)r.Model.Spec.Layers.Single(l => l.Op == OpKind.Embedding);
            InitializerSpec spec = r.Model.Spec.Initializers.Single(i => i.Name == layer.Table);
            Assert.Equal(ElementType.Int8, spec.Type);
            Assert.Equal(new[] { (double)scales.Max() }, spec.Scales!);
            Assert.Equal(scales.Select(v => (double)v), layer.PerAxis!.Scales);
            Assert.Equal(0L, spec.ZeroPoint);
            Assert.Equal(fileInts.Select(v => (byte)(sbyte)v).ToArray(), r.Model.Weights.Single(w => w.Name == layer.Table).Data);
            Assert.Equal(axis, layer.PerAxis!.Axis);
            Assert.Equal(zps.Select(z => (long)(z - shift)), layer.PerAxis.ZeroPoints);
            Assert.Equal((double)0.05f, r.Model.Graph.Output.Quant!.Scale);
            Assert.Equal(0L, r.Model.Graph.Output.Quant.ZeroPoint); // int8 0, or uint8 128 folded to int8 0

            // The saved spec reads back the same (axis, zero points, multipliers and shifts round-trip).
            string dir = Path.Combine(Path.GetTempPath(), $"qg-per-axis-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            try
            {
                string saved = Path.Combine(dir, "per_axis.qmodel.json");
                r.Model.Save(saved);
                ModelGraph again = ModelLoader.Load(saved).GetGraphOrThrow();
                EmbeddingAxis back = ((EmbeddingLayer)again.Nodes.Single(n => n.Layer.Op == OpKind.Embedding).Layer).PerAxis!;
                Assert.Equal(layer.PerAxis.ZeroPoints, back.ZeroPoints);
                Assert.Equal(layer.PerAxis.Scales, back.Scales);
                Assert.Equal(layer.PerAxis.Requant, back.Requant);
            }
            finally
            {
                Directory.Delete(dir, true);
            }

            // Against ORT on the same file (float DequantizeLinear, QuantizeLinear rounding half to even): within 1 LSB
            // everywhere, and equal wherever the exact value is not within 1e-3 of a rounding tie.
            long[] ids = { 1, 5, 0, 3 };
            float[] ort = OrtOf(onnx, ids);
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            double[] real = oracle.Dequantize(oracle.RunMany(new[] { ids.Select(v => (int)v).ToArray() })[0]);
            int equal = 0, awayFromTies = 0;
            for (int i = 0; i < real.Length; i++)
            {
                int row = (int)ids[i / 8], col = i % 8, k = axis == 0 ? row : col;
                double exact = scales[k] * ((u8 ? file[(row * 8) + col] : (sbyte)file[(row * 8) + col]) - zps[k]) / 0.05;
                Assert.True(Math.Abs(real[i] - ort[i]) <= 0.05 + 1e-6, $"element {i}: {real[i]} vs ORT {ort[i]}");
                double frac = Math.Abs(exact - Math.Floor(exact) - 0.5);
                if (frac > 1e-3 && Math.Abs(exact) < 127)
                {
                    awayFromTies++;
                    Assert.True(Math.Abs(real[i] - ort[i]) <= 1e-6, $"element {i}: {real[i]} vs ORT {ort[i]} (exact {exact} steps)");
                }

                equal += Math.Abs(real[i] - ort[i]) <= 1e-6 ? 1 : 0;
            }

            Assert.True(awayFromTies > 20, $"{awayFromTies} elements away from ties");
            output.WriteLine($"axis {axis} {(u8 ? "uint8" : "int8")}: {equal}/{real.Length} equal to ORT");
        }

        [Fact]
        public void OrtQdqImportsAndAgreesWithOrt()
        {
            string f = File("bert_tiny_ortqdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(f);
            Assert.True(r.Model.Graph.Inputs[0].IsIndex);
            foreach (string n in r.Notes) { output.WriteLine(n); }
            (int agree, int count) = Agreement(r, f, 50);
            output.WriteLine($"bert_tiny_ortqdq: top-1 of the integer model equals ORT's on {agree} of {count} random inputs");
            // Measured 49 of 50 since LayerNorm rounds beta once with the product (50 with beta rounded on its own, 49 with the two-rounding Add; random ids and mask lengths, outside the training distribution; ORT's quantize_static put the scores + mask sum at scale ~39, which the
            // import reproduces with a Requantize before MaskedSoftmax). Pinned: a change that loses agreement fails here.
            Assert.Equal(49, agree);
        }
    }
}
