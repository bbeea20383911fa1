using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// Embedding comes from ONNX Gather(constant [V, D] table, token ids) where the ids are an int64/int32 graph input read
    /// only by such Gathers: the input becomes an index input with range [0, V - 1] and the Gather an Embedding layer over
    /// the float table (PTQ quantizes it; a QDQ file's QuantizeLinear after the Gather fixes the output). Lowered by the
    /// built-in lowering (OnnxLowering.Bert.cs).
    /// </summary>
    public sealed class EmbeddingImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Embedding;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Gather" };
    }
}
