using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Element-wise Mul: the exact int64 product of the two zero-point-shifted operands, one dyadic, clamp.</summary>
    public sealed class MulLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Mul;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Loop() };

        private sealed class Loop : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
                Dyadic d = ((MulLayer)node.Layer).Integers.Requant;
                (string ea, string eb) = BinaryOperands.Declare(e, w, node);
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"long p = ((long){ea} - {CSharp.I(a.Quant!.ZeroPoint)}) * ((long){eb} - {CSharp.I(b.Quant!.ZeroPoint)});");
                w.Line($"y[i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(p * {d.Multiplier}, {d.Shift}), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
                w.Close();
            }
        }
    }
}
