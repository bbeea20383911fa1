using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Requantize: one box, every element clamp(z_out + RoundShift((x - z_in) * m, s)), through the strided-copy template (layers/strided_copy.sbn).</summary>
    public sealed class RequantizeLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Requantize;
    }
}
