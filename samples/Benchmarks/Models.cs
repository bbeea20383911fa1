using QuantGen;

namespace QuantGen.Benchmarks
{
    /// <summary>The W8A8 digits MLP (64-128-64-10), compiled by the QuantGen source generator.</summary>
    [QuantizedModel("models/digits_mlp.qmodel.json")]
    public partial class DigitsMlp
    {
    }

    /// <summary>The DeiT-Tiny-sized W8A8 encoder block (197 tokens, 192 channels, 3 heads, MLP 768).</summary>
    [QuantizedModel("models/encoder_block.qmodel.json")]
    public partial class EncoderBlock
    {
    }

    /// <summary>The digits CNN imported from a QDQ ONNX model (Conv2d 3x3, MaxPool2d, depthwise and 1x1 Conv2d, Dense).</summary>
    [QuantizedModel("models/digits_cnn.qmodel.json")]
    public partial class DigitsCnn
    {
    }
}
