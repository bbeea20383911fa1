using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>Index of the largest element along the last axis (ties: the lowest index), as int32.</summary>
    public sealed class ArgMaxOperator : Operator
    {
        public override OpKind Op => OpKind.ArgMax;

        public override OutputQuantization OutputQuantization => OutputQuantization.Index;

        public override LayerSpec? Parse(LayerReader r) => new ArgMaxLayer();

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            // no fields of its own
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            int[] x = c.Inputs[0].Shape;
            if (x.Length == 0 || x[x.Length - 1] == 0)
            {
                return One(c.Fail("ArgMax needs a non-empty last axis", ModelErrors.InvalidValue));
            }

            return One(x.Take(x.Length - 1).ToArray());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters

        public override IntRange Range(RangeContext c) => new IntRange(0, TensorOps.LastAxis(c.Node) - 1);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            int[] x = inputs[0], y = outputs[0];
            int len = TensorOps.LastAxis(node);
            for (int r = 0; r < y.Length; r++)
            {
                y[r] = IntegerOps.ArgMax(x, r * len, len);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], y = outputs[0];
            int last = TensorOps.LastAxis(node);
            for (int r = 0; r < y.Length; r++)
            {
                int best = 0;
                for (int j = 1; j < last; j++)
                {
                    if (x[r * last + j] > x[r * last + best])
                    {
                        best = j;
                    }
                }

                y[r] = best;
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(new TensorQuant(ElementType.Int32, 1.0, 0));
    }
}
