using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// Embedding comes from ONNX Gather(constant table, int64 token-id graph input). The importer does not read int64 graph
    /// inputs yet, so such a Gather fails with a located QG4xxx diagnostic (GatherImport); write the spec's index input and
    /// Embedding layer by hand (docs/model-format.md).
    /// </summary>
    public sealed class EmbeddingImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Embedding;

        public override IReadOnlyList<string> OnnxOps { get; } = System.Array.Empty<string>();

        public override string? NotImportable => "an embedding lookup is ONNX Gather(table, int64 token ids); the importer does not read int64 graph inputs yet: write the index input and the Embedding layer in the spec";
    }
}
