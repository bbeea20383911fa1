using System.Linq;
using QuantGen.Plan;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>The shared buffer plan on a corpus model with a multi-output layer: lifetimes and slot sharing.</summary>
    public class BufferPlanTests
    {
        [Fact]
        public void LifetimesEndAtTheLastReaderAndSlotsAreReusedOnlyAfterThat()
        {
            // x -> qkv (Dense) -> unbind (Split: q, k, v) -> rejoin (Concat of v, q, k) = graph output
            QuantizedModel q = Corpus.Quantize(Corpus.Find("split_three_concat"));
            BufferPlan b = ModelPlan.Create(q.Graph, q.Ranges).Buffers;
            Assert.Equal(new[] { "qkv_out", "q", "k", "v", "rejoin_out" }, b.Lifetimes.Select(l => l.Tensor.Name));
            BufferLifetime qkv = b.Find("qkv_out")!, qq = b.Find("q")!, out_ = b.Find("rejoin_out")!;
            Assert.Equal((0, 1), (qkv.Def, qkv.LastUse));
            Assert.Equal((1, 2), (qq.Def, qq.LastUse));
            Assert.Equal(int.MaxValue, out_.LastUse);

            // q, k and v are written while qkv_out is still read (the same layer): four distinct slots; the output reuses
            // qkv_out's slot, free since layer 1.
            Assert.Equal(4, new[] { "qkv_out", "q", "k", "v" }.Select(n => b.Find(n)!.Slot).Distinct().Count());
            Assert.Equal(qkv.Slot, out_.Slot);
            Assert.Equal(72, b.SlotSizes[out_.Slot]); // [3, 2, 12] and [3, 6, 4]

            // No two tensors that are live at the same layer share a slot.
            foreach (BufferLifetime x in b.Lifetimes)
            {
                foreach (BufferLifetime y in b.Lifetimes.Where(y => y != x && y.Slot == x.Slot))
                {
                    Assert.True(x.LastUse < y.Def || y.LastUse < x.Def, x.Tensor.Name + " and " + y.Tensor.Name);
                }
            }
        }
    }
}
