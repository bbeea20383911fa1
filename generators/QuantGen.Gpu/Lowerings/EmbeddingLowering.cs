using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>
    /// Embedding: one thread per output element, one load from the table in the int32 constants. A kernel cannot throw, so
    /// an id outside [0, V - 1] is clamped to it (the session's boundary rejects such ids before the kernel runs). A table zero
    /// point is the output's too (EmbeddingOperator), so the copy is the same with or without one.
    /// </summary>
    public sealed class EmbeddingLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Embedding;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            TensorInfo table = node.Weight!, y = node.Output;
            int rows = table.Shape[0], d = table.Shape[1];
            kern.UseC32 = true;
            int off = em.AddC32(QuantGen.Operators.EmbeddingOperator.OutputTable(node));
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per element: y[i] = table[clamp(x[i / {d}], 0, {rows - 1}), i % {d}], the [{rows}, {d}] table in the int32 constants";
            kern.Body.Line("int i = index;");
            kern.Body.Line($"int row = x[i / {d}];");
            kern.Body.Line($"row = row < 0 ? 0 : row > {rows - 1} ? {rows - 1} : row;");
            kern.Body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})c32[{off} + row * {d} + i % {d}];");
        }
    }
}
