using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Quantized average over L elements: an exact integer sum, then one Dyadic that folds in both the rescale and 1/L,
    /// so there is no integer division.
    /// </summary>
    public static class AveragePool
    {
        /// <summary>Dyadic.FromReal(S_in / (S_out * L)).</summary>
        /// <exception cref="ArgumentOutOfRangeException">length &lt; 1 or a scale not finite and positive.</exception>
        public static Dyadic Multiplier(double inputScale, double outputScale, int length)
        {
            if (length < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, "Needs at least one element.");
            }

            if (!(inputScale > 0) || !(outputScale > 0) || double.IsInfinity(inputScale) || double.IsInfinity(outputScale))
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "Scales must be finite and positive.");
            }

            return Dyadic.FromReal(inputScale / (outputScale * length));
        }

        /// <summary>
        /// Clamp(zo + d.Apply(sum_i (x_i - zi)), lo, hi): the sum is exact in int64 and must satisfy |sum| &lt;= 2^31
        /// (e.g. int8 inputs and L &lt;= 2^23). Result within 1/2 + |sum| |M| 2^-31 LSB of the exact mean (before
        /// saturation).
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1, a range outside the array, or |sum| &gt; 2^31.</exception>
        public static long Row(int[] x, int offset, int length, long inputZeroPoint, Dyadic d, long outputZeroPoint, long lo, long hi)
        {
            IntegerOps.CheckRange(x, offset, length, nameof(x));
            if (length < 1)
            {
                throw new ArgumentException("Needs at least one element.", nameof(length));
            }

            if (inputZeroPoint > Dyadic.MaxOperand || inputZeroPoint < -Dyadic.MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(inputZeroPoint), inputZeroPoint, "Zero point magnitude must be at most 2^31.");
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += x[offset + i] - inputZeroPoint;   // each term < 2^33, length < 2^31: no overflow
            }

            if (sum > Dyadic.MaxOperand || sum < -Dyadic.MaxOperand)
            {
                throw new ArgumentException("Pooling sum magnitude exceeds 2^31.", nameof(x));
            }

            return IntegerOps.Requantize(sum, d, outputZeroPoint, lo, hi);
        }
    }
}
