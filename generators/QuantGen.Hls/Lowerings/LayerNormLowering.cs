using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// Integer LayerNorm over rows of <see cref="C"/> channels (IntLayerNorm.Row): the folded epsilon, the channel factor
    /// g = Isqrt(2^62 / C) and the per-channel requantization tables.
    /// </summary>
    public sealed record LayerNormKernel(int Rows, int C, long VarianceOffset, long ChannelFactor, string MultTable, string ShiftTable, string ZpTable, string? FractionTable = null, int VarianceShift = 0, int RowShiftBase = 30) : HlsKernel;

    public sealed class LayerNormLowering : HlsLowering
    {
        public override OpKind Op => OpKind.LayerNorm;

        /// <summary>Flat streams in and out: one row buffered at a time (io_stream), not the whole tensor.</summary>
        public override bool Streams(GraphNode node, System.Func<TensorInfo, HlsStreamLayout> layout) => !layout(node.Inputs[0]).Packed && !layout(node.Output).Packed;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var ln = (LayerNormLayer)c.Spec;
            int last = c.Last, rows = c.Inputs[0].Count / last;
            long zo = c.Output.ZeroPoint;
            string mult = c.Table("multiplier", ln.Integers.Requant.Select(q => (long)q.Multiplier), $"{ln.Name}: per-channel multipliers (gamma and the output scale folded in)");
            string shift = c.Table("shift", ln.Integers.Requant.Select(q => (long)q.Shift), $"{ln.Name}: per-channel shifts");
            string zp = c.Table("zero_point", ln.Integers.Biases.Select(b => zo + b), $"{ln.Name}: output zero point plus the folded beta, per channel");
            string? fraction = ln.Integers.HasBiasFractions
                ? c.Table("bias_fraction", ln.Integers.BiasFractions, $"{ln.Name}: the rest of beta below one output LSB at each channel's shift (rounded once with the product)")
                : null;
            HlsCost cost = HlsCost.Simple(3, 1, (long)rows * ((3L * last) + HlsPlanner.IsqrtCycles + HlsPlanner.DividerCycles + 8),
                $"rows x (3 C + {HlsPlanner.IsqrtCycles} + {HlsPlanner.DividerCycles} + 8)") with { RomBits = (long)last * (32 + 6 + 32 + (fraction is null ? 0 : 32)) };
            var l = new HlsLowered("layernorm", $"{ln.Name}: integer LayerNorm (exact sums, bit-by-bit isqrt, 30-bit reciprocal) over rows of {last}", 1, cost, new LayerNormKernel(rows, last, ln.Integers.VarianceOffset, IntLayerNorm.ChannelFactor(last), mult, shift, zp, fraction, ln.Integers.VarianceShift, 30 - (ln.Integers.VarianceShift / 2)));
            return c.Native ? RowStream.Of(l, c) : l;
        }
    }
}
