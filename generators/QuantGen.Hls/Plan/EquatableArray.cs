using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Hls.Plan
{
    /// <summary>
    /// An immutable list that compares by content, so plan records that hold lists stay value-equal (System.Text.Json's
    /// generator uses the same idea). Templates see it as a list (<c>for</c>, <c>.count</c>).
    /// </summary>
    public sealed class EquatableArray<T> : IReadOnlyList<T>, IEquatable<EquatableArray<T>>
    {
        private readonly T[] items;

        public EquatableArray(IEnumerable<T> items)
        {
            this.items = items.ToArray();
        }

        public static EquatableArray<T> Empty { get; } = new EquatableArray<T>(Array.Empty<T>());

        public int Count => items.Length;

        public T this[int index] => items[index];

        public bool Equals(EquatableArray<T>? other) =>
            other != null && items.AsSpan().SequenceEqual(other.items.AsSpan(), EqualityComparer<T>.Default);

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(items.Length);
            foreach (T item in items.Take(16))
            {
                h.Add(item);
            }

            return h.ToHashCode();
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();
    }

    /// <summary>Shorthand: <c>list.ToEquatable()</c>.</summary>
    public static class EquatableArray
    {
        public static EquatableArray<T> ToEquatable<T>(this IEnumerable<T> items) => new EquatableArray<T>(items);
    }
}
