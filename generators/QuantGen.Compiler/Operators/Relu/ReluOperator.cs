using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>max(x, 0); quantized: max(x, z) in the input's quantization.</summary>
    public sealed class ReluOperator : Operator
    {
        public override OpKind Op => OpKind.Relu;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r) => new ReluLayer();

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            // no fields of its own
        }

        public override int[][]? InferShapes(GraphContext c) => One((int[])c.Inputs[0].Shape.Clone());

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters

        public override IntRange Range(RangeContext c)
        {
            IntRange x = c.In(0);
            long zp = c.Node.Inputs[0].Quant!.ZeroPoint;
            return new IntRange(System.Math.Max(x.Min, zp), System.Math.Max(x.Max, zp));
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            int[] x = inputs[0], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (int)System.Math.Max(x[i], zx);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            double[] x = inputs[0], y = outputs[0];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = FloatReference.Relu(x[i]);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));
    }
}
