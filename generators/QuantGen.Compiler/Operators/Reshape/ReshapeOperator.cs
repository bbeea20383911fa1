using System;
using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>The same elements in row-major order under a new shape (one -1 inferred); keeps the input's quantization.</summary>
    public sealed class ReshapeOperator : Operator
    {
        private static readonly string[] OwnFields = { "shape" };

        public override OpKind Op => OpKind.Reshape;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r) => new ReshapeLayer { Shape = r.IntArray("shape", -1, SpecParser.MaxDimension) ?? new int[0] };

        public override void Write(LayerSpec layer, LayerWriter w) => w.Property("shape", ((ReshapeLayer)layer).Shape);

        public override int[][]? InferShapes(GraphContext c)
        {
            var r = (ReshapeLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            int unknown = -1;
            long known = 1;
            for (int i = 0; i < r.Shape.Length; i++)
            {
                if (r.Shape[i] == -1 && unknown < 0)
                {
                    unknown = i;
                }
                else if (r.Shape[i] <= 0)
                {
                    return One(c.Fail($"Reshape shape {Shape(r.Shape)}: dimensions must be positive, with at most one -1"));
                }
                else
                {
                    known *= r.Shape[i];
                }
            }

            long count = c.Inputs[0].ElementCount;
            int[] y = (int[])r.Shape.Clone();
            if (unknown >= 0)
            {
                if (count % known != 0)
                {
                    return One(c.Fail($"Reshape of {Shape(x)} ({count} elements) to {Shape(r.Shape)}: {count} is not divisible by {known}"));
                }

                y[unknown] = (int)(count / known);
            }
            else if (known != count)
            {
                return One(c.Fail($"Reshape of {Shape(x)} ({count} elements) to {Shape(r.Shape)} ({known} elements): element counts differ"));
            }

            return One(y);
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs) => Array.Copy(inputs[0], outputs[0], inputs[0].Length);

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs) => Array.Copy(inputs[0], outputs[0], inputs[0].Length);

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));
    }
}
