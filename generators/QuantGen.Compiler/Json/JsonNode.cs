using System.Collections.Generic;
using System.Globalization;

namespace QuantGen.Json
{
    public enum JsonKind
    {
        Object,
        Array,
        String,
        Number,
        True,
        False,
        Null,
    }

    /// <summary>
    /// A parsed JSON value that remembers where it came from (line, column and JSON path), so every
    /// error about a model file can point at the offending place.
    /// </summary>
    public abstract class JsonNode
    {
        protected JsonNode(JsonKind kind, string path, int line, int column)
        {
            Kind = kind;
            Path = path;
            Line = line;
            Column = column;
        }

        public JsonKind Kind { get; }

        /// <summary>JSON path of this value, e.g. <c>$.layers[2].weight</c>.</summary>
        public string Path { get; }

        /// <summary>1-based line of the value's first character.</summary>
        public int Line { get; }

        /// <summary>1-based column of the value's first character.</summary>
        public int Column { get; }

        public string KindName => Kind switch
        {
            JsonKind.Object => "an object",
            JsonKind.Array => "an array",
            JsonKind.String => "a string",
            JsonKind.Number => "a number",
            JsonKind.True or JsonKind.False => "a boolean",
            _ => "null",
        };
    }

    public sealed class JsonObject : JsonNode
    {
        private readonly List<KeyValuePair<string, JsonNode>> members = new List<KeyValuePair<string, JsonNode>>();
        private readonly Dictionary<string, JsonNode> byName = new Dictionary<string, JsonNode>(System.StringComparer.Ordinal);

        public JsonObject(string path, int line, int column)
            : base(JsonKind.Object, path, line, column)
        {
        }

        public IReadOnlyList<KeyValuePair<string, JsonNode>> Members => members;

        public int Count => members.Count;

        /// <summary>Adds a member; returns false when the name is already present (duplicate key).</summary>
        public bool TryAdd(string name, JsonNode value)
        {
            if (byName.ContainsKey(name))
            {
                return false;
            }

            byName.Add(name, value);
            members.Add(new KeyValuePair<string, JsonNode>(name, value));
            return true;
        }

        public JsonNode? Get(string name) => byName.TryGetValue(name, out JsonNode? node) ? node : null;
    }

    public sealed class JsonArray : JsonNode
    {
        private readonly List<JsonNode> items = new List<JsonNode>();

        public JsonArray(string path, int line, int column)
            : base(JsonKind.Array, path, line, column)
        {
        }

        public IReadOnlyList<JsonNode> Items => items;

        public int Count => items.Count;

        internal void Add(JsonNode node) => items.Add(node);
    }

    public sealed class JsonString : JsonNode
    {
        public JsonString(string value, string path, int line, int column)
            : base(JsonKind.String, path, line, column)
        {
            Value = value;
        }

        public string Value { get; }
    }

    public sealed class JsonNumber : JsonNode
    {
        public JsonNumber(string text, string path, int line, int column)
            : base(JsonKind.Number, path, line, column)
        {
            Text = text;
        }

        /// <summary>The number exactly as written in the file.</summary>
        public string Text { get; }

        public bool IsInteger => Text.IndexOfAny(new[] { '.', 'e', 'E' }) < 0;

        public bool TryGetInt64(out long value) =>
            long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

        public double ToDouble() => double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public sealed class JsonLiteral : JsonNode
    {
        public JsonLiteral(JsonKind kind, string path, int line, int column)
            : base(kind, path, line, column)
        {
        }
    }
}
