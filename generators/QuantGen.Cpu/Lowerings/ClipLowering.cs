using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Clip: an integer clamp to the layer's proven bounds.</summary>
    public sealed class ClipLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Clip;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var c = (ClipLayer)node.Layer;
                TensorInfo y = node.Output;
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"y[i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp(x[i], {CSharp.I(c.Integers.QMin)}, {CSharp.I(c.Integers.QMax)});");
                w.Close();
            }
        }
    }
}
