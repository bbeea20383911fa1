using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Integer LayerNorm: one thread per row.</summary>
    public sealed class LayerNormLowering : GpuLowering
    {
        public override OpKind Op => OpKind.LayerNorm;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var ln = (LayerNormLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            int c = x.Shape[x.Shape.Length - 1];
            kern.Threads = GpuEmitter.I(x.ElementCount / c);
            int mOff = em.AddC32(ln.Integers.Requant.Select(r => r.Multiplier));
            int sOff = em.AddC32(ln.Integers.Requant.Select(r => r.Shift));
            int bOff = em.AddC64(ln.Integers.Biases.Select(b => b + zo));
            kern.UseC32 = true;
            kern.UseC64 = true;
            kern.What = "one thread per row: rounded mean, variance sum, exact isqrt, then the per-channel requantization (gamma and the output scale) with beta and the output zero point as an int64 bias";
            body.Line($"int o = index * {c};");
            body.Line("long sum = 0;");
            body.Open($"for (int i = 0; i < {c}; i++)");
            body.Line("sum += x[o + i];");
            body.Close();
            body.Line($"long mean = QuantGenGpuKernels.RoundDiv(sum, {c});");
            body.Line("long variance = 0;");
            body.Open($"for (int i = 0; i < {c}; i++)");
            body.Line("long d = x[o + i] - mean;");
            body.Line("variance += d * d;");
            body.Close();
            body.Line("long k = (long)QuantGenGpuKernels.Isqrt((ulong)variance);");
            body.Line("long f = k == 0 ? 0 : 2147483647L / k;");
            body.Open($"for (int i = 0; i < {c}; i++)");
            body.Line("long norm = ((x[o + i] - mean) * f) >> 1; // floor((x - mean) * f / 2), |norm| <= 2^30");
            body.Line($"y[o + i] = ({ty})QuantGenGpuKernels.Clamp(c64[{bOff} + i] + QuantGenGpuKernels.RoundShift(norm * c32[{mOff} + i], c32[{sOff} + i]), {lo}, {hi});");
            body.Close();
        }
    }
}
