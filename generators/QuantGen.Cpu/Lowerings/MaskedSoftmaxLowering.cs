using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Masked Shiftmax: scalar rows over the kept positions (mask integer != its zero point), ShiftExp from the kernel library.</summary>
    public sealed class MaskedSoftmaxLowering : CpuLowering
    {
        public override OpKind Op => OpKind.MaskedSoftmax;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Rows() };

        private sealed class Rows : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => new CpuKernelPlan(ScalarStrategy.Kernel) { Library = KernelFiles.Kernels };

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                ShiftmaxParams p = ((MaskedSoftmaxLayer)node.Layer).Integers.Shiftmax;
                TensorInfo x = node.Inputs[0], m = node.Inputs[1], y = node.Output;
                int len = x.Shape[x.Shape.Length - 1];
                string zx = CSharp.I(x.Quant!.ZeroPoint), zm = CSharp.I(m.Quant!.ZeroPoint), ty = CSharp.Type(y.Type);
                w.Line($"// kept where b[i] != {zm} (the mask's zero point); masked positions add 0 to the sum and output 0; an all-masked row is all 0.");
                w.Open($"for (int o = 0; o < {x.ElementCount}; o += {len})");
                w.Line("long max = long.MinValue;");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Line($"if (b[i] != {zm} && a[o + i] - {zx} > max) max = a[o + i] - {zx};");
                w.Close();
                w.Open("if (max == long.MinValue)");
                w.Line($"y.Slice(o, {len}).Clear();");
                w.Line("continue;");
                w.Close();
                w.Line("long sum = 0;");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Open($"if (b[i] != {zm})");
                w.Line($"sum += QuantGenKernels.ShiftExp(a[o + i] - {zx} - max, {p.X0}, {p.N});");
                w.Line("if (sum > 2147483647L) sum = 2147483647L;");
                w.Close();
                w.Close();
                w.Line("long f = 2147483647L / sum;");
                w.Open($"for (int i = 0; i < {len}; i++)");
                w.Line($"y[o + i] = b[i] != {zm} ? ({ty})((QuantGenKernels.ShiftExp(a[o + i] - {zx} - max, {p.X0}, {p.N}) * f) >> {32 - p.OutBits}) : ({ty})0;");
                w.Close();
                w.Close();
            }
        }
    }
}
