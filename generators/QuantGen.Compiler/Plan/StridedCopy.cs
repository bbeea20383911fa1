using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Plan
{
    /// <summary>
    /// One box of element moves: for every index (i_0, ..., i_{r-1}) below <see cref="Counts"/>,
    /// out[<see cref="Output"/>][DstBase + sum i_k DstStrides_k] = f(in[<see cref="Input"/>][SrcBase + sum i_k SrcStrides_k]),
    /// where f is the identity, or, when <see cref="Requant"/> is set, clamp(z_out + Requant.Apply(x - z_in)) to the output
    /// type (Concat of differently quantized inputs). Dimensions of count 1 are dropped and dimensions contiguous in both
    /// source and destination are merged, so the innermost dimension is as long as possible; an empty
    /// <see cref="Counts"/> moves one element.
    /// </summary>
    public sealed class StridedCopy
    {
        internal StridedCopy(int input, int output, int[] counts, long srcBase, long[] srcStrides, long dstBase, long[] dstStrides, Dyadic? requant)
        {
            Input = input;
            Output = output;
            Counts = counts;
            SrcBase = srcBase;
            SrcStrides = srcStrides;
            DstBase = dstBase;
            DstStrides = dstStrides;
            Requant = requant;
        }

        /// <summary>Index into the node's inputs.</summary>
        public int Input { get; }

        /// <summary>Index into the node's outputs.</summary>
        public int Output { get; }

        public int[] Counts { get; }

        public long SrcBase { get; }

        /// <summary>Element strides in the source; negative for a Slice with negative steps.</summary>
        public long[] SrcStrides { get; }

        public long DstBase { get; }

        public long[] DstStrides { get; }

        /// <summary>Null: a plain copy (same quantization in and out).</summary>
        public Dyadic? Requant { get; }

        public long ElementCount
        {
            get
            {
                long n = 1;
                foreach (int c in Counts)
                {
                    n *= c;
                }

                return n;
            }
        }

        /// <summary>True when source and destination are both one contiguous run (a block copy).</summary>
        public bool IsContiguous => Counts.Length == 0 || (Counts.Length == 1 && SrcStrides[0] == 1 && DstStrides[0] == 1);
    }

    /// <summary>
    /// An operator that declares its own data-movement plan (Gather, Requantize): <see cref="DataMovement.Plan"/> asks it,
    /// so such an operator needs no case here and every backend's strided-copy lowering prints it unchanged.
    /// </summary>
    public interface IDataMovementOperator
    {
        IReadOnlyList<StridedCopy> Plan(GraphNode node);
    }

    /// <summary>
    /// The data-movement operators (Concat, Slice, Split) as lists of <see cref="StridedCopy"/> boxes, decided once here and
    /// printed by every backend (nested loops, block copies, one GPU thread per element, HLS loops). The reference
    /// interpreter does not use it: it implements the operators from their definitions, which is what the conformance
    /// tests compare against.
    /// </summary>
    public static class DataMovement
    {
        /// <summary>The copies of <paramref name="node"/>; null when the operator does not move data this way.</summary>
        public static IReadOnlyList<StridedCopy>? Plan(GraphNode node)
        {
            switch (node.Layer)
            {
                case ConcatLayer c:
                    return Concat(node, c);
                case SliceLayer s:
                    return new[] { Slice(node, s) };
                case SplitLayer sp:
                    return Split(node, sp);
                default:
                    return (Operators.OperatorRegistry.Core.Find(node.Layer.Op) as IDataMovementOperator)?.Plan(node);
            }
        }

        /// <summary>Row-major element strides of <paramref name="shape"/>.</summary>
        public static long[] RowMajorStrides(int[] shape)
        {
            var s = new long[shape.Length];
            long acc = 1;
            for (int k = shape.Length - 1; k >= 0; k--)
            {
                s[k] = acc;
                acc *= shape[k];
            }

            return s;
        }

        /// <summary>An axis in [-rank, rank - 1] as an index in [0, rank - 1].</summary>
        public static int NormalizeAxis(int axis, int rank) => axis < 0 ? axis + rank : axis;

        /// <summary>
        /// ONNX Slice's normalization of one axis of length <paramref name="dim"/>: negative start/end count from the end,
        /// then start is clamped to [0, dim] (step &gt; 0) or [0, dim - 1] (step &lt; 0) and end to [0, dim] or [-1, dim - 1];
        /// the count is max(0, ceil((end - start) / step)).
        /// </summary>
        public static (long Start, long Step, int Count) NormalizeSliceAxis(long start, long end, long step, int dim)
        {
            if (step == 0)
            {
                throw new ArgumentException("a slice step is never 0", nameof(step));
            }

            if (start < 0)
            {
                start += dim;
            }

            if (end < 0)
            {
                end += dim;
            }

            if (step > 0)
            {
                start = Math.Max(0, Math.Min(start, dim));
                end = Math.Max(0, Math.Min(end, dim));
                long n = end > start ? 1 + (end - start - 1) / step : 0; // not (end - start + step - 1) / step: overflows for huge steps
                return (start, step, (int)n);
            }

            start = Math.Max(0, Math.Min(start, dim - 1L));
            end = Math.Max(-1, Math.Min(end, dim - 1L));
            long m = start > end ? 1 + (start - end - 1) / -step : 0;
            return (start, step, (int)m);
        }

        /// <summary>Per axis of the input: start, step and count of a Slice (axes not listed: 0, 1, whole axis).</summary>
        public static (long[] Start, long[] Step, int[] Count) NormalizeSlice(SliceLayer s, int[] shape)
        {
            int rank = shape.Length;
            var start = new long[rank];
            var step = new long[rank];
            var count = (int[])shape.Clone();
            for (int k = 0; k < rank; k++)
            {
                step[k] = 1;
            }

            for (int j = 0; j < s.Starts.Length; j++)
            {
                int axis = NormalizeAxis(s.Axes.Length > 0 ? s.Axes[j] : j, rank);
                long st = s.Steps.Length > 0 ? s.Steps[j] : 1;
                (start[axis], step[axis], count[axis]) = NormalizeSliceAxis(s.Starts[j], s.Ends[j], st, shape[axis]);
            }

            return (start, step, count);
        }

        private static IReadOnlyList<StridedCopy> Concat(GraphNode node, ConcatLayer c)
        {
            TensorInfo y = node.Output;
            int axis = NormalizeAxis(c.Axis, y.Shape.Length);
            long[] dst = RowMajorStrides(y.Shape);
            var copies = new List<StridedCopy>();
            long offset = 0;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                TensorInfo x = node.Inputs[i];
                Dyadic? requant = null;
                if (c.IntegersOrNull is ConcatIntegers q)
                {
                    bool same = q.Requant[i] == Dyadic.One && x.Quant != null && y.Quant != null && x.Quant.ZeroPoint == y.Quant.ZeroPoint && x.Type.Equals(y.Type);
                    requant = same ? (Dyadic?)null : q.Requant[i];
                }

                copies.Add(Make(i, 0, x.Shape, 0, RowMajorStrides(x.Shape), offset * dst[axis], dst, requant));
                offset += x.Shape[axis];
            }

            return copies;
        }

        private static StridedCopy Slice(GraphNode node, SliceLayer s)
        {
            int[] shape = node.Inputs[0].Shape;
            (long[] start, long[] step, int[] count) = NormalizeSlice(s, shape);
            long[] src = RowMajorStrides(shape);
            long srcBase = 0;
            var srcStrides = new long[shape.Length];
            for (int k = 0; k < shape.Length; k++)
            {
                srcBase += start[k] * src[k];
                srcStrides[k] = step[k] * src[k];
            }

            return Make(0, 0, count, srcBase, srcStrides, 0, RowMajorStrides(count), null);
        }

        private static IReadOnlyList<StridedCopy> Split(GraphNode node, SplitLayer sp)
        {
            int[] shape = node.Inputs[0].Shape;
            int axis = NormalizeAxis(sp.Axis, shape.Length);
            long[] src = RowMajorStrides(shape);
            var copies = new List<StridedCopy>();
            long offset = 0;
            for (int j = 0; j < node.Outputs.Count; j++)
            {
                int[] outShape = node.Outputs[j].Shape;
                copies.Add(Make(0, j, outShape, offset * src[axis], src, 0, RowMajorStrides(outShape), null));
                offset += outShape[axis];
            }

            return copies;
        }

        /// <summary>Drops dimensions of count 1 and merges neighbours that are contiguous in both source and destination.</summary>
        internal static StridedCopy Make(int input, int output, int[] counts, long srcBase, long[] srcStrides, long dstBase, long[] dstStrides, Dyadic? requant)
        {
            var c = new List<int>();
            var s = new List<long>();
            var d = new List<long>();
            for (int k = 0; k < counts.Length; k++)
            {
                if (counts[k] == 1)
                {
                    continue;
                }

                int last = c.Count - 1;
                if (last >= 0 && s[last] == srcStrides[k] * counts[k] && d[last] == dstStrides[k] * counts[k])
                {
                    c[last] *= counts[k];
                    s[last] = srcStrides[k];
                    d[last] = dstStrides[k];
                    continue;
                }

                c.Add(counts[k]);
                s.Add(srcStrides[k]);
                d.Add(dstStrides[k]);
            }

            if (c.Contains(0))
            {
                c.Clear();
                c.Add(0);
                s.Clear();
                s.Add(1);
                d.Clear();
                d.Add(1);
            }

            return new StridedCopy(input, output, c.ToArray(), srcBase, s.ToArray(), dstBase, d.ToArray(), requant);
        }
    }
}
