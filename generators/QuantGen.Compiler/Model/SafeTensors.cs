using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Json;

namespace QuantGen.Model
{
    /// <summary>One tensor entry of a safetensors header, validated against the file.</summary>
    public sealed class RawTensor
    {
        public RawTensor(string name, string dtype, long[] shape, byte[] data)
        {
            Name = name;
            Dtype = dtype;
            Shape = shape;
            Data = data;
        }

        public string Name { get; }

        /// <summary>safetensors dtype tag: F32, I8, U8, I16, I32, ...</summary>
        public string Dtype { get; }

        public long[] Shape { get; }

        /// <summary>The tensor's raw little-endian bytes.</summary>
        public byte[] Data { get; }
    }

    /// <summary>
    /// Reader and writer for the safetensors layout (8-byte LE header length, JSON header, raw data). The
    /// reader trusts nothing: header length, offsets, shapes and byte counts are all checked before
    /// anything is allocated, and overlapping or missing byte ranges ("lying" headers) are rejected.
    /// </summary>
    public static class SafeTensors
    {
        private static readonly Dictionary<string, int> DtypeSizes = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
            ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
            ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
            ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
        };

        public static int? DtypeSize(string dtype) => DtypeSizes.TryGetValue(dtype, out int s) ? s : (int?)null;

        /// <summary>Parses a whole safetensors file. Returns null (with diagnostics) when it is malformed.</summary>
        public static List<RawTensor>? Read(byte[] bytes, string file, List<ModelDiagnostic> diagnostics, Dictionary<string, string>? metadata = null)
        {
            void Error(string id, string message, string? place = null) =>
                diagnostics.Add(new ModelDiagnostic(id, message, file, place, 0, 0));

            if (bytes.Length < 8)
            {
                Error(ModelErrors.MalformedWeights, $"the weights file is {bytes.Length} bytes long; a safetensors file starts with an 8-byte header length");
                return null;
            }

            ulong headerLength = BitConverter.ToUInt64(LittleEndian(bytes, 0, 8), 0);
            if (headerLength > (ulong)TensorLimits.MaxHeaderBytes)
            {
                Error(ModelErrors.MalformedWeights, $"the header claims {headerLength} bytes; the limit is {TensorLimits.MaxHeaderBytes} (the file is truncated, not safetensors, or lies)");
                return null;
            }

            if (8 + (long)headerLength > bytes.Length)
            {
                Error(ModelErrors.MalformedWeights, $"the header claims {headerLength} bytes but the file has only {bytes.Length - 8} after the length field (truncated file?)");
                return null;
            }

            string headerText;
            try
            {
                headerText = new UTF8Encoding(false, true).GetString(bytes, 8, (int)headerLength);
            }
            catch (ArgumentException)
            {
                Error(ModelErrors.MalformedWeights, "the header is not valid UTF-8");
                return null;
            }

            JsonNode header;
            try
            {
                header = JsonParser.Parse(headerText);
            }
            catch (JsonParseException e)
            {
                Error(ModelErrors.MalformedWeights, $"the header is not valid JSON (header line {e.Line}, column {e.Column}): {e.Message}");
                return null;
            }

            if (!(header is JsonObject obj))
            {
                Error(ModelErrors.MalformedWeights, "the header must be a JSON object");
                return null;
            }

            long dataStart = 8 + (long)headerLength;
            long dataLength = bytes.Length - dataStart;
            var result = new List<RawTensor>();
            var ranges = new List<(long Begin, long End, string Name)>();
            int errorsBefore = diagnostics.Count;
            foreach (KeyValuePair<string, JsonNode> m in obj.Members)
            {
                string place = "tensor '" + m.Key + "'";
                if (m.Key == "__metadata__")
                {
                    if (m.Value is JsonObject meta)
                    {
                        foreach (KeyValuePair<string, JsonNode> kv in meta.Members)
                        {
                            if (kv.Value is JsonString s)
                            {
                                metadata?.Add(kv.Key, s.Value);
                            }
                            else
                            {
                                Error(ModelErrors.MalformedWeights, $"__metadata__ values must be strings; \"{kv.Key}\" is {kv.Value.KindName}");
                            }
                        }
                    }
                    else
                    {
                        Error(ModelErrors.MalformedWeights, "__metadata__ must be an object of strings");
                    }

                    continue;
                }

                if (!(m.Value is JsonObject entry) || !(entry.Get("dtype") is JsonString dtypeNode) ||
                    !(entry.Get("shape") is JsonArray shapeNode) || !(entry.Get("data_offsets") is JsonArray offsetsNode))
                {
                    Error(ModelErrors.MalformedWeights, "a tensor entry needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" (array)", place);
                    continue;
                }

                string dtype = dtypeNode.Value;
                if (!DtypeSizes.TryGetValue(dtype, out int elementSize))
                {
                    Error(ModelErrors.WrongDtype, $"unknown safetensors dtype \"{dtype}\"", place);
                    continue;
                }

                if (shapeNode.Count > SpecParser.MaxRank)
                {
                    Error(ModelErrors.LimitExceeded, $"rank {shapeNode.Count} exceeds the limit {SpecParser.MaxRank}", place);
                    continue;
                }

                var shape = new long[shapeNode.Count];
                long count = 1;
                bool ok = true;
                for (int i = 0; i < shape.Length && ok; i++)
                {
                    ok = shapeNode.Items[i] is JsonNumber n && n.IsInteger && n.TryGetInt64(out shape[i]) && shape[i] >= 0 && shape[i] <= SpecParser.MaxDimension;
                    if (ok)
                    {
                        count *= shape[i];
                        ok = count <= TensorLimits.MaxElements;
                    }
                }

                if (!ok)
                {
                    Error(ModelErrors.LimitExceeded, $"shape must be non-negative integers of at most {SpecParser.MaxDimension} each and {TensorLimits.MaxElements} elements in all", place);
                    continue;
                }

                if (offsetsNode.Count != 2 || !(offsetsNode.Items[0] is JsonNumber b0) || !(offsetsNode.Items[1] is JsonNumber e0) ||
                    !b0.TryGetInt64(out long begin) || !e0.TryGetInt64(out long end) || begin < 0 || end < begin)
                {
                    Error(ModelErrors.MalformedWeights, "data_offsets must be [begin, end] with 0 <= begin <= end", place);
                    continue;
                }

                if (end > dataLength)
                {
                    Error(ModelErrors.WrongByteLength, $"data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes): the file is truncated or the header lies", place);
                    continue;
                }

                long expected = count * elementSize;
                if (end - begin != expected)
                {
                    Error(ModelErrors.WrongByteLength, $"{dtype} [{string.Join(", ", shape)}] needs {expected} bytes but data_offsets [{begin}, {end}] hold {end - begin}", place);
                    continue;
                }

                var data = new byte[end - begin];
                Buffer.BlockCopy(bytes, (int)(dataStart + begin), data, 0, data.Length);
                result.Add(new RawTensor(m.Key, dtype, shape, data));
                ranges.Add((begin, end, m.Key));
            }

            long covered = 0;
            foreach (var r in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
            {
                if (r.Begin < covered)
                {
                    Error(ModelErrors.MalformedWeights, $"its bytes [{r.Begin}, {r.End}) overlap another tensor's", "tensor '" + r.Name + "'");
                }
                else if (r.Begin > covered)
                {
                    Error(ModelErrors.MalformedWeights, $"bytes [{covered}, {r.Begin}) of the data belong to no tensor (a hole in the buffer)", "tensor '" + r.Name + "'");
                }

                covered = Math.Max(covered, r.End);
            }

            if (covered < dataLength && diagnostics.Count == errorsBefore)
            {
                Error(ModelErrors.MalformedWeights, $"{dataLength - covered} trailing bytes after the last tensor belong to no tensor");
            }

            return diagnostics.Count == errorsBefore ? result : null;
        }

        /// <summary>Writes tensors in name order (ordinal), header padded with spaces to 8 bytes. Deterministic.</summary>
        public static byte[] Write(IEnumerable<RawTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata = null)
        {
            List<RawTensor> sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            var w = new StringBuilder();
            w.Append('{');
            bool first = true;
            List<KeyValuePair<string, string>> meta = metadata?.ToList() ?? new List<KeyValuePair<string, string>>();
            if (meta.Count > 0)
            {
                w.Append("\"__metadata__\":{");
                w.Append(string.Join(",", meta.Select(kv => Quote(kv.Key) + ":" + Quote(kv.Value))));
                w.Append('}');
                first = false;
            }

            long offset = 0;
            foreach (RawTensor t in sorted)
            {
                if (!first)
                {
                    w.Append(',');
                }

                first = false;
                w.Append(Quote(t.Name)).Append(":{\"dtype\":").Append(Quote(t.Dtype)).Append(",\"shape\":[");
                w.Append(string.Join(",", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))));
                w.Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',');
                offset += t.Data.Length;
                w.Append(offset.ToString(CultureInfo.InvariantCulture)).Append("]}");
            }

            w.Append('}');
            // Pad by the header's UTF-8 length (what the file stores), not its char count: the two differ for non-ASCII
            // names, and waiting for both to be multiples of 8 never ended for some of them.
            w.Append(' ', (8 - (Encoding.UTF8.GetByteCount(w.ToString()) % 8)) % 8);

            byte[] header = Encoding.UTF8.GetBytes(w.ToString());
            var result = new byte[8 + header.Length + offset];
            Buffer.BlockCopy(LittleEndian(BitConverter.GetBytes((ulong)header.Length), 0, 8), 0, result, 0, 8);
            Buffer.BlockCopy(header, 0, result, 8, header.Length);
            long pos = 8 + header.Length;
            foreach (RawTensor t in sorted)
            {
                Buffer.BlockCopy(t.Data, 0, result, (int)pos, t.Data.Length);
                pos += t.Data.Length;
            }

            return result;
        }

        private static string Quote(string s)
        {
            var j = new JsonWriter();
            j.Value(s);
            return j.ToString().TrimEnd('\n');
        }

        /// <summary>Bytes in little-endian order for BitConverter on any host.</summary>
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
