using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Add: both branches rescaled to the output scale at one common shift, summed, rounded once (ResidualAdd); broadcast by repetition.</summary>
    public sealed record AddKernel(int ALen, int BLen, string MultA, string MultB, int Shift) : HlsKernel;

    public sealed class AddLowering : ElementwiseLowering
    {
        public override OpKind Op => OpKind.Add;

        /// <summary>
        /// Streams as lanes when both inputs are activations with the output's beats (a residual Add), and also when one input
        /// is a constant broadcast over a flat (one element per beat) stream (the bias Add after an imported MatMul): its
        /// element for beat i is const[i mod len], read through a wrapping counter, so nothing is buffered.
        /// </summary>
        public override bool Streams(QuantGen.Graph.GraphNode node, System.Func<QuantGen.Graph.TensorInfo, HlsStreamLayout> layout)
        {
            if (base.Streams(node, layout))
            {
                return true;
            }

            var consts = node.Inputs.Where(t => t.Kind == QuantGen.Graph.TensorKind.Initializer).ToList();
            var acts = node.Inputs.Where(t => t.Kind != QuantGen.Graph.TensorKind.Initializer).ToList();
            HlsStreamLayout o = layout(node.Output);
            return node.Inputs.Count == 2 && consts.Count == 1 && acts.Count == 1 && o.Lanes == 1
                && acts[0].ElementCount == node.Output.ElementCount && layout(acts[0]).Lanes == 1 && layout(acts[0]).Beats == o.Beats
                && consts[0].ElementCount > 0 && node.Output.ElementCount % consts[0].ElementCount == 0;
        }

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var add = (AddLayer)c.Spec;
            (long ma, long mb, int shift) = QuantGen.Numerics.ResidualAdd.Common(add.Integers.RequantA, add.Integers.RequantB);
            var kernel = new AddKernel(c.Inputs[0].Count, c.Inputs[1].Count, CppFormat.Lit(ma), CppFormat.Lit(mb), shift);
            long rom = c.Inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
            HlsCost cost = HlsCost.Simple(2, 0, c.Output.Count + HlsPlanner.RequantDepth, $"E + {HlsPlanner.RequantDepth}") with { RomBits = rom };
            string comment = $"{add.Name}: Add (both branches at one shift, rounded once) of {c.Inputs[0].Count} and {c.Inputs[1].Count} elements";
            if (c.Native)
            {
                string value = $"qg_clamp({CppFormat.Lit(c.Output.ZeroPoint)} + qg_round_shr((qg_to_i64(xa) - ({CppFormat.Lit(c.Inputs[0].ZeroPoint)})) * {kernel.MultA} + (qg_to_i64(ba) - ({CppFormat.Lit(c.Inputs[1].ZeroPoint)})) * {kernel.MultB}, {kernel.Shift}), {CppFormat.Lit(c.Node.Output.Type.MinValue)}, {CppFormat.Lit(c.Node.Output.Type.MaxValue)})";
                int side = c.Inputs[0].IsConstant ? 0 : c.Inputs[1].IsConstant ? 1 : -1;
                LaneKernel lanes = side < 0 ? new LaneKernel(value, true) : new LaneKernel(value, true, side, c.Inputs[side].Array, c.Inputs[side].Count);
                return Lanes(c, comment, cost, value, true, HlsPlanner.RequantDepth, lanes);
            }

            return new HlsLowered("add", comment, 1, cost, kernel);
        }
    }
}
