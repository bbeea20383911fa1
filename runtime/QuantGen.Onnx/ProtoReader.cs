using System;
using System.Text;

namespace QuantGen.Onnx
{
    /// <summary>Protobuf wire types (the low three bits of a tag).</summary>
    public enum WireType
    {
        Varint = 0,
        Fixed64 = 1,
        LengthDelimited = 2,
        StartGroup = 3,
        EndGroup = 4,
        Fixed32 = 5,
    }

    /// <summary>A protobuf encoding error: where the reader stood and what was wrong.</summary>
    public sealed class ProtoFormatException : Exception
    {
        public ProtoFormatException(string message)
            : base(message)
        {
        }
    }

    /// <summary>
    /// A strict protobuf wire-format reader over a slice of one byte array (nested messages are slices, never copies).
    /// Stricter than Google.Protobuf's CodedInputStream where leniency hides corruption: a length prefix is read as a
    /// full 64-bit varint and must fit the bytes left (CodedInputStream keeps the low 32 bits, so 2^32 + 1 reads as 1);
    /// a varint longer than 64 bits, a tag beyond 32 bits, field number 0, wire types 6 and 7, a truncated value and an
    /// int32 field outside int32 are errors (<see cref="ProtoFormatException"/>), never truncated.
    /// </summary>
    public sealed class ProtoReader
    {
        /// <summary>Deepest group nesting skipped (groups are deprecated; ONNX never writes them).</summary>
        public const int MaxGroupDepth = 64;

        private readonly byte[] buffer;
        private readonly int end;
        private int pos;
        private uint lastTag;

        public ProtoReader(byte[] buffer)
            : this(buffer, 0, buffer.Length)
        {
        }

        private ProtoReader(byte[] buffer, int start, int end)
        {
            this.buffer = buffer;
            pos = start;
            this.end = end;
        }

        public bool IsAtEnd => pos >= end;

        /// <summary>Bytes left in this message.</summary>
        public int Remaining => end - pos;

        public static int FieldNumber(uint tag) => (int)(tag >> 3);

        public static WireType GetWireType(uint tag) => (WireType)(tag & 7);

        /// <summary>The next tag, or 0 at the end of the message.</summary>
        public uint ReadTag()
        {
            if (IsAtEnd)
            {
                lastTag = 0;
                return 0;
            }

            ulong v = ReadVarint64();
            if (v > uint.MaxValue)
            {
                throw new ProtoFormatException($"a tag of {v} does not fit 32 bits");
            }

            uint tag = (uint)v;
            if (tag >> 3 == 0)
            {
                throw new ProtoFormatException("field number 0 is invalid");
            }

            if ((tag & 7) > 5)
            {
                throw new ProtoFormatException($"wire type {tag & 7} of field {tag >> 3} does not exist");
            }

            lastTag = tag;
            return tag;
        }

        public ulong ReadVarint64()
        {
            ulong result = 0;
            for (int i = 0; i < 10; i++)
            {
                if (pos >= end)
                {
                    throw new ProtoFormatException("a varint is truncated (the message ends inside it)");
                }

                byte b = buffer[pos++];
                if (i == 9 && b > 1)
                {
                    throw new ProtoFormatException("a varint is longer than 64 bits");
                }

                result |= (ulong)(b & 0x7F) << (7 * i);
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new ProtoFormatException("a varint is longer than 10 bytes");
        }

        public long ReadInt64() => unchecked((long)ReadVarint64());

        /// <summary>An int32 field: the 64-bit value must lie in int32 (negative int32 values are sign-extended on the wire).</summary>
        public int ReadInt32()
        {
            long v = ReadInt64();
            if (v < int.MinValue || v > int.MaxValue)
            {
                throw new ProtoFormatException($"an int32 field holds {v}, outside int32");
            }

            return (int)v;
        }

        public float ReadFloat()
        {
            Need(4);
            float f = BitConverter.ToSingle(OnnxReader.LittleEndian(buffer, pos, 4), 0);
            pos += 4;
            return f;
        }

        public double ReadDouble()
        {
            Need(8);
            double d = BitConverter.ToDouble(OnnxReader.LittleEndian(buffer, pos, 8), 0);
            pos += 8;
            return d;
        }

        /// <summary>A length-delimited field as a reader over its bytes.</summary>
        public ProtoReader ReadBytes()
        {
            int length = ReadLength();
            var r = new ProtoReader(buffer, pos, pos + length);
            pos += length;
            return r;
        }

        public string ReadString()
        {
            int length = ReadLength();
            string s = Encoding.UTF8.GetString(buffer, pos, length);
            pos += length;
            return s;
        }

        /// <summary>The rest of this slice as a new array.</summary>
        public byte[] ToByteArray()
        {
            var r = new byte[end - pos];
            Array.Copy(buffer, pos, r, 0, r.Length);
            return r;
        }

        /// <summary>Skips the field whose tag <see cref="ReadTag"/> returned last.</summary>
        public void SkipLastField() => Skip(lastTag, 0);

        private void Skip(uint tag, int depth)
        {
            switch (GetWireType(tag))
            {
                case WireType.Varint:
                    ReadVarint64();
                    break;
                case WireType.Fixed64:
                    Need(8);
                    pos += 8;
                    break;
                case WireType.Fixed32:
                    Need(4);
                    pos += 4;
                    break;
                case WireType.LengthDelimited:
                    int length = ReadLength();   // not "pos += ReadLength()": that reads pos before the length is consumed
                    pos += length;
                    break;
                case WireType.StartGroup:
                    if (depth >= MaxGroupDepth)
                    {
                        throw new ProtoFormatException($"groups nested deeper than {MaxGroupDepth}");
                    }

                    while (true)
                    {
                        uint inner = ReadTag();
                        if (inner == 0)
                        {
                            throw new ProtoFormatException($"group of field {FieldNumber(tag)} has no end");
                        }

                        if (GetWireType(inner) == WireType.EndGroup)
                        {
                            if (FieldNumber(inner) != FieldNumber(tag))
                            {
                                throw new ProtoFormatException($"group of field {FieldNumber(tag)} ends with field {FieldNumber(inner)}");
                            }

                            break;
                        }

                        Skip(inner, depth + 1);
                    }

                    break;
                default:
                    throw new ProtoFormatException($"an end-group tag of field {FieldNumber(tag)} without its start");
            }
        }

        private int ReadLength()
        {
            ulong length = ReadVarint64();
            if (length > (ulong)(end - pos))
            {
                throw new ProtoFormatException($"a length prefix of {length} bytes runs past the end of its message ({end - pos} bytes left)");
            }

            return (int)length;
        }

        private void Need(int n)
        {
            if (end - pos < n)
            {
                throw new ProtoFormatException($"a {n}-byte value is truncated");
            }
        }
    }
}
