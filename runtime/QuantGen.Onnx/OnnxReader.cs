using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Reads the subset of onnx.proto the importer needs straight from the wire format with its own strict
    /// <see cref="ProtoReader"/> (no generated code, no 32-bit truncation of lengths or int32 fields). Field numbers (onnx/onnx.proto):
    /// ModelProto ir_version 1, producer_name 2, graph 7, opset_import 8; OperatorSetIdProto domain 1, version 2;
    /// GraphProto node 1, name 2, initializer 5, input 11, output 12, value_info 13, sparse_initializer 15;
    /// NodeProto input 1, output 2, name 3, op_type 4, attribute 5, domain 7;
    /// AttributeProto name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, graphs 11, type 20;
    /// TensorProto dims 1, data_type 2, segment 3, float_data 4, int32_data 5, string_data 6, int64_data 7,
    /// name 8, raw_data 9, double_data 10, uint64_data 11, external_data 13, data_location 14;
    /// StringStringEntryProto key 1, value 2; ValueInfoProto name 1, type 2; TypeProto tensor_type 1;
    /// TypeProto.Tensor elem_type 1, shape 2; TensorShapeProto dim 1; Dimension dim_value 1, dim_param 2.
    /// Unknown fields are skipped, as protobuf requires. A field with the wrong wire type, a length past the end
    /// or a truncated varint is a <see cref="OnnxErrors.CorruptProtobuf"/> diagnostic naming the message.
    /// </summary>
    public static class OnnxReader
    {
        /// <summary>Largest model file read (2 GiB - 1).</summary>
        public const long MaxFileBytes = int.MaxValue;

        /// <summary>Highest tensor rank read (the model format's limit).</summary>
        public const int MaxRank = QuantGen.Model.SpecParser.MaxRank;

        public static OnnxModel ReadFile(string path)
        {
            byte[]? bytes = QuantGen.Model.BoundedFile.TryRead(path, MaxFileBytes, out QuantGen.Model.BoundedFileProblem problem, out string why);
            if (bytes == null)
            {
                throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, path, "file", problem == QuantGen.Model.BoundedFileProblem.Unreadable && !File.Exists(path) ? $"the ONNX file {path} does not exist" : "cannot read the ONNX file: " + why);
            }

            return Read(bytes, path);
        }

        public static OnnxModel Read(byte[] bytes, string file)
        {
            var ctx = new Context(file);
            OnnxModel model;
            try
            {
                model = ReadModel(bytes, ctx);
            }
            catch (ProtoFormatException e)
            {
                throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, file, ctx.Where, $"corrupt protobuf while reading {ctx.Where}: {e.Message} The file is truncated or not an ONNX model; re-export it.");
            }

            if (model.Graph == null)
            {
                throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, file, "ModelProto.graph", bytes.Length == 0
                    ? "the file is empty: an ONNX model needs a graph (ModelProto field 7)"
                    : "the model has no graph (ModelProto field 7); is this an ONNX model file?");
            }

            return model;
        }

        private sealed class Context
        {
            private readonly Stack<string> where = new Stack<string>();

            public Context(string file)
            {
                File = file;
            }

            public string File { get; }

            public string Where => where.Count == 0 ? "ModelProto" : string.Join(" > ", where.ToArray().Reverse());

            public IDisposable Enter(string what)
            {
                where.Push(what);
                return new Pop(where);
            }

            public OnnxImportException WireType(string message, int field, WireType got) =>
                OnnxImportException.At(OnnxErrors.CorruptProtobuf, File, Where, $"corrupt protobuf: {message} field {field} has wire type {got}, which that field never has; the file is corrupt or not an ONNX model");

            private sealed class Pop : IDisposable
            {
                private readonly Stack<string> stack;

                public Pop(Stack<string> stack)
                {
                    this.stack = stack;
                }

                public void Dispose() => stack.Pop();
            }
        }

        private static IEnumerable<T> Reverse<T>(this T[] a)
        {
            for (int i = a.Length - 1; i >= 0; i--)
            {
                yield return a[i];
            }
        }

        private static void Expect(Context ctx, string message, int field, WireType got, WireType want)
        {
            if (got != want)
            {
                throw ctx.WireType(message, field, got);
            }
        }

        private static OnnxModel ReadModel(byte[] bytes, Context ctx)
        {
            var m = new OnnxModel();
            var s = new ProtoReader(bytes);
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                switch (f)
                {
                    case 1:
                        Expect(ctx, "ModelProto", f, wt, WireType.Varint);
                        m.IrVersion = s.ReadInt64();
                        break;
                    case 2:
                        Expect(ctx, "ModelProto", f, wt, WireType.LengthDelimited);
                        m.ProducerName = s.ReadString();
                        break;
                    case 7:
                        Expect(ctx, "ModelProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("graph"))
                        {
                            m.Graph = ReadGraph(s.ReadBytes(), ctx);
                        }

                        break;
                    case 8:
                        Expect(ctx, "ModelProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("opset_import"))
                        {
                            m.Opsets.Add(ReadOpset(s.ReadBytes(), ctx));
                        }

                        break;
                    default:
                        s.SkipLastField();
                        break;
                }
            }

            return m;
        }

        private static OnnxOpset ReadOpset(ProtoReader s, Context ctx)
        {
            var o = new OnnxOpset();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                if (f == 1)
                {
                    Expect(ctx, "OperatorSetIdProto", f, wt, WireType.LengthDelimited);
                    o.Domain = s.ReadString();
                }
                else if (f == 2)
                {
                    Expect(ctx, "OperatorSetIdProto", f, wt, WireType.Varint);
                    o.Version = s.ReadInt64();
                }
                else
                {
                    s.SkipLastField();
                }
            }

            return o;
        }

        private static OnnxGraph ReadGraph(ProtoReader s, Context ctx)
        {
            var g = new OnnxGraph();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                switch (f)
                {
                    case 1:
                        Expect(ctx, "GraphProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("node[" + g.Nodes.Count + "]"))
                        {
                            OnnxNode n = ReadNode(s.ReadBytes(), ctx);
                            n.Index = g.Nodes.Count;
                            g.Nodes.Add(n);
                        }

                        break;
                    case 2:
                        Expect(ctx, "GraphProto", f, wt, WireType.LengthDelimited);
                        g.Name = s.ReadString();
                        break;
                    case 5:
                        Expect(ctx, "GraphProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("initializer[" + g.Initializers.Count + "]"))
                        {
                            g.Initializers.Add(ReadTensor(s.ReadBytes(), ctx));
                        }

                        break;
                    case 11:
                    case 12:
                    case 13:
                        Expect(ctx, "GraphProto", f, wt, WireType.LengthDelimited);
                        List<OnnxValueInfo> list = f == 11 ? g.Inputs : f == 12 ? g.Outputs : g.ValueInfo;
                        using (ctx.Enter((f == 11 ? "input[" : f == 12 ? "output[" : "value_info[") + list.Count + "]"))
                        {
                            list.Add(ReadValueInfo(s.ReadBytes(), ctx));
                        }

                        break;
                    case 15:
                        Expect(ctx, "GraphProto", f, wt, WireType.LengthDelimited);
                        s.SkipLastField();
                        g.SparseInitializers++;
                        break;
                    default:
                        s.SkipLastField();
                        break;
                }
            }

            return g;
        }

        private static OnnxNode ReadNode(ProtoReader s, Context ctx)
        {
            var n = new OnnxNode();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                switch (f)
                {
                    case 1:
                    case 2:
                    case 3:
                    case 4:
                    case 7:
                        Expect(ctx, "NodeProto", f, wt, WireType.LengthDelimited);
                        string v = s.ReadString();
                        if (f == 1)
                        {
                            n.Inputs.Add(v);
                        }
                        else if (f == 2)
                        {
                            n.Outputs.Add(v);
                        }
                        else if (f == 3)
                        {
                            n.Name = v;
                        }
                        else if (f == 4)
                        {
                            n.OpType = v;
                        }
                        else
                        {
                            n.Domain = v;
                        }

                        break;
                    case 5:
                        Expect(ctx, "NodeProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("attribute[" + n.Attributes.Count + "]"))
                        {
                            n.Attributes.Add(ReadAttribute(s.ReadBytes(), ctx));
                        }

                        break;
                    default:
                        s.SkipLastField();
                        break;
                }
            }

            return n;
        }

        private static OnnxAttribute ReadAttribute(ProtoReader s, Context ctx)
        {
            var a = new OnnxAttribute();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                switch (f)
                {
                    case 1:
                        Expect(ctx, "AttributeProto", f, wt, WireType.LengthDelimited);
                        a.Name = s.ReadString();
                        break;
                    case 2:
                        Expect(ctx, "AttributeProto", f, wt, WireType.Fixed32);
                        a.F = s.ReadFloat();
                        break;
                    case 3:
                        Expect(ctx, "AttributeProto", f, wt, WireType.Varint);
                        a.I = s.ReadInt64();
                        break;
                    case 4:
                        Expect(ctx, "AttributeProto", f, wt, WireType.LengthDelimited);
                        a.S = s.ReadBytes().ToByteArray();
                        break;
                    case 5:
                        Expect(ctx, "AttributeProto", f, wt, WireType.LengthDelimited);
                        using (ctx.Enter("t"))
                        {
                            a.T = ReadTensor(s.ReadBytes(), ctx);
                        }

                        break;
                    case 6:
                    case 11:
                        a.HasGraph = true;
                        s.SkipLastField();
                        break;
                    case 7:
                        ReadFloats(s, wt, a.Floats, ctx, "AttributeProto", f);
                        break;
                    case 8:
                        ReadVarints(s, wt, a.Ints, ctx, "AttributeProto", f);
                        break;
                    case 20:
                        Expect(ctx, "AttributeProto", f, wt, WireType.Varint);
                        a.Type = (OnnxAttributeType)s.ReadInt32();
                        break;
                    default:
                        s.SkipLastField();
                        break;
                }
            }

            return a;
        }

        private static OnnxTensor ReadTensor(ProtoReader s, Context ctx)
        {
            var t = new OnnxTensor();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                switch (f)
                {
                    case 1:
                        ReadVarints(s, wt, t.Dims, ctx, "TensorProto", f);
                        if (t.Dims.Count > MaxRank)
                        {
                            throw OnnxImportException.At(OnnxErrors.MalformedTensor, ctx.File, ctx.Where, $"a tensor has {t.Dims.Count} dims; QuantGen reads tensors of rank {MaxRank} or less");
                        }

                        break;
                    case 2:
                        Expect(ctx, "TensorProto", f, wt, WireType.Varint);
                        t.DataType = s.ReadInt32();
                        break;
                    case 3:
                        t.HasSegment = true;
                        s.SkipLastField();
                        break;
                    case 4:
                        ReadFloats(s, wt, t.FloatData, ctx, "TensorProto", f);
                        break;
                    case 5:
                        ReadVarints(s, wt, t.Int32Data, ctx, "TensorProto", f);
                        break;
                    case 6:
                        Expect(ctx, "TensorProto", f, wt, WireType.LengthDelimited);
                        s.SkipLastField();
                        t.StringCount++;
                        break;
                    case 7:
                        ReadVarints(s, wt, t.Int64Data, ctx, "TensorProto", f);
                        break;
                    case 8:
                        Expect(ctx, "TensorProto", f, wt, WireType.LengthDelimited);
                        t.Name = s.ReadString();
                        break;
                    case 9:
                        Expect(ctx, "TensorProto", f, wt, WireType.LengthDelimited);
                        t.RawData = s.ReadBytes().ToByteArray();
                        break;
                    case 10:
                        ReadDoubles(s, wt, t.DoubleData, ctx, f);
                        break;
                    case 11:
                        var u = new List<long>();
                        ReadVarints(s, wt, u, ctx, "TensorProto", f);
                        foreach (long v in u)
                        {
                            t.UInt64Data.Add(unchecked((ulong)v));
                        }

                        break;
                    case 13:
                        Expect(ctx, "TensorProto", f, wt, WireType.LengthDelimited);
                        t.ExternalData.Add(ReadEntry(s.ReadBytes(), ctx));
                        break;
                    case 14:
                        Expect(ctx, "TensorProto", f, wt, WireType.Varint);
                        t.DataLocation = s.ReadInt32();
                        break;
                    default:
                        s.SkipLastField();
                        break;
                }
            }

            return t;
        }

        private static KeyValuePair<string, string> ReadEntry(ProtoReader s, Context ctx)
        {
            string key = string.Empty, value = string.Empty;
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                if (f == 1 || f == 2)
                {
                    Expect(ctx, "StringStringEntryProto", f, wt, WireType.LengthDelimited);
                    if (f == 1)
                    {
                        key = s.ReadString();
                    }
                    else
                    {
                        value = s.ReadString();
                    }
                }
                else
                {
                    s.SkipLastField();
                }
            }

            return new KeyValuePair<string, string>(key, value);
        }

        private static OnnxValueInfo ReadValueInfo(ProtoReader s, Context ctx)
        {
            var v = new OnnxValueInfo();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                if (f == 1)
                {
                    Expect(ctx, "ValueInfoProto", f, wt, WireType.LengthDelimited);
                    v.Name = s.ReadString();
                }
                else if (f == 2)
                {
                    Expect(ctx, "ValueInfoProto", f, wt, WireType.LengthDelimited);
                    ReadType(s.ReadBytes(), v, ctx);
                }
                else
                {
                    s.SkipLastField();
                }
            }

            return v;
        }

        private static void ReadType(ProtoReader s, OnnxValueInfo v, Context ctx)
        {
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                if (f != 1)
                {
                    s.SkipLastField();
                    continue;
                }

                Expect(ctx, "TypeProto", f, wt, WireType.LengthDelimited);
                v.IsTensor = true;
                var ts = s.ReadBytes();
                uint t2;
                while ((t2 = ts.ReadTag()) != 0)
                {
                    int f2 = ProtoReader.FieldNumber(t2);
                    WireType w2 = ProtoReader.GetWireType(t2);
                    if (f2 == 1)
                    {
                        Expect(ctx, "TypeProto.Tensor", f2, w2, WireType.Varint);
                        v.ElemType = ts.ReadInt32();
                    }
                    else if (f2 == 2)
                    {
                        Expect(ctx, "TypeProto.Tensor", f2, w2, WireType.LengthDelimited);
                        v.Dims = ReadShape(ts.ReadBytes(), ctx);
                    }
                    else
                    {
                        ts.SkipLastField();
                    }
                }
            }
        }

        private static List<OnnxDim> ReadShape(ProtoReader s, Context ctx)
        {
            var dims = new List<OnnxDim>();
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                int f = ProtoReader.FieldNumber(tag);
                WireType wt = ProtoReader.GetWireType(tag);
                if (f != 1)
                {
                    s.SkipLastField();
                    continue;
                }

                Expect(ctx, "TensorShapeProto", f, wt, WireType.LengthDelimited);
                var d = new OnnxDim();
                var ds = s.ReadBytes();
                uint t2;
                while ((t2 = ds.ReadTag()) != 0)
                {
                    int f2 = ProtoReader.FieldNumber(t2);
                    WireType w2 = ProtoReader.GetWireType(t2);
                    if (f2 == 1)
                    {
                        Expect(ctx, "TensorShapeProto.Dimension", f2, w2, WireType.Varint);
                        d.Value = ds.ReadInt64();
                    }
                    else if (f2 == 2)
                    {
                        Expect(ctx, "TensorShapeProto.Dimension", f2, w2, WireType.LengthDelimited);
                        d.Param = ds.ReadString();
                    }
                    else
                    {
                        ds.SkipLastField();
                    }
                }

                if (dims.Count == MaxRank)
                {
                    throw OnnxImportException.At(OnnxErrors.MalformedTensor, ctx.File, ctx.Where, $"a shape has more than {MaxRank} dims; QuantGen reads tensors of rank {MaxRank} or less");
                }

                dims.Add(d);
            }

            return dims;
        }

        /// <summary>A repeated varint field, packed (wire type 2) or not (wire type 0).</summary>
        private static void ReadVarints(ProtoReader s, WireType wt, List<long> into, Context ctx, string message, int field)
        {
            if (wt == WireType.Varint)
            {
                into.Add(s.ReadInt64());
            }
            else if (wt == WireType.LengthDelimited)
            {
                var p = s.ReadBytes();
                while (!p.IsAtEnd)
                {
                    into.Add(p.ReadInt64());
                }
            }
            else
            {
                throw ctx.WireType(message, field, wt);
            }
        }

        private static void ReadFloats(ProtoReader s, WireType wt, List<float> into, Context ctx, string message, int field)
        {
            if (wt == WireType.Fixed32)
            {
                into.Add(s.ReadFloat());
            }
            else if (wt == WireType.LengthDelimited)
            {
                byte[] b = s.ReadBytes().ToByteArray();
                if (b.Length % 4 != 0)
                {
                    throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, ctx.File, ctx.Where, $"corrupt protobuf: packed floats of {message} field {field} hold {b.Length} bytes, not a multiple of 4");
                }

                for (int i = 0; i < b.Length; i += 4)
                {
                    into.Add(BitConverter.ToSingle(LittleEndian(b, i, 4), 0));
                }
            }
            else
            {
                throw ctx.WireType(message, field, wt);
            }
        }

        private static void ReadDoubles(ProtoReader s, WireType wt, List<double> into, Context ctx, int field)
        {
            if (wt == WireType.Fixed64)
            {
                into.Add(s.ReadDouble());
            }
            else if (wt == WireType.LengthDelimited)
            {
                byte[] b = s.ReadBytes().ToByteArray();
                if (b.Length % 8 != 0)
                {
                    throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, ctx.File, ctx.Where, $"corrupt protobuf: packed doubles of TensorProto field {field} hold {b.Length} bytes, not a multiple of 8");
                }

                for (int i = 0; i < b.Length; i += 8)
                {
                    into.Add(BitConverter.ToDouble(LittleEndian(b, i, 8), 0));
                }
            }
            else
            {
                throw ctx.WireType("TensorProto", field, wt);
            }
        }

        internal static byte[] LittleEndian(byte[] b, int offset, int count)
        {
            var r = new byte[count];
            Array.Copy(b, offset, r, 0, count);
            if (!BitConverter.IsLittleEndian)
            {
                Array.Reverse(r);
            }

            return r;
        }
    }
}
