using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>ReLU in the quantized domain: max(x, zero point).</summary>
    public sealed class ReluLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Relu;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                TensorInfo x = node.Inputs[0], y = node.Output;
                string zx = CSharp.I(x.Quant!.ZeroPoint);
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"y[i] = x[i] < {zx} ? ({CSharp.Type(y.Type)}){zx} : x[i];");
                w.Close();
            }
        }
    }
}
