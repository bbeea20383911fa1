using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>An embedding's kernel: the [V, D] ROM table in parameters.h, its last row and its width.</summary>
    public sealed record EmbeddingKernel(string Table, int Last, int Width, int Tokens) : HlsKernel;

    /// <summary>
    /// Embedding: one ROM row per token id (layers/embedding.sbn). HLS has no exceptions: an id outside [0, V - 1] is
    /// clamped to it (the project README says so); the C# API rejects such ids instead. A table zero point is the output's
    /// too (EmbeddingOperator), so the ROM rows are copied as they are.
    /// </summary>
    public sealed class EmbeddingLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Embedding;

        /// <summary>The kernel's locals, declared in the scope that reads the global ROM table.</summary>
        public override System.Collections.Generic.IEnumerable<string> LocalNames(Graph.GraphNode node) => new[] { "t", "id", "row", "d" };

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var table = c.Node.Weight!;
            int rows = table.Shape[0], d = table.Shape[1];
            string name = c.Table("table", QuantGen.Operators.EmbeddingOperator.OutputTable(c.Node).Select(v => (long)v), $"{c.Spec.Name}: embedding table [{rows}, {d}], y[t, :] = table[clamp(ids[t], 0, {rows - 1}), :]");
            HlsCost cost = HlsCost.Simple(0, 0, c.Output.Count + 2, "E + 2") with { RomBits = (long)rows * d * c.Output.Bits };
            return new HlsLowered("embedding", $"{c.Spec.Name}: embedding, {rows} rows of {d}", 1, cost, new EmbeddingKernel(name, rows - 1, d, c.Node.Inputs[0].ElementCount));
        }
    }
}
