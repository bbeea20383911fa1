using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Reshape: the row-major elements copied unchanged.</summary>
    public sealed class ReshapeLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Reshape;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Copy() };

        private sealed class Copy : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => w.Line("x.CopyTo(y);");
        }
    }
}
