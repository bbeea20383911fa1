using System;
using QuantGen.Graph;

namespace QuantGen.Plan
{
    /// <summary>
    /// The one proof of how wide a multiply-accumulate's running sum must be when the hardware may add its products in any
    /// order and any grouping (an unrolled adder tree, a reuse-factor loop, a padded tail): every partial sum, i.e. the
    /// bias plus any subset of the products, must fit. Backends read these bounds; none re-derives them.
    /// </summary>
    public static class AccumulatorBounds
    {
        /// <summary>
        /// Dense [N, K] and Conv2d [O, C / group, kh, kw] alike (row o holds the K weights of output channel o): the range of
        /// the bias of any row plus any subset of that row's products w * x, x in <paramref name="x"/>. A padded conv tap
        /// contributes 0, which any subset already allows; 0 itself is always included.
        /// </summary>
        public static IntRange PartialSums(int[] weights, int rows, int[]? bias, IntRange x)
        {
            int k = weights.Length / rows;
            long lo = long.MaxValue, hi = long.MinValue;
            for (int o = 0; o < rows; o++)
            {
                long b = bias?[o] ?? 0, l = b, h = b;
                for (int j = 0; j < k; j++)
                {
                    long a = weights[(o * k) + j] * x.Min, c = weights[(o * k) + j] * x.Max;
                    l += Math.Min(0, Math.Min(a, c));
                    h += Math.Max(0, Math.Max(a, c));
                }

                lo = Math.Min(lo, Math.Min(l, 0));
                hi = Math.Max(hi, Math.Max(h, 0));
            }

            return new IntRange(lo, hi);
        }

        /// <summary>The range of every product of one of <paramref name="weights"/> and a value in <paramref name="x"/>, 0 included.</summary>
        public static IntRange Products(int[] weights, IntRange x)
        {
            long lo = 0, hi = 0;
            foreach (int w in weights)
            {
                long a = w * x.Min, b = w * x.Max;
                lo = Math.Min(lo, Math.Min(a, b));
                hi = Math.Max(hi, Math.Max(a, b));
            }

            return new IntRange(lo, hi);
        }

        /// <summary>
        /// A product of two activations (MatMul) summed <paramref name="k"/> times, each product in <paramref name="product"/>:
        /// any partial sum lies in [k * min(p, 0), k * max(p, 0)].
        /// </summary>
        public static IntRange SumOfProducts(IntRange product, int k) =>
            new IntRange(Math.Min(product.Min, 0) * k, Math.Max(product.Max, 0) * k);
    }
}
