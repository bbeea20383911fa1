using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Element-wise Sub: each operand rescaled to the output scale (Add's rule), the second subtracted, clamp.</summary>
    public sealed class SubLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Sub;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var sub = (SubLayer)node.Layer;
                TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
                Dyadic da = sub.Integers.RequantA, db = sub.Integers.RequantB;
                (string ea, string eb) = BinaryOperands.Declare(e, w, node);
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"long va = QuantGenKernels.RoundShift(((long){ea} - {CSharp.I(a.Quant!.ZeroPoint)}) * {da.Multiplier}, {da.Shift});");
                w.Line($"long vb = QuantGenKernels.RoundShift(((long){eb} - {CSharp.I(b.Quant!.ZeroPoint)}) * {db.Multiplier}, {db.Shift});");
                w.Line($"y[i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + va - vb, {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
                w.Close();
            }
        }
    }
}
