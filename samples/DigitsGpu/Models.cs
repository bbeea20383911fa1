using QuantGen;

namespace QuantGen.Samples.DigitsGpu
{
    /// <summary>The W8A8 digits MLP: generated CPU Infer and, because this project references ILGPU, DigitsMlp.GpuSession.</summary>
    [QuantizedModel("models/digits_mlp.qmodel.json")]
    public partial class DigitsMlp
    {
    }

    /// <summary>The W8A8 digits vision transformer, on the CPU and on an ILGPU accelerator.</summary>
    [QuantizedModel("models/digits_vit.qmodel.json")]
    public partial class DigitsVit
    {
    }

    /// <summary>The digits CNN imported from a QDQ ONNX model (Conv2d, MaxPool2d, depthwise and 1x1 Conv2d, Dense).</summary>
    [QuantizedModel("models/digits_cnn.qmodel.json")]
    public partial class DigitsCnn
    {
    }
}
