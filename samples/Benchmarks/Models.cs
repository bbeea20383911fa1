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

    /// <summary>MLPerf Tiny ResNet-8 (32x32x3), imported with `quantgen import` from samples/zoo/models/resnet8_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/resnet8.qmodel.json")]
    public partial class ResNet8
    {
    }

    /// <summary>MLPerf Tiny DS-CNN (49x10x1), imported from samples/zoo/models/ds_cnn_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/ds_cnn.qmodel.json")]
    public partial class DsCnn
    {
    }

    /// <summary>MLPerf Tiny MobileNetV1-0.25 (96x96x3), imported from samples/zoo/models/mobilenet_v1_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/mobilenet_v1.qmodel.json")]
    public partial class MobileNetV1
    {
    }

    /// <summary>The hls4ml jet tagger (16-64-32-32-5, Softmax), imported from samples/zoo/models/jet_tagger_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/jet_tagger.qmodel.json")]
    public partial class JetTagger
    {
    }

    /// <summary>The same jet tagger without the concurrent-use guard (ConcurrencyGuardBenchmarks: the guard's cost).</summary>
    [QuantizedModel("zoo/jet_tagger.qmodel.json", ConcurrencyCheck = false)]
    public partial class JetTaggerUnchecked
    {
    }

    /// <summary>The digits MLP without the concurrent-use guard.</summary>
    [QuantizedModel("models/digits_mlp.qmodel.json", ConcurrencyCheck = false)]
    public partial class DigitsMlpUnchecked
    {
    }
}
