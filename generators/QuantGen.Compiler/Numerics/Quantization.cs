using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// The float-to-integer boundary: real = scale * (q - zeroPoint). Quantization rounds to nearest with ties toward
    /// +infinity, the same rule as <see cref="IntegerOps.RoundingShiftRight"/>, and saturates.
    /// </summary>
    public static class Quantization
    {
        /// <summary>
        /// Nearest integer to v, ties toward +infinity: floor(v) + (v - floor(v) &gt;= 0.5 ? 1 : 0) (v - floor(v) is exact
        /// in double, unlike floor(v + 0.5), which misrounds 0.49999999999999994). Results are clamped to [-2^62, 2^62].
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">v is NaN.</exception>
        public static long RoundHalfUp(double v)
        {
            if (double.IsNaN(v))
            {
                throw new ArgumentOutOfRangeException(nameof(v), v, "Cannot round NaN.");
            }

            const double limit = 4611686018427387904.0; // 2^62
            if (v >= limit)
            {
                return IntegerOps.Pow2_62;
            }

            if (v <= -limit)
            {
                return -IntegerOps.Pow2_62;
            }

            double fl = Math.Floor(v);
            long r = (long)fl;
            return v - fl >= 0.5 ? r + 1 : r;
        }

        /// <summary>Saturate(zeroPoint + RoundHalfUp(real / scale)) to <paramref name="type"/>; |zeroPoint| &lt;= 2^31.</summary>
        /// <exception cref="ArgumentOutOfRangeException">scale not finite and positive, real NaN, or |zeroPoint| &gt; 2^31.</exception>
        public static long Quantize(double real, double scale, long zeroPoint, ElementType type)
        {
            if (double.IsNaN(scale) || double.IsInfinity(scale) || scale <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale must be finite and positive.");
            }

            if (zeroPoint > Dyadic.MaxOperand || zeroPoint < -Dyadic.MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, "Zero point magnitude must be at most 2^31.");
            }

            return type.Saturate(zeroPoint + RoundHalfUp(real / scale));
        }

        /// <summary>scale * (q - zeroPoint), in double.</summary>
        public static double Dequantize(long q, double scale, long zeroPoint) => scale * (q - zeroPoint);
    }
}
