using QuantGen;

namespace QuantGen.Tests.Gpu
{
    /// <summary>The fixture models compiled by the generator: CPU Infer plus (ILGPU is referenced) a GpuSession.</summary>
    [QuantizedModel("models/digits_mlp.qmodel.json")]
    public partial class DigitsMlp
    {
    }

    [QuantizedModel("models/digits_vit.qmodel.json")]
    public partial class DigitsVit
    {
    }

    [QuantizedModel("models/digits_cnn.qmodel.json")]
    public partial class DigitsCnn
    {
    }

    /// <summary>
    /// The synthetic convolution model of the CPU cross-backend check (tests/QuantGen.CpuCheck/models): two images per
    /// input, stride 2, asymmetric pads, group 2, a 2x3 kernel, MaxPool2d with pads, int16 and int4 activations.
    /// </summary>
    [QuantizedModel("models/conv_synthetic.qmodel.json")]
    public partial class ConvSynthetic
    {
    }
}

namespace QuantGen.Tests.Gpu
{
    /// <summary>The ViT re-quantized with I-BERT i-softmax (8-bit, uint8 probabilities) and i-GELU.</summary>
    [QuantizedModel("models/ops_vit_ibert.qmodel.json")]
    public partial class OpsVitIBert
    {
    }

    /// <summary>The MLP with standalone Relu and Clip layers between its Dense layers.</summary>
    [QuantizedModel("models/ops_mlp.qmodel.json")]
    public partial class OpsMlp
    {
    }

    /// <summary>The same MLP ending in ArgMax (int32 class index output).</summary>
    [QuantizedModel("models/ops_mlp_argmax.qmodel.json")]
    public partial class OpsMlpArgMax
    {
    }
}

namespace QuantGen.Tests.Gpu
{
    /// <summary>Two named inputs (token ids and an int8 bias) and two outputs: the generator's multi-input GPU session.</summary>
    [QuantizedModel("models/multi_tok.qmodel.json")]
    public partial class MultiTok
    {
    }
}
