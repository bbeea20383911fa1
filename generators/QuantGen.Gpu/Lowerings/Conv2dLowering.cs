using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Conv2d: one thread per output element.</summary>
    public sealed class Conv2dLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Conv2d;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var cv = (Conv2dLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            em.EmitConv2d(kern, node, cv);
        }
    }
}
