using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>MaxPool2d: one thread per output element.</summary>
    public sealed class MaxPool2dLowering : GpuLowering
    {
        public override OpKind Op => OpKind.MaxPool2d;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var mp = (MaxPool2dLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            GpuEmitter.EmitMaxPool2d(kern, node, mp);
        }
    }
}
