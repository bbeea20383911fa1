using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>A masked Shiftmax's kernel: rows, row length, ShiftExp's x0 and n, and the output shift.</summary>
    public sealed record MaskedSoftmaxKernel(int Rows, int Len, int X0, int Nn, int OutShift) : HlsKernel;

    /// <summary>Masked Shiftmax (layers/masked_softmax.sbn): max, sum and output loops over the kept positions of each row.</summary>
    public sealed class MaskedSoftmaxLowering : HlsLowering
    {
        public override OpKind Op => OpKind.MaskedSoftmax;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            ShiftmaxParams p = ((MaskedSoftmaxLayer)c.Spec).Integers.Shiftmax;
            int len = c.Last, rows = c.Node.Inputs[0].ElementCount / len;
            HlsCost cost = HlsCost.Simple(0, 1, (long)rows * (3L * len + 34), "R (3 L + 34)");
            return new HlsLowered("masked_softmax", $"{c.Spec.Name}: masked Shiftmax, {rows} rows of {len}", 1, cost, new MaskedSoftmaxKernel(rows, len, p.X0, p.N, 32 - p.OutBits));
        }
    }
}
