using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Cpu
{
    /// <summary>
    /// One activation buffer of the arena: the tensor that owns it (a storage root, <see cref="CpuPlan.Storage"/>), its byte
    /// offset from the arena's first 64-byte boundary, its size, and the calls (indices into Infer's call order) from the
    /// one that first writes it to the last one that reads it, both included.
    /// </summary>
    public sealed record ArenaSlot(string Tensor, int Offset, int Bytes, int First, int Last)
    {
        /// <summary>Whether the two buffers are in use during a common call (then they must not share a byte).</summary>
        public bool LiveWith(ArenaSlot o) => First <= o.Last && o.First <= Last;
    }

    /// <summary>What one call of Infer touches: the storage roots it reads and the ones it writes.</summary>
    public sealed record ArenaCall(IReadOnlyCollection<string> Reads, IReadOnlyCollection<string> Writes);

    /// <summary>
    /// Where every intermediate activation of one model instance lives: one byte arena, each buffer at an offset chosen from
    /// the liveness of its tensor over Infer's call order, so that buffers in use at the same call never overlap and the
    /// others share bytes. A buffer is live from the call that writes it to the last call that reads it (both included), so a
    /// layer's output never overlaps one of its own inputs (every kernel may read its input after writing part of its output)
    /// nor anything read later. Reads include what a layer reads besides its arguments (a fused residual Add's other operand,
    /// a fused transpose's input); graph outputs copied to the caller at the end stay live to the end.
    /// Placement: largest buffer first (ties by first use, then name), each at the lowest 64-byte aligned offset free of every
    /// placed buffer it is live with: deterministic, and every offset a multiple of 64 (no load of a buffer's first vector
    /// splits a cache line).
    /// </summary>
    public sealed class BufferArena
    {
        /// <summary>Every buffer starts on this boundary (a cache line, the widest vector).</summary>
        public const int Alignment = 64;

        private readonly Dictionary<string, ArenaSlot> byTensor;

        private BufferArena(IReadOnlyList<ArenaSlot> slots, int bytes)
        {
            Slots = slots;
            Bytes = bytes;
            byTensor = slots.ToDictionary(s => s.Tensor, StringComparer.Ordinal);
        }

        /// <summary>The buffers, in order of offset (then first use).</summary>
        public IReadOnlyList<ArenaSlot> Slots { get; }

        /// <summary>The arena's size: the end of its last buffer.</summary>
        public int Bytes { get; }

        /// <summary>What one buffer per tensor would take (each rounded up to <see cref="Alignment"/>).</summary>
        public long SeparateBytes => Slots.Sum(s => (long)Round(s.Bytes));

        /// <summary>The buffer of a storage root, or null (a graph input, or an output written straight to the caller).</summary>
        public ArenaSlot? Slot(string root) => byTensor.TryGetValue(root, out ArenaSlot? s) ? s : null;

        /// <summary>
        /// Places the buffers: <paramref name="bytes"/> gives each storage root's size, <paramref name="calls"/> Infer's calls in
        /// order, <paramref name="liveToEnd"/> the roots read after the last call (outputs copied to the caller).
        /// Roots missing from <paramref name="bytes"/> (graph inputs, outputs written in place) get no buffer.
        /// </summary>
        public static BufferArena Plan(IReadOnlyDictionary<string, int> bytes, IReadOnlyList<ArenaCall> calls, IEnumerable<string> liveToEnd)
        {
            var first = new Dictionary<string, int>(StringComparer.Ordinal);
            var last = new Dictionary<string, int>(StringComparer.Ordinal);
            void Touch(string t, int i)
            {
                if (!bytes.ContainsKey(t))
                {
                    return;
                }

                first[t] = first.TryGetValue(t, out int f) ? Math.Min(f, i) : i;
                last[t] = last.TryGetValue(t, out int l) ? Math.Max(l, i) : i;
            }

            for (int i = 0; i < calls.Count; i++)
            {
                foreach (string t in calls[i].Reads.Concat(calls[i].Writes))
                {
                    Touch(t, i);
                }
            }

            foreach (string t in liveToEnd)
            {
                Touch(t, calls.Count);
            }

            var placed = new List<ArenaSlot>();
            foreach (string t in first.Keys.OrderByDescending(t => bytes[t]).ThenBy(t => first[t]).ThenBy(t => t, StringComparer.Ordinal))
            {
                var want = new ArenaSlot(t, 0, bytes[t], first[t], last[t]);
                int offset = 0;
                foreach (ArenaSlot o in placed.Where(o => o.LiveWith(want)).OrderBy(o => o.Offset))
                {
                    if (offset + want.Bytes <= o.Offset)
                    {
                        break;
                    }

                    offset = Math.Max(offset, Round(o.Offset + o.Bytes));
                }

                placed.Add(want with { Offset = offset });
            }

            List<ArenaSlot> slots = placed.OrderBy(s => s.Offset).ThenBy(s => s.First).ToList();
            return new BufferArena(slots, slots.Count == 0 ? 0 : slots.Max(s => s.Offset + s.Bytes));
        }

        private static int Round(int b) => (b + Alignment - 1) / Alignment * Alignment;
    }
}
