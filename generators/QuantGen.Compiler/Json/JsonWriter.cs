using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace QuantGen.Json
{
    /// <summary>
    /// Deterministic, human-readable JSON output: two-space indentation, "\n" newlines, arrays of scalars on
    /// one line, doubles in shortest round-trip form. Same input, byte-identical output.
    /// </summary>
    public sealed class JsonWriter
    {
        private readonly StringBuilder sb = new StringBuilder();
        private readonly Stack<bool> hasItems = new Stack<bool>();
        private bool afterName;

        public void BeginObject()
        {
            BeforeValue();
            sb.Append('{');
            hasItems.Push(false);
        }

        public void EndObject()
        {
            bool any = hasItems.Pop();
            if (any)
            {
                NewLine();
            }

            sb.Append('}');
        }

        public void BeginArray()
        {
            BeforeValue();
            sb.Append('[');
            hasItems.Push(false);
        }

        public void EndArray() => EndObjectLike(']');

        public void Name(string name)
        {
            Separator();
            NewLine();
            WriteString(name);
            sb.Append(": ");
            afterName = true;
        }

        public void Value(string value)
        {
            BeforeValue();
            WriteString(value);
        }

        public void Value(long value)
        {
            BeforeValue();
            sb.Append(value.ToString(CultureInfo.InvariantCulture));
        }

        public void Value(double value)
        {
            BeforeValue();
            sb.Append(FormatDouble(value));
        }

        public void Value(bool value)
        {
            BeforeValue();
            sb.Append(value ? "true" : "false");
        }

        public void Property(string name, string value)
        {
            Name(name);
            Value(value);
        }

        public void Property(string name, long value)
        {
            Name(name);
            Value(value);
        }

        public void Property(string name, double value)
        {
            Name(name);
            Value(value);
        }

        public void Property(string name, bool value)
        {
            Name(name);
            Value(value);
        }

        /// <summary>An array of integers on one line.</summary>
        public void Property(string name, IEnumerable<long> values) => InlineArray(name, values, v => v.ToString(CultureInfo.InvariantCulture));

        public void Property(string name, IEnumerable<int> values) => InlineArray(name, values, v => v.ToString(CultureInfo.InvariantCulture));

        public void Property(string name, IEnumerable<double> values) => InlineArray(name, values, FormatDouble);

        public void Property(string name, IEnumerable<string> values) => InlineArray(name, values, Quote);

        public override string ToString() => sb.ToString() + "\n";

        public static string FormatDouble(double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                throw new ArgumentException("JSON cannot hold NaN or infinity", nameof(value));
            }

            string s = value.ToString("R", CultureInfo.InvariantCulture);
            return s.IndexOfAny(new[] { '.', 'E', 'e' }) < 0 ? s + ".0" : s;
        }

        private void InlineArray<T>(string name, IEnumerable<T> values, Func<T, string> format)
        {
            Name(name);
            afterName = false;
            sb.Append('[');
            bool first = true;
            foreach (T v in values)
            {
                if (!first)
                {
                    sb.Append(", ");
                }

                sb.Append(format(v));
                first = false;
            }

            sb.Append(']');
        }

        private void EndObjectLike(char close)
        {
            bool any = hasItems.Pop();
            if (any)
            {
                NewLine();
            }

            sb.Append(close);
        }

        private void BeforeValue()
        {
            if (afterName)
            {
                afterName = false;
                return;
            }

            if (hasItems.Count > 0)
            {
                Separator();
                NewLine();
            }
        }

        private void Separator()
        {
            if (hasItems.Count == 0)
            {
                return;
            }

            if (hasItems.Peek())
            {
                sb.Append(',');
            }
            else
            {
                hasItems.Pop();
                hasItems.Push(true);
            }
        }

        private void NewLine()
        {
            sb.Append('\n');
            sb.Append(' ', hasItems.Count * 2);
        }

        private void WriteString(string s) => sb.Append(Quote(s));

        private static string Quote(string s)
        {
            var b = new StringBuilder(s.Length + 2);
            b.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': b.Append("\\\""); break;
                    case '\\': b.Append("\\\\"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\r': b.Append("\\r"); break;
                    case '\t': b.Append("\\t"); break;
                    default:
                        if (c < 0x20)
                        {
                            b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            b.Append(c);
                        }

                        break;
                }
            }

            b.Append('"');
            return b.ToString();
        }
    }
}
