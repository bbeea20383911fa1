using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>MatMul of two activations: one thread per output element.</summary>
    public sealed class MatMulLowering : GpuLowering
    {
        public override OpKind Op => OpKind.MatMul;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var m = (MatMulLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            TensorInfo a = node.Inputs[0], b = node.Inputs[1];
            int[] sa = a.Shape, sb = b.Shape;
            int rowsA = sa[sa.Length - 2], k = sa[sa.Length - 1], cols = sb[sb.Length - 1];
            long za = a.Quant!.ZeroPoint, zb = b.Quant!.ZeroPoint;
            IntRange ra = em.Ranges.Tensors[a.Name], rb = em.Ranges.Tensors[b.Name];
            long amax = Math.Max(Math.Abs(ra.Min - za), Math.Abs(ra.Max - za)), bmax = Math.Max(Math.Abs(rb.Min - zb), Math.Abs(rb.Max - zb));
            long bound = amax * bmax * k;
            bool int32 = bound <= int.MaxValue;
            string acc = int32 ? "int" : "long";
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per output element, weights transposed to [K, N] so a warp's loads coalesce; {(int32 ? $"int32 accumulation (|a - za| <= {amax}, |b - zb| <= {bmax}, K = {k}: |acc| <= {bound} < 2^31)" : $"int64 accumulation (|acc| <= {bound} needs more than 31 bits)")}; requantization and clamp fused";
            body.Line("int i = index;");
            body.Line($"int j = i % {cols};");
            body.Line($"int row = i / {cols};");
            body.Line($"int ao = row * {k};");
            body.Line($"int bo = (row / {rowsA}) * {k * cols} + j;");
            body.Line($"{acc} sum = 0;");
            body.Open($"for (int t = 0; t < {k}; t++)");
            body.Line(int32
                ? $"sum += (a[ao + t] - {GpuEmitter.I(za)}) * (b[bo + t * {cols}] - {GpuEmitter.I(zb)});"
                : $"sum += ((long)a[ao + t] - {GpuEmitter.L(za)}) * ((long)b[bo + t * {cols}] - {GpuEmitter.L(zb)});");
            body.Close();
            body.Line("long acc = sum;");
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(zo)} + {GpuEmitter.Requant("acc", m.Integers.Requant)}, {lo}, {hi});");
        }
    }
}
