using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>GELU (ShiftGELU or I-BERT): element-wise, requantization fused.</summary>
    public sealed class GeluLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Gelu;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var g = (GeluLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            kern.Threads = GpuEmitter.I(y.ElementCount);
            body.Line("int i = index;");
            body.Line($"long v = (long)x[i] - {GpuEmitter.L(zx)};");
            if (g.Method == GeluMethod.ShiftGelu)
            {
                kern.What = "element-wise ShiftGELU (m = max(x, 0) per element, QuantGen's semantics), requantization fused";
                body.Line($"long raw = QuantGenGpuKernels.ShiftGelu(v, {g.Integers.ShiftGelu.X0}, {g.Integers.ShiftGelu.N});");
            }
            else
            {
                kern.What = "element-wise I-BERT i-GELU, requantization fused (the negative output scale is folded into the multiplier)";
                body.Line($"long raw = QuantGenGpuKernels.IGelu(v, {g.Integers.IBert.QB}, {g.Integers.IBert.QC}, {g.Integers.IBert.QOne});");
            }

            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(zo)} + {GpuEmitter.Requant("raw", g.Integers.Requant)}, {lo}, {hi});");
        }
    }
}
