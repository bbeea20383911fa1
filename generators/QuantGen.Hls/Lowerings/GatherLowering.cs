using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Gather with static indices: one box per index, block copies of contiguous slabs, through the strided-copy template (layers/strided_copy.sbn).</summary>
    public sealed class GatherLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Gather;
    }
}
