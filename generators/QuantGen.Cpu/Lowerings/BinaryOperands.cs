using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>How the scalar loops of the binary element-wise operators (Mul, Sub) read their operands: the activation
    /// parameters (x for one, a and b for two) or a constant from the blob as int32, broadcast by i % count.</summary>
    internal static class BinaryOperands
    {
        /// <summary>The two element expressions at loop index i, declaring constant spans before the loop.</summary>
        public static (string A, string B) Declare(CpuEmitter e, SourceWriter w, GraphNode node)
        {
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            bool oneData = a.Kind == TensorKind.Initializer || b.Kind == TensorKind.Initializer;
            string Operand(TensorInfo t, string data, string constant)
            {
                string name = data;
                if (t.Kind == TensorKind.Initializer)
                {
                    int off = e.AddInts(t.IntData!);
                    w.Line($"ReadOnlySpan<int> {constant} = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {off}, {t.ElementCount * 4}));");
                    name = constant;
                }

                return $"{name}[{CpuEmitter.Index("i", t.ElementCount, y.ElementCount)}]";
            }

            return (Operand(a, oneData ? "x" : "a", "ca"), Operand(b, oneData ? "x" : "b", "cb"));
        }
    }
}
