using System.Globalization;
using QuantGen.Graph;
using QuantGen.Hls.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>The cost model of a reuse-factor MAC kernel (Dense, MatMul, Conv2d), docs/hls.md.</summary>
    internal static class MacCost
    {
        /// <summary>
        /// Multipliers, accumulator width and latency; <paramref name="gather"/> adds cycles per row before the MAC: 1 for
        /// Conv2d, which first gathers its window.
        /// </summary>
        public static HlsCost Of(int rows, int k, int n, int reuse, IntRange acc, long romBits, int gather = 0)
        {
            int block = (k + reuse - 1) / reuse, lanes = (n + reuse - 1) / reuse;
            int depth = 2 + gather + HlsPlanner.CeilLog2(block + 1) + HlsPlanner.RequantDepth;
            string what = gather == 0 ? "rows" : "pixels";
            string load = gather == 0 ? "2" : (2 + gather).ToString(CultureInfo.InvariantCulture);
            return new HlsCost(
                ((long)n * block) + lanes,
                0,
                acc.Bits,
                romBits,
                (long)rows * ((2L * reuse) + depth),
                $"{what} x (2 R + {load} + ceil(log2(K/R + 1)) + {HlsPlanner.RequantDepth}) = {rows} x (2 x {reuse} + {depth})");
        }
    }
}
