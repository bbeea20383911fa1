using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Integer LayerNorm core (I-ViT's I-LayerNorm with an exact integer square root): normalises one row of C channels
    /// to a fixed-point value at scale sqrt(C) / 2^30. The affine part (gamma, beta) and the output requantization are
    /// folded by the caller into per-channel dyadic multipliers and integer biases.
    /// </summary>
    public static class IntLayerNorm
    {
        /// <summary>Largest input magnitude: keeps every squared deviation below 2^62.</summary>
        public const int MaxInputMagnitude = 1 << 30;

        /// <summary>
        /// One row, all arithmetic exact in int64:
        /// <code>
        /// mean = RoundDiv(sum_i x_i, C)            // nearest, ties toward +inf
        /// d_i  = x_i - mean
        /// var  = sum_i d_i^2                       // NOT divided by C
        /// k    = Isqrt(var)                        // exact floor(sqrt(var))
        /// if k == 0: y_i = 0 for all i             // constant row (no epsilon in the integer path)
        /// f    = floor((2^31 - 1) / k)
        /// y_i  = FloorDiv(d_i * f, 2)
        /// </code>
        /// Since |d_i| &lt;= k, |y_i| &lt;= 2^30; y_i ~ (d_i / sqrt(var / C)) * 2^30 / sqrt(C).
        /// Domain: |x_i| &lt;= 2^30 and var &lt;= 2^62 (throws otherwise); length &gt;= 1; x and y may be the same array.
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1, a range outside its array, or an input outside the domain.</exception>
        public static void Row(int[] x, int xOffset, int length, int[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                int v = x[xOffset + i];
                if (v > MaxInputMagnitude || v < -MaxInputMagnitude)
                {
                    throw new ArgumentException("LayerNorm inputs must lie in [-2^30, 2^30].", nameof(x));
                }

                sum += v;
            }

            long mean = IntegerOps.RoundDiv(sum, length);
            long variance = 0;
            for (int i = 0; i < length; i++)
            {
                long d = x[xOffset + i] - mean;          // |d| <= 2^31, d^2 <= 2^62
                variance += d * d;
                if (variance > IntegerOps.Pow2_62)
                {
                    throw new ArgumentException("LayerNorm variance sum exceeds 2^62.", nameof(x));
                }
            }

            long k = (long)IntegerOps.Isqrt((ulong)variance);
            long f = k == 0 ? 0 : int.MaxValue / k;
            for (int i = 0; i < length; i++)
            {
                long d = x[xOffset + i] - mean;
                y[yOffset + i] = (int)IntegerOps.FloorDiv(d * f, 2);
            }
        }

        /// <summary>Scale of the output: sqrt(C) / 2^30 (real normalised value = y * OutputScale(C)).</summary>
        /// <exception cref="ArgumentOutOfRangeException">channels &lt; 1.</exception>
        public static double OutputScale(int channels)
        {
            if (channels < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(channels), channels, "Needs at least one channel.");
            }

            return Math.Sqrt(channels) * FloatBits.Pow2(-30);
        }
    }
}
