using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace QuantGen.Naming
{
    /// <summary>The languages names are printed in. C++ identifiers are also valid Tcl words (no spaces, brackets or $).</summary>
    public enum NameTarget
    {
        CSharp,
        Cpp,
    }

    /// <summary>
    /// Turns model names (tensor and layer names may hold '.', '-', '/', ':' and any Unicode letter) into identifiers that
    /// are valid in one target language and unique within one scope: the same key always gets the same identifier, two
    /// keys never share one. Sanitizing alone is not enough: "h.1" and "h_1", or "hé" and "hü", sanitize alike; the second
    /// one to arrive gets a numbered suffix. Allocation order decides who keeps the plain name, so callers allocate in a
    /// fixed order (the plan does: model input, then layers in execution order, then initializers in spec order).
    /// </summary>
    public sealed class IdentifierAllocator
    {
        private readonly NameTarget target;
        private readonly HashSet<string> reserved;
        private readonly HashSet<string> used = new HashSet<string>(StringComparer.Ordinal);
        private readonly Dictionary<string, string> byKey = new Dictionary<string, string>(StringComparer.Ordinal);

        public IdentifierAllocator(NameTarget target, IEnumerable<string>? reserved = null)
        {
            this.target = target;
            this.reserved = new HashSet<string>(reserved ?? Array.Empty<string>(), StringComparer.Ordinal);
        }

        public NameTarget Target => target;

        /// <summary>A copy with the same allocations, to extend with a backend's derived names.</summary>
        public IdentifierAllocator Clone()
        {
            var copy = new IdentifierAllocator(target, reserved);
            copy.used.UnionWith(used);
            foreach (KeyValuePair<string, string> kv in byKey)
            {
                copy.byKey.Add(kv.Key, kv.Value);
            }

            return copy;
        }

        /// <summary>The identifier of <paramref name="key"/>, allocated on first use from the key itself.</summary>
        public string Get(string key) => Get(key, key);

        /// <summary>
        /// The identifier of <paramref name="key"/>, allocated on first use from <paramref name="hint"/> (e.g. key
        /// "layer fc1 accumulator type", hint "fc1_acc_t"): derived names share the scope with the model's names.
        /// </summary>
        public string Get(string key, string hint)
        {
            if (byKey.TryGetValue(key, out string? id))
            {
                return id;
            }

            string baseName = Sanitize(hint, target);
            if (target == NameTarget.Cpp && (baseName.StartsWith(CppReservedPrefix, StringComparison.Ordinal) || baseName + "_" == CppReservedPrefix))
            {
                // The generated library's own names start with qg_: a model name there (or "qg", whose numbered
                // suffixes would land there) moves out of the way once, by a prefix, so the suffixes below always terminate.
                baseName = "m" + baseName;
            }

            string name = baseName;
            for (int n = 2; used.Contains(name) || reserved.Contains(name); n++)
            {
                name = baseName + "_" + n.ToString(CultureInfo.InvariantCulture);
            }

            used.Add(name);
            byKey.Add(key, name);
            return name;
        }

        /// <summary>The prefix of the HLS library's own identifiers; never given to a model name.</summary>
        public const string CppReservedPrefix = "qg_";

        /// <summary>
        /// A valid identifier in <paramref name="target"/>, before uniqueness. C#: ASCII letters, digits and '_' kept,
        /// every other character '_', a leading digit prefixed with '_' (identifiers are printed behind prefixes such as
        /// "_t_" and "Layer_"). C++: the same characters kept, runs of '_' collapsed, leading/trailing '_' trimmed (names
        /// with "__" or a leading '_' + capital are reserved to the implementation), a leading digit or an empty name
        /// prefixed with 't'.
        /// </summary>
        public static string Sanitize(string name, NameTarget target)
        {
            var sb = new StringBuilder(name.Length + 1);
            foreach (char c in name)
            {
                bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                sb.Append(keep ? c : '_');
            }

            if (target == NameTarget.CSharp)
            {
                return sb.Length == 0 || char.IsDigit(sb[0]) ? "_" + sb : sb.ToString();
            }

            string s = sb.ToString().Trim('_');
            while (s.Contains("__"))
            {
                s = s.Replace("__", "_");
            }

            return s.Length == 0 || char.IsDigit(s[0]) ? "t" + s : s;
        }
    }
}
