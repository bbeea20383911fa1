using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// Models written field by field with CodedOutputStream (onnx.proto field numbers), so the tests cover what the
    /// Python exporter never writes: typed float_data / int32_data, int4 weights, external data.
    /// </summary>
    public sealed class OnnxReaderTests
    {
        private sealed class Msg
        {
            private readonly MemoryStream ms = new MemoryStream();
            private readonly CodedOutputStream o;

            public Msg()
            {
                o = new CodedOutputStream(ms);
            }

            public Msg Varint(int field, long v)
            {
                o.WriteTag(field, WireFormat.WireType.Varint);
                o.WriteInt64(v);
                return this;
            }

            public Msg Str(int field, string s)
            {
                o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                o.WriteString(s);
                return this;
            }

            public Msg Bytes(int field, byte[] b)
            {
                o.WriteTag(field, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(ByteString.CopyFrom(b));
                return this;
            }

            public Msg Sub(int field, Msg m) => Bytes(field, m.ToArray());

            public Msg PackedFloats(int field, params float[] v) => Bytes(field, v.SelectMany(BitConverter.GetBytes).ToArray());

            public Msg PackedVarints(int field, params long[] v)
            {
                var inner = new MemoryStream();
                var c = new CodedOutputStream(inner);
                foreach (long x in v)
                {
                    c.WriteInt64(x);
                }

                c.Flush();
                return Bytes(field, inner.ToArray());
            }

            public byte[] ToArray()
            {
                o.Flush();
                return ms.ToArray();
            }
        }

        private static Msg Tensor(string name, int type, long[] dims) =>
            dims.Aggregate(new Msg(), (m, d) => m.Varint(1, d)).Varint(2, type).Str(8, name);

        private static Msg ValueInfo(string name, params long[] dims)
        {
            var shape = new Msg();
            foreach (long d in dims)
            {
                shape.Sub(1, new Msg().Varint(1, d));
            }

            return new Msg().Str(1, name).Sub(2, new Msg().Sub(1, new Msg().Varint(1, OnnxDataType.Float).Sub(2, shape)));
        }

        private static Msg Node(string name, string op, string[] ins, string[] outs, params (string Name, long Value)[] ints)
        {
            var n = new Msg();
            foreach (string i in ins)
            {
                n.Str(1, i);
            }

            foreach (string o in outs)
            {
                n.Str(2, o);
            }

            n.Str(3, name).Str(4, op);
            foreach ((string an, long av) in ints)
            {
                n.Sub(5, new Msg().Str(1, an).Varint(3, av).Varint(20, (long)OnnxAttributeType.Int));
            }

            return n;
        }

        private static byte[] Model(Msg graph, long opset, long ir) =>
            new Msg().Varint(1, ir).Str(2, "OnnxReaderTests").Sub(7, graph).Sub(8, new Msg().Str(1, string.Empty).Varint(2, opset)).ToArray();

        private static string Temp(string name, byte[] bytes, out string dir)
        {
            dir = Path.Combine(Path.GetTempPath(), "qg-reader-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            string p = Path.Combine(dir, name);
            File.WriteAllBytes(p, bytes);
            return p;
        }

        [Fact]
        public void Int4PerChannelWeightsWithTypedScalesMatchOnnxRuntime()
        {
            // W [4, 3] int4, per output channel (axis 1) scales in float_data, zero points int4 0 (packed, 2 bytes).
            int[] w = { 7, -8, 3, -1, 2, 5, 0, -7, 6, 4, -3, -2 };
            byte[] packed = new byte[6];
            for (int i = 0; i < w.Length; i++)
            {
                packed[i / 2] |= (byte)((w[i] & 0xF) << (4 * (i & 1)));
            }

            var graph = new Msg()
                .Sub(1, Node("qx", "QuantizeLinear", new[] { "x", "sx", "zx" }, new[] { "xq" }))
                .Sub(1, Node("dqx", "DequantizeLinear", new[] { "xq", "sx", "zx" }, new[] { "xd" }))
                .Sub(1, Node("dqw", "DequantizeLinear", new[] { "wq", "sw", "zw" }, new[] { "wd" }, ("axis", 1)))
                .Sub(1, Node("mm", "MatMul", new[] { "xd", "wd" }, new[] { "y" }))
                .Sub(1, Node("qy", "QuantizeLinear", new[] { "y", "sy", "zy" }, new[] { "yq" }))
                .Sub(1, Node("dqy", "DequantizeLinear", new[] { "yq", "sy", "zy" }, new[] { "out" }))
                .Str(2, "int4_mm")
                .Sub(5, Tensor("sx", OnnxDataType.Float, new long[0]).PackedFloats(4, 0.05f))
                .Sub(5, Tensor("zx", OnnxDataType.UInt8, new long[0]).PackedVarints(5, 128))
                .Sub(5, Tensor("wq", OnnxDataType.Int4, new long[] { 4, 3 }).Bytes(9, packed))
                .Sub(5, Tensor("sw", OnnxDataType.Float, new long[] { 3 }).PackedFloats(4, 0.1f, 0.02f, 0.05f))
                .Sub(5, Tensor("zw", OnnxDataType.Int4, new long[] { 3 }).Bytes(9, new byte[2]))
                .Sub(5, Tensor("sy", OnnxDataType.Float, new long[0]).PackedFloats(4, 0.02f))
                .Sub(5, Tensor("zy", OnnxDataType.Int8, new long[0]).PackedVarints(5, -3))
                .Sub(11, ValueInfo("x", 1, 4))
                .Sub(12, ValueInfo("out", 1, 3));
            string path = Temp("int4.onnx", Model(graph, 21, 10), out string dir);
            try
            {
                OnnxModel m = OnnxReader.ReadFile(path);
                Assert.Equal(21, m.DefaultOpset);
                Assert.Equal(6, m.Graph!.Nodes.Count);
                OnnxImportResult r = OnnxImporter.ImportQdq(path);
                var dense = r.Model.Graph.Nodes.Single();
                Assert.Equal(ElementType.Int4, dense.Weight!.Type);
                // transposed to [N, K] = [3, 4]: row o holds column o of W
                Assert.Equal(new[] { 7, -1, 0, 4, -8, 2, -7, -3, 3, 5, 6, -2 }, dense.Weight.IntData!);
                Assert.Equal(new[] { 0.1, 0.02, 0.05 }.Select(v => (double)(float)v), dense.Weight.ChannelScales!);
                Assert.Equal(0, dense.Inputs[0].Quant!.ZeroPoint); // uint8 zero point 128 folded to int8 0

                var oracle = new ReferenceInterpreter(r.Model.Graph);
                using var session = new InferenceSession(path);
                var rng = new Random(3);
                int differ = 0;
                for (int t = 0; t < 200; t++)
                {
                    float[] x = Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 12 - 6)).ToArray();
                    int[] ours = oracle.Run(oracle.Quantize(x));
                    float[] ort = Fixtures.RunOrt(session, x, new[] { 1, 4 });
                    for (int i = 0; i < 3; i++)
                    {
                        long q = (long)Math.Round(ort[i] / 0.02f) - 3;
                        Assert.InRange(ours[i] - q, -1, 1);
                        differ += ours[i] != q ? 1 : 0;
                    }
                }

                Assert.True(differ < 60, $"{differ} of 600 differ");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        private static Msg FloatMatMulGraph(Msg weight) => new Msg()
            .Sub(1, Node("mm", "MatMul", new[] { "x", "w" }, new[] { "y" }))
            .Str(2, "ext")
            .Sub(5, weight)
            .Sub(11, ValueInfo("x", 1, 2))
            .Sub(12, ValueInfo("y", 1, 2));

        [Fact]
        public void ExternalDataIsResolvedRelativeToTheModel()
        {
            float[] w = { 1f, 2f, -3f, 0.5f };
            var t = Tensor("w", OnnxDataType.Float, new long[] { 2, 2 })
                .Sub(13, new Msg().Str(1, "location").Str(2, "weights/w.bin"))
                .Sub(13, new Msg().Str(1, "offset").Str(2, "8"))
                .Sub(13, new Msg().Str(1, "length").Str(2, "16"))
                .Varint(14, 1);
            string path = Temp("ext.onnx", Model(FloatMatMulGraph(t), 13, 8), out string dir);
            try
            {
                Directory.CreateDirectory(Path.Combine(dir, "weights"));
                File.WriteAllBytes(Path.Combine(dir, "weights", "w.bin"), new byte[8].Concat(w.SelectMany(BitConverter.GetBytes)).ToArray());
                LoweredModel l = OnnxImporter.Lower(path);
                var dense = (DenseLayer)l.Spec.Layers.Single();
                RawTensor raw = l.Weights.Single(x => x.Name == dense.Weight);
                Assert.Equal(new[] { 1f, -3f, 2f, 0.5f }, TensorCodec.DecodeFloats(raw)); // [K, N] transposed to [N, K]

                var outside = Tensor("w", OnnxDataType.Float, new long[] { 2, 2 }).Sub(13, new Msg().Str(1, "location").Str(2, "../w.bin")).Varint(14, 1);
                File.WriteAllBytes(path, Model(FloatMatMulGraph(outside), 13, 8));
                var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Lower(path));
                Assert.Equal(OnnxErrors.ExternalData, e.Diagnostics[0].Id);
                Assert.Equal("initializer 'w'", e.Diagnostics[0].Place);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void TypedInt32AndDoubleFieldsDecode()
        {
            OnnxTensor t = new OnnxTensor { Name = "t", DataType = OnnxDataType.Int8 };
            t.Dims.Add(3);
            t.Int32Data.AddRange(new long[] { -128, 5, 127 });
            Assert.Equal(new long[] { -128, 5, 127 }, TensorValue.Decode(t, ".", "f", "p").Ints);
            var d = new OnnxTensor { Name = "d", DataType = OnnxDataType.Double };
            d.Dims.Add(2);
            d.DoubleData.AddRange(new[] { 0.25, -2.0 });
            Assert.Equal(new[] { 0.25f, -2f }, TensorValue.Decode(d, ".", "f", "p").Floats);
            var u4 = new OnnxTensor { Name = "u", DataType = OnnxDataType.UInt4 };
            u4.Dims.Add(3);
            u4.Int32Data.AddRange(new long[] { 0xF3, 0x09 }); // low nibble first: 3, 15, 9
            Assert.Equal(new long[] { 3, 15, 9 }, TensorValue.Decode(u4, ".", "f", "p").Ints);
            var bad = new OnnxTensor { Name = "b", DataType = OnnxDataType.Float };
            bad.Dims.Add(4);
            bad.FloatData.Add(1f);
            var e = Assert.Throws<OnnxImportException>(() => TensorValue.Decode(bad, ".", "f", "initializer 'b'"));
            Assert.Equal(OnnxErrors.MalformedTensor, e.Diagnostics[0].Id);
        }

        [Fact]
        public void UnknownFieldsAreSkipped()
        {
            var graph = FloatMatMulGraph(Tensor("w", OnnxDataType.Float, new long[] { 2, 2 }).PackedFloats(4, 1, 0, 0, 1).Str(99, "future field"))
                .Varint(77, 12345);
            byte[] bytes = new Msg().Varint(1, 8).Sub(7, graph).Sub(8, new Msg().Varint(2, 13)).Bytes(50, new byte[] { 1, 2, 3 }).ToArray();
            OnnxModel m = OnnxReader.Read(bytes, "mem.onnx");
            Assert.Equal("ext", m.Graph!.Name);
            Assert.Equal(13, m.DefaultOpset);
            Assert.Equal(new[] { 1f, 0f, 0f, 1f }, m.Graph.Initializers[0].FloatData);
        }
    }
}
