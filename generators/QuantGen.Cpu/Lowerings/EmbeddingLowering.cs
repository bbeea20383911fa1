using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Embedding: one row copy per id from the table in the weights blob (int8 tables as bytes, wider ones as int32). The
    /// public entry points have already checked every id against [0, V - 1] (ArgumentOutOfRangeException). A table zero point
    /// needs no code: the output's quantization repeats it (EmbeddingOperator), so the copied integers mean the same reals.
    /// </summary>
    public sealed class EmbeddingLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Embedding;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new RowCopy() };

        private sealed class RowCopy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => new CpuKernelPlan("row-copy");

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                TensorInfo table = node.Weight!, y = node.Output;
                int rows = table.Shape[0], d = table.Shape[1];
                string ty = CSharp.Type(y.Type);
                if (ty == "sbyte")
                {
                    int off = e.AddBytes(QuantGen.Operators.EmbeddingOperator.OutputTable(node).Select(v => (long)v));
                    w.Line($"// embedding table [{rows}, {d}] (blob offset {off}): row x[i] is y[i * {d} ..].");
                    w.Open("for (int i = 0; i < x.Length; i++)");
                    w.Line($"MemoryMarshal.Cast<byte, sbyte>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {off} + x[i] * {d}, {d})).CopyTo(y.Slice(i * {d}, {d}));");
                    w.Close();
                    return;
                }

                int at = e.AddInts(QuantGen.Operators.EmbeddingOperator.OutputTable(node));
                w.Line($"// embedding table [{rows}, {d}] (blob offset {at}, int32): row x[i] is y[i * {d} ..].");
                w.Line($"ReadOnlySpan<int> table = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {at}, {(long)rows * d * 4}));");
                w.Open("for (int i = 0; i < x.Length; i++)");
                w.Open($"for (int j = 0; j < {d}; j++)");
                w.Line($"y[i * {d} + j] = ({ty})table[x[i] * {d} + j];");
                w.Close();
                w.Close();
            }
        }
    }
}
