using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.Gpu
{
    /// <summary>The operand expressions of the binary element-wise kernels (Mul, Sub), broadcast as Add's kernel does.</summary>
    internal static class BinaryOperands
    {
        public static (string A, string B) Declare(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            IReadOnlyList<TensorInfo> data = kern.Data;
            int e = node.Output.ElementCount;
            bool perSample = node.Inputs.Any(t => t.ElementCount != e);
            kern.Threads = GpuEmitter.I(e);
            kern.Body.Line("int i = index;");
            if (perSample)
            {
                kern.Body.Line($"int s = i / {e};");
                kern.Body.Line($"int l = i - s * {e};");
            }
            else if (node.Inputs.Any(t => t.Kind == TensorKind.Initializer))
            {
                kern.Body.Line($"int l = i % {e};");
            }

            string Operand(TensorInfo t, string name)
            {
                if (t.Kind == TensorKind.Initializer)
                {
                    kern.UseC32 = true;
                    int off = em.AddC32(t.IntData!);
                    return t.ElementCount == e ? $"c32[{off} + l]" : $"c32[{off} + l % {t.ElementCount}]";
                }

                return t.ElementCount == e ? $"{name}[i]" : $"{name}[s * {t.ElementCount} + l % {t.ElementCount}]";
            }

            return (Operand(node.Inputs[0], data.Count == 1 ? "x" : "a"), Operand(node.Inputs[1], data.Count == 1 ? "x" : "b"));
        }
    }
}
