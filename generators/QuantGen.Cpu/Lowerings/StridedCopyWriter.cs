using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Prints the core's data-movement boxes (<see cref="DataMovement.Plan"/>: Concat, Slice, Split) as C#: a block copy
    /// (Span.CopyTo) for a run contiguous on both sides, nested loops with block copies of the innermost run when only that
    /// run is contiguous, element loops otherwise; with <see cref="StridedCopy.Requant"/> each element becomes
    /// clamp(z_out + RoundShift((x - z_in) * m, s)) to the output type, the requantization every other layer uses.
    /// </summary>
    internal static class StridedCopyWriter
    {
        /// <summary>The kernel name a data-movement layer reports: "copy" when every box is one block copy, else "strided-copy".</summary>
        public static CpuKernelPlan Plan(GraphNode node)
        {
            IReadOnlyList<StridedCopy> copies = DataMovement.Plan(node)!;
            return new CpuKernelPlan(copies.All(c => c.IsContiguous && c.Requant == null && node.Inputs[c.Input].Kind != TensorKind.Initializer) ? "copy" : "strided-copy");
        }

        public static void Emit(CpuEmitter e, SourceWriter w, GraphNode node)
        {
            IReadOnlyList<StridedCopy> copies = DataMovement.Plan(node)!;
            IReadOnlyList<string> inputs = e.InputNames(node);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                TensorInfo t = node.Inputs[i];
                if (t.Kind == TensorKind.Initializer && copies.Any(c => c.Input == i))
                {
                    int off = e.AddInts(t.IntData!);
                    w.Line($"ReadOnlySpan<int> {inputs[i]} = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {off}, {t.ElementCount * 4})); // constant \"{CpuEmitter.Xml(t.Name)}\"");
                }
            }

            foreach (StridedCopy c in copies)
            {
                TensorInfo x = node.Inputs[c.Input], y = node.Outputs[c.Output];
                string src = inputs[c.Input], dst = node.Outputs.Count == 1 ? "y" : "y" + CSharp.I(c.Output);
                string ty = CSharp.Type(y.Type);
                int rank = c.Counts.Length;
                if (c.ElementCount == 0)
                {
                    w.Line($"// {src} -> {dst}: nothing to move");
                    continue;
                }

                bool constant = x.Kind == TensorKind.Initializer;
                if (c.Requant == null && !constant && c.IsContiguous)
                {
                    w.Line($"{src}.Slice({CSharp.I(c.SrcBase)}, {CSharp.I(c.ElementCount)}).CopyTo({dst}.Slice({CSharp.I(c.DstBase)}, {CSharp.I(c.ElementCount)}));");
                    continue;
                }

                bool rows = c.Requant == null && !constant && rank >= 2 && c.SrcStrides[rank - 1] == 1 && c.DstStrides[rank - 1] == 1;
                int loops = rows ? rank - 1 : rank;
                for (int k = 0; k < loops; k++)
                {
                    w.Open($"for (int i{k} = 0; i{k} < {c.Counts[k]}; i{k}++)");
                }

                string si = Index(c.SrcBase, c.SrcStrides, loops), di = Index(c.DstBase, c.DstStrides, loops);
                if (rows)
                {
                    int n = c.Counts[rank - 1];
                    w.Line($"{src}.Slice({si}, {n}).CopyTo({dst}.Slice({di}, {n}));");
                }
                else if (c.Requant is Dyadic r)
                {
                    long zi = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
                    w.Line($"{dst}[{di}] = ({ty})QuantGenKernels.Clamp({CSharp.I(zo)} + QuantGenKernels.RoundShift(((long){src}[{si}] - {CSharp.I(zi)}) * {r.Multiplier}, {r.Shift}), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
                }
                else
                {
                    w.Line($"{dst}[{di}] = {(constant ? "(" + ty + ")" : string.Empty)}{src}[{si}];");
                }

                for (int k = 0; k < loops; k++)
                {
                    w.Close();
                }
            }
        }

        /// <summary>"base + i0 * s0 + i1 * s1 ...", negative strides as subtractions, zero terms dropped.</summary>
        private static string Index(long start, long[] strides, int loops)
        {
            string s = start != 0 || loops == 0 ? CSharp.I(start) : string.Empty;
            for (int k = 0; k < loops; k++)
            {
                long st = strides[k];
                string term = st == 1 || st == -1 ? $"i{k}" : $"i{k} * {CSharp.I(st < 0 ? -st : st)}";
                s = s.Length == 0 ? (st < 0 ? "-" + term : term) : s + (st < 0 ? " - " : " + ") + term;
            }

            return s;
        }
    }
}
