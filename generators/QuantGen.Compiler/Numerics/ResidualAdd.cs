using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Quantized element-wise addition of two tensors with different scales (HAWQ-V3 residual add): each branch is
    /// requantized to the output scale separately with its own Dyadic, then the two are summed and saturated.
    /// </summary>
    public static class ResidualAdd
    {
        /// <summary>The two branch multipliers: Dyadic.FromReal(S_a / S_out) and Dyadic.FromReal(S_b / S_out).</summary>
        public static (Dyadic A, Dyadic B) Multipliers(double scaleA, double scaleB, double outputScale)
        {
            if (!(outputScale > 0) || double.IsInfinity(outputScale))
            {
                throw new ArgumentOutOfRangeException(nameof(outputScale), outputScale, "Scale must be finite and positive.");
            }

            return (Dyadic.FromReal(scaleA / outputScale), Dyadic.FromReal(scaleB / outputScale));
        }

        /// <summary>
        /// Clamp(zo + dA.Apply(a - za) + dB.Apply(b - zb), lo, hi), in int64. Each Apply rounds half toward +inf, so the
        /// result is within 1 + (|a - za| |M_a| + |b - zb| |M_b|) 2^-31 LSB of the exact real sum (before saturation).
        /// Domain: |a - za|, |b - zb| &lt;= 2^31; |zo| &lt;= 2^31.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">An operand outside the domain.</exception>
        /// <exception cref="ArgumentException">lo &gt; hi.</exception>
        public static long Apply(long a, long za, Dyadic dA, long b, long zb, Dyadic dB, long zo, long lo, long hi)
        {
            if (zo > Dyadic.MaxOperand || zo < -Dyadic.MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(zo), zo, "Zero point magnitude must be at most 2^31.");
            }

            // Each Apply is within [-2^62, 2^62]; the first sum is within 2^62 + 2^31 and the second stays below 2^63.
            long sum = zo + dA.Apply(a - za);
            sum += dB.Apply(b - zb);
            return IntegerOps.Clamp(sum, lo, hi);
        }

        /// <summary>Apply with the full range of <paramref name="outputType"/> as the clamp.</summary>
        public static long Apply(long a, long za, Dyadic dA, long b, long zb, Dyadic dB, long zo, ElementType outputType)
            => Apply(a, za, dA, b, zb, dB, zo, outputType.MinValue, outputType.MaxValue);
    }
}
