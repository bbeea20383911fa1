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

    /// <summary>
    /// The digits CNN imported from a QDQ ONNX model (quantgen import): Conv2d 3x3 -> ReLU -> MaxPool2d 2x2 -> depthwise
    /// Conv2d 3x3 (group 8) -> ReLU -> 1x1 Conv2d -> ReLU -> global AvgPool -> Dense.
    /// </summary>
    [QuantizedModel("models/digits_cnn.qmodel.json")]
    [LayerOverride("conv1", WeightBits = 8, PerChannel = true)]
    public partial class DigitsCnn
    {
    }
}
