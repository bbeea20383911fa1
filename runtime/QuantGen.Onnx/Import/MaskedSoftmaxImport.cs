using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// MaskedSoftmax comes from BERT's additive mask chain ((1 - Cast(mask)) * -10000 added to the scores before Softmax)
    /// over an int64 mask graph input, which the importer does not read yet: write the mask input and the MaskedSoftmax
    /// layer in the spec.
    /// </summary>
    public sealed class MaskedSoftmaxImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.MaskedSoftmax;

        public override IReadOnlyList<string> OnnxOps { get; } = System.Array.Empty<string>();

        public override string? NotImportable => "BERT's additive attention mask ((1 - mask) * -10000 + scores -> Softmax) reads an int64 mask graph input, which the importer does not read yet: write the mask input and the MaskedSoftmax layer in the spec";
    }
}
