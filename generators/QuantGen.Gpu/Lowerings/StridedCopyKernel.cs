using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Cpu;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Gpu
{
    /// <summary>
    /// Prints the core's data-movement boxes (<see cref="DataMovement.Plan"/>: Concat, Slice, Split) as one ILGPU kernel with
    /// one thread per moved element: the thread finds its box, decomposes its offset into the box's indices and moves one
    /// element (requantized with clamp(z_out + RoundShift((x - z_in) * m, s)) when the box says so). Split writes several
    /// output buffers from the same kernel.
    /// </summary>
    internal static class StridedCopyKernel
    {
        public static void Emit(GpuEmitter em, GpuKernel kern, GraphNode node)
        {
            IReadOnlyList<StridedCopy> copies = DataMovement.Plan(node)!;
            SourceWriter body = kern.Body;
            long total = copies.Sum(c => c.ElementCount);
            int data = node.Inputs.Count(t => t.Kind != TensorKind.Initializer);
            var names = new Dictionary<int, string>();
            int d = 0;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (node.Inputs[i].Kind == TensorKind.Initializer)
                {
                    continue;
                }

                names[i] = data == 1 ? "x" : data == 2 ? (d == 0 ? "a" : "b") : "x" + GpuEmitter.I(d);
                d++;
            }

            kern.Threads = GpuEmitter.I(total);
            kern.What = $"one thread per moved element ({copies.Count} box{(copies.Count == 1 ? string.Empty : "es")} of the core's data-movement plan)";
            body.Line($"int s = index / {total};");
            body.Line($"int l = index - s * {total};");
            long start = 0;
            bool first = true;
            foreach (StridedCopy c in copies.Where(c => c.ElementCount > 0))
            {
                TensorInfo x = node.Inputs[c.Input], y = node.Outputs[c.Output];
                string dst = node.Outputs.Count == 1 ? "y" : "y" + GpuEmitter.I(c.Output);
                long end = start + c.ElementCount;
                body.Open(first ? $"if (l < {end})" : $"else if (l < {end})");
                first = false;
                body.Line(start == 0 ? "int r = l;" : $"int r = l - {start};");
                string src = $"{GpuEmitter.I(c.SrcBase)}", dsti = $"s * {y.ElementCount} + {GpuEmitter.I(c.DstBase)}";
                for (int k = c.Counts.Length - 1; k >= 0; k--)
                {
                    if (k > 0)
                    {
                        body.Line($"int i{k} = r % {c.Counts[k]};");
                        body.Line($"r /= {c.Counts[k]};");
                    }
                    else
                    {
                        body.Line($"int i{k} = r;");
                    }

                    src += $" + i{k} * {GpuEmitter.I(c.SrcStrides[k])}";
                    dsti += $" + i{k} * {GpuEmitter.I(c.DstStrides[k])}";
                }

                string read;
                if (x.Kind == TensorKind.Initializer)
                {
                    kern.UseC32 = true;
                    int off = em.AddC32(x.IntData!);
                    read = $"c32[{off} + {src}]";
                }
                else
                {
                    read = $"{names[c.Input]}[s * {x.ElementCount} + {src}]";
                }

                string ty = GpuEmitter.CType(y.Type);
                if (c.Requant is Dyadic q)
                {
                    body.Line($"{dst}[{dsti}] = ({ty})QuantGenGpuKernels.Clamp({GpuEmitter.L(y.Quant!.ZeroPoint)} + {GpuEmitter.Requant($"(long){read} - {GpuEmitter.L(x.Quant!.ZeroPoint)}", q)}, {GpuEmitter.L(y.Type.MinValue)}, {GpuEmitter.L(y.Type.MaxValue)});");
                }
                else
                {
                    body.Line($"{dst}[{dsti}] = ({ty}){read};");
                }

                body.Close();
                start = end;
            }
        }
    }
}
