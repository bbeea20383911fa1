using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Writes a full float ONNX model from a committed skeleton (an export whose large initializers have no data) and a
    /// sidecar JSON naming, per emptied initializer, its source in another ONNX file of the repository: a float initializer
    /// copied, or an integer initializer times its float32 scale (per channel along an axis), the dequantization of a QDQ
    /// export made from the same float model. samples/zoo/make_deit_skeleton.py writes DeiT-Tiny's pair; the sidecar also
    /// pins the SHA-256 of the skeleton, of the source file and of every tensor's float32 bytes, so a stale or edited
    /// input is a located QG4013, never a silently different model. The output is the skeleton's bytes with each emptied
    /// TensorProto followed by its raw_data field (protobuf field order is free): byte-identical on every run.
    /// </summary>
    public static class OnnxSkeleton
    {
        /// <summary>A skeleton, its sidecar or its source file is missing, malformed or does not match the hashes the sidecar pins.</summary>
        public const string SkeletonError = "QG4013";

        /// <summary>
        /// The full model in <paramref name="cacheDirectory"/> (named <paramref name="fileName"/>): reused when its stamp says
        /// it was written from these exact inputs and its bytes still hash to what was written; otherwise written to a
        /// temporary file and moved into place (a reader never sees half a file).
        /// </summary>
        public static string Materialize(string skeletonPath, string sidecarPath, string sourcePath, string cacheDirectory, string fileName)
        {
            byte[] skeleton = ReadAll(skeletonPath, "the skeleton");
            byte[] sidecar = ReadAll(sidecarPath, "the sidecar");
            byte[] source = ReadAll(sourcePath, "the weights' source");
            string inputs = Hex(SHA256.HashData(Concat(SHA256.HashData(skeleton), SHA256.HashData(sidecar), SHA256.HashData(source))));
            Directory.CreateDirectory(cacheDirectory);
            string path = Path.Combine(cacheDirectory, fileName);
            string stamp = path + ".sha256";
            if (File.Exists(path) && File.Exists(stamp))
            {
                string[] lines = File.ReadAllText(stamp).Split('\n');
                if (lines.Length >= 2 && lines[0] == inputs && lines[1] == Hex(SHA256.HashData(File.ReadAllBytes(path))))
                {
                    return path;
                }
            }

            byte[] model = Write(skeleton, skeletonPath, sidecar, sidecarPath, source, sourcePath);
            string tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(tmp, model);
            File.Move(tmp, path, overwrite: true);
            string stampTmp = stamp + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(stampTmp, inputs + "\n" + Hex(SHA256.HashData(model)) + "\n");
            File.Move(stampTmp, stamp, overwrite: true);
            return path;
        }

        /// <summary>The full model's bytes from the three files.</summary>
        public static byte[] Write(string skeletonPath, string sidecarPath, string sourcePath) =>
            Write(ReadAll(skeletonPath, "the skeleton"), skeletonPath, ReadAll(sidecarPath, "the sidecar"), sidecarPath, ReadAll(sourcePath, "the weights' source"), sourcePath);

        /// <summary>The full model's bytes; the paths only name the files in diagnostics.</summary>
        public static byte[] Write(byte[] skeleton, string skeletonPath, byte[] sidecar, string sidecarPath, byte[] source, string sourcePath)
        {
            List<SidecarTensor> tensors = ReadSidecar(sidecar, sidecarPath, out string skeletonHash, out string sourceHash);
            if (Hex(SHA256.HashData(skeleton)) != skeletonHash)
            {
                throw Error(skeletonPath, "skeleton", $"the skeleton's SHA-256 is {Hex(SHA256.HashData(skeleton))}, not the {skeletonHash} its sidecar {Path.GetFileName(sidecarPath)} was written for: re-run the maker (samples/zoo/make_deit_skeleton.py) so the two agree");
            }

            if (Hex(SHA256.HashData(source)) != sourceHash)
            {
                throw Error(sourcePath, "file", $"the weights' source has SHA-256 {Hex(SHA256.HashData(source))}, not the {sourceHash} the sidecar {Path.GetFileName(sidecarPath)} was written from (the QDQ file was re-made): re-run the maker so the sidecar names the new file's tensors");
            }

            OnnxModel src = OnnxReader.Read(source, sourcePath);
            Dictionary<string, OnnxTensor> inits = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
            foreach (OnnxTensor t in src.Graph!.Initializers)
            {
                inits[t.Name] = t;
            }

            string dir = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (int k = 0; k < tensors.Count; k++)
            {
                SidecarTensor t = tensors[k];
                string place = $"tensors[{k}] ('{t.Name}')";
                float[] values = Values(t, inits, dir, sourcePath, sidecarPath, place);
                byte[] bytes = new byte[values.Length * 4];
                for (int i = 0; i < values.Length; i++)
                {
                    int bits = BitConverter.SingleToInt32Bits(values[i]);
                    bytes[(4 * i) + 0] = (byte)bits;
                    bytes[(4 * i) + 1] = (byte)(bits >> 8);
                    bytes[(4 * i) + 2] = (byte)(bits >> 16);
                    bytes[(4 * i) + 3] = (byte)(bits >> 24);
                }

                string hash = Hex(SHA256.HashData(bytes));
                if (hash != t.Sha256)
                {
                    throw Error(sidecarPath, place, $"the float32 data computed from {Path.GetFileName(sourcePath)} has SHA-256 {hash}, not the {t.Sha256} the maker computed: the source or the sidecar was edited");
                }

                if (!data.TryAdd(t.Name, bytes))
                {
                    throw Error(sidecarPath, place, $"initializer '{t.Name}' is listed twice");
                }
            }

            try
            {
                var filled = new HashSet<string>(StringComparer.Ordinal);
                byte[] model = Rewrite(skeleton, 0, skeleton.Length, 7, graph => Rewrite(graph.Bytes, graph.Start, graph.End, 5, tensor => FillTensor(tensor, data, filled, skeletonPath)));
                string? missing = data.Keys.FirstOrDefault(n => !filled.Contains(n));
                if (missing != null)
                {
                    throw Error(skeletonPath, "initializer '" + missing + "'", $"the sidecar lists initializer '{missing}' but the skeleton's graph has no initializer of that name");
                }

                return model;
            }
            catch (ProtoFormatException e)
            {
                throw Error(skeletonPath, "skeleton", "corrupt protobuf: " + e.Message);
            }
        }

        private sealed class SidecarTensor
        {
            public string Name { get; set; } = string.Empty;

            public long[] Dims { get; set; } = Array.Empty<long>();

            public string From { get; set; } = string.Empty;

            public string Data { get; set; } = string.Empty;

            public string? Scale { get; set; }

            public int Axis { get; set; }

            public string Sha256 { get; set; } = string.Empty;
        }

        private readonly struct Slice
        {
            public Slice(byte[] bytes, int start, int end)
            {
                Bytes = bytes;
                Start = start;
                End = end;
            }

            public byte[] Bytes { get; }

            public int Start { get; }

            public int End { get; }
        }

        private static List<SidecarTensor> ReadSidecar(byte[] sidecar, string path, out string skeletonHash, out string sourceHash)
        {
            var list = new List<SidecarTensor>();
            try
            {
                using JsonDocument doc = JsonDocument.Parse(sidecar);
                JsonElement root = doc.RootElement;
                skeletonHash = Str(root, "skeleton_sha256", path, "$");
                sourceHash = Str(root, "source_sha256", path, "$");
                if (!root.TryGetProperty("tensors", out JsonElement ts) || ts.ValueKind != JsonValueKind.Array)
                {
                    throw Error(path, "$.tensors", "the sidecar has no \"tensors\" array");
                }

                int k = 0;
                foreach (JsonElement e in ts.EnumerateArray())
                {
                    string at = $"$.tensors[{k++}]";
                    var t = new SidecarTensor
                    {
                        Name = Str(e, "name", path, at),
                        From = Str(e, "from", path, at),
                        Data = Str(e, "data", path, at),
                        Sha256 = Str(e, "sha256", path, at),
                    };
                    if (!e.TryGetProperty("dims", out JsonElement dims) || dims.ValueKind != JsonValueKind.Array || dims.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0 || v > TensorLimits.MaxElements))
                    {
                        throw Error(path, at + ".dims", "\"dims\" must be an array of non-negative integers");
                    }

                    t.Dims = dims.EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    if (t.From == "dequantize")
                    {
                        t.Scale = Str(e, "scale", path, at);
                        if (!e.TryGetProperty("axis", out JsonElement axis) || axis.ValueKind != JsonValueKind.Number || !axis.TryGetInt32(out int a) || a < 0 || a >= Math.Max(1, t.Dims.Length))
                        {
                            throw Error(path, at + ".axis", $"\"axis\" must be an integer in [0, {Math.Max(1, t.Dims.Length) - 1}]");
                        }

                        t.Axis = a;
                    }
                    else if (t.From != "float")
                    {
                        throw Error(path, at + ".from", $"\"from\" is '{t.From}'; it must be \"float\" or \"dequantize\"");
                    }

                    list.Add(t);
                }
            }
            catch (JsonException e)
            {
                throw Error(path, "line " + ((e.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture), "the sidecar is not valid JSON: " + e.Message);
            }

            return list;
        }

        private static string Str(JsonElement e, string name, string path, string at)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out JsonElement v) || v.ValueKind != JsonValueKind.String)
            {
                throw Error(path, at + "." + name, $"\"{name}\" must be a string");
            }

            return v.GetString()!;
        }

        private static float[] Values(SidecarTensor t, Dictionary<string, OnnxTensor> inits, string dir, string sourcePath, string sidecarPath, string place)
        {
            long count = 1;
            foreach (long d in t.Dims)
            {
                count *= d;
                if (count > TensorLimits.MaxElements)
                {
                    throw Error(sidecarPath, place + ".dims", "the tensor has more elements than QuantGen reads");
                }
            }

            TensorValue data = Source(t.Data, inits, dir, sourcePath, sidecarPath, place);
            if (data.Count != count)
            {
                throw Error(sidecarPath, place, $"'{t.Data}' in {Path.GetFileName(sourcePath)} holds {data.Count} values; dims [{string.Join(", ", t.Dims)}] need {count}");
            }

            if (t.From == "float")
            {
                if (!data.IsFloat || data.DataType != OnnxDataType.Float)
                {
                    throw Error(sidecarPath, place, $"'{t.Data}' is {OnnxDataType.Name(data.DataType)}; \"from\": \"float\" copies a float tensor");
                }

                return (float[])data.Floats!.Clone();
            }

            TensorValue scale = Source(t.Scale!, inits, dir, sourcePath, sidecarPath, place);
            if (data.IsFloat || scale.DataType != OnnxDataType.Float)
            {
                throw Error(sidecarPath, place, $"dequantize needs an integer '{t.Data}' and a float scale '{t.Scale}'");
            }

            long channels = t.Dims.Length == 0 ? 1 : t.Dims[t.Axis];
            if (scale.Count != channels && scale.Count != 1)
            {
                throw Error(sidecarPath, place, $"the scale '{t.Scale}' has {scale.Count} values; axis {t.Axis} has {channels} channels");
            }

            long inner = 1;
            for (int i = t.Axis + 1; i < t.Dims.Length; i++)
            {
                inner *= t.Dims[i];
            }

            var r = new float[count];
            long[] q = data.Ints!;
            float[] s = scale.Floats!;
            for (long i = 0; i < count; i++)
            {
                // float32(q) * float32(scale), rounded once to float32: numpy's q.astype(float32) * s, ONNX DequantizeLinear with zero point 0.
                float sc = s.Length == 1 ? s[0] : s[(i / inner) % channels];
                r[i] = (float)q[i] * sc;
            }

            return r;
        }

        private static TensorValue Source(string name, Dictionary<string, OnnxTensor> inits, string dir, string sourcePath, string sidecarPath, string place)
        {
            if (!inits.TryGetValue(name, out OnnxTensor? t))
            {
                throw Error(sidecarPath, place, $"{Path.GetFileName(sourcePath)} has no initializer '{name}'");
            }

            return TensorValue.Decode(t, dir, sourcePath, "initializer '" + name + "'");
        }

        /// <summary>One TensorProto of the skeleton: unchanged, or (when the sidecar lists its name) followed by raw_data (field 9).</summary>
        private static byte[] FillTensor(Slice tensor, Dictionary<string, byte[]> data, HashSet<string> filled, string skeletonPath)
        {
            string? name = null;
            bool hasData = false;
            int pos = tensor.Start;
            while (pos < tensor.End)
            {
                (int field, int wire, int valueStart, int next) = Next(tensor.Bytes, pos, tensor.End);
                if (field == 8 && wire == 2)
                {
                    name = Encoding.UTF8.GetString(tensor.Bytes, valueStart, next - valueStart);
                }
                else if (field is 4 or 5 or 6 or 7 or 9 or 10 or 11 or 13)
                {
                    hasData = true;
                }

                pos = next;
            }

            var ms = new MemoryStream();
            ms.Write(tensor.Bytes, tensor.Start, tensor.End - tensor.Start);
            if (name != null && data.TryGetValue(name, out byte[]? raw))
            {
                if (hasData || !filled.Add(name))
                {
                    throw Error(skeletonPath, "initializer '" + name + "'", "the skeleton's initializer already holds data (or appears twice); the sidecar fills only emptied initializers");
                }

                Field(ms, 9, raw);
            }

            return ms.ToArray();
        }

        /// <summary>The message in [start, end) with every length-delimited field <paramref name="target"/> replaced by <paramref name="map"/>(its payload); other fields verbatim.</summary>
        private static byte[] Rewrite(byte[] b, int start, int end, int target, Func<Slice, byte[]> map)
        {
            var ms = new MemoryStream();
            int pos = start;
            while (pos < end)
            {
                (int field, int wire, int valueStart, int next) = Next(b, pos, end);
                if (field == target && wire == 2)
                {
                    Field(ms, field, map(new Slice(b, valueStart, next)));
                }
                else
                {
                    ms.Write(b, pos, next - pos);
                }

                pos = next;
            }

            return ms.ToArray();
        }

        /// <summary>The field at <paramref name="pos"/>: number, wire type, where its value (a length-delimited payload) starts, where the next field starts.</summary>
        private static (int Field, int Wire, int ValueStart, int Next) Next(byte[] b, int pos, int end)
        {
            ulong tag = Varint(b, ref pos, end);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (tag > uint.MaxValue || field == 0)
            {
                throw new ProtoFormatException($"a tag of {tag} at byte {pos}");
            }

            switch (wire)
            {
                case 0:
                    Varint(b, ref pos, end);
                    return (field, wire, pos, pos);
                case 1:
                    return (field, wire, pos, Need(pos, 8, end));
                case 5:
                    return (field, wire, pos, Need(pos, 4, end));
                case 2:
                    ulong len = Varint(b, ref pos, end);
                    if (len > (ulong)(end - pos))
                    {
                        throw new ProtoFormatException($"a length of {len} at byte {pos} runs past the message's end");
                    }

                    return (field, wire, pos, pos + (int)len);
                default:
                    throw new ProtoFormatException($"wire type {wire} at byte {pos} (groups and unknown wire types are not ONNX)");
            }
        }

        private static int Need(int pos, int n, int end) => end - pos >= n ? pos + n : throw new ProtoFormatException($"a fixed-width value at byte {pos} runs past the message's end");

        private static ulong Varint(byte[] b, ref int pos, int end)
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= end)
                {
                    throw new ProtoFormatException($"a varint at byte {pos} runs past the message's end");
                }

                byte x = b[pos++];
                v |= (ulong)(x & 0x7F) << shift;
                if (x < 0x80)
                {
                    return v;
                }
            }

            throw new ProtoFormatException($"a varint longer than 64 bits ends at byte {pos}");
        }

        private static void Field(Stream s, int field, byte[] payload)
        {
            WriteVarint(s, (ulong)((field << 3) | 2));
            WriteVarint(s, (ulong)payload.Length);
            s.Write(payload, 0, payload.Length);
        }

        private static void WriteVarint(Stream s, ulong v)
        {
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            s.WriteByte((byte)v);
        }

        private static byte[] ReadAll(string path, string what)
        {
            try
            {
                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw Error(path, "file", $"{what} cannot be read ({e.GetType().Name}: {e.Message})");
            }
        }

        private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

        private static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();

        private static OnnxImportException Error(string file, string place, string message) =>
            new OnnxImportException(new ModelDiagnostic(SkeletonError, message, file, place, 0, 0));
    }
}
