using System.Collections.Generic;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// One <see cref="StridedCopy"/> box as a loop nest with constant strides: <see cref="Dst"/>[DstIndex] = <see cref="Src"/>[SrcIndex],
    /// requantized (clamp(z_out + Requant.Apply(x - z_in))) when <see cref="Requant"/>.
    /// </summary>
    public sealed record HlsCopyBox(
        string Label, string Comment, string Src, string Dst, EquatableArray<HlsLoop> Loops, string InnerIndent, string SrcIndex, string DstIndex,
        bool Requant, string Mult, int Shift, string Zx, string Zo, string Lo, string Hi, long Count);

    /// <summary>The data-movement operators' kernel: a list of boxes, each its own pipelined loop nest.</summary>
    public sealed record StridedCopyKernel(EquatableArray<HlsCopyBox> Boxes) : HlsKernel;

    /// <summary>
    /// Concat, Slice and Split share one lowering and one template (layers/strided_copy.sbn), printed from
    /// <see cref="DataMovement.Plan"/>: the core decides the boxes, this class only names and formats them.
    /// </summary>
    public abstract class StridedCopyLowering : HlsLowering
    {
        public override string InputParam(int index, int count) => count == 1 ? "x" : "x" + Str(index);

        public override string OutputParam(int index, int count) => count == 1 ? "y" : "y" + Str(index);

        public override IEnumerable<string> LocalNames(GraphNode node)
        {
            int rank = node.Inputs.Concat(node.Outputs).Max(t => t.Shape.Length);
            return Enumerable.Range(0, node.Inputs.Count).Select(i => InputParam(i, node.Inputs.Count))
                .Concat(Enumerable.Range(0, node.Outputs.Count).Select(j => OutputParam(j, node.Outputs.Count)))
                .Concat(Enumerable.Range(0, rank).Select(k => "i" + Str(k)))
                .Where(n => n.Length > 1);
        }

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            IReadOnlyList<StridedCopy>? copies = DataMovement.Plan(c.Node);
            if (copies == null)
            {
                c.Error(HlsErrors.UnsupportedModel, $"layer \"{c.Spec.Name}\": operator {c.Spec.Op} has no data-movement plan");
                return null;
            }

            var boxes = new List<HlsCopyBox>();
            long elements = 0;
            int requantized = 0;
            for (int b = 0; b < copies.Count; b++)
            {
                StridedCopy copy = copies[b];
                if (copy.ElementCount == 0)
                {
                    continue;
                }

                HlsTensor x = c.Inputs[copy.Input], y = c.Outputs[copy.Output];
                string dst = OutputParam(copy.Output, c.Outputs.Count);
                string label = copies.Count == 1 ? "COPY" : "COPY" + Str(b);
                int rank = copy.Counts.Length;
                var loops = Enumerable.Range(0, rank).Select(k => new HlsLoop("i" + Str(k), copy.Counts[k], new string(' ', 2 * (k + 1))));
                string what = $"{c.Node.Inputs[copy.Input].Name} -> {c.Node.Outputs[copy.Output].Name}, {copy.ElementCount} elements";
                string mult = "0", zx = "0", zo = "0";
                int shift = 0;
                if (copy.Requant != null)
                {
                    mult = CppFormat.Lit(copy.Requant.Value.Multiplier);
                    shift = copy.Requant.Value.Shift;
                    zx = CppFormat.Lit(x.ZeroPoint);
                    zo = CppFormat.Lit(y.ZeroPoint);
                    what += $", requantized (zero point {x.ZeroPoint} -> {y.ZeroPoint})";
                    requantized++;
                }

                ElementType t = c.Node.Outputs[copy.Output].Type;
                boxes.Add(new HlsCopyBox(
                    label, CppFormat.CommentSafe(what), c.InputArgs[copy.Input], dst, loops.ToEquatable(), new string(' ', 2 * (rank + 1)),
                    Index(copy.SrcBase, copy.SrcStrides), Index(copy.DstBase, copy.DstStrides), copy.Requant != null, mult, shift, zx, zo,
                    CppFormat.Lit(t.MinValue), CppFormat.Lit(t.MaxValue), copy.ElementCount));
                elements += copy.ElementCount;
            }

            string comment = $"{c.Spec.Name}: {c.Spec.Op} {string.Join(", ", c.Node.Inputs.Select(i => Shape(i.Shape)))} -> {string.Join(", ", c.Node.Outputs.Select(o => Shape(o.Shape)))}, {boxes.Count} strided cop{(boxes.Count == 1 ? "y" : "ies")}";
            HlsCost cost = HlsCost.Simple(requantized, 0, elements + boxes.Count, $"E + copies = {elements} + {boxes.Count}");
            return new HlsLowered("strided_copy", CppFormat.CommentSafe(comment), 1, cost, new StridedCopyKernel(boxes.ToEquatable()));
        }

        /// <summary><c>base + i0 * s0 + ...</c> with the trivial terms left out, e.g. "12 - i0 * 4 + i1".</summary>
        internal static string Index(long start, long[] strides)
        {
            var sb = new StringBuilder();
            if (start != 0)
            {
                sb.Append(Str(start));
            }

            for (int k = 0; k < strides.Length; k++)
            {
                long s = strides[k];
                if (s == 0)
                {
                    continue;
                }

                string term = "i" + Str(k) + (s == 1 || s == -1 ? string.Empty : " * " + Str(System.Math.Abs(s)));
                sb.Append(sb.Length == 0 ? (s < 0 ? "-" : string.Empty) : (s < 0 ? " - " : " + ")).Append(term);
            }

            return sb.Length == 0 ? "0" : sb.ToString();
        }
    }

    public sealed class ConcatLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Concat;
    }

    public sealed class SliceLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Slice;
    }

    public sealed class SplitLowering : StridedCopyLowering
    {
        public override OpKind Op => OpKind.Split;
    }
}
