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
            bool fractions = ln.Integers.HasBiasFractions;
            int fOff = fractions ? em.AddC64(ln.Integers.BiasFractions) : 0;
            kern.UseC32 = true;
            kern.UseC64 = true;
            kern.What = "one thread per row: exact sums S and Q, C Q - S^2 + eps folded (C^2 (var + eps)), a 30-bit reciprocal square root, then the per-channel requantization (gamma and the output scale) with beta and the output zero point as an int64 bias";
            body.Line($"int o = index * {c};");
            body.Line("long s = 0;");
            body.Line("long q = 0;");
            body.Open($"for (int i = 0; i < {c}; i++)");
            body.Line("long v = x[o + i];");
            body.Line("s += v;");
            body.Line("q += v * v;");
            body.Close();
            int k = ln.Integers.VarianceShift;
            body.Line(k == 0
                ? $"long variance = ({c}L * q) - (s * s) + {GpuEmitter.L(ln.Integers.VarianceOffset)};"
                : $"long variance = ((({c}L * q) - (s * s)) << {k}) + {GpuEmitter.L(ln.Integers.VarianceOffset)};");
            body.Line("long f = 0;");
            body.Line("int rs = 0;");
            body.Open("if (variance > 0)");
            body.Line("int a = QuantGenGpuKernels.LayerNormAlign(variance);");
            body.Line($"f = QuantGenGpuKernels.LayerNormFactor(variance, {GpuEmitter.L(IntLayerNorm.ChannelFactor(c))}, a);");
            body.Line(k == 0 ? "rs = 30 - a;" : $"rs = {30 - (k / 2)} - a;");
            if (k != 0)
            {
                body.Open("if (rs < 0)");
                body.Line("rs = 0; // only on constant rows, where every C x - S is 0");
                body.Close();
            }
            body.Close();
            body.Open($"for (int i = 0; i < {c}; i++)");
            body.Line($"long norm = QuantGenGpuKernels.RoundShift((({c}L * x[o + i]) - s) * f, rs); // |norm| < 2^30");
            string fraction = fractions ? $" + c64[{fOff} + i]" : string.Empty;   // beta's rest below one LSB, rounded once with the product
            body.Line($"y[o + i] = ({ty})QuantGenGpuKernels.Clamp(c64[{bOff} + i] + QuantGenGpuKernels.RoundShift(norm * c32[{mOff} + i]{fraction}, c32[{sOff} + i]), {lo}, {hi});");
            body.Close();
        }
    }
}
