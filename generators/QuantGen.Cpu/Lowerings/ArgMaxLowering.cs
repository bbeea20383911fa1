using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>ArgMax over the last axis: index of the first maximum.</summary>
    public sealed class ArgMaxLowering : CpuLowering
    {
        public override OpKind Op => OpKind.ArgMax;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                TensorInfo x = node.Inputs[0], y = node.Output;
                int len = x.Shape[x.Shape.Length - 1];
                w.Open($"for (int r = 0; r < {y.ElementCount}; r++)");
                w.Line("int best = 0;");
                w.Open($"for (int j = 1; j < {len}; j++)");
                w.Line($"if (x[r * {len} + j] > x[r * {len} + best]) best = j;");
                w.Close();
                w.Line("y[r] = best;");
                w.Close();
            }
        }
    }
}
