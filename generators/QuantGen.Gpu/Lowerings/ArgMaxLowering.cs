using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>ArgMax: one thread per row.</summary>
    public sealed class ArgMaxLowering : GpuLowering
    {
        public override OpKind Op => OpKind.ArgMax;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            int len = x.Shape[x.Shape.Length - 1];
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = "one thread per row: index of the first maximum";
            body.Line($"int o = index * {len};");
            body.Line("int best = 0;");
            body.Open($"for (int j = 1; j < {len}; j++)");
            body.Line("if (x[o + j] > x[o + best]) best = j;");
            body.Close();
            body.Line("y[index] = best;");
        }
    }
}
