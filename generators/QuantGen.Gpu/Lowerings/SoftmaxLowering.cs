using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Softmax (Shiftmax, I-BERT or the table method): one thread per row.</summary>
    public sealed class SoftmaxLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Softmax;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var s = (SoftmaxLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            int len = x.Shape[x.Shape.Length - 1];
            kern.Threads = GpuEmitter.I(x.ElementCount / len);
            body.Line($"int o = index * {len};");
            body.Line("long max = x[o];");
            body.Open($"for (int i = 1; i < {len}; i++)");
            body.Line("if (x[o + i] > max) max = x[o + i];");
            body.Close();
            body.Line("long sum = 0;");
            if (s.Method == SoftmaxMethod.Table)
            {
                // The table softmax (SoftmaxTable): the exponential table in the int32 constants, one division per row.
                SoftmaxTableParams t = s.Integers.Table;
                kern.UseC32 = true;
                int off = em.AddC32(t.Exp.ToArray());
                kern.What = $"one thread per row; table softmax: E[max - x] from the {t.Exp.Count}-entry exponential table (2^{t.ExpBits} = exp(0)), f = 2^62 / sum, p = E f >> 31, output dyadic";
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"sum += c32[{off} + (int)(max - x[o + i])];");
                body.Close();
                body.Line("long f = 4611686018427387904L / sum;");
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"long p = (c32[{off} + (int)(max - x[o + i])] * f) >> 31;");
                body.Line($"long v = {GpuEmitter.L(zo)} + {GpuEmitter.Requant("p", t.Out)};");
                body.Line($"y[o + i] = ({ty})(v < {lo} ? {lo} : (v > {hi} ? {hi} : v));");
                body.Close();
                return;
            }

            if (s.Method == SoftmaxMethod.Shiftmax)
            {
                ShiftmaxParams p = s.Integers.Shiftmax;
                kern.What = "one thread per row (max, saturating sum, output: three passes, ShiftExp recomputed instead of stored); the zero point cancels in x - max";
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"sum += QuantGenGpuKernels.ShiftExp(x[o + i] - max, {p.X0}, {p.N});");
                body.Line("if (sum > 2147483647L) sum = 2147483647L;");
                body.Close();
                body.Line("long f = 2147483647L / sum;");
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"y[o + i] = ({ty})((QuantGenGpuKernels.ShiftExp(x[o + i] - max, {p.X0}, {p.N}) * f) >> {32 - p.OutBits});");
                body.Close();
            }
            else
            {
                ISoftmaxParams p = s.Integers.IBert;
                long top = (1L << p.OutBits) - 1;
                kern.What = "one thread per row; I-BERT i-softmax: one division into 2^62 per row, rounded, saturated at 2^outBits - 1";
                string exp = $"QuantGenGpuKernels.IExp(x[o + i] - max, {p.Exp.QLn2}, {p.Exp.QB}, {p.Exp.QC}, {p.Exp.Shift})";
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"sum += {exp};");
                body.Close();
                body.Line("long f = 4611686018427387904L / sum;");
                body.Open($"for (int i = 0; i < {len}; i++)");
                body.Line($"long v = {GpuEmitter.Requant(exp + " * f", new Dyadic(1, 62 - p.OutBits))};");
                body.Line($"y[o + i] = ({ty})(v > {GpuEmitter.L(top)} ? {GpuEmitter.L(top)} : v);");
                body.Close();
            }
        }
    }
}
