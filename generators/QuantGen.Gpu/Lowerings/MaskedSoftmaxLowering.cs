using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Masked Shiftmax: one thread per row over the kept positions (mask integer != its zero point); an all-masked row is all 0.</summary>
    public sealed class MaskedSoftmaxLowering : GpuLowering
    {
        public override OpKind Op => OpKind.MaskedSoftmax;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            ShiftmaxParams p = ((MaskedSoftmaxLayer)node.Layer).Integers.Shiftmax;
            TensorInfo x = node.Inputs[0], m = node.Inputs[1], y = node.Output;
            int len = x.Shape[x.Shape.Length - 1];
            string zx = GpuEmitter.L(x.Quant!.ZeroPoint), zm = GpuEmitter.L(m.Quant!.ZeroPoint), ty = GpuEmitter.CType(y.Type);
            var body = kern.Body;
            kern.Threads = GpuEmitter.I(x.ElementCount / len);
            kern.What = "one thread per row; masked Shiftmax over the positions whose mask integer is not its zero point";
            body.Line($"int o = index * {len};");
            body.Line($"int mo = index / {x.ElementCount / len} * {len}; // the sample's mask row (a batch holds one per sample)");
            body.Line("long max = long.MinValue;");
            body.Open($"for (int i = 0; i < {len}; i++)");
            body.Line($"if (b[mo + i] != {zm} && a[o + i] - {zx} > max) max = a[o + i] - {zx};");
            body.Close();
            body.Line("long sum = 0;");
            body.Open($"for (int i = 0; i < {len}; i++)");
            body.Open($"if (b[mo + i] != {zm})");
            body.Line($"sum += QuantGenGpuKernels.ShiftExp(a[o + i] - {zx} - max, {p.X0}, {p.N});");
            body.Line("if (sum > 2147483647L) sum = 2147483647L;");
            body.Close();
            body.Close();
            body.Line("long f = sum > 0 ? 2147483647L / sum : 0;");
            body.Open($"for (int i = 0; i < {len}; i++)");
            body.Line($"y[o + i] = b[mo + i] != {zm} && sum > 0 ? ({ty})((QuantGenGpuKernels.ShiftExp(a[o + i] - {zx} - max, {p.X0}, {p.N}) * f) >> {32 - p.OutBits}) : ({ty})0;");
            body.Close();
        }
    }
}
