using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>One loop of a loop nest: variable, trip count, and the indentation of its line.</summary>
    public sealed record HlsLoop(string Var, int Size, string Indent);

    /// <summary>Transpose: a loop nest over the output with the permuted source index.</summary>
    public sealed record TransposeKernel(EquatableArray<HlsLoop> Loops, string InnerIndent, string Src, string Dst) : HlsKernel;

    public sealed class TransposeLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Transpose;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var t = (TransposeLayer)c.Spec;
            int[] inShape = c.InShape, outShape = c.Node.Output.Shape;
            int rank = inShape.Length;
            long[] inStrides = DataMovement.RowMajorStrides(inShape), outStrides = DataMovement.RowMajorStrides(outShape);
            var loops = Enumerable.Range(0, rank).Select(a => new HlsLoop("i" + Str(a), outShape[a], new string(' ', 2 * (a + 1))));
            var kernel = new TransposeKernel(
                loops.ToEquatable(),
                new string(' ', 2 * (rank + 1)),
                string.Join(" + ", Enumerable.Range(0, rank).Select(a => "i" + Str(a) + " * " + Str(inStrides[t.Perm[a]]))),
                string.Join(" + ", Enumerable.Range(0, rank).Select(a => "i" + Str(a) + " * " + Str(outStrides[a]))));
            return new HlsLowered("transpose", $"{t.Name}: Transpose {Shape(inShape)} by perm ({string.Join(", ", t.Perm)})", 1,
                HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1"), kernel);
        }
    }
}
