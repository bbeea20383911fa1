using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>AvgPool over one axis: one thread per output element.</summary>
    public sealed class AvgPoolLowering : GpuLowering
    {
        public override OpKind Op => OpKind.AvgPool;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var p = (AvgPoolLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            int[] shape = x.Shape;
            int inner = shape.Skip(p.Axis + 1).Aggregate(1, (acc, v) => acc * v), count = shape[p.Axis];
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per output element: sum over the {count} pooled values, 1 / {count} folded into the dyadic";
            body.Line("int i = index;");
            body.Line($"int inner = i % {inner};");
            body.Line($"int xo = (i / {inner}) * {count * inner} + inner;");
            body.Line("long sum = 0;");
            body.Open($"for (int t = 0; t < {count}; t++)");
            body.Line($"sum += x[xo + t * {inner}] - {GpuEmitter.L(zx)};");
            body.Close();
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(zo)} + {GpuEmitter.Requant("sum", p.Integers.Requant)}, {lo}, {hi});");
        }
    }
}
