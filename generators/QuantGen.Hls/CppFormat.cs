using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace QuantGen.Hls
{
    /// <summary>
    /// How values are written in C++: integer literals, the narrowest ROM storage type, initializer lines, and model names
    /// inside comments. Identifiers come from the plan's allocator (<see cref="QuantGen.Plan.PlanNames"/>), not from here.
    /// </summary>
    public static class CppFormat
    {
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

        /// <summary>A model-supplied name as it may appear in a // comment or a Markdown table: no line breaks, no pipes.</summary>
        public static string CommentSafe(string name) =>
            new string(name.Select(c => c < ' ' || c == '|' || c == '`' ? '?' : c).ToArray());

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
