using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Average over one axis (outer x count x inner), 1/L folded into the multiplier.</summary>
    public sealed record AvgPoolKernel(int Outer, int Inner, int Count, string Mult, int Shift, string SumType) : HlsKernel;

    public sealed class AvgPoolLowering : HlsLowering
    {
        public override OpKind Op => OpKind.AvgPool;

        /// <summary>A global pool over the positions of a pixel stream ([N, C, L], axis 2): C sums per beat.</summary>
        public override bool Streams(QuantGen.Graph.GraphNode node, System.Func<QuantGen.Graph.TensorInfo, HlsStreamLayout> layout) =>
            ((AvgPoolLayer)node.Layer).Axis == 2 && node.Inputs[0].Shape.Length == 3 && layout(node.Inputs[0]).Packed
            && layout(node.Inputs[0]).Lanes == node.Inputs[0].Shape[1] && layout(node.Output).Lanes == node.Inputs[0].Shape[1];

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

            string comment = $"{p.Name}: average over axis {p.Axis} ({count} elements), 1/L folded into the multiplier";
            if (!c.Native)
            {
                return new HlsLowered("avgpool", comment, 1, HlsCost.Simple(1, 0, c.Inputs[0].Count + HlsPlanner.RequantDepth, $"E_in + {HlsPlanner.RequantDepth}"),
                    new AvgPoolKernel(outer, inner, count, CppFormat.Lit(p.Integers.Requant.Multiplier), p.Integers.Requant.Shift, string.Empty));
            }

            // io_stream: the sum of L values of x - zx, each in the input's proven range.
            HlsTensor x = c.Inputs[0];
            var sum = new IntRange(System.Math.Min(0, (x.Min - x.ZeroPoint) * count), System.Math.Max(0, (x.Max - x.ZeroPoint) * count));
            string sumType = c.Type("sum_t", sum, "sum of a channel over the pooled positions");
            HlsStreamLayout il = c.InLayouts[0];
            long cycles = (long)il.Beats + HlsPlanner.RequantDepth;
            return new HlsLowered("avgpool_stream", comment, 1,
                HlsCost.Simple(inner, 0, cycles, $"beats + {HlsPlanner.RequantDepth} = {il.Beats} + {HlsPlanner.RequantDepth} ({il.Lanes} channels per cycle)"),
                new AvgPoolKernel(outer, inner, count, CppFormat.Lit(p.Integers.Requant.Multiplier), p.Integers.Requant.Shift, sumType), count, 0);
        }
    }
}
