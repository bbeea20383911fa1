using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// A real multiplier M represented as Multiplier * 2^-Shift, Multiplier an int32 with the sign folded in and Shift in
    /// [0, 62]. Applying it to an integer is one 32x32-&gt;64-bit multiply, one add and one arithmetic shift
    /// (<see cref="Apply"/>), bit-identical on every backend.
    /// </summary>
    public readonly struct Dyadic : IEquatable<Dyadic>
    {
        /// <summary>2^31: the largest operand magnitude <see cref="Apply"/> accepts.</summary>
        public const long MaxOperand = 1L << 31;

        /// <summary>The largest shift, so that x * Multiplier (|.| &lt;= 2^62) plus the rounding term fits int64.</summary>
        public const int MaxShift = 62;

        /// <summary>Creates Multiplier * 2^-Shift. Any int multiplier except int.MinValue (so that |Multiplier| &lt;= 2^31 - 1
        /// and the product in <see cref="Apply"/> stays within 2^62).</summary>
        /// <exception cref="ArgumentOutOfRangeException">shift outside [0, 62] or multiplier = int.MinValue.</exception>
        public Dyadic(int multiplier, int shift)
        {
            if ((uint)shift > MaxShift)
            {
                throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be in [0, 62].");
            }

            if (multiplier == int.MinValue)
            {
                throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "Multiplier must be > int.MinValue.");
            }

            Multiplier = multiplier;
            Shift = shift;
        }

        /// <summary>The signed int32 mantissa.</summary>
        public int Multiplier { get; }

        /// <summary>The right shift, in [0, 62].</summary>
        public int Shift { get; }

        /// <summary>The multiplier 0 (Multiplier 0, Shift 0): <see cref="Apply"/> returns 0.</summary>
        public static Dyadic Zero => default;

        /// <summary>The multiplier 1 (Multiplier 1, Shift 0): <see cref="Apply"/> is the identity.</summary>
        public static Dyadic One => new Dyadic(1, 0);

        /// <summary>
        /// Nearest dyadic to <paramref name="real"/> with a 31-bit mantissa:
        /// |M| = q * 2^e with q in [0.5, 1) (exact frexp); m = round(q * 2^31), ties to even (q * 2^31 is exact, so this
        /// is the only rounding); if m = 2^31 then m = 2^30 and e += 1 (renormalise: 2^31 does not fit int32);
        /// Shift t = 31 - e. If t &gt; 62 the result is <see cref="Zero"/> (flush: then |M| &lt; 2^-32, so for every operand
        /// |x| &lt;= 2^31 the exact product is below 0.5 in magnitude and rounds to 0 anyway). M = 0 gives Zero; negative M
        /// gives Multiplier = -m. Unless flushed, m is in [2^30, 2^31 - 1] and the relative error
        /// |ToReal() - M| / |M| is at most 2^-31 (|m - q 2^31| &lt;= 1/2 and q 2^31 &gt;= 2^30).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">real is NaN, infinite, or |real| &gt;= 2^31 (needs t &lt; 0).</exception>
        public static Dyadic FromReal(double real)
        {
            if (double.IsNaN(real) || double.IsInfinity(real))
            {
                throw new ArgumentOutOfRangeException(nameof(real), real, "Multiplier must be finite.");
            }

            if (real == 0)
            {
                return Zero;
            }

            double q = FloatBits.Frexp(Math.Abs(real), out int e);
            double m = Math.Round(q * 2147483648.0, MidpointRounding.ToEven);
            if (m == 2147483648.0)
            {
                m = 1073741824.0;
                e += 1;
            }

            int t = 31 - e;
            if (t < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(real), real, "Multiplier magnitude must be below 2^31.");
            }

            if (t > MaxShift)
            {
                return Zero;
            }

            int mi = (int)m;
            return new Dyadic(real < 0 ? -mi : mi, t);
        }

        /// <summary>Multiplier * 2^-Shift as a double (exact: a 31-bit integer times a power of two).</summary>
        public double ToReal() => Multiplier * FloatBits.Pow2(-Shift);

        /// <summary>
        /// RoundingShiftRight(x * Multiplier, Shift): x * M rounded to nearest, ties toward +infinity, computed exactly in
        /// int64 (|x * Multiplier| &lt;= 2^31 * (2^31 - 1) &lt; 2^62). Result error against x * M (the real M this dyadic was
        /// derived from): at most 1/2 + |x| |M| 2^-31.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">|x| &gt; 2^31 (the range analysis must prevent it).</exception>
        public long Apply(long x)
        {
            if (x > MaxOperand || x < -MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(x), x, "Dyadic operand magnitude must be at most 2^31.");
            }

            return IntegerOps.RoundingShiftRight(x * Multiplier, Shift);
        }

        /// <inheritdoc/>
        public bool Equals(Dyadic other) => Multiplier == other.Multiplier && Shift == other.Shift;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is Dyadic other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (Multiplier * 397) ^ Shift;

        /// <summary>Value equality (same Multiplier and Shift; (2, 1) and (1, 0) are different values).</summary>
        public static bool operator ==(Dyadic left, Dyadic right) => left.Equals(right);

        /// <summary>Value inequality.</summary>
        public static bool operator !=(Dyadic left, Dyadic right) => !left.Equals(right);

        /// <summary>e.g. <c>1518500250 * 2^-31</c>.</summary>
        public override string ToString()
            => Multiplier.ToString(System.Globalization.CultureInfo.InvariantCulture) + " * 2^-"
               + Shift.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
