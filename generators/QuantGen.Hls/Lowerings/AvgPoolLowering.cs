using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Average over one axis (outer x count x inner), 1/L folded into the multiplier.</summary>
    public sealed record AvgPoolKernel(int Outer, int Inner, int Count, string Mult, int Shift) : HlsKernel;

    public sealed class AvgPoolLowering : HlsLowering
    {
        public override OpKind Op => OpKind.AvgPool;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var p = (AvgPoolLayer)c.Spec;
            int[] inShape = c.InShape;
            int outer = 1, inner = 1, count = inShape[p.Axis];
            for (int i = 0; i < p.Axis; i++)
            {
                outer *= inShape[i];
            }

            for (int i = p.Axis + 1; i < inShape.Length; i++)
            {
                inner *= inShape[i];
            }

            return new HlsLowered("avgpool", $"{p.Name}: average over axis {p.Axis} ({count} elements), 1/L folded into the multiplier", 1,
                HlsCost.Simple(1, 0, c.Inputs[0].Count + HlsPlanner.RequantDepth, $"E_in + {HlsPlanner.RequantDepth}"),
                new AvgPoolKernel(outer, inner, count, CppFormat.Lit(p.Integers.Requant.Multiplier), p.Integers.Requant.Shift));
        }
    }
}
