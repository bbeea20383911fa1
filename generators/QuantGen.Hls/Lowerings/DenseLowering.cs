using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Dense [rows x K] -> [rows x N]: K / R products per output per cycle, N outputs requantized ceil(N / R) at a time.</summary>
    public sealed record DenseKernel(
        int Rows, int K, int N, int Block, bool Padded, int Lanes, string AccType, string XType, string Weight, string WeightType, string Bias,
        string Lo, string Hi, string MultTable, string ShiftTable, string WeightReshape, int TableFactor) : HlsKernel;

    public sealed class DenseLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Dense;

        public override bool HasReuse => true;

        public override int ReduceDim(GraphNode node) => node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];

        public override MacShape? Mac(GraphNode node, LayerRanges ranges, System.Func<TensorInfo, HlsTensor> tensor)
        {
            int n = node.Weight!.Shape[0], k = node.Weight.Shape[1];
            IntRange xzp = ranges.Find("input-zp") ?? new IntRange(0, 0);
            IntRange acc = AccumulatorBounds.PartialSums(node.Weight.IntData!, n, node.Bias?.IntData, xzp);
            return new MacShape(node.Inputs[0].ElementCount / k, n, k, xzp.Bits, tensor(node.Weight).Bits, acc.Bits, 0, 0);
        }

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var d = (DenseLayer)c.Spec;
            GraphNode node = c.Node;
            int n = node.Weight!.Shape[0], k = node.Weight.Shape[1], rows = c.Inputs[0].Count / k, reuse = c.Reuse;
            IntRange xzp = c.Ranges.Find("input-zp") ?? new IntRange(0, 0);
            IntRange acc = AccumulatorBounds.PartialSums(node.Weight.IntData!, n, node.Bias?.IntData, xzp);
            string accType = c.Type("acc_t", acc, "accumulator and every partial sum");
            string xType = c.Type("x_t", xzp, "input minus its zero point");
            WeightTables w = WeightTables.Of(c, d.Integers.Requant);
            HlsTensor weight = c.Tensor(node.Weight), bias = node.Bias != null ? c.Tensor(node.Bias) : null!;
            var kernel = new DenseKernel(rows, k, n, (k + reuse - 1) / reuse, k % reuse != 0, (n + reuse - 1) / reuse, accType, xType, weight.Array, weight.Type,
                node.Bias != null ? bias.Array : string.Empty, CppFormat.Lit(d.Integers.Clamp.Lo), CppFormat.Lit(d.Integers.Clamp.Hi), w.Multipliers, w.Shifts, RomShape.Weights(n, k, reuse), RomShape.TableFactor(n, reuse));
            long rom = ((long)n * k * weight.Bits) + (node.Bias != null ? (long)n * bias.Bits : 0) + ((long)n * (32 + 6));
            string comment = $"{d.Name}: Dense [{rows} x {k}] -> [{rows} x {n}], activation {d.Activation.ToString().ToLowerInvariant()}, reuse factor {reuse}";
            return new HlsLowered("dense", comment, reuse, MacCost.Of(rows, k, n, reuse, acc, rom), kernel);
        }
    }

    /// <summary>The per-output-channel requantization multiplier and shift tables of Dense and Conv2d.</summary>
    internal sealed record WeightTables(string Multipliers, string Shifts)
    {
        public static WeightTables Of(HlsLayerContext c, System.Collections.Generic.IReadOnlyList<QuantGen.Numerics.Dyadic> requant) => new WeightTables(
            c.Table("multiplier", requant.Select(q => (long)q.Multiplier), $"{c.Spec.Name}: requantization multipliers, one per output channel"),
            c.Table("shift", requant.Select(q => (long)q.Shift), $"{c.Spec.Name}: requantization shifts"));
    }
}

namespace QuantGen.Hls.Lowerings
{
    /// <summary>
    /// How a weighted layer's ROMs are shaped to its MAC loop's read width. Cycle k of the MAC loop reads weight
    /// o K + t R + k for every output o and block index t: viewed as [N B][R] (B = K / R) that is one column, which
    /// ARRAY_RESHAPE block factor N B turns into one wide word per address. A padded loop (R does not divide K) and R = 1
    /// read irregularly or everything: complete. The requantization tables are read ceil(N / R) at a time, consecutively.
    /// </summary>
    internal static class RomShape
    {
        public static string Weights(int n, int k, int reuse) =>
            reuse == 1 || k % reuse != 0 ? "complete" : "block factor=" + (n * (k / reuse)).ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>The cyclic partition factor of the per-channel tables: lanes, or 0 when one read per cycle needs none.</summary>
        public static int TableFactor(int n, int reuse) => (n + reuse - 1) / reuse > 1 ? (n + reuse - 1) / reuse : 0;
    }
}
