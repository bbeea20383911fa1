using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Mul: the exact product of the shifted operands, one dyadic (layers/mul.sbn); broadcast by repetition.</summary>
    public sealed record MulKernel(int ALen, int BLen, string Mult, int Shift) : HlsKernel;

    public sealed class MulLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Mul;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var mul = (MulLayer)c.Spec;
            long rom = c.Inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
            HlsCost cost = HlsCost.Simple(2, 0, c.Output.Count + HlsPlanner.RequantDepth, $"E + {HlsPlanner.RequantDepth}") with { RomBits = rom };
            return new HlsLowered("mul", $"{mul.Name}: element-wise Mul of {c.Inputs[0].Count} and {c.Inputs[1].Count} elements (one dyadic on the exact product)", 1, cost,
                new MulKernel(c.Inputs[0].Count, c.Inputs[1].Count, CppFormat.Lit(mul.Integers.Requant.Multiplier), mul.Integers.Requant.Shift));
        }
    }

    /// <summary>Sub: Add's one-rounding rule with the second branch subtracted (layers/sub.sbn).</summary>
    public sealed record SubKernel(int ALen, int BLen, string MultA, string MultB, int Shift) : HlsKernel;

    public sealed class SubLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Sub;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var sub = (SubLayer)c.Spec;
            long rom = c.Inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
            HlsCost cost = HlsCost.Simple(2, 0, c.Output.Count + HlsPlanner.RequantDepth, $"E + {HlsPlanner.RequantDepth}") with { RomBits = rom };
            (long ma, long mb, int shift) = QuantGen.Numerics.ResidualAdd.Common(sub.Integers.RequantA, sub.Integers.RequantB);
            return new HlsLowered("sub", $"{sub.Name}: element-wise Sub of {c.Inputs[0].Count} and {c.Inputs[1].Count} elements (both branches at one shift, rounded once)", 1, cost,
                new SubKernel(c.Inputs[0].Count, c.Inputs[1].Count, CppFormat.Lit(ma), CppFormat.Lit(mb), shift));
        }
    }
}
