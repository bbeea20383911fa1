using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Add: one thread per output element, each branch rescaled separately.</summary>
    public sealed class AddLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Add;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var add = (AddLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            int e = y.ElementCount;
            bool perSample = node.Inputs.Any(t => t.ElementCount != e);
            kern.Threads = GpuEmitter.I(e);
            kern.What = "one thread per output element; each branch rescaled to the output scale separately (HAWQ-V3), then summed and clamped" +
                   (node.Inputs.Any(t => t.Kind == TensorKind.Initializer) ? "; the constant operand is broadcast from the int32 constants" : string.Empty);
            body.Line("int i = index;");
            if (perSample)
            {
                body.Line($"int s = i / {e};");
                body.Line($"int l = i - s * {e};");
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

            string an = Operand(a, data.Count == 1 ? "x" : "a");
            string bn = Operand(b, data.Count == 1 ? "x" : "b");
            if (!perSample && node.Inputs.Any(t => t.Kind == TensorKind.Initializer))
            {
                body.Line($"int l = i % {e};");
            }

            body.Line($"long va = {GpuEmitter.Requant($"(long){an} - {GpuEmitter.L(a.Quant!.ZeroPoint)}", add.Integers.RequantA)};");
            body.Line($"long vb = {GpuEmitter.Requant($"(long){bn} - {GpuEmitter.L(b.Quant!.ZeroPoint)}", add.Integers.RequantB)};");
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(zo)} + va + vb, {lo}, {hi});");
        }
    }
}
