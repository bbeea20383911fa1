using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>GELU (ShiftGELU or I-BERT: element-wise, requantization fused; the table method: one load per element).</summary>
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
            if (g.Method == GeluMethod.Table)
            {
                int[] table = g.Integers.Table.ToArray();
                kern.UseC32 = true;
                int off = em.AddC32(table);
                kern.What = $"one thread per element: y = table[x - ({x.Type.MinValue})], the spec's {table.Length}-entry GELU table in the int32 constants";
                body.Line($"y[i] = ({ty})c32[{off} + x[i] - ({GpuEmitter.I(x.Type.MinValue)})];");
                return;
            }

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
