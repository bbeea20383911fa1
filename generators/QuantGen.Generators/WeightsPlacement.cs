using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Json;

namespace QuantGen.Generators
{
    /// <summary>
    /// Where a model's weight blobs live in the generated code (docs/generator.md, "Weights"): the CPU blob s_blob and the
    /// GPU session's int8 weights buffer, both from the same resource. In a build with
    /// QuantGen.Generators.targets (it embeds the weights) and above <see cref="InlineLimit"/> bytes: no weights in literals; the blob is
    /// rebuilt at first use from the embedded resource QuantGen.Weights.&lt;sha256&gt;.safetensors by a recipe (Rows,
    /// Quads, Copy of initializers as stored, plus literals for the sections that are not stored as they are: lookup
    /// tables, repacked convolution weights). When those literals exceed <see cref="MaxLiteralBytes"/> the model cannot
    /// be compiled: QG2014 instead of CS8103. Otherwise (an in-memory compilation of a small model): a base64 literal.
    /// </summary>
    internal sealed class WeightsPlacement
    {
        /// <summary>Blobs up to this size stay base64 literals (well below the 16 MiB user-string heap).</summary>
        public const int InlineLimit = 2 << 20;

        /// <summary>Literal bytes a recipe may carry (base64: 4/3 chars each, UTF-16 in the user-string heap).</summary>
        public const int MaxLiteralBytes = 4 << 20;

        private const int LiteralChunk = 1 << 16;
        private readonly string className;
        private readonly ModelGraph graph;
        private readonly byte[] raw;
        private readonly string sha256;

        private readonly bool embedded;

        /// <param name="embedded">The build embeds the weights as a resource (QuantGenWeightsEmbedded): every blob uses it.</param>
        public WeightsPlacement(string className, ModelGraph graph, byte[] raw, string sha256, bool embedded)
        {
            this.embedded = embedded;
            this.className = className;
            this.graph = graph;
            this.raw = raw;
            this.sha256 = sha256;
        }

        /// <summary>Bytes left in string literals by the blobs placed in the resource so far.</summary>
        public long LiteralBytes { get; private set; }

        /// <summary>Whether some blob of the model was placed in the resource (then every literal of the model counts).</summary>
        public bool Placed { get; private set; }

        public BlobInitializer Initializer => Place;

        private string? Place(byte[] blob, IReadOnlyList<BlobSegment> segments)
        {
            if ((!embedded && blob.Length <= InlineLimit) || sha256.Length == 0 || raw.Length < 8)
            {
                return null;
            }

            Placed = true;
            Dictionary<string, (string Dtype, long Start, long End)> stored = Header();
            var byArray = new Dictionary<int[], string>(ReferenceComparer.Instance);
            foreach (TensorInfo t in graph.Tensors.Values)
            {
                if (t.IntData != null && !byArray.ContainsKey(t.IntData))
                {
                    byArray.Add(t.IntData, t.Name);
                }
            }

            var recipe = new List<long>();
            var covered = new bool[blob.Length];
            foreach (BlobSegment s in segments)
            {
                if (!byArray.TryGetValue(s.Source, out string? name) || !stored.TryGetValue(name, out var st))
                {
                    continue;
                }

                long count = (long)s.N * (s.Kind == BlobSegmentKind.Ints ? 4 : s.K);
                bool int8 = s.Kind != BlobSegmentKind.Ints && st.Dtype == "I8" && st.End - st.Start == count;
                bool int32 = s.Kind == BlobSegmentKind.Ints && st.Dtype == "I32" && st.End - st.Start == count;
                if (!int8 && !int32)
                {
                    continue;
                }

                recipe.AddRange(s.Kind switch
                {
                    BlobSegmentKind.Rows => new long[] { 1, s.Offset, st.Start, s.N, s.K, s.Pad },
                    BlobSegmentKind.Quads => new long[] { 2, s.Offset, st.Start, s.N, s.K, s.Pad },
                    BlobSegmentKind.Transposed => new long[] { 4, s.Offset, st.Start, s.N, s.K, 0 },
                    _ => new long[] { 3, s.Offset, st.Start, count, 0, 0 },
                });
                for (int i = s.Offset; i < s.Offset + s.Length; i++)
                {
                    covered[i] = true;
                }
            }

            // Everything else (and any non-zero byte a recipe step does not write) as literal chunks.
            var literals = new List<string>();
            for (int i = 0; i < blob.Length;)
            {
                if (covered[i] || blob[i] == 0)
                {
                    i++;
                    continue;
                }

                int start = i;
                while (i < blob.Length && !covered[i] && i - start < LiteralChunk)
                {
                    i++;
                }

                recipe.AddRange(new long[] { 0, start, literals.Count, 0, 0, 0 });
                literals.Add(Convert.ToBase64String(blob, start, i - start));
                LiteralBytes += i - start;
            }

            var sb = new StringBuilder();
            sb.Append("global::QuantGen.Generation.WeightResources.BuildBlob(typeof(").Append(className).Append(").Assembly, \"").Append(sha256).Append("\", ")
                .Append(raw.Length.ToString(CultureInfo.InvariantCulture)).Append("L, ").Append(blob.Length.ToString(CultureInfo.InvariantCulture)).Append(",\n        new long[] { ");
            sb.Append(string.Join(", ", recipe.Select(v => v.ToString(CultureInfo.InvariantCulture))));
            sb.Append(" },\n        new string[] { ");
            sb.Append(string.Join(", ", literals.Select(l => "\"" + l + "\"")));
            sb.Append(" })");
            return sb.ToString();
        }

        /// <summary>Tensor name -> dtype and absolute byte range in the safetensors file (already validated by the loader).</summary>
        private Dictionary<string, (string, long, long)> Header()
        {
            var result = new Dictionary<string, (string, long, long)>(StringComparer.Ordinal);
            long n = BitConverter.ToInt64(raw, 0);
            string json = Encoding.UTF8.GetString(raw, 8, (int)n);
            if (JsonParser.Parse(json) is JsonObject root)
            {
                foreach (KeyValuePair<string, JsonNode> m in root.Members)
                {
                    if (m.Value is JsonObject t && t.Get("dtype") is JsonString dtype && t.Get("data_offsets") is JsonArray offsets && offsets.Count == 2 &&
                        offsets.Items[0] is JsonNumber b && b.TryGetInt64(out long begin) && offsets.Items[1] is JsonNumber e && e.TryGetInt64(out long end))
                    {
                        result[m.Key] = (dtype.Value, 8 + n + begin, 8 + n + end);
                    }
                }
            }

            return result;
        }

        private sealed class ReferenceComparer : IEqualityComparer<int[]>
        {
            public static readonly ReferenceComparer Instance = new ReferenceComparer();

            public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y);

            public int GetHashCode(int[] obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
