// .NET Framework 4.7.2 lacks a few APIs that the HLS generator and runtime sources (compiled into the net472 task) use.
// Only what those sources call; internal, so nothing leaks to other assemblies.
using System.Collections.Generic;

namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}

namespace System
{
    /// <summary>A hash combiner with System.HashCode's shape (Add, ToHashCode); not randomised, which nothing here needs.</summary>
    internal struct HashCode
    {
        private int hash;
        private bool started;

        public void Add<T>(T value)
        {
            int h = value is null ? 0 : EqualityComparer<T>.Default.GetHashCode(value);
            hash = started ? unchecked((hash * -1521134295) + h) : h;
            started = true;
        }

        public readonly int ToHashCode() => hash;
    }

    internal static class SpanPolyfills
    {
        /// <summary>MemoryExtensions.SequenceEqual with a comparer (.NET 5+).</summary>
        public static bool SequenceEqual<T>(this Span<T> a, ReadOnlySpan<T> b, IEqualityComparer<T>? comparer)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            comparer ??= EqualityComparer<T>.Default;
            for (int i = 0; i < a.Length; i++)
            {
                if (!comparer.Equals(a[i], b[i]))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
