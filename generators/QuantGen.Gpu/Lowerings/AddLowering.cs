using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Add: one thread per output element, both branches at one common shift and one rounding (ResidualAdd).</summary>
    public sealed class AddLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Add;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var add = (AddLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            int e = y.ElementCount;
            bool perSample = node.Inputs.Any(t => t.ElementCount != e);
            kern.Threads = GpuEmitter.I(e);
            kern.What = "one thread per output element; both branches rescaled to the output scale at one shift, summed, rounded once and clamped" +
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

            SingleRounding(body, add.Integers, an, a.Quant!.ZeroPoint, bn, b.Quant!.ZeroPoint, "+", y);
        }

        /// <summary>The one-rounding sum (Add, op "+") or difference (Sub, "-") of two operand expressions at the common shift (ResidualAdd).</summary>
        internal static void SingleRounding(SourceWriter body, AddIntegers integers, string ea, long za, string eb, long zb, string op, TensorInfo y)
        {
            (long ma, long mb, int s) = ResidualAdd.Common(integers.RequantA, integers.RequantB);
            body.Line($"long pre = (((long){ea} - {GpuEmitter.L(za)}) * {GpuEmitter.L(ma)}) {op} (((long){eb} - {GpuEmitter.L(zb)}) * {GpuEmitter.L(mb)});");
            body.Line($"y[i] = ({GpuEmitter.CType(y.Type)})QuantGenGpuKernels.Clamp({GpuEmitter.L(y.Quant!.ZeroPoint)} + QuantGenGpuKernels.RoundShift(pre, {s}), {GpuEmitter.L(y.Type.MinValue)}, {GpuEmitter.L(y.Type.MaxValue)});");
        }
    }
}
