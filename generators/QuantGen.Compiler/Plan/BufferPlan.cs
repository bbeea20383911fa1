using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.Plan
{
    /// <summary>The lifetime of one activation: written by layer <see cref="Def"/>, last read by layer <see cref="LastUse"/>.</summary>
    public sealed class BufferLifetime
    {
        internal BufferLifetime(TensorInfo tensor, int def, int lastUse, int slot)
        {
            Tensor = tensor;
            Def = def;
            LastUse = lastUse;
            Slot = slot;
        }

        public TensorInfo Tensor { get; }

        public int Def { get; }

        /// <summary>Index of the last layer reading it; int.MaxValue for a graph output (it outlives the call).</summary>
        public int LastUse { get; }

        /// <summary>The arena slot holding it; two tensors share a slot only when their lifetimes do not overlap.</summary>
        public int Slot { get; }
    }

    /// <summary>
    /// Liveness of every activation a layer writes and a slot assignment over it: a tensor is live from the layer that
    /// writes it to the last layer that reads it (inclusive: a layer's inputs and outputs never share a slot). Slots are
    /// assigned first-fit in execution order, the slot size being the largest element count it ever holds. Deterministic.
    /// </summary>
    public sealed class BufferPlan
    {
        private readonly Dictionary<string, BufferLifetime> byTensor;

        private BufferPlan(List<BufferLifetime> lifetimes, List<int> slotSizes)
        {
            Lifetimes = lifetimes;
            SlotSizes = slotSizes;
            byTensor = lifetimes.ToDictionary(l => l.Tensor.Name, StringComparer.Ordinal);
        }

        public IReadOnlyList<BufferLifetime> Lifetimes { get; }

        /// <summary>Element count of each slot.</summary>
        public IReadOnlyList<int> SlotSizes { get; }

        public BufferLifetime? Find(string tensor) => byTensor.TryGetValue(tensor, out BufferLifetime? l) ? l : null;

        internal static BufferPlan Build(ModelPlan plan)
        {
            var nodes = plan.Graph.Nodes;
            var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < nodes.Count; i++)
            {
                foreach (TensorInfo t in nodes[i].Inputs)
                {
                    lastUse[t.Name] = i;
                }
            }

            var lifetimes = new List<BufferLifetime>();
            var slotSizes = new List<int>();
            var slotFreeAfter = new List<int>();
            for (int i = 0; i < nodes.Count; i++)
            {
                foreach (TensorInfo o in nodes[i].Outputs)
                {
                    int end = plan.IsGraphOutput(o) ? int.MaxValue : (lastUse.TryGetValue(o.Name, out int u) ? u : i);
                    int slot = -1;
                    for (int s = 0; s < slotSizes.Count && slot < 0; s++)
                    {
                        if (slotFreeAfter[s] < i)
                        {
                            slot = s;
                        }
                    }

                    if (slot < 0)
                    {
                        slot = slotSizes.Count;
                        slotSizes.Add(0);
                        slotFreeAfter.Add(0);
                    }

                    slotSizes[slot] = Math.Max(slotSizes[slot], o.ElementCount);
                    slotFreeAfter[slot] = end;
                    lifetimes.Add(new BufferLifetime(o, i, end, slot));
                }
            }

            return new BufferPlan(lifetimes, slotSizes);
        }
    }
}
