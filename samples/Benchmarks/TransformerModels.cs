using QuantGen;

namespace QuantGen.Benchmarks
{
    /// <summary>DeiT-Tiny (224 x 224 x 3, 197 tokens, 12 blocks), imported with `quantgen import` from samples/zoo/models/deit_tiny_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/deit_tiny.qmodel.json")]
    public partial class DeitTiny
    {
    }

    /// <summary>The MLPerf Tiny anomaly-detection autoencoder (640-128-...-640), imported from samples/zoo/models/ad_autoencoder_ortqdq.onnx.</summary>
    [QuantizedModel("zoo/ad_autoencoder.qmodel.json")]
    public partial class AdAutoencoder
    {
    }
}
