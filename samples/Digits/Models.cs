using QuantGen;

namespace QuantGen.Samples.Digits
{
    /// <summary>The W8A8 digits MLP, compiled to integer-only C# by the QuantGen source generator.</summary>
    [QuantizedModel("models/digits_mlp.qmodel.json")]
    [LayerOverride("fc1", WeightBits = 8, ActivationBits = 8, PerChannel = true)]
    public partial class DigitsMlp
    {
    }

    /// <summary>The W8A8 digits vision transformer (Shiftmax attention, ShiftGELU MLP, integer LayerNorm).</summary>
    [QuantizedModel("models/digits_vit.qmodel.json")]
    [LayerOverride("b0_attn", Method = "shiftmax")]
    [LayerOverride("b0_gelu", Method = "shiftgelu")]
    public partial class DigitsVit
    {
    }
}
