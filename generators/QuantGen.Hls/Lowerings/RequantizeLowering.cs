using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// Requantize: one box, every element clamp(z_out + RoundShift((x - z_in) * m, s)), through the strided-copy template
    /// (layers/strided_copy.sbn); in io_stream, when input and output beats match, it is an element-wise lane kernel
    /// (layers/elementwise_stream.sbn) that buffers nothing (DeiT's attention scale, a Mul by 0.125).
    /// </summary>
    public sealed class RequantizeLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Requantize;

        public override bool Streams(GraphNode node, System.Func<TensorInfo, HlsStreamLayout> layout)
        {
            HlsStreamLayout i = layout(node.Inputs[0]), o = layout(node.Output);
            return node.Inputs.Count == 1 && node.Inputs[0].Kind != TensorKind.Initializer && node.Inputs[0].ElementCount == node.Output.ElementCount
                && i.Lanes == o.Lanes && i.Beats == o.Beats;
        }

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            if (!c.Native)
            {
                return base.Lower(c);
            }

            IReadOnlyList<StridedCopy>? copies = DataMovement.Plan(c.Node);
            if (copies == null || copies.Count != 1)
            {
                c.Error(HlsErrors.UnsupportedModel, $"layer \"{c.Spec.Name}\": operator {c.Spec.Op} has no data-movement plan");
                return null;
            }

            StridedCopy copy = copies[0];
            string value = copy.Requant == null
                ? "xa"
                : $"qg_requantize(xa - ({CppFormat.Lit(c.Inputs[0].ZeroPoint)}), {CppFormat.Lit(copy.Requant.Value.Multiplier)}, {copy.Requant.Value.Shift}, {CppFormat.Lit(c.Output.ZeroPoint)}, {CppFormat.Lit(c.Node.Output.Type.MinValue)}, {CppFormat.Lit(c.Node.Output.Type.MaxValue)})";
            string comment = CppFormat.CommentSafe($"{c.Spec.Name}: Requantize {c.Output.Count} elements (zero point {c.Inputs[0].ZeroPoint} -> {c.Output.ZeroPoint})");
            HlsCost cost = HlsCost.Simple(copy.Requant == null ? 0 : 1, 0, c.Output.Count + HlsPlanner.RequantDepth, $"E + {HlsPlanner.RequantDepth}");
            return new HlsLowered("elementwise_stream", comment, 1,
                cost with { Latency = c.OutLayouts[0].Beats + HlsPlanner.RequantDepth, Formula = $"beats + {HlsPlanner.RequantDepth} = {c.OutLayouts[0].Beats} + {HlsPlanner.RequantDepth} ({c.OutLayouts[0].Lanes} elements per cycle)" },
                new LaneKernel(value, false), 1, 0);
        }
    }
}
