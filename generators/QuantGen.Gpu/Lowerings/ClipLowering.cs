using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Clip: element-wise integer clamp.</summary>
    public sealed class ClipLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Clip;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var c = (ClipLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = "element-wise integer clamp";
            body.Line("int i = index;");
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp(x[i], {GpuEmitter.L(c.Integers.QMin)}, {GpuEmitter.L(c.Integers.QMax)});");
        }
    }
}
