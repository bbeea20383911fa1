using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Gpu
{
    /// <summary>Transpose: one thread per output element, gathering from the input.</summary>
    public sealed class TransposeLowering : GpuLowering
    {
        public override OpKind Op => OpKind.Transpose;

        internal override void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            var t = (TransposeLayer)node.Layer;
            SourceWriter body = kern.Body;
            TensorInfo x = node.Inputs[0], y = node.Output;
            IReadOnlyList<TensorInfo> data = kern.Data;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string lo = GpuEmitter.L(y.Type.MinValue), hi = GpuEmitter.L(y.Type.MaxValue), ty = GpuEmitter.CType(y.Type);
            int[] shape = x.Shape, perm = t.Perm;
            int rank = shape.Length, e = x.ElementCount;
            var strides = new int[rank];
            int st = 1;
            for (int a = rank - 1; a >= 0; a--)
            {
                strides[a] = st;
                st *= shape[a];
            }

            kern.Threads = GpuEmitter.I(e);
            kern.What = $"one thread per output element (perm [{string.Join(", ", perm)}]), gathering from the input";
            body.Line("int i = index;");
            body.Line($"int s = i / {e};");
            body.Line($"int l = i - s * {e};");
            body.Line($"int src = s * {e};");
            for (int a = rank - 1; a >= 0; a--)
            {
                int dim = shape[perm[a]];
                if (a > 0)
                {
                    body.Line($"src += (l % {dim}) * {strides[perm[a]]};");
                    body.Line($"l /= {dim};");
                }
                else
                {
                    body.Line($"src += l * {strides[perm[a]]};");
                }
            }

            body.Line("y[i] = x[src];");
        }
    }
}
