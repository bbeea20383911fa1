using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Plan;
using System.Linq;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>MatMul [batches x M x K] x [batches x K x N] of two activations (or an activation and a constant).</summary>
    public sealed record MatMulKernel(int Batches, int M, int K, int N, int Block, bool Padded, int Lanes, string AccType, string AType, string BType, string Mult, int Shift) : HlsKernel;

    public sealed class MatMulLowering : HlsLowering
    {
        public override OpKind Op => OpKind.MatMul;

        public override bool HasReuse => true;

        public override int ReduceDim(GraphNode node) => node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];

        public override MacShape? Mac(GraphNode node, LayerRanges ranges, System.Func<TensorInfo, HlsTensor> tensor)
        {
            int[] sa = node.Inputs[0].Shape, sb = node.Inputs[1].Shape;
            int k = sa[sa.Length - 1];
            IntRange acc = AccumulatorBounds.SumOfProducts(ranges.Find("product") ?? new IntRange(0, 0), k);
            return new MacShape(node.Inputs[0].ElementCount / k, sb[sb.Length - 1], k, (ranges.Find("a-zp") ?? new IntRange(0, 0)).Bits, (ranges.Find("b-zp") ?? new IntRange(0, 0)).Bits, acc.Bits, 0, 0);
        }

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var m = (MatMulLayer)c.Spec;
            int[] sb = c.Node.Inputs[1].Shape;
            int[] inShape = c.InShape;
            int rowsA = inShape[inShape.Length - 2], k = c.Last, cols = sb[sb.Length - 1], reuse = c.Reuse;
            int batches = c.Inputs[0].Count / (rowsA * k);
            IntRange acc = AccumulatorBounds.SumOfProducts(c.Ranges.Find("product") ?? new IntRange(0, 0), k);
            string accType = c.Type("acc_t", acc, "accumulator and every partial sum");
            string aType = c.Type("a_t", c.Ranges.Find("a-zp") ?? new IntRange(0, 0), "a minus its zero point");
            string bType = c.Type("b_t", c.Ranges.Find("b-zp") ?? new IntRange(0, 0), "b minus its zero point");
            var kernel = new MatMulKernel(batches, rowsA, k, cols, (k + reuse - 1) / reuse, k % reuse != 0, (cols + reuse - 1) / reuse, accType, aType, bType, CppFormat.Lit(m.Integers.Requant.Multiplier), m.Integers.Requant.Shift);
            long rom = c.Inputs.Where(t => t.IsConstant).Sum(t => (long)t.Count * t.Bits);
            return new HlsLowered("matmul", $"{m.Name}: MatMul [{batches} x {rowsA} x {k}] x [{batches} x {k} x {cols}], reuse factor {reuse}", reuse, MacCost.Of(batches * rowsA, k, cols, reuse, acc, rom), kernel);
        }
    }
}
