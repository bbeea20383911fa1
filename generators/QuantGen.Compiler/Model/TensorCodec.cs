using System;
using QuantGen.Numerics;

namespace QuantGen.Model
{
    /// <summary>
    /// How each element type is stored in safetensors (docs/model-format.md): float32 -> F32; int5..int8 -> I8;
    /// int9..int16 -> I16; int32 -> I32; uint2..uint8 -> U8; uint9..uint16 -> U16; int2..int4 -> packed U8,
    /// two values per byte along the last axis, low nibble first, rows padded to whole bytes.
    /// </summary>
    public static class TensorCodec
    {
        public static string StorageDtype(ElementType type)
        {
            if (type.IsFloat)
            {
                return "F32";
            }

            if (type.IsSigned)
            {
                return type.Bits <= 4 ? "U8" : type.Bits <= 8 ? "I8" : type.Bits <= 16 ? "I16" : "I32";
            }

            return type.Bits <= 8 ? "U8" : "U16";
        }

        public static bool IsPacked(ElementType type) => !type.IsFloat && type.IsSigned && type.Bits <= 4;

        /// <summary>Shape as stored: packed types halve (rounding up) the last axis.</summary>
        public static long[] StorageShape(ElementType type, int[] shape)
        {
            var s = new long[shape.Length];
            for (int i = 0; i < shape.Length; i++)
            {
                s[i] = shape[i];
            }

            if (IsPacked(type) && s.Length > 0)
            {
                s[s.Length - 1] = (s[s.Length - 1] + 1) / 2;
            }

            return s;
        }

        public static float[] DecodeFloats(RawTensor raw)
        {
            var values = new float[raw.Data.Length / 4];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BitConverter.ToSingle(LittleEndian(raw.Data, i * 4, 4), 0);
            }

            return values;
        }

        /// <summary>Decodes integers (unpacking int2..int4); does not range-check.</summary>
        public static int[] DecodeInts(RawTensor raw, ElementType type, int[] shape)
        {
            long count = 1;
            foreach (int d in shape)
            {
                count *= d;
            }

            var values = new int[count];
            if (IsPacked(type))
            {
                int last = shape.Length == 0 ? 1 : shape[shape.Length - 1];
                int rowBytes = (last + 1) / 2;
                long rows = last == 0 ? 0 : count / last;
                for (long r = 0; r < rows; r++)
                {
                    for (int j = 0; j < last; j++)
                    {
                        int b = raw.Data[r * rowBytes + (j >> 1)];
                        int nibble = (j & 1) == 0 ? b & 0xF : (b >> 4) & 0xF;
                        values[r * last + j] = nibble >= 8 ? nibble - 16 : nibble;
                    }
                }

                return values;
            }

            switch (raw.Dtype)
            {
                case "I8":
                    for (long i = 0; i < count; i++)
                    {
                        values[i] = (sbyte)raw.Data[i];
                    }

                    break;
                case "U8":
                    for (long i = 0; i < count; i++)
                    {
                        values[i] = raw.Data[i];
                    }

                    break;
                case "I16":
                    for (long i = 0; i < count; i++)
                    {
                        values[i] = BitConverter.ToInt16(LittleEndian(raw.Data, (int)(i * 2), 2), 0);
                    }

                    break;
                case "U16":
                    for (long i = 0; i < count; i++)
                    {
                        values[i] = BitConverter.ToUInt16(LittleEndian(raw.Data, (int)(i * 2), 2), 0);
                    }

                    break;
                case "I32":
                    for (long i = 0; i < count; i++)
                    {
                        values[i] = BitConverter.ToInt32(LittleEndian(raw.Data, (int)(i * 4), 4), 0);
                    }

                    break;
                default:
                    throw new ArgumentException("not an integer dtype: " + raw.Dtype, nameof(raw));
            }

            return values;
        }

        public static RawTensor EncodeFloats(string name, int[] shape, float[] values)
        {
            var data = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++)
            {
                Buffer.BlockCopy(LittleEndian(BitConverter.GetBytes(values[i]), 0, 4), 0, data, i * 4, 4);
            }

            return new RawTensor(name, "F32", StorageShape(ElementType.Float32, shape), data);
        }

        /// <summary>Encodes integers of <paramref name="type"/>; throws if a value does not fit the type.</summary>
        public static RawTensor EncodeInts(string name, ElementType type, int[] shape, int[] values)
        {
            foreach (int v in values)
            {
                if (v < type.MinValue || v > type.MaxValue)
                {
                    throw new ArgumentOutOfRangeException(nameof(values), $"value {v} of tensor '{name}' does not fit {type}");
                }
            }

            string dtype = StorageDtype(type);
            long[] storage = StorageShape(type, shape);
            byte[] data;
            if (IsPacked(type))
            {
                int last = shape.Length == 0 ? 1 : shape[shape.Length - 1];
                int rowBytes = (last + 1) / 2;
                int rows = last == 0 ? 0 : values.Length / last;
                data = new byte[rows * rowBytes];
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < last; j++)
                    {
                        int nibble = values[r * last + j] & 0xF;
                        data[r * rowBytes + (j >> 1)] |= (byte)((j & 1) == 0 ? nibble : nibble << 4);
                    }
                }
            }
            else
            {
                int size = SafeTensors.DtypeSize(dtype) ?? 1;
                data = new byte[values.Length * size];
                for (int i = 0; i < values.Length; i++)
                {
                    byte[] b = size == 1 ? new[] { (byte)values[i] } : size == 2 ? BitConverter.GetBytes((short)values[i]) : BitConverter.GetBytes(values[i]);
                    Buffer.BlockCopy(LittleEndian(b, 0, size), 0, data, i * size, size);
                }
            }

            return new RawTensor(name, dtype, storage, data);
        }

        private static byte[] LittleEndian(byte[] bytes, int offset, int count)
        {
            var copy = new byte[count];
            Buffer.BlockCopy(bytes, offset, copy, 0, count);
            if (!BitConverter.IsLittleEndian)
            {
                Array.Reverse(copy);
            }

            return copy;
        }
    }
}
