using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// MaskedSoftmax comes from BERT's additive mask chain over an int64/int32 mask graph input: mask -> Unsqueeze/Cast ->
    /// Sub(1, m) -> Mul(-10000 or less) -> Add to the attention scores -> Softmax on the last axis. The mask becomes a 0/1
    /// model input (int8, scale 1, zero point 0 in QDQ files); a QDQ pair on the scores + mask sum becomes a Requantize of
    /// the scores before MaskedSoftmax. Lowered by the built-in lowering (OnnxLowering.Bert.cs).
    /// </summary>
    public sealed class MaskedSoftmaxImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.MaskedSoftmax;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Unsqueeze", "Cast", "Sub", "Mul", "Add", "Softmax" };
    }
}
