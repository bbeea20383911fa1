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

        /// <summary>
        /// Reads every field of one message: <paramref name="read"/> sees each field once, with typed reads that check the
        /// wire type (a mismatch is a located <see cref="OnnxErrors.CorruptProtobuf"/>); a field it does not read is skipped.
        /// </summary>
        private static void ReadMessage(ProtoReader s, Context ctx, string message, Action<Field> read)
        {
            uint tag;
            while ((tag = s.ReadTag()) != 0)
            {
                var f = new Field(s, ctx, message, ProtoReader.FieldNumber(tag), ProtoReader.GetWireType(tag));
                read(f);
                if (!f.Consumed)
                {
                    s.SkipLastField();
                }
            }
        }

        /// <summary>The field under the cursor of <see cref="ReadMessage"/>.</summary>
        private sealed class Field
        {
            private readonly ProtoReader s;
            private readonly Context ctx;
            private readonly string message;
            private readonly WireType wire;

            public Field(ProtoReader s, Context ctx, string message, int number, WireType wire)
            {
                this.s = s;
                this.ctx = ctx;
                this.message = message;
                Number = number;
                this.wire = wire;
            }

            public int Number { get; }

            public bool Consumed { get; private set; }

            public string String() => Take(WireType.LengthDelimited).ReadString();

            public long Int64() => Take(WireType.Varint).ReadInt64();

            public int Int32() => Take(WireType.Varint).ReadInt32();

            public float Float() => Take(WireType.Fixed32).ReadFloat();

            public byte[] Bytes() => Take(WireType.LengthDelimited).ReadBytes().ToByteArray();

            /// <summary>An embedded message, read under <paramref name="where"/> in error places (null: the current place).</summary>
            public T Message<T>(string? where, Func<ProtoReader, Context, T> read)
            {
                ProtoReader inner = Take(WireType.LengthDelimited).ReadBytes();
                if (where == null)
                {
                    return read(inner, ctx);
                }

                using (ctx.Enter(where))
                {
                    return read(inner, ctx);
                }
            }

            /// <summary>A length-delimited field that is only counted (its wire type still checked).</summary>
            public void SkipChecked() => Take(WireType.LengthDelimited).SkipLastField();

            /// <summary>An embedded message read in place (at the current error place).</summary>
            public void Message(Action<ProtoReader, Context> read) => read(Take(WireType.LengthDelimited).ReadBytes(), ctx);

            public void Varints(List<long> into)
            {
                Consumed = true;
                ReadVarints(s, wire, into, ctx, message, Number);
            }

            public void Floats(List<float> into)
            {
                Consumed = true;
                ReadFloats(s, wire, into, ctx, message, Number);
            }

            public void Doubles(List<double> into)
            {
                Consumed = true;
                ReadDoubles(s, wire, into, ctx, message, Number);
            }

            private ProtoReader Take(WireType want)
            {
                if (wire != want)
                {
                    throw ctx.WireType(message, Number, wire);
                }

                Consumed = true;
                return s;
            }
        }

        private static OnnxModel ReadModel(byte[] bytes, Context ctx)
        {
            var m = new OnnxModel();
            ReadMessage(new ProtoReader(bytes), ctx, "ModelProto", f =>
            {
                switch (f.Number)
                {
                    case 1:
                        m.IrVersion = f.Int64();
                        break;
                    case 2:
                        m.ProducerName = f.String();
                        break;
                    case 7:
                        m.Graph = f.Message("graph", ReadGraph);
                        break;
                    case 8:
                        m.Opsets.Add(f.Message("opset_import", ReadOpset));
                        break;
                }
            });
            return m;
        }

        private static OnnxOpset ReadOpset(ProtoReader s, Context ctx)
        {
            var o = new OnnxOpset();
            ReadMessage(s, ctx, "OperatorSetIdProto", f =>
            {
                if (f.Number == 1)
                {
                    o.Domain = f.String();
                }
                else if (f.Number == 2)
                {
                    o.Version = f.Int64();
                }
            });
            return o;
        }

        private static OnnxGraph ReadGraph(ProtoReader s, Context ctx)
        {
            var g = new OnnxGraph();
            ReadMessage(s, ctx, "GraphProto", f =>
            {
                switch (f.Number)
                {
                    case 1:
                        OnnxNode n = f.Message("node[" + g.Nodes.Count + "]", ReadNode);
                        n.Index = g.Nodes.Count;
                        g.Nodes.Add(n);
                        break;
                    case 2:
                        g.Name = f.String();
                        break;
                    case 5:
                        g.Initializers.Add(f.Message("initializer[" + g.Initializers.Count + "]", ReadTensor));
                        break;
                    case 11:
                    case 12:
                    case 13:
                        List<OnnxValueInfo> list = f.Number == 11 ? g.Inputs : f.Number == 12 ? g.Outputs : g.ValueInfo;
                        list.Add(f.Message((f.Number == 11 ? "input[" : f.Number == 12 ? "output[" : "value_info[") + list.Count + "]", ReadValueInfo));
                        break;
                    case 15:
                        f.SkipChecked();
                        g.SparseInitializers++;
                        break;
                }
            });
            return g;
        }

        private static OnnxNode ReadNode(ProtoReader s, Context ctx)
        {
            var n = new OnnxNode();
            ReadMessage(s, ctx, "NodeProto", f =>
            {
                switch (f.Number)
                {
                    case 1:
                        n.Inputs.Add(f.String());
                        break;
                    case 2:
                        n.Outputs.Add(f.String());
                        break;
                    case 3:
                        n.Name = f.String();
                        break;
                    case 4:
                        n.OpType = f.String();
                        break;
                    case 7:
                        n.Domain = f.String();
                        break;
                    case 5:
                        n.Attributes.Add(f.Message("attribute[" + n.Attributes.Count + "]", ReadAttribute));
                        break;
                }
            });
            return n;
        }

        private static OnnxAttribute ReadAttribute(ProtoReader s, Context ctx)
        {
            var a = new OnnxAttribute();
            ReadMessage(s, ctx, "AttributeProto", f =>
            {
                switch (f.Number)
                {
                    case 1:
                        a.Name = f.String();
                        break;
                    case 2:
                        a.F = f.Float();
                        break;
                    case 3:
                        a.I = f.Int64();
                        break;
                    case 4:
                        a.S = f.Bytes();
                        break;
                    case 5:
                        a.T = f.Message("t", ReadTensor);
                        break;
                    case 6:
                    case 11:
                        a.HasGraph = true;
                        break;
                    case 7:
                        f.Floats(a.Floats);
                        break;
                    case 8:
                        f.Varints(a.Ints);
                        break;
                    case 20:
                        a.Type = (OnnxAttributeType)f.Int32();
                        break;
                }
            });
            return a;
        }

        private static OnnxTensor ReadTensor(ProtoReader s, Context ctx)
        {
            var t = new OnnxTensor();
            ReadMessage(s, ctx, "TensorProto", f =>
            {
                switch (f.Number)
                {
                    case 1:
                        f.Varints(t.Dims);
                        if (t.Dims.Count > MaxRank)
                        {
                            throw OnnxImportException.At(OnnxErrors.MalformedTensor, ctx.File, ctx.Where, $"a tensor has {t.Dims.Count} dims; QuantGen reads tensors of rank {MaxRank} or less");
                        }

                        break;
                    case 2:
                        t.DataType = f.Int32();
                        break;
                    case 3:
                        t.HasSegment = true;
                        break;
                    case 4:
                        f.Floats(t.FloatData);
                        break;
                    case 5:
                        f.Varints(t.Int32Data);
                        break;
                    case 6:
                        f.SkipChecked();
                        t.StringCount++;
                        break;
                    case 7:
                        f.Varints(t.Int64Data);
                        break;
                    case 8:
                        t.Name = f.String();
                        break;
                    case 9:
                        t.RawData = f.Bytes();
                        break;
                    case 10:
                        f.Doubles(t.DoubleData);
                        break;
                    case 11:
                        var u = new List<long>();
                        f.Varints(u);
                        foreach (long v in u)
                        {
                            t.UInt64Data.Add(unchecked((ulong)v));
                        }

                        break;
                    case 13:
                        t.ExternalData.Add(f.Message(null, ReadEntry));
                        break;
                    case 14:
                        t.DataLocation = f.Int32();
                        break;
                }
            });
            return t;
        }

        private static KeyValuePair<string, string> ReadEntry(ProtoReader s, Context ctx)
        {
            string key = string.Empty, value = string.Empty;
            ReadMessage(s, ctx, "StringStringEntryProto", f =>
            {
                if (f.Number == 1)
                {
                    key = f.String();
                }
                else if (f.Number == 2)
                {
                    value = f.String();
                }
            });
            return new KeyValuePair<string, string>(key, value);
        }

        private static OnnxValueInfo ReadValueInfo(ProtoReader s, Context ctx)
        {
            var v = new OnnxValueInfo();
            ReadMessage(s, ctx, "ValueInfoProto", f =>
            {
                if (f.Number == 1)
                {
                    v.Name = f.String();
                }
                else if (f.Number == 2)
                {
                    f.Message((type, c) => ReadType(type, v, c));
                }
            });
            return v;
        }

        private static void ReadType(ProtoReader s, OnnxValueInfo v, Context ctx)
        {
            ReadMessage(s, ctx, "TypeProto", f =>
            {
                if (f.Number != 1)
                {
                    return;
                }

                v.IsTensor = true;
                f.Message((tensor, c) => ReadMessage(tensor, c, "TypeProto.Tensor", t =>
                {
                    if (t.Number == 1)
                    {
                        v.ElemType = t.Int32();
                    }
                    else if (t.Number == 2)
                    {
                        v.Dims = t.Message(null, ReadShape);
                    }
                }));
            });
        }

        private static List<OnnxDim> ReadShape(ProtoReader s, Context ctx)
        {
            var dims = new List<OnnxDim>();
            ReadMessage(s, ctx, "TensorShapeProto", f =>
            {
                if (f.Number != 1)
                {
                    return;
                }

                OnnxDim d = f.Message(null, ReadDim);
                if (dims.Count == MaxRank)
                {
                    throw OnnxImportException.At(OnnxErrors.MalformedTensor, ctx.File, ctx.Where, $"a shape has more than {MaxRank} dims; QuantGen reads tensors of rank {MaxRank} or less");
                }

                dims.Add(d);
            });
            return dims;
        }

        private static OnnxDim ReadDim(ProtoReader s, Context ctx)
        {
            var d = new OnnxDim();
            ReadMessage(s, ctx, "TensorShapeProto.Dimension", f =>
            {
                if (f.Number == 1)
                {
                    d.Value = f.Int64();
                }
                else if (f.Number == 2)
                {
                    d.Param = f.String();
                }
            });
            return d;
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

        private static void ReadDoubles(ProtoReader s, WireType wt, List<double> into, Context ctx, string message, int field)
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
                    throw OnnxImportException.At(OnnxErrors.CorruptProtobuf, ctx.File, ctx.Where, $"corrupt protobuf: packed doubles of {message} field {field} hold {b.Length} bytes, not a multiple of 8");
                }

                for (int i = 0; i < b.Length; i += 8)
                {
                    into.Add(BitConverter.ToDouble(LittleEndian(b, i, 8), 0));
                }
            }
            else
            {
                throw ctx.WireType(message, field, wt);
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
