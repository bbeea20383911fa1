using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>A decoded constant tensor: float data (float, double) or integer data (every integer type, int4 unpacked).</summary>
    public sealed class TensorValue
    {
        public TensorValue(string name, int dataType, int[] dims, float[]? floats, long[]? ints)
        {
            Name = name;
            DataType = dataType;
            Dims = dims;
            Floats = floats;
            Ints = ints;
        }

        public string Name { get; }

        public int DataType { get; }

        public int[] Dims { get; }

        public float[]? Floats { get; }

        public long[]? Ints { get; }

        public int Count => Floats?.Length ?? Ints!.Length;

        public bool IsFloat => Floats != null;

        public double this[int i] => Floats != null ? Floats[i] : Ints![i];

        public double[] AsDoubles()
        {
            var r = new double[Count];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = this[i];
            }

            return r;
        }

        public static TensorValue FromFloats(string name, int[] dims, float[] data) => new TensorValue(name, OnnxDataType.Float, dims, data, null);

        /// <summary>
        /// Decodes a TensorProto: raw_data (little-endian, int4/uint4 packed two per byte, low nibble first), the
        /// typed fields (float_data, int32_data for every type of 32 bits or fewer, int64_data, double_data,
        /// uint64_data), or external data resolved relative to <paramref name="modelDirectory"/>.
        /// </summary>
        public static TensorValue Decode(OnnxTensor t, string modelDirectory, string file, string place)
        {
            int[] dims = new int[t.Dims.Count];
            long count = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                long d = t.Dims[i];
                if (d < 0 || d > TensorLimits.MaxElements)
                {
                    throw Error(OnnxErrors.MalformedTensor, file, place, $"dimension {i} is {d}; dims must be in [0, {TensorLimits.MaxElements}]");
                }

                dims[i] = (int)d;
                count *= d;
                if (count > TensorLimits.MaxElements)
                {
                    throw Error(OnnxErrors.MalformedTensor, file, place, $"dims [{string.Join(", ", t.Dims)}] hold more than {TensorLimits.MaxElements} elements");
                }
            }

            int n = (int)count;
            if (t.HasSegment)
            {
                throw Error(OnnxErrors.MalformedTensor, file, place, "segmented tensors (TensorProto.segment) are not supported; save the model without segments");
            }

            int? size = ElementBits(t.DataType);
            if (size == null || t.StringCount > 0)
            {
                throw Error(OnnxErrors.UnsupportedDataType, file, place, $"element type {OnnxDataType.Name(t.DataType)} is not supported; QuantGen reads float, double, int4/uint4, (u)int8/16/32 and int64 tensors (convert float16/bfloat16 weights to float32 before export)");
            }

            int typedFields = (t.FloatData.Count > 0 ? 1 : 0) + (t.Int32Data.Count > 0 ? 1 : 0) + (t.Int64Data.Count > 0 ? 1 : 0) + (t.DoubleData.Count > 0 ? 1 : 0) + (t.UInt64Data.Count > 0 ? 1 : 0);
            int sources = typedFields + (t.RawData != null ? 1 : 0) + (t.DataLocation == 1 ? 1 : 0);
            if (sources > 1)
            {
                throw Error(OnnxErrors.MalformedTensor, file, place, "the tensor carries its data twice (" + string.Join(", ", DataSources(t)) + "); a TensorProto holds exactly one of raw_data, a typed field or external data");
            }

            if (t.DataLocation != 0 && t.DataLocation != 1)
            {
                throw Error(OnnxErrors.MalformedTensor, file, place, $"data_location is {t.DataLocation}; ONNX defines 0 (DEFAULT) and 1 (EXTERNAL)");
            }

            byte[]? raw = t.RawData;
            if (t.DataLocation == 1)
            {
                raw = ReadExternal(t, modelDirectory, file, place, ((long)n * size.Value + 7) / 8);
            }

            bool isFloat = t.DataType == OnnxDataType.Float || t.DataType == OnnxDataType.Double;
            if (raw != null)
            {
                long need = ((long)n * size.Value + 7) / 8;
                if (raw.Length != need)
                {
                    throw Error(OnnxErrors.MalformedTensor, file, place, $"{OnnxDataType.Name(t.DataType)} [{string.Join(", ", dims)}] needs {need} bytes of raw_data but holds {raw.Length}");
                }

                return isFloat ? new TensorValue(t.Name, t.DataType, dims, RawFloats(raw, t.DataType, n), null) : new TensorValue(t.Name, t.DataType, dims, null, RawInts(raw, t.DataType, n));
            }

            // Typed fields.
            if (t.DataType == OnnxDataType.Float)
            {
                Check(t.FloatData.Count, n, "float_data", file, place, dims);
                return new TensorValue(t.Name, t.DataType, dims, t.FloatData.ToArray(), null);
            }

            if (t.DataType == OnnxDataType.Double)
            {
                Check(t.DoubleData.Count, n, "double_data", file, place, dims);
                return new TensorValue(t.Name, t.DataType, dims, t.DoubleData.ConvertAll(v => (float)v).ToArray(), null);
            }

            if (t.DataType == OnnxDataType.Int64)
            {
                Check(t.Int64Data.Count, n, "int64_data", file, place, dims);
                return new TensorValue(t.Name, t.DataType, dims, null, t.Int64Data.ToArray());
            }

            if (t.DataType == OnnxDataType.UInt64 || t.DataType == OnnxDataType.UInt32)
            {
                List<ulong> u = t.UInt64Data;
                Check(u.Count, n, "uint64_data", file, place, dims);
                var r = new long[n];
                for (int i = 0; i < n; i++)
                {
                    if (u[i] > long.MaxValue)
                    {
                        throw Error(OnnxErrors.MalformedTensor, file, place, $"element {i} is {u[i]}, beyond int64");
                    }

                    r[i] = (long)u[i];
                }

                return new TensorValue(t.Name, t.DataType, dims, null, r);
            }

            // int32_data carries every type of 32 bits or fewer; int4/uint4 packed two per element.
            var ints = new long[n];
            if (t.DataType == OnnxDataType.Int4 || t.DataType == OnnxDataType.UInt4)
            {
                Check(t.Int32Data.Count, (n + 1) / 2, "int32_data (packed 4-bit pairs)", file, place, dims);
                for (int i = 0; i < n; i++)
                {
                    ints[i] = Nibble((int)(t.Int32Data[i / 2] >> (4 * (i & 1))) & 0xF, t.DataType == OnnxDataType.Int4);
                }
            }
            else
            {
                Check(t.Int32Data.Count, n, "int32_data", file, place, dims);
                for (int i = 0; i < n; i++)
                {
                    ints[i] = Normalize(t.Int32Data[i], t.DataType);
                }
            }

            return new TensorValue(t.Name, t.DataType, dims, null, ints);
        }

        private static System.Collections.Generic.IEnumerable<string> DataSources(OnnxTensor t)
        {
            if (t.RawData != null)
            {
                yield return "raw_data";
            }

            if (t.FloatData.Count > 0)
            {
                yield return "float_data";
            }

            if (t.Int32Data.Count > 0)
            {
                yield return "int32_data";
            }

            if (t.Int64Data.Count > 0)
            {
                yield return "int64_data";
            }

            if (t.DoubleData.Count > 0)
            {
                yield return "double_data";
            }

            if (t.UInt64Data.Count > 0)
            {
                yield return "uint64_data";
            }

            if (t.DataLocation == 1)
            {
                yield return "external data";
            }
        }

        private static long Normalize(long v, int type) => type switch
        {
            OnnxDataType.Int8 => (sbyte)v,
            OnnxDataType.UInt8 => (byte)v,
            OnnxDataType.Int16 => (short)v,
            OnnxDataType.UInt16 => (ushort)v,
            OnnxDataType.Bool => v != 0 ? 1 : 0,
            _ => (int)v,
        };

        private static long Nibble(int nib, bool signed) => signed && nib >= 8 ? nib - 16 : nib;

        private static void Check(int have, int need, string field, string file, string place, int[] dims)
        {
            if (have != need)
            {
                throw Error(OnnxErrors.MalformedTensor, file, place, $"dims [{string.Join(", ", dims)}] need {need} values in {field} but it holds {have} (and there is no raw_data)");
            }
        }

        /// <summary>Bits per element, null when unsupported.</summary>
        internal static int? ElementBits(int type) => type switch
        {
            OnnxDataType.Float => 32,
            OnnxDataType.Double => 64,
            OnnxDataType.Int8 => 8,
            OnnxDataType.UInt8 => 8,
            OnnxDataType.Int16 => 16,
            OnnxDataType.UInt16 => 16,
            OnnxDataType.Int32 => 32,
            OnnxDataType.UInt32 => 32,
            OnnxDataType.Int64 => 64,
            OnnxDataType.UInt64 => 64,
            OnnxDataType.Bool => 8,
            OnnxDataType.Int4 => 4,
            OnnxDataType.UInt4 => 4,
            _ => null,
        };

        private static float[] RawFloats(byte[] raw, int type, int n)
        {
            var r = new float[n];
            for (int i = 0; i < n; i++)
            {
                r[i] = type == OnnxDataType.Float ? BitConverter.ToSingle(OnnxReader.LittleEndian(raw, i * 4, 4), 0) : (float)BitConverter.ToDouble(OnnxReader.LittleEndian(raw, i * 8, 8), 0);
            }

            return r;
        }

        private static long[] RawInts(byte[] raw, int type, int n)
        {
            var r = new long[n];
            for (int i = 0; i < n; i++)
            {
                r[i] = type switch
                {
                    OnnxDataType.Int8 => (sbyte)raw[i],
                    OnnxDataType.UInt8 => raw[i],
                    OnnxDataType.Bool => raw[i] != 0 ? 1 : 0,
                    OnnxDataType.Int16 => BitConverter.ToInt16(OnnxReader.LittleEndian(raw, i * 2, 2), 0),
                    OnnxDataType.UInt16 => BitConverter.ToUInt16(OnnxReader.LittleEndian(raw, i * 2, 2), 0),
                    OnnxDataType.Int32 => BitConverter.ToInt32(OnnxReader.LittleEndian(raw, i * 4, 4), 0),
                    OnnxDataType.UInt32 => BitConverter.ToUInt32(OnnxReader.LittleEndian(raw, i * 4, 4), 0),
                    OnnxDataType.Int64 => BitConverter.ToInt64(OnnxReader.LittleEndian(raw, i * 8, 8), 0),
                    OnnxDataType.UInt64 => (long)BitConverter.ToUInt64(OnnxReader.LittleEndian(raw, i * 8, 8), 0),
                    OnnxDataType.Int4 => Nibble((raw[i / 2] >> (4 * (i & 1))) & 0xF, true),
                    OnnxDataType.UInt4 => Nibble((raw[i / 2] >> (4 * (i & 1))) & 0xF, false),
                    _ => throw new InvalidOperationException("unreachable"),
                };
            }

            return r;
        }

        private static byte[] ReadExternal(OnnxTensor t, string dir, string file, string place, long need)
        {
            string? location = null;
            long offset = 0;
            long? length = null;
            foreach (KeyValuePair<string, string> kv in t.ExternalData)
            {
                if (kv.Key == "location")
                {
                    location = kv.Value;
                }
                else if (kv.Key == "offset" || kv.Key == "length")
                {
                    if (!long.TryParse(kv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                    {
                        throw Error(OnnxErrors.ExternalData, file, place, $"external_data \"{kv.Key}\" is \"{kv.Value}\", not a non-negative integer");
                    }

                    if (kv.Key == "offset")
                    {
                        offset = v;
                    }
                    else
                    {
                        length = v;
                    }
                }
            }

            if (string.IsNullOrEmpty(location))
            {
                throw Error(OnnxErrors.ExternalData, file, place, "data_location is EXTERNAL but external_data has no \"location\"");
            }

            if (Path.IsPathRooted(location) || location!.Split('/', '\\').Contains(".."))
            {
                throw Error(OnnxErrors.ExternalData, file, place, $"external data location \"{location}\" must be a relative path inside the model's folder (ONNX resolves it relative to the model file)");
            }

            string path = Path.Combine(dir, location);
            if (!File.Exists(path))
            {
                throw Error(OnnxErrors.ExternalData, file, place, $"the external data file \"{location}\" was not found next to the model (looked for {path}); copy it beside the .onnx file or re-save the model with its weights inside");
            }

            long len = length ?? need;
            if (len != need)
            {
                throw Error(OnnxErrors.MalformedTensor, file, place, $"external_data length is {len} bytes but {OnnxDataType.Name(t.DataType)} [{string.Join(", ", t.Dims)}] needs {need}");
            }

            byte[]? whole = BoundedFile.TryRead(path, OnnxReader.MaxFileBytes, out _, out string why);
            if (whole == null)
            {
                throw Error(OnnxErrors.ExternalData, file, place, $"cannot read the external data file \"{location}\": {why}");
            }

            if (offset > whole.Length || len > whole.Length - offset)
            {
                throw Error(OnnxErrors.ExternalData, file, place, $"the external data file \"{location}\" has {whole.Length} bytes, but the tensor reads bytes [{offset}, {offset + len}); the file is truncated or belongs to another model");
            }

            var buf = new byte[len];
            Array.Copy(whole, offset, buf, 0, len);
            return buf;
        }

        private static OnnxImportException Error(string id, string file, string place, string message) => OnnxImportException.At(id, file, place, message);
    }
}
