using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// ONNX AveragePool with a window (kernel, strides, pads, count_include_pad; not the whole map, which is the global
    /// AvgPool) -> AvgPool2d; a zero Pad before it (torch's padded nn.AvgPool2d) or before a Conv is folded into the pads
    /// (the importer's AveragePool and Conv cases, TryPadIntoWindow).
    /// </summary>
    public sealed class AvgPool2dImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.AvgPool2d;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "AveragePool", "Pad" };
    }
}
