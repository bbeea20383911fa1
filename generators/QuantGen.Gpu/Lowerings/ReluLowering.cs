using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>ReLU: element-wise max(x, zero point).</summary>
    public sealed class ReluLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Relu;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = "element-wise; ReLU in the quantized domain is max(x, zero point)";
            body.Line("int i = index;");
            body.Line($"y[i] = x[i] < {GpuEmitter.I(zx)} ? ({ty}){GpuEmitter.I(zx)} : x[i];");
        }
    }
}
