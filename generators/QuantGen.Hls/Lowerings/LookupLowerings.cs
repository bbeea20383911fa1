using System.Collections.Generic;
using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// A table operator's kernel: the ROM table in parameters.h and the input type's minimum (the table's index 0); for a
    /// segmented table (int16 inputs) the segment shift k, 2^k - 1 and 2^(k-1) of the interpolation (0 otherwise).
    /// </summary>
    public sealed record LookupKernel(string Table, string Lo, int Shift, string Mask, string Half) : HlsKernel;

    /// <summary>
    /// The table operators (Tanh, Sigmoid, HardSigmoid, HardSwish): one ROM read per element, or two reads and the integer
    /// interpolation of LookupOperator for a segmented table (layers/lookup.sbn); HardSigmoid/HardSwish on int16 inputs:
    /// their exact form (layers/hard_pwl.sbn, PiecewiseLinearLowering).
    /// </summary>
    public abstract class LookupLowering : HlsLowering
    {
        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var layer = (LookupLayer)c.Spec;
            if (layer.Integers.Exact is PiecewiseLinear exact)
            {
                return PiecewiseLinearLowering.Lower(c, exact);
            }

            IReadOnlyList<int> entries = layer.Integers.Table;
            Numerics.ElementType type = c.Node.Inputs[0].Type;
            long lo = type.MinValue;
            int shift = LookupOperator.SegmentShift(type);
            string what = shift == 0
                ? $"{layer.Name}: {layer.Op} table, y = table[x - ({lo})] (computed at quantization time from the float function)"
                : $"{layer.Name}: {layer.Op} segment table, one entry every {1 << shift} inputs from {lo}, interpolated (computed at quantization time from the float function)";
            string table = c.Table("table", entries.Select(v => (long)v), what);
            HlsCost cost = shift == 0
                ? HlsCost.Simple(0, 0, c.Output.Count + 2, "E + 2") with { RomBits = (long)entries.Count * c.Output.Bits }
                : HlsCost.Simple(c.Output.Count, 0, c.Output.Count + 4, "E + 4") with { RomBits = (long)entries.Count * c.Output.Bits };
            string comment = shift == 0 ? $"{layer.Name}: {layer.Op} as a {entries.Count}-entry table" : $"{layer.Name}: {layer.Op} as a {entries.Count}-entry segment table with linear interpolation";
            return new HlsLowered("lookup", comment, 1, cost, new LookupKernel(table, CppFormat.Lit(lo), shift, CppFormat.Lit((1L << shift) - 1), CppFormat.Lit(shift == 0 ? 0 : 1L << (shift - 1))));
        }
    }

    public sealed class TanhLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Tanh;
    }

    public sealed class SigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Sigmoid;
    }

    public sealed class HardSigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSigmoid;
    }

    public sealed class HardSwishLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSwish;
    }
}
