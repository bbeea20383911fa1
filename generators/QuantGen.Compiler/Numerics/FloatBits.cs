using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Exact binary decomposition of doubles (frexp / ldexp), written on the IEEE bit pattern because netstandard2.0
    /// has neither and because Math.Log2-based versions are off by one near powers of two.
    /// </summary>
    public static class FloatBits
    {
        /// <summary>
        /// frexp: returns q and sets <paramref name="exponent"/> so that value = q * 2^exponent exactly with
        /// |q| in [0.5, 1); q has the sign of value. 0 gives (0, 0). Subnormals are handled. NaN and infinities throw.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">value is NaN or infinite.</exception>
        public static double Frexp(double value, out int exponent)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "frexp needs a finite value.");
            }

            exponent = 0;
            if (value == 0)
            {
                return value;
            }

            long bits = BitConverter.DoubleToInt64Bits(value);
            int biased = (int)((bits >> 52) & 0x7FF);
            if (biased == 0)
            {
                // Subnormal: scale by 2^64 (exact) to make it normal, then correct the exponent.
                double scaled = Frexp(value * 18446744073709551616.0, out int e);
                exponent = e - 64;
                return scaled;
            }

            // Replace the biased exponent by 1022 so the magnitude lands in [0.5, 1).
            exponent = biased - 1022;
            long mantissaBits = (bits & ~(0x7FFL << 52)) | (1022L << 52);
            return BitConverter.Int64BitsToDouble(mantissaBits);
        }

        /// <summary>2^exponent exactly, for exponent in [-1022, 1023] (normal doubles).</summary>
        /// <exception cref="ArgumentOutOfRangeException">exponent outside [-1022, 1023].</exception>
        public static double Pow2(int exponent)
        {
            if (exponent < -1022 || exponent > 1023)
            {
                throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "Exponent must be in [-1022, 1023].");
            }

            return BitConverter.Int64BitsToDouble((long)(exponent + 1023) << 52);
        }
    }
}
