using QuantGen.Hls.Plan;
using QuantGen.Operators;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// The exact HardSigmoid/HardSwish kernel (layers/hard_pwl.sbn, <see cref="PiecewiseLinear"/>): the gate's multiplier
    /// M, offset B and ceiling C, the shift s, and whether the gate multiplies d = x - z_x (HardSwish).
    /// </summary>
    public sealed record PiecewiseLinearKernel(string Multiplier, string Offset, string Ceiling, int Shift, bool Product) : HlsKernel;

    /// <summary>HardSigmoid/HardSwish on an input wider than 8 bits: the exact form in 64-bit integers, no table.</summary>
    internal static class PiecewiseLinearLowering
    {
        internal static HlsLowered Lower(HlsLayerContext c, PiecewiseLinear p)
        {
            string comment = $"{c.Spec.Name}: {c.Spec.Op}, exact piecewise-linear form ({p})";
            HlsCost cost = HlsCost.Simple(c.Output.Count * (p.Product ? 2 : 1), 0, c.Output.Count + 4, "E + 4");
            return new HlsLowered("hard_pwl", comment, 1, cost, new PiecewiseLinearKernel(CppFormat.Lit(p.Multiplier), CppFormat.Lit(p.Offset), CppFormat.Lit(p.Ceiling), p.Shift, p.Product));
        }
    }
}
