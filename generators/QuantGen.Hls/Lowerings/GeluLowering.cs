using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>ShiftGELU (I-ViT), element-wise with m = max(x, 0).</summary>
    public sealed record ShiftGeluKernel(string Mult, int Shift, string X0, int Nn, int ExpBits, int DivBits) : HlsKernel;

    /// <summary>I-BERT i-GELU, element-wise.</summary>
    public sealed record IBertGeluKernel(string Mult, int Shift, string QB, string QC, string QOne) : HlsKernel;

    public sealed class GeluLowering : ElementwiseLowering
    {
        /// <summary>The sigmoid's divider: 2^31 - 1 over ea + eb, each ShiftExp at most (-x0) 2^n.</summary>
        private static int DivBits(ShiftGeluParams p) => System.Math.Max(31, ShiftExpWidth.Bits((2L * -p.X0) << p.N));

        public override OpKind Op => OpKind.Gelu;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var g = (GeluLayer)c.Spec;
            if (g.Method == GeluMethod.Table)
            {
                // The table method: one ROM read per element (layers/lookup.sbn, or a lane of the element-wise stream).
                long lo = c.Node.Inputs[0].Type.MinValue;
                string table = c.Table("table", System.Linq.Enumerable.Select(g.Integers.Table, v => (long)v), $"{g.Name}: GELU table, y = table[x - ({lo})] (exact-erf GELU, correctly rounded at quantization time)");
                string comment = $"{g.Name}: GELU as a {g.Integers.Table.Count}-entry table";
                HlsCost tc = HlsCost.Simple(0, 0, c.Output.Count + 2, "E + 2") with { RomBits = (long)g.Integers.Table.Count * c.Output.Bits };
                return c.Native ? Lanes(c, comment, tc, $"qg_to_i64({table}[xa - ({CppFormat.Lit(lo)})])", false, 2)
                    : new HlsLowered("lookup", comment, 1, tc, new LookupKernel(table, CppFormat.Lit(lo), 0, "0", "0"));
            }

            string mult = CppFormat.Lit(g.Integers.Requant.Multiplier);
            int shift = g.Integers.Requant.Shift;
            long elements = c.Output.Count;
            if (g.Method == GeluMethod.ShiftGelu)
            {
                ShiftGeluParams p = g.Integers.ShiftGelu;
                if (c.Native)
                {
                    return Lanes(c, $"{g.Name}: ShiftGELU, element-wise (m = max(x, 0)), n = {p.N}, x0 = {p.X0}", HlsCost.Simple(3, 1, 0, string.Empty),
                        $"qg_requantize(qg_shift_gelu_w<{ShiftExpWidth.Shift(p.X0, p.N)}, {DivBits(p)}>(xa - ({CppFormat.Lit(c.Inputs[0].ZeroPoint)}), {CppFormat.Lit(p.X0)}, {p.N}), {mult}, {shift}, {CppFormat.Lit(c.Output.ZeroPoint)}, {CppFormat.Lit(c.Node.Output.Type.MinValue)}, {CppFormat.Lit(c.Node.Output.Type.MaxValue)})", false, HlsPlanner.DividerCycles + 8);
                }

                return new HlsLowered("gelu_shiftgelu", $"{g.Name}: ShiftGELU, element-wise (m = max(x, 0)), n = {p.N}, x0 = {p.X0}", 1,
                    HlsCost.Simple(3, 1, elements + HlsPlanner.DividerCycles + 8, $"E + {HlsPlanner.DividerCycles} + 8"), new ShiftGeluKernel(mult, shift, CppFormat.Lit(p.X0), p.N, ShiftExpWidth.Shift(p.X0, p.N), DivBits(p)));
            }

            IGeluParams q = g.Integers.IBert;
            if (c.Native)
            {
                return Lanes(c, $"{g.Name}: I-BERT i-GELU, element-wise", HlsCost.Simple(3, 0, 0, string.Empty),
                    $"qg_requantize(qg_ibert_gelu(xa - ({CppFormat.Lit(c.Inputs[0].ZeroPoint)}), {CppFormat.Lit(q.QB)}, {CppFormat.Lit(q.QC)}, {CppFormat.Lit(q.QOne)}), {mult}, {shift}, {CppFormat.Lit(c.Output.ZeroPoint)}, {CppFormat.Lit(c.Node.Output.Type.MinValue)}, {CppFormat.Lit(c.Node.Output.Type.MaxValue)})", false, 6);
            }

            return new HlsLowered("gelu_ibert", $"{g.Name}: I-BERT i-GELU, element-wise", 1, HlsCost.Simple(3, 0, elements + 6, "E + 6"),
                new IBertGeluKernel(mult, shift, CppFormat.Lit(q.QB), CppFormat.Lit(q.QC), CppFormat.Lit(q.QOne)));
        }
    }
}
