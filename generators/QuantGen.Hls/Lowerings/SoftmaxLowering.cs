using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Shiftmax (I-ViT) over rows of <see cref="Len"/>.</summary>
    public sealed record ShiftmaxKernel(int Rows, int Len, string X0, int Nn, int OutShift) : HlsKernel;

    /// <summary>I-BERT i-softmax over rows of <see cref="Len"/>.</summary>
    public sealed record IBertSoftmaxKernel(int Rows, int Len, string QLn2, string QB, string QC, int ExpShift, int OutShift, string Top) : HlsKernel;

    public sealed class SoftmaxLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Softmax;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var s = (SoftmaxLayer)c.Spec;
            int last = c.Last, rows = c.Inputs[0].Count / last;
            HlsCost cost = HlsCost.Simple(1, 1, (long)rows * ((3L * last) + HlsPlanner.DividerCycles + 6), $"rows x (3 L + {HlsPlanner.DividerCycles} + 6)");
            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                return new HlsLowered("softmax_shiftmax", $"{s.Name}: Shiftmax (I-ViT) over rows of {last}, n = {p.N}, x0 = {p.X0}, {p.OutBits}-bit output", 1, cost,
                    new ShiftmaxKernel(rows, last, CppFormat.Lit(p.X0), p.N, 32 - p.OutBits));
            }

            ISoftmaxParams q = s.Integers.IBert;
            return new HlsLowered("softmax_ibert", $"{s.Name}: I-BERT i-softmax over rows of {last}, {q.OutBits}-bit output", 1, cost,
                new IBertSoftmaxKernel(rows, last, CppFormat.Lit(q.Exp.QLn2), CppFormat.Lit(q.Exp.QB), CppFormat.Lit(q.Exp.QC), q.Exp.Shift, 62 - q.OutBits, CppFormat.Lit((1L << q.OutBits) - 1)));
        }
    }
}
