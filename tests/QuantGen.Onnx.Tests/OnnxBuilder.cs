using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;

namespace QuantGen.Onnx.Tests
{
    /// <summary>Writes small ONNX models field by field (onnx.proto numbers), so pattern tests need no Python.</summary>
    internal sealed class OnnxBuilder
    {
        private readonly List<byte[]> nodes = new List<byte[]>();
        private readonly List<byte[]> inits = new List<byte[]>();
        private readonly List<byte[]> inputs = new List<byte[]>();
        private readonly List<byte[]> outputs = new List<byte[]>();
        private int counter;

        private static byte[] Message(Action<CodedOutputStream> write)
        {
            var ms = new MemoryStream();
            var o = new CodedOutputStream(ms);
            write(o);
            o.Flush();
            return ms.ToArray();
        }

        private static void Bytes(CodedOutputStream o, int field, byte[] b)
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(b));
        }

        private static void Str(CodedOutputStream o, int field, string s)
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteString(s);
        }

        private static void Varint(CodedOutputStream o, int field, long v)
        {
            o.WriteTag(field, WireFormat.WireType.Varint);
            o.WriteInt64(v);
        }

        private static byte[] TensorBytes(string name, int type, int[] dims, byte[] raw) => Message(o =>
        {
            foreach (int d in dims)
            {
                Varint(o, 1, d);
            }

            Varint(o, 2, type);
            Str(o, 8, name);
            Bytes(o, 9, raw);
        });

        private static byte[] ValueInfo(string name, int type, int[] dims) => Message(o =>
        {
            Str(o, 1, name);
            byte[] shape = Message(s =>
            {
                foreach (int d in dims)
                {
                    // -1, -2: a symbolic dimension (dim_param "batch", "sequence"), as torch writes a dynamic_axes entry
                    Bytes(s, 1, Message(x =>
                    {
                        if (d < 0)
                        {
                            Str(x, 2, d == -1 ? "batch" : "sequence");
                        }
                        else
                        {
                            Varint(x, 1, d);
                        }
                    }));
                }
            });
            Bytes(o, 2, Message(t => Bytes(t, 1, Message(tt =>
            {
                Varint(tt, 1, type);
                Bytes(tt, 2, shape);
            }))));
        });

        public OnnxBuilder Input(string name, params int[] dims)
        {
            inputs.Add(ValueInfo(name, OnnxDataType.Float, dims));
            return this;
        }

        /// <summary>A graph input of another element type (OnnxDataType), e.g. int64 token ids.</summary>
        public OnnxBuilder InputOf(string name, int type, params int[] dims)
        {
            inputs.Add(ValueInfo(name, type, dims));
            return this;
        }

        public OnnxBuilder Output(string name, params int[] dims)
        {
            outputs.Add(ValueInfo(name, OnnxDataType.Float, dims));
            return this;
        }

        public string Floats(string name, int[] dims, IEnumerable<float> values)
        {
            inits.Add(TensorBytes(name, OnnxDataType.Float, dims, values.SelectMany(BitConverter.GetBytes).ToArray()));
            return name;
        }

        public string Scalar(string name, float value) => Floats(name, new int[0], new[] { value });

        public string Int64s(string name, int[] dims, params long[] values)
        {
            inits.Add(TensorBytes(name, OnnxDataType.Int64, dims, values.SelectMany(BitConverter.GetBytes).ToArray()));
            return name;
        }

        public string Int8s(string name, int[] dims, IEnumerable<sbyte> values)
        {
            inits.Add(TensorBytes(name, OnnxDataType.Int8, dims, values.Select(v => (byte)v).ToArray()));
            return name;
        }

        public string Int32s(string name, int[] dims, IEnumerable<int> values)
        {
            inits.Add(TensorBytes(name, OnnxDataType.Int32, dims, values.SelectMany(BitConverter.GetBytes).ToArray()));
            return name;
        }

        public string Int16(string name, short value)
        {
            inits.Add(TensorBytes(name, OnnxDataType.Int16, new int[0], BitConverter.GetBytes(value)));
            return name;
        }

        public string UInt8s(string name, int[] dims, IEnumerable<byte> values)
        {
            inits.Add(TensorBytes(name, OnnxDataType.UInt8, dims, values.ToArray()));
            return name;
        }

        public string UInt8(string name, byte value)
        {
            inits.Add(TensorBytes(name, OnnxDataType.UInt8, new int[0], new[] { value }));
            return name;
        }

        private string? nextDomain;

        /// <summary>The next node's domain (e.g. "com.microsoft"); the default domain after it.</summary>
        public OnnxBuilder InDomain(string domain)
        {
            nextDomain = domain;
            return this;
        }

        /// <summary>A node; attributes are int (long), ints (long[]), float (float) or string.</summary>
        public string Node(string op, string[] ins, string? output = null, params (string Name, object Value)[] attrs) => NodeN(op, ins, new[] { output ?? op.ToLowerInvariant() + "_" + counter }, attrs)[0];

        public string[] NodeN(string op, string[] ins, string[] outs, params (string Name, object Value)[] attrs)
        {
            string name = op + "_" + counter++;
            nodes.Add(Message(o =>
            {
                foreach (string i in ins)
                {
                    Str(o, 1, i);
                }

                foreach (string x in outs)
                {
                    Str(o, 2, x);
                }

                Str(o, 3, name);
                Str(o, 4, op);
                if (nextDomain != null)
                {
                    Str(o, 7, nextDomain);
                    nextDomain = null;
                }

                foreach ((string an, object av) in attrs)
                {
                    Bytes(o, 5, Message(a =>
                    {
                        Str(a, 1, an);
                        switch (av)
                        {
                            case long l:
                                Varint(a, 3, l);
                                Varint(a, 20, (long)OnnxAttributeType.Int);
                                break;
                            case long[] ls:
                                foreach (long l in ls)
                                {
                                    Varint(a, 8, l);
                                }

                                Varint(a, 20, (long)OnnxAttributeType.Ints);
                                break;
                            case float f:
                                a.WriteTag(2, WireFormat.WireType.Fixed32);
                                a.WriteFloat(f);
                                Varint(a, 20, (long)OnnxAttributeType.Float);
                                break;
                            default:
                                Bytes(a, 4, System.Text.Encoding.UTF8.GetBytes((string)av));
                                Varint(a, 20, (long)OnnxAttributeType.String);
                                break;
                        }
                    }));
                }
            }));
            return outs;
        }

        /// <summary>Writes the model (opset <paramref name="opset"/>) to a fresh temp folder and returns the file's path.</summary>
        public string Save(string fileName, long opset = 13)
        {
            byte[] graph = Message(o =>
            {
                foreach (byte[] n in nodes)
                {
                    Bytes(o, 1, n);
                }

                Str(o, 2, "g");
                foreach (byte[] t in inits)
                {
                    Bytes(o, 5, t);
                }

                foreach (byte[] i in inputs)
                {
                    Bytes(o, 11, i);
                }

                foreach (byte[] x in outputs)
                {
                    Bytes(o, 12, x);
                }
            });
            byte[] model = Message(o =>
            {
                Varint(o, 1, 8);
                Str(o, 2, "OnnxBuilder");
                Bytes(o, 7, graph);
                Bytes(o, 8, Message(s =>
                {
                    Str(s, 1, string.Empty);
                    Varint(s, 2, opset);
                }));
            });
            string dir = Path.Combine(Path.GetTempPath(), "qg-pattern-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, fileName);
            File.WriteAllBytes(path, model);
            return path;
        }
    }
}
