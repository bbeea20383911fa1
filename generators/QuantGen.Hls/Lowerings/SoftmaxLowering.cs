using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>The io_stream form of a row-wise kernel (Softmax, LayerNorm): one row of the last axis read into a buffer,
    /// computed, and written; the layer then holds one row instead of its whole input and output.</summary>
    internal static class RowStream
    {
        public static HlsLowered Of(HlsLowered l, HlsLayerContext c)
        {
            int len = c.Last, rows = c.Inputs[0].Count / len;
            HlsCost cost = l.Cost with
            {
                Latency = l.Cost.Latency + (2L * rows * len),
                Formula = l.Cost.Formula + $" + rows x 2 L (row read and write) = {l.Cost.Latency} + {rows} x {2 * len}",
                BufferBits = ((long)len * c.Inputs[0].Bits) + ((long)len * c.Output.Bits),
            };
            return l with { Comment = l.Comment + ", row-streamed", Cost = cost, Lead = len, Slack = 0 };
        }
    }

    /// <summary>Shiftmax (I-ViT) over rows of <see cref="Len"/>.</summary>
    public sealed record ShiftmaxKernel(int Rows, int Len, string X0, int Nn, int OutShift, int ExpBits) : HlsKernel;

    /// <summary>Operand widths of the pipelined ShiftExp (docs/hls.md: no 64-bit divider or variable 64-bit shift in an II=1 loop).</summary>
    internal static class ShiftExpWidth
    {
        /// <summary>Bits of (r - 2 x0) 2^n, r - 2 x0 in [1, -2 x0]: the width of the variable shift.</summary>
        public static int Shift(long x0, int n) => Bits((2 * -x0) << n);

        public static int Bits(long v)
        {
            int b = 1;
            while (b < 63 && (1L << b) <= v)
            {
                b++;
            }

            return b;
        }
    }

    /// <summary>I-BERT i-softmax over rows of <see cref="Len"/>.</summary>
    /// <remarks><see cref="ExpBits"/>: the width of QC 2^ExpShift (at most 31), the i-exp's shifter and quotient cap
    /// (<c>qg_ibert_exp_w</c>: no divider and no 64-bit shift in the element loops).</remarks>
    public sealed record IBertSoftmaxKernel(int Rows, int Len, string QLn2, string QB, string QC, int ExpShift, int OutShift, string Top, int ExpBits) : HlsKernel;

    /// <summary>The table softmax (<see cref="SoftmaxTable"/>) over rows of <see cref="Len"/>: exponential ROM <see cref="Table"/>, output dyadic.</summary>
    public sealed record SoftmaxTableKernel(int Rows, int Len, string Table, string Mult, int Shift) : HlsKernel;

    public sealed class SoftmaxLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Softmax;

        /// <summary>Flat streams in and out: one row buffered at a time (io_stream), not the whole tensor.</summary>
        public override bool Streams(GraphNode node, System.Func<TensorInfo, HlsStreamLayout> layout) => !layout(node.Inputs[0]).Packed && !layout(node.Output).Packed;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            HlsLowered? l = LowerArrays(c);
            return l == null || !c.Native ? l : RowStream.Of(l, c);
        }

        private static HlsLowered? LowerArrays(HlsLayerContext c)
        {
            var s = (SoftmaxLayer)c.Spec;
            int last = c.Last, rows = c.Inputs[0].Count / last;
            HlsCost cost = HlsCost.Simple(1, 1, (long)rows * ((3L * last) + HlsPlanner.DividerCycles + 6), $"rows x (3 L + {HlsPlanner.DividerCycles} + 6)");
            if (s.Method == SoftmaxMethod.Table)
            {
                SoftmaxTableParams t = s.Integers.Table;
                string table = c.Table("exp", System.Linq.Enumerable.Select(t.Exp, v => (long)v), $"{s.Name}: exp table, E[d] = round(2^{t.ExpBits} exp(-d S_x)) for d = max - x");
                return new HlsLowered("softmax_table", $"{s.Name}: table softmax over rows of {last} ({t.Exp.Count}-entry exponential ROM, one 64-bit division per row, output dyadic)", 1,
                    cost with { RomBits = (long)t.Exp.Count * (t.ExpBits + 1) },
                    new SoftmaxTableKernel(rows, last, table, CppFormat.Lit(t.Out.Multiplier), t.Out.Shift));
            }

            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                return new HlsLowered("softmax_shiftmax", $"{s.Name}: Shiftmax (I-ViT) over rows of {last}, n = {p.N}, x0 = {p.X0}, {p.OutBits}-bit output", 1, cost,
                    new ShiftmaxKernel(rows, last, CppFormat.Lit(p.X0), p.N, 32 - p.OutBits, ShiftExpWidth.Shift(p.X0, p.N)));
            }

            ISoftmaxParams q = s.Integers.IBert;
            return new HlsLowered("softmax_ibert", $"{s.Name}: I-BERT i-softmax over rows of {last}, {q.OutBits}-bit output", 1, cost,
                new IBertSoftmaxKernel(rows, last, CppFormat.Lit(q.Exp.QLn2), CppFormat.Lit(q.Exp.QB), CppFormat.Lit(q.Exp.QC), q.Exp.Shift, 62 - q.OutBits, CppFormat.Lit((1L << q.OutBits) - 1), ShiftExpWidth.Bits((long)q.Exp.QC << q.Exp.Shift)));
        }
    }
}
