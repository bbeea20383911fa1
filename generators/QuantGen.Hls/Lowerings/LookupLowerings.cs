using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>A table operator's kernel: the ROM table in parameters.h and the input type's minimum (the table's index 0).</summary>
    public sealed record LookupKernel(string Table, string Lo) : HlsKernel;

    /// <summary>The table operators (Tanh, Sigmoid, HardSigmoid, HardSwish): one ROM read per element (layers/lookup.sbn).</summary>
    public abstract class LookupLowering : HlsLowering
    {
        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var layer = (LookupLayer)c.Spec;
            long lo = c.Node.Inputs[0].Type.MinValue;
            string table = c.Table("table", System.Linq.Enumerable.Select(layer.Table!, v => (long)v), $"{layer.Name}: {layer.Op} table, y = table[x - ({lo})] (computed at quantization time from the float function)");
            HlsCost cost = HlsCost.Simple(0, 0, c.Output.Count + 2, "E + 2") with { RomBits = (long)layer.Table!.Length * c.Output.Bits };
            return new HlsLowered("lookup", $"{layer.Name}: {layer.Op} as a {layer.Table.Length}-entry table", 1, cost, new LookupKernel(table, CppFormat.Lit(lo)));
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
