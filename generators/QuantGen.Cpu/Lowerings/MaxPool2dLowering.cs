using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>MaxPool2d: the window unrolled at constant offsets without padding, clipped to the input with padding.</summary>
    public sealed class MaxPool2dLowering : CpuLowering
    {
        public override OpKind Op => OpKind.MaxPool2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Window() };

        private sealed class Window : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => CpuEmitter.EmitMaxPool2d(w, node, (MaxPool2dLayer)node.Layer);
        }
    }
}
