using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// The CPU plan's activation arena (CpuPlan.Arena) on every corpus model: each buffer is in use at every call that touches
    /// its tensor, buffers in use at the same call never share a byte, offsets are 64-byte aligned and inside the arena.
    /// Bit-exactness of the code that uses it is the conformance runs' (every case, every SIMD path).
    /// </summary>
    public class ArenaPlanTests
    {
        public static IEnumerable<object[]> Cases => Corpus.Cases.Select(c => new object[] { c.Name });

        [Theory]
        [MemberData(nameof(Cases))]
        public void EveryBufferIsLiveWhereItIsTouchedAndLiveBuffersAreDisjoint(string name)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            CpuPlan plan = Plan(q);
            BufferArena arena = plan.Arena;
            ModelGraph graph = q.Graph;

            // Touched by call i: the node's activation operands, what it reads besides them, its outputs.
            List<GraphNode> calls = plan.CallOrder(graph.Nodes).ToList();
            for (int i = 0; i < calls.Count; i++)
            {
                GraphNode node = calls[i];
                IEnumerable<TensorInfo> touched = node.Inputs.Where(t => t.Kind == TensorKind.Activation).Concat(plan.ExtraReads(node)).Concat(node.Outputs);
                foreach (TensorInfo t in touched)
                {
                    ArenaSlot? s = arena.Slot(plan.Storage(t.Name));
                    bool inPlace = plan.OutputInPlace && plan.Storage(t.Name) == graph.Output.Name;
                    Assert.True(s != null || inPlace, $"{name}: {t.Name} (call {i}) has no buffer");
                    if (s != null)
                    {
                        Assert.True(s.First <= i && i <= s.Last, $"{name}: {t.Name} touched by call {i} but live {s.First}-{s.Last}");
                        Assert.True(t.ElementCount * CSharp.Size(t.Type) <= s.Bytes, $"{name}: {t.Name} larger than its buffer");
                    }
                }
            }

            // Outputs copied to the caller after the last call stay live to the end.
            foreach (TensorInfo o in graph.Outputs)
            {
                ArenaSlot? s = arena.Slot(plan.Storage(o.Name));
                Assert.True(s == null ? plan.OutputInPlace : s.Last == calls.Count, $"{name}: output {o.Name}");
            }

            foreach (ArenaSlot a in arena.Slots)
            {
                Assert.Equal(0, a.Offset % BufferArena.Alignment);
                Assert.InRange(a.Offset + a.Bytes, a.Bytes, arena.Bytes);
                foreach (ArenaSlot b in arena.Slots.Where(b => !ReferenceEquals(a, b)))
                {
                    bool together = a.First <= b.Last && b.First <= a.Last;
                    bool shareBytes = a.Offset < b.Offset + b.Bytes && b.Offset < a.Offset + a.Bytes;
                    Assert.False(together && shareBytes, $"{name}: {a.Tensor} ({a.Offset}+{a.Bytes}, calls {a.First}-{a.Last}) and {b.Tensor} ({b.Offset}+{b.Bytes}, calls {b.First}-{b.Last})");
                }
            }
        }

        [Fact]
        public void BuffersNoLongerReadGiveTheirBytesToLaterOnes()
        {
            // x -> qkv (Dense) -> unbind (Split: q, k, v) -> rejoin (Concat of v, q, k), the output written straight to the
            // caller: q, k and v are written while qkv_out is read, four buffers that never share a byte.
            CpuPlan split = Plan(Corpus.Quantize(Corpus.Find("split_three_concat")));
            Assert.True(split.OutputInPlace);
            Assert.Null(split.Arena.Slot("rejoin_out"));
            Assert.Equal(4, new[] { "qkv_out", "q", "k", "v" }.Select(t => split.Arena.Slot(t)!.Offset).Distinct().Count());
            Assert.Equal((0, 1), (split.Arena.Slot("qkv_out")!.First, split.Arena.Slot("qkv_out")!.Last));

            // Two residual blocks: the stem's 1,600 bytes are free once block 1's Add has read them, and later buffers take them.
            BufferArena arena = Plan(Corpus.Quantize(Corpus.Find("conv_residual_fused_store"))).Arena;
            ArenaSlot stem = arena.Slot("stem_out")!;
            Assert.Equal(1600, stem.Bytes);
            Assert.Contains(arena.Slots, s => s.First > stem.Last && s.Offset < stem.Offset + stem.Bytes && stem.Offset < s.Offset + s.Bytes);
            Assert.True(arena.Bytes < arena.SeparateBytes, $"{arena.Bytes} vs {arena.SeparateBytes}");
        }

        [Fact]
        public void AFusedResidualAddKeepsTheShortcutAndTheConvInputLiveUntilTheConvRuns()
        {
            // The fused conv runs where its Add stood; the Add's other operand and the conv's own input are read there.
            CpuPlan plan = Plan(Corpus.Quantize(Corpus.Find("conv_residual_fused_store")));
            List<GraphNode> calls = plan.CallOrder(plan.Model.Graph.Nodes).ToList();
            Assert.Equal(2, plan.FusedAdds.Count);
            foreach (ResidualFusion f in plan.FusedAdds)
            {
                int at = calls.IndexOf(f.Conv);
                Assert.True(at >= 0);
                Assert.True(plan.Arena.Slot(plan.Storage(f.Other.Name))!.Last >= at);
                TensorInfo x = f.Conv.Inputs[0];
                if (x.Kind == TensorKind.Activation)
                {
                    Assert.True(plan.Arena.Slot(plan.Storage(x.Name))!.Last >= at);
                }
            }
        }

        private static CpuPlan Plan(QuantizedModel q)
        {
            var missing = new List<MissingLowering>();
            CpuPlan? plan = CpuPlan.Create(ModelPlan.Create(q.Graph, q.Ranges), CpuLowering.Registry, missing);
            Assert.Empty(missing);
            return plan!;
        }
    }
}
