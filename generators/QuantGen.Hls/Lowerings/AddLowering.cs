using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Add (HAWQ-V3 residual): each branch rescaled to the output scale separately, then summed; broadcast by repetition.</summary>
    public sealed record AddKernel(int ALen, int BLen, string MultA, int ShiftA, string MultB, int ShiftB) : HlsKernel;

    public sealed class AddLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Add;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var add = (AddLayer)c.Spec;
            var kernel = new AddKernel(c.Inputs[0].Count, c.Inputs[1].Count, CppFormat.Lit(add.Integers.RequantA.Multiplier), add.Integers.RequantA.Shift,
                CppFormat.Lit(add.Integers.RequantB.Multiplier), add.Integers.RequantB.Shift);
            long rom = c.Inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
            HlsCost cost = HlsCost.Simple(2, 0, c.Output.Count + HlsPlanner.RequantDepth, $"E + {HlsPlanner.RequantDepth}") with { RomBits = rom };
            return new HlsLowered("add", $"{add.Name}: Add (HAWQ-V3 residual: each branch rescaled separately) of {c.Inputs[0].Count} and {c.Inputs[1].Count} elements", 1, cost, kernel);
        }
    }
}
