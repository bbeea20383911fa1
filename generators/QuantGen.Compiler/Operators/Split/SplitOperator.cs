using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Json;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Operators
{
    /// <summary>
    /// Splits one input along an axis into consecutive parts of the given sizes, one output each (<see cref="SplitLayer"/>).
    /// Every output keeps the input's quantization.
    /// </summary>
    public sealed class SplitOperator : Operator
    {
        private static readonly string[] OwnFields = { "axis", "sizes" };

        public override OpKind Op => OpKind.Split;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override bool MultipleOutputs => true;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r)
        {
            var s = new SplitLayer { Axis = (int)(r.Integer("axis", -SpecParser.MaxRank, SpecParser.MaxRank - 1) ?? 0) };
            long[]? sizes = r.LongArray("sizes", 0, SpecParser.MaxDimension, SpecParser.MaxDimension);
            if (sizes != null)
            {
                s.Sizes = sizes.Select(v => (int)v).ToArray();
                var arr = (JsonArray)r.Get("sizes")!;
                if (sizes.Length == 0)
                {
                    r.Report(ModelErrors.InvalidValue, "\"sizes\" is empty: a Split has at least one part", arr);
                }

                for (int j = 0; j < sizes.Length; j++)
                {
                    if (sizes[j] == 0)
                    {
                        r.Report(ModelErrors.InvalidValue, $"part {j} of the Split is empty (size 0); a tensor has no empty axis", arr.Items[j]);
                    }
                }

                if (r.ArrayCount("outputs") is int outs && outs != sizes.Length)
                {
                    r.Report(ModelErrors.ShapeMismatch, $"\"sizes\" has {sizes.Length} entries but the layer lists {outs} outputs; one size per output", arr);
                }
            }

            return s;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var s = (SplitLayer)layer;
            w.Property("axis", s.Axis);
            w.Property("sizes", s.Sizes);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var s = (SplitLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            int rank = x.Length;
            int axis = DataMovement.NormalizeAxis(s.Axis, rank);
            if (axis < 0 || axis >= rank)
            {
                c.Fail($"Split axis {s.Axis} is out of range for the input {Shape(x)} (use -{rank} to {rank - 1})", ModelErrors.InvalidValue);
                return null;
            }

            if (s.Sizes.Length != c.Layer.Outputs.Count || s.Sizes.Any(v => v <= 0))
            {
                c.Fail($"Split needs one positive size per output; found sizes {Shape(s.Sizes)} for {c.Layer.Outputs.Count} outputs", ModelErrors.InvalidValue);
                return null;
            }

            long sum = s.Sizes.Sum(v => (long)v);
            if (sum != x[axis])
            {
                c.Fail($"Split sizes {Shape(s.Sizes)} sum to {sum} but axis {axis} of the input {Shape(x)} has {x[axis]}");
                return null;
            }

            var shapes = new int[s.Sizes.Length][];
            for (int j = 0; j < shapes.Length; j++)
            {
                shapes[j] = (int[])x.Clone();
                shapes[j][axis] = s.Sizes[j];
            }

            return shapes;
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters: every output keeps the input's quantization

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) => Scatter(node, inputs[0], outputs);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) => Scatter(node, inputs[0], outputs);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            TensorQuant q = c.Input(0);
            return node.Outputs.Select(_ => q).ToArray();
        }

        /// <summary>The definition: with the input seen as [outer, axis, inner], part j holds rows offset_j .. offset_j + size_j - 1.</summary>
        private static void Scatter<T>(GraphNode node, T[] x, T[][] outputs)
        {
            int[] shape = node.Inputs[0].Shape;
            int axis = DataMovement.NormalizeAxis(((SplitLayer)node.Layer).Axis, shape.Length);
            int outer = 1, inner = 1;
            for (int k = 0; k < axis; k++)
            {
                outer *= shape[k];
            }

            for (int k = axis + 1; k < shape.Length; k++)
            {
                inner *= shape[k];
            }

            int total = shape[axis], offset = 0;
            for (int j = 0; j < outputs.Length; j++)
            {
                int a = node.Outputs[j].Shape[axis];
                T[] y = outputs[j];
                for (int o = 0; o < outer; o++)
                {
                    for (int t = 0; t < a; t++)
                    {
                        for (int k = 0; k < inner; k++)
                        {
                            y[((o * a) + t) * inner + k] = x[((o * total) + offset + t) * inner + k];
                        }
                    }
                }

                offset += a;
            }
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>
    /// Splits its input along <see cref="Axis"/> into <see cref="LayerSpec.Outputs"/>, consecutive parts of the given
    /// sizes (summing to the axis length). Every output keeps the input's quantization.
    /// </summary>
    public sealed class SplitLayer : LayerSpec
    {
        public SplitLayer()
            : base(OpKind.Split)
        {
        }

        public int Axis { get; set; }

        /// <summary>Size of each part along the axis, one per output.</summary>
        public int[] Sizes { get; set; } = new int[0];

        public override LayerSpec CloneFloat() => CopyBase(new SplitLayer { Axis = Axis, Sizes = (int[])Sizes.Clone() });
    }
}
