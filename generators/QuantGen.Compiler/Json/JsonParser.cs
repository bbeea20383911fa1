using System;
using System.Globalization;
using System.Text;

namespace QuantGen.Json
{
    /// <summary>A JSON syntax error with its 1-based line and column.</summary>
    public sealed class JsonParseException : Exception
    {
        public JsonParseException(string message, int line, int column)
            : base(message)
        {
            Line = line;
            Column = column;
        }

        public int Line { get; }

        public int Column { get; }
    }

    /// <summary>
    /// Strict RFC 8259 parser producing <see cref="JsonNode"/>s with positions and paths. Dependency-free
    /// (the compiler core runs inside the Roslyn generator). Nesting depth and string length are bounded so
    /// a hostile file cannot exhaust the stack or memory.
    /// </summary>
    public sealed class JsonParser
    {
        public const int MaxDepth = 64;

        private readonly string text;
        private int pos;
        private int line = 1;
        private int lineStart;

        private JsonParser(string text)
        {
            this.text = text;
        }

        public static JsonNode Parse(string text)
        {
            var parser = new JsonParser(text);
            parser.SkipWhitespace();
            if (parser.pos == 0 && text.Length > 0 && text[0] == '\uFEFF')
            {
                parser.pos = 1;
                parser.lineStart = 1;
                parser.SkipWhitespace();
            }

            JsonNode root = parser.ParseValue("$", 0);
            parser.SkipWhitespace();
            if (parser.pos < text.Length)
            {
                throw parser.Error("unexpected text after the end of the JSON document");
            }

            return root;
        }

        private int Column => pos - lineStart + 1;

        private JsonParseException Error(string message) => new JsonParseException(message, line, Column);

        private void SkipWhitespace()
        {
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c == '\n')
                {
                    line++;
                    pos++;
                    lineStart = pos;
                }
                else if (c == ' ' || c == '\t' || c == '\r')
                {
                    pos++;
                }
                else
                {
                    break;
                }
            }
        }

        private JsonNode ParseValue(string path, int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error($"nesting deeper than {MaxDepth} levels");
            }

            if (pos >= text.Length)
            {
                throw Error("unexpected end of file, expected a value");
            }

            int startLine = line;
            int startColumn = Column;
            char c = text[pos];
            switch (c)
            {
                case '{':
                    return ParseObject(path, depth, startLine, startColumn);
                case '[':
                    return ParseArray(path, depth, startLine, startColumn);
                case '"':
                    return new JsonString(ParseString(), path, startLine, startColumn);
                case 't':
                    ExpectWord("true");
                    return new JsonLiteral(JsonKind.True, path, startLine, startColumn);
                case 'f':
                    ExpectWord("false");
                    return new JsonLiteral(JsonKind.False, path, startLine, startColumn);
                case 'n':
                    ExpectWord("null");
                    return new JsonLiteral(JsonKind.Null, path, startLine, startColumn);
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return new JsonNumber(ParseNumber(), path, startLine, startColumn);
                    }

                    throw Error($"unexpected character '{Printable(c)}', expected a value");
            }
        }

        private JsonObject ParseObject(string path, int depth, int startLine, int startColumn)
        {
            var obj = new JsonObject(path, startLine, startColumn);
            pos++;
            SkipWhitespace();
            if (Peek() == '}')
            {
                pos++;
                return obj;
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw Error("expected a member name in double quotes");
                }

                int keyLine = line;
                int keyColumn = Column;
                string key = ParseString();
                SkipWhitespace();
                if (Peek() != ':')
                {
                    throw Error("expected ':' after the member name");
                }

                pos++;
                SkipWhitespace();
                JsonNode value = ParseValue(MemberPath(path, key), depth + 1);
                if (!obj.TryAdd(key, value))
                {
                    throw new JsonParseException($"duplicate member \"{key}\" in {path}", keyLine, keyColumn);
                }

                SkipWhitespace();
                char c = Peek();
                if (c == ',')
                {
                    pos++;
                    continue;
                }

                if (c == '}')
                {
                    pos++;
                    return obj;
                }

                throw Error("expected ',' or '}' in an object");
            }
        }

        private JsonArray ParseArray(string path, int depth, int startLine, int startColumn)
        {
            var array = new JsonArray(path, startLine, startColumn);
            pos++;
            SkipWhitespace();
            if (Peek() == ']')
            {
                pos++;
                return array;
            }

            while (true)
            {
                SkipWhitespace();
                array.Add(ParseValue(path + "[" + array.Count.ToString(CultureInfo.InvariantCulture) + "]", depth + 1));
                SkipWhitespace();
                char c = Peek();
                if (c == ',')
                {
                    pos++;
                    continue;
                }

                if (c == ']')
                {
                    pos++;
                    return array;
                }

                throw Error("expected ',' or ']' in an array");
            }
        }

        private char Peek() => pos < text.Length ? text[pos] : '\0';

        private void ExpectWord(string word)
        {
            if (string.CompareOrdinal(text, pos, word, 0, word.Length) != 0)
            {
                throw Error($"invalid literal, expected '{word}'");
            }

            pos += word.Length;
        }

        private string ParseNumber()
        {
            int start = pos;
            if (Peek() == '-')
            {
                pos++;
            }

            if (Peek() == '0')
            {
                pos++;
            }
            else if (IsDigit(Peek()))
            {
                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }
            else
            {
                throw Error("invalid number");
            }

            if (Peek() == '.')
            {
                pos++;
                if (!IsDigit(Peek()))
                {
                    throw Error("invalid number: digits expected after '.'");
                }

                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }

            if (Peek() == 'e' || Peek() == 'E')
            {
                pos++;
                if (Peek() == '+' || Peek() == '-')
                {
                    pos++;
                }

                if (!IsDigit(Peek()))
                {
                    throw Error("invalid number: digits expected in the exponent");
                }

                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }

            if (pos - start > 64)
            {
                throw Error("number literal longer than 64 characters");
            }

            string s = text.Substring(start, pos - start);
            double d = double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(d))
            {
                throw Error("number out of the range of a double");
            }

            return s;
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private string ParseString()
        {
            pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length)
                {
                    throw Error("unterminated string");
                }

                char c = text[pos];
                if (c == '"')
                {
                    pos++;
                    return sb.ToString();
                }

                if (c < 0x20)
                {
                    throw Error("control character inside a string (escape it)");
                }

                if (c == '\\')
                {
                    pos++;
                    char e = Peek();
                    pos++;
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (pos + 4 > text.Length ||
                                !int.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                            {
                                throw Error("invalid \\u escape");
                            }

                            sb.Append((char)code);
                            pos += 4;
                            break;
                        default:
                            pos -= 2;
                            throw Error("invalid escape sequence");
                    }

                    continue;
                }

                sb.Append(c);
                pos++;
            }
        }

        internal static string MemberPath(string parent, string key)
        {
            bool simple = key.Length > 0 && (char.IsLetter(key[0]) || key[0] == '_');
            for (int i = 0; simple && i < key.Length; i++)
            {
                char c = key[i];
                simple = char.IsLetterOrDigit(c) || c == '_';
            }

            return simple ? parent + "." + key : parent + "[\"" + key.Replace("\"", "\\\"") + "\"]";
        }

        private static string Printable(char c) => c < 0x20 || c > 0x7e ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString();
    }
}
