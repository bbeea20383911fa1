using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// A schema-less protobuf tree for structure-aware mutation: every field keeps its number, wire type and value; a
    /// length-delimited payload that parses as a message is kept as children (so mutations reach nested messages).
    /// Serialization can lie: <see cref="ProtoField.LengthOverride"/> writes any length prefix, e.g. 2^32 + 1.
    /// </summary>
    public sealed class ProtoField
    {
        public int Number { get; set; }

        public int WireType { get; set; }

        public ulong Scalar { get; set; }

        public byte[] Payload { get; set; } = Array.Empty<byte>();

        public List<ProtoField>? Children { get; set; }

        public ulong? LengthOverride { get; set; }

        public ProtoField Clone() => new ProtoField
        {
            Number = Number,
            WireType = WireType,
            Scalar = Scalar,
            Payload = Payload,
            Children = Children?.Select(c => c.Clone()).ToList(),
            LengthOverride = LengthOverride,
        };
    }

    public static class ProtoTree
    {
        public static List<ProtoField>? TryParse(byte[] b, int depth = 0)
        {
            var fields = new List<ProtoField>();
            int pos = 0;
            while (pos < b.Length)
            {
                if (!TryVarint(b, ref pos, out ulong tag) || tag >> 3 == 0 || tag > int.MaxValue)
                {
                    return null;
                }

                var f = new ProtoField { Number = (int)(tag >> 3), WireType = (int)(tag & 7) };
                switch (f.WireType)
                {
                    case 0:
                        if (!TryVarint(b, ref pos, out ulong v))
                        {
                            return null;
                        }

                        f.Scalar = v;
                        break;
                    case 1:
                    case 5:
                        int n = f.WireType == 1 ? 8 : 4;
                        if (pos + n > b.Length)
                        {
                            return null;
                        }

                        f.Payload = b.Skip(pos).Take(n).ToArray();
                        pos += n;
                        break;
                    case 2:
                        if (!TryVarint(b, ref pos, out ulong len) || len > (ulong)(b.Length - pos))
                        {
                            return null;
                        }

                        f.Payload = b.Skip(pos).Take((int)len).ToArray();
                        pos += (int)len;
                        if (depth < 12 && f.Payload.Length > 0)
                        {
                            f.Children = TryParse(f.Payload, depth + 1);
                        }

                        break;
                    default:
                        return null;
                }

                fields.Add(f);
            }

            return fields;
        }

        public static byte[] Write(List<ProtoField> fields)
        {
            using var ms = new MemoryStream();
            foreach (ProtoField f in fields)
            {
                Varint(ms, ((ulong)f.Number << 3) | (uint)f.WireType);
                switch (f.WireType)
                {
                    case 0:
                        Varint(ms, f.Scalar);
                        break;
                    case 2:
                        byte[] p = f.Children != null ? Write(f.Children) : f.Payload;
                        Varint(ms, f.LengthOverride ?? (ulong)p.Length);
                        ms.Write(p);
                        break;
                    default:
                        ms.Write(f.Payload);
                        break;
                }
            }

            return ms.ToArray();
        }

        public static IEnumerable<(ProtoField Field, List<ProtoField> Parent)> Walk(List<ProtoField> fields)
        {
            foreach (ProtoField f in fields)
            {
                yield return (f, fields);
                if (f.Children != null)
                {
                    foreach (var c in Walk(f.Children))
                    {
                        yield return c;
                    }
                }
            }
        }

        public static ProtoField Varint(int number, long value) => new ProtoField { Number = number, WireType = 0, Scalar = unchecked((ulong)value) };

        public static ProtoField Bytes(int number, byte[] payload) => new ProtoField { Number = number, WireType = 2, Payload = payload };

        public static ProtoField Text(int number, string s) => Bytes(number, Encoding.UTF8.GetBytes(s));

        public static ProtoField Message(int number, params ProtoField[] children) => new ProtoField { Number = number, WireType = 2, Children = children.ToList() };

        public static void Varint(Stream s, ulong v)
        {
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            s.WriteByte((byte)v);
        }

        private static bool TryVarint(byte[] b, ref int pos, out ulong v)
        {
            v = 0;
            for (int i = 0; i < 10; i++)
            {
                if (pos >= b.Length)
                {
                    return false;
                }

                byte x = b[pos++];
                v |= (ulong)(x & 0x7F) << (7 * i);
                if (x < 0x80)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
