using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Dense: one thread per output element, the accumulator width from the proven bounds, requantization fused.</summary>
    public sealed class DenseLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Dense;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var d = (DenseLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            TensorInfo wt = node.Weight!;
            int n = wt.Shape[0], k = wt.Shape[1];
            int[] weights = wt.IntData!;
            int[] bias = node.Bias?.IntData ?? new int[n];
            IntRange xr = em.Ranges.Tensors[x.Name];
            long xAbs = Math.Max(Math.Abs(xr.Min), Math.Abs(xr.Max));
            long bound = 0;
            var folded = new long[n];
            for (int o = 0; o < n; o++)
            {
                long sum = 0, abs = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += weights[o * k + j];
                    abs += Math.Abs((long)weights[o * k + j]);
                }

                folded[o] = bias[o] - (zx * sum);
                bound = Math.Max(bound, abs * xAbs);
            }

            // Weights stored transposed, [K, N]: the threads of a warp (consecutive o) read consecutive addresses at each j.
            bool narrow = wt.Type.IsSigned && wt.Type.Bits <= 8;
            int wOff = narrow ? em.AddW8Transposed(weights, n, k) : em.AddC32(Enumerable.Range(0, n * k).Select(idx => weights[(idx % n) * k + (idx / n)]).ToArray());
            int bOff = em.AddC64(folded);
            int mOff = em.AddC32(d.Integers.Requant.Select(r => r.Multiplier));
            int sOff = em.AddC32(d.Integers.Requant.Select(r => r.Shift));
            kern.UseW8 = narrow;
            kern.UseC32 = true;
            kern.UseC64 = true;
            string wv = narrow ? "w8" : "c32";
            bool int32 = bound <= int.MaxValue;
            string acc = int32 ? "int" : "long";
            kern.Threads = GpuEmitter.I(y.ElementCount);
            kern.What = $"one thread per output element, weights transposed to [K, N] so a warp's loads coalesce; {(int32 ? $"int32 dot product (|sum x w| <= {bound} < 2^31, proven from the input range and the weights)" : $"int64 dot product (|sum x w| <= {bound} needs more than 31 bits)")}; zero-point correction folded into the int64 bias; requantization and clamp fused";
            body.Line("int i = index;");
            body.Line($"int o = i % {n};");
            body.Line($"int xo = (i / {n}) * {k};");
            body.Line($"int wo = {wOff} + o;");
            body.Line($"{acc} dot = 0;");
            body.Open($"for (int j = 0; j < {k}; j++)");
            body.Line(int32 ? $"dot += x[xo + j] * {wv}[wo + j * {n}];" : $"dot += (long)x[xo + j] * {wv}[wo + j * {n}];");
            body.Close();
            body.Line($"long acc = c64[{bOff} + o] + dot;");
            body.Line($"y[i] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(zo)} + QuantGenGpuKernels.RoundShift(acc * c32[{mOff} + o], c32[{sOff} + o]), {GpuEmitter.L(d.Integers.Clamp.Lo)}, {GpuEmitter.L(d.Integers.Clamp.Hi)});");
        }
    }
}
