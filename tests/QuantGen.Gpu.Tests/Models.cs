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
}
