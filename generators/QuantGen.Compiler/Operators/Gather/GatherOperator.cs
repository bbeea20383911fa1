using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Operators
{
    /// <summary>
    /// ONNX Gather with static indices along one axis (<see cref="GatherLayer"/>): x[:, 0] (class-token pick, a scalar
    /// index drops the axis), x[:, [2, 0]] (a list keeps it). The output keeps the input's quantization; every backend
    /// prints it as one strided copy per index (<see cref="Plan"/>).
    /// </summary>
    public sealed class GatherOperator : Operator, IDataMovementOperator
    {
        private static readonly string[] OwnFields = { "axis", "indices", "indices_shape" };

        public override OpKind Op => OpKind.Gather;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r)
        {
            var g = new GatherLayer
            {
                Axis = (int)(r.OptionalInteger("axis", -SpecParser.MaxRank, SpecParser.MaxRank - 1) ?? 0),
                Indices = r.LongArray("indices", -SpecParser.MaxDimension, SpecParser.MaxDimension, SpecParser.MaxDimension) ?? new long[0],
            };
            if (r.Get("indices_shape") != null)
            {
                g.IndicesShape = r.IntArray("indices_shape", 1, SpecParser.MaxDimension);
            }

            return g;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var g = (GatherLayer)layer;
            w.Property("axis", g.Axis);
            w.Property("indices", g.Indices);
            if (g.IndicesShape != null)
            {
                w.Property("indices_shape", g.IndicesShape);
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var g = (GatherLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            int axis = DataMovement.NormalizeAxis(g.Axis, x.Length);
            if (axis < 0 || axis >= x.Length)
            {
                return One(c.Fail($"Gather axis {g.Axis} is out of range for the input {Shape(x)} (use -{x.Length} to {x.Length - 1})", ModelErrors.InvalidValue));
            }

            int[] ishape = g.IndicesShape ?? new[] { g.Indices.Length };
            long n = ishape.Aggregate(1L, (p, d) => p * d);
            if (g.Indices.Length == 0 || n != g.Indices.Length)
            {
                return One(c.Fail($"Gather has {g.Indices.Length} indices but \"indices_shape\" {Shape(ishape)} holds {n}; give at least one index, and a shape that holds them all", ModelErrors.InvalidValue));
            }

            foreach (long i in g.Indices)
            {
                if (i < -x[axis] || i >= x[axis])
                {
                    return One(c.Fail($"Gather index {i} is out of range for axis {axis} of {Shape(x)} (use -{x[axis]} to {x[axis] - 1})", ModelErrors.InvalidValue));
                }
            }

            int[] y = x.Take(axis).Concat(ishape).Concat(x.Skip(axis + 1)).ToArray();
            if (y.Length == 0)
            {
                return One(c.Fail($"Gather of one element of the rank-1 input {Shape(x)} would be a scalar; a tensor has rank 1 or more (use a one-element index list)", ModelErrors.InvalidValue));
            }

            return One(y);
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters: the output keeps the input's quantization

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) => Take(node, inputs[0], outputs[0]);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) => Take(node, inputs[0], outputs[0]);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));

        /// <summary>One box per index: the slab x[..., index, ...] to y[..., j, ...].</summary>
        public IReadOnlyList<StridedCopy> Plan(GraphNode node)
        {
            var g = (GatherLayer)node.Layer;
            int[] x = node.Inputs[0].Shape;
            int axis = DataMovement.NormalizeAxis(g.Axis, x.Length);
            long[] src = DataMovement.RowMajorStrides(x);
            int[] counts = (int[])x.Clone();
            counts[axis] = 1;
            int[] view = (int[])x.Clone();
            view[axis] = g.Indices.Length;
            long[] dst = DataMovement.RowMajorStrides(view);
            var copies = new List<StridedCopy>();
            for (int j = 0; j < g.Indices.Length; j++)
            {
                long index = g.Indices[j] < 0 ? g.Indices[j] + x[axis] : g.Indices[j];
                copies.Add(DataMovement.Make(0, 0, counts, index * src[axis], src, j * dst[axis], dst, null));
            }

            return copies;
        }

        /// <summary>The definition: with x seen as [outer, axis, inner], y[o, j, i] = x[o, index_j, i].</summary>
        private static void Take<T>(GraphNode node, T[] x, T[] y)
        {
            var g = (GatherLayer)node.Layer;
            int[] shape = node.Inputs[0].Shape;
            int axis = DataMovement.NormalizeAxis(g.Axis, shape.Length);
            int outer = 1, inner = 1;
            for (int k = 0; k < axis; k++)
            {
                outer *= shape[k];
            }

            for (int k = axis + 1; k < shape.Length; k++)
            {
                inner *= shape[k];
            }

            int n = g.Indices.Length, dim = shape[axis];
            for (int o = 0; o < outer; o++)
            {
                for (int j = 0; j < n; j++)
                {
                    long index = g.Indices[j] < 0 ? g.Indices[j] + dim : g.Indices[j];
                    Array.Copy(x, (o * dim + index) * inner, y, ((long)o * n + j) * inner, inner);
                }
            }
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>
    /// ONNX Gather with constant indices: output shape = x.shape[:axis] + indices_shape + x.shape[axis + 1:]
    /// (indices_shape [] for a scalar index, which drops the axis; default [indices.Length]); negative indices count
    /// from the end. Output quantization = input quantization.
    /// </summary>
    public sealed class GatherLayer : LayerSpec
    {
        public GatherLayer()
            : base(OpKind.Gather)
        {
        }

        public int Axis { get; set; }

        /// <summary>The indices in row-major order of <see cref="IndicesShape"/>.</summary>
        public long[] Indices { get; set; } = new long[0];

        /// <summary>Shape of the index tensor; null = [Indices.Length], empty = a scalar index.</summary>
        public int[]? IndicesShape { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new GatherLayer { Axis = Axis, Indices = (long[])Indices.Clone(), IndicesShape = (int[]?)IndicesShape?.Clone() });
    }
}
