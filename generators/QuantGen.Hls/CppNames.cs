using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace QuantGen.Hls
{
    /// <summary>C++ identifiers for model names (unique, never a keyword) and integer literal formatting.</summary>
    internal sealed class CppNames
    {
        private static readonly HashSet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
        {
            "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const", "constexpr",
            "const_cast", "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit",
            "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace",
            "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public", "register", "reinterpret_cast",
            "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch", "template", "this",
            "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
            "wchar_t", "while", "xor", "main", "hls", "std", "input", "output", "x", "b", "y", "acc", "r", "k", "o", "t", "u", "i", "j",
            "win", "oh", "ow", "ih", "iw", "ch", "nc", "n", "best", "inside", "prod", "xv", "wv",
        };

        private readonly HashSet<string> used = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>A fresh identifier based on <paramref name="wanted"/>: sanitized, not reserved, not used before.</summary>
        public string Reserve(string wanted)
        {
            string baseName = Sanitize(wanted);
            string name = baseName;
            for (int n = 2; used.Contains(name) || Reserved.Contains(name) || name.StartsWith("qg_", StringComparison.Ordinal); n++)
            {
                name = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
            }

            used.Add(name);
            return name;
        }

        public static string Sanitize(string name)
        {
            var sb = new StringBuilder();
            foreach (char c in name)
            {
                sb.Append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
            }

            string s = sb.ToString().Trim('_');
            while (s.Contains("__"))
            {
                s = s.Replace("__", "_");
            }

            if (s.Length == 0 || char.IsDigit(s[0]))
            {
                s = "t" + s;
            }

            return s;
        }

        /// <summary>An integer literal valid in any C++ expression (LL suffix beyond int).</summary>
        public static string Lit(long v)
        {
            if (v > int.MinValue && v <= int.MaxValue)
            {
                return v.ToString(CultureInfo.InvariantCulture);
            }

            return v == long.MinValue ? "(-9223372036854775807LL - 1)" : v.ToString(CultureInfo.InvariantCulture) + "LL";
        }

        /// <summary>The narrowest native C++ type that stores every value in [min, max] (for ROM arrays).</summary>
        public static string StorageType(long min, long max)
        {
            if (min >= sbyte.MinValue && max <= sbyte.MaxValue)
            {
                return "signed char";
            }

            if (min >= 0 && max <= byte.MaxValue)
            {
                return "unsigned char";
            }

            if (min >= short.MinValue && max <= short.MaxValue)
            {
                return "short";
            }

            if (min >= 0 && max <= ushort.MaxValue)
            {
                return "unsigned short";
            }

            if (min >= int.MinValue && max <= int.MaxValue)
            {
                return "int";
            }

            return "long long";
        }

        /// <summary>Values as C++ initializer lines: <paramref name="perLine"/> per line, two-space indent, comma-separated.</summary>
        public static string InitializerLines(IReadOnlyList<long> values, int perLine)
        {
            var sb = new StringBuilder(values.Count * 5);
            for (int i = 0; i < values.Count; i++)
            {
                if (i % perLine == 0)
                {
                    sb.Append("  ");
                }

                sb.Append(Lit(values[i]));
                if (i < values.Count - 1)
                {
                    sb.Append(i % perLine == perLine - 1 ? ",\n" : ", ");
                }
            }

            return sb.ToString();
        }
    }
}
