using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>Permutes the axes (output axis a is input axis perm[a]); keeps the input's quantization.</summary>
    public sealed class TransposeOperator : Operator
    {
        private static readonly string[] OwnFields = { "perm" };

        public override OpKind Op => OpKind.Transpose;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r) => new TransposeLayer { Perm = r.IntArray("perm", 0, SpecParser.MaxRank - 1) ?? new int[0] };

        public override void Write(LayerSpec layer, LayerWriter w) => w.Property("perm", ((TransposeLayer)layer).Perm);

        public override int[][]? InferShapes(GraphContext c)
        {
            var t = (TransposeLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            bool ok = t.Perm.Length == x.Length && t.Perm.OrderBy(v => v).SequenceEqual(Enumerable.Range(0, x.Length));
            if (!ok)
            {
                return One(c.Fail($"Transpose perm {Shape(t.Perm)} is not a permutation of the {x.Length} axes of {Shape(x)}"));
            }

            return One(t.Perm.Select(i => x[i]).ToArray());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) =>
            TensorOps.Transpose(inputs[0], node.Inputs[0].Shape, ((TransposeLayer)node.Layer).Perm, outputs[0]);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) =>
            TensorOps.Transpose(inputs[0], node.Inputs[0].Shape, ((TransposeLayer)node.Layer).Perm, outputs[0]);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));
    }
}
