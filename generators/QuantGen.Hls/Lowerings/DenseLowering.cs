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
        string Lo, string Hi, string MultTable, string ShiftTable, string WeightReshape, int TableFactor, int Groups, int GroupOutputs, string Rom) : HlsKernel;

    public sealed class DenseLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Dense;

        public override bool HasReuse => true;

        public override int ReduceDim(GraphNode node) => node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];

        /// <summary>Up to N K: above K the layer folds across its outputs (<see cref="OutputFolding"/>).</summary>
        public override int MaxReuse(GraphNode node) => (int)System.Math.Min(int.MaxValue, (long)node.Weight!.Shape[0] * node.Weight.Shape[1]);

        public override MacShape? Mac(GraphNode node, LayerRanges ranges, System.Func<TensorInfo, HlsTensor> tensor)
        {
            int n = node.Weight!.Shape[0], k = node.Weight.Shape[1];
            IntRange xzp = ranges.Find("input-zp") ?? new IntRange(0, 0);
            IntRange acc = AccumulatorBounds.PartialSums(node.Weight.IntData!, n, node.Bias?.IntData, xzp);
            return new MacShape(node.Inputs[0].ElementCount / k, n, k, xzp.Bits, tensor(node.Weight).Bits, acc.Bits, 0, 0, FoldsOutputs: true);
        }

        /// <summary>Flat streams in and out: the row-streamed kernel (one row of K inputs buffered, not the whole tensor).</summary>
        public override bool Streams(GraphNode node, System.Func<TensorInfo, HlsStreamLayout> layout) => !layout(node.Inputs[0]).Packed && !layout(node.Output).Packed;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            HlsLowered? l = LowerArrays(c);
            if (l == null || !c.Native)
            {
                return l;
            }

            // io_stream: reading a row (K beats) and writing it (N beats) add to the MAC's cycles; the first output needs one row.
            int k = c.Node.Weight!.Shape[1], n = c.Node.Weight.Shape[0], rows = c.Inputs[0].Count / k;
            HlsCost cost = l.Cost with
            {
                Latency = l.Cost.Latency + ((long)rows * (k + n)),
                Formula = l.Cost.Formula + $" + rows x (K + N) (row read and write) = {l.Cost.Latency} + {rows} x {k + n}",
                BufferBits = ((long)k * c.Inputs[0].Bits) + ((long)n * c.Output.Bits),
            };
            return l with { Comment = l.Comment + ", row-streamed", Cost = cost, Lead = k, Slack = 0 };
        }

        private static HlsLowered? LowerArrays(HlsLayerContext c)
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
            long rom = ((long)n * k * weight.Bits) + (node.Bias != null ? (long)n * bias.Bits : 0) + ((long)n * (32 + 6));
            if (reuse > k)
            {
                // Folding across outputs: G groups of NG outputs, one product per output per cycle; the weights go into a ROM
                // in read order ([G K][NG]: cycle g K + k reads one word of NG weights), which replaces the weight header.
                (int groups, int ng) = OutputFolding.Of(n, k, reuse);
                var readOrder = new long[(long)groups * k * ng];
                long[] wv = node.Weight.IntData!.Select(v => (long)v).ToArray();
                for (int g = 0; g < groups; g++)
                {
                    for (int kk = 0; kk < k; kk++)
                    {
                        for (int u = 0; u < ng; u++)
                        {
                            int o = (g * ng) + u;
                            readOrder[(((long)g * k) + kk) * ng + u] = o < n ? wv[((long)o * k) + kk] : 0;
                        }
                    }
                }

                string romName = c.Table("weight_rom", readOrder, $"{d.Name}: the weights in read order [{groups} x {k}][{ng}] (output o = g {ng} + u at row g {k} + k, lane u; 0 past the last output)");
                int effective = groups * k;
                var folded = new DenseKernel(rows, k, n, 1, false, 1, accType, xType, weight.Array, weight.Type,
                    node.Bias != null ? bias.Array : string.Empty, CppFormat.Lit(d.Integers.Clamp.Lo), CppFormat.Lit(d.Integers.Clamp.Hi), w.Multipliers, w.Shifts, "cyclic factor=" + ng, 0, groups, ng, romName);
                string foldedComment = $"{d.Name}: Dense [{rows} x {k}] -> [{rows} x {n}], activation {d.Activation.ToString().ToLowerInvariant()}, reuse factor {effective} ({groups} groups of {ng} outputs, one product each per cycle)";
                int depth = 2 + 1 + HlsPlanner.RequantDepth;
                var cost = new HlsCost(ng + 1, 0, acc.Bits, rom, (long)rows * groups * (k + ng + depth),
                    $"rows x G x (K + NG + {depth}) = {rows} x {groups} x ({k} + {ng} + {depth})");
                return new HlsLowered("dense", foldedComment, effective, cost, folded, ReplacesWeight: weight.Array);
            }

            var kernel = new DenseKernel(rows, k, n, (k + reuse - 1) / reuse, k % reuse != 0, (n + reuse - 1) / reuse, accType, xType, weight.Array, weight.Type,
                node.Bias != null ? bias.Array : string.Empty, CppFormat.Lit(d.Integers.Clamp.Lo), CppFormat.Lit(d.Integers.Clamp.Hi), w.Multipliers, w.Shifts, RomShape.Weights(n, k, reuse), RomShape.TableFactor(n, reuse), 1, n, weight.Array);
            string comment = $"{d.Name}: Dense [{rows} x {k}] -> [{rows} x {n}], activation {d.Activation.ToString().ToLowerInvariant()}, reuse factor {reuse}";
            return new HlsLowered("dense", comment, reuse, MacCost.Of(rows, k, n, reuse, acc, rom), kernel);
        }
    }

    /// <summary>
    /// A reuse factor above K folds a Dense layer across its outputs (hls4ml's R up to N K): G = ceil(R / K) groups of
    /// NG = ceil(N / G) outputs run one after the other, one product per output and cycle; G is then recomputed from NG
    /// so that no group is empty, and the layer's effective reuse factor is G K.
    /// </summary>
    public static class OutputFolding
    {
        public static (int Groups, int GroupOutputs) Of(int n, int k, int reuse)
        {
            int g = (reuse + k - 1) / k;
            int ng = (n + g - 1) / g;
            return ((n + ng - 1) / ng, ng);
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
