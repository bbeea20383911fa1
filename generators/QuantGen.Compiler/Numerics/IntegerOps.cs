using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// The integer primitives every operator is defined with. Each one is specified for every input it accepts, so that
    /// no backend depends on its language's behaviour for negative operands, truncating division or shift counts at or
    /// beyond the operand width. Inputs outside the documented domain throw instead of wrapping.
    /// </summary>
    public static class IntegerOps
    {
        /// <summary>2^62: the magnitude bound of <see cref="RoundingShiftRight"/>'s operand.</summary>
        public const long Pow2_62 = 1L << 62;

        /// <summary>
        /// The project's one rounding rule for requantization: x / 2^shift rounded to nearest with ties toward +infinity,
        /// computed as <c>(x + 2^(shift-1)) &gt;&gt; shift</c> with an arithmetic (floor) shift; shift 0 returns x.
        /// Examples: -1.5 -&gt; -1, -0.5 -&gt; 0, 0.5 -&gt; 1, 1.5 -&gt; 2, -2.5 -&gt; -2.
        /// Domain: 0 &lt;= shift &lt;= 62 and -2^62 &lt;= x &lt;= 2^62, so the sum never exceeds 2^62 + 2^61 and fits int64.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">shift or x outside the domain.</exception>
        public static long RoundingShiftRight(long x, int shift)
        {
            if ((uint)shift > 62u)
            {
                throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be in [0, 62].");
            }

            if (x > Pow2_62 || x < -Pow2_62)
            {
                throw new ArgumentOutOfRangeException(nameof(x), x, "Operand magnitude must be at most 2^62.");
            }

            if (shift == 0)
            {
                return x;
            }

            // C#'s >> on long is arithmetic (floor) for counts 0..63, which is what we want here.
            return (x + (1L << (shift - 1))) >> shift;
        }

        /// <summary>
        /// floor(x / 2^shift) for shift in [0, 63]; shift 63 or more is not allowed (callers guard their counts first,
        /// see <see cref="ShiftRightGuarded"/>).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">shift outside [0, 63].</exception>
        public static long FloorShiftRight(long x, int shift)
        {
            if ((uint)shift > 63u)
            {
                throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be in [0, 63].");
            }

            return x >> shift;
        }

        /// <summary>
        /// floor(x / 2^shift) for any shift &gt;= 0: counts of 63 or more give 0 for x &gt;= 0 and -1 for x &lt; 0 (the
        /// mathematically exact floor), never the count masked to 6 bits as C#/x86 would do.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">shift negative.</exception>
        public static long ShiftRightGuarded(long x, long shift)
        {
            if (shift < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be non-negative.");
            }

            if (shift >= 63)
            {
                return x < 0 ? -1L : 0L;
            }

            return x >> (int)shift;
        }

        /// <summary>
        /// x * 2^shift, exact: throws instead of losing bits. Domain: shift in [0, 62] and the exact result in int64.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">shift outside [0, 62].</exception>
        /// <exception cref="OverflowException">The result does not fit int64.</exception>
        public static long ShiftLeftChecked(long x, int shift)
        {
            if ((uint)shift > 62u)
            {
                throw new ArgumentOutOfRangeException(nameof(shift), shift, "Shift must be in [0, 62].");
            }

            long result = x << shift;
            if ((result >> shift) != x)
            {
                throw new OverflowException("Left shift overflows int64.");
            }

            return result;
        }

        /// <summary>
        /// floor(a / b), the exact floor of the rational quotient for all sign combinations (C#'s <c>/</c> truncates).
        /// Example: FloorDiv(-7, 2) = -4, FloorDiv(7, -2) = -4, FloorDiv(-7, -2) = 3.
        /// </summary>
        /// <exception cref="DivideByZeroException">b is 0.</exception>
        /// <exception cref="OverflowException">a = long.MinValue and b = -1 (quotient 2^63 does not fit).</exception>
        public static long FloorDiv(long a, long b)
        {
            if (b == 0)
            {
                throw new DivideByZeroException();
            }

            if (a == long.MinValue && b == -1)
            {
                throw new OverflowException("FloorDiv(long.MinValue, -1) does not fit int64.");
            }

            long q = a / b;
            long r = a - (q * b);
            if (r != 0 && ((r < 0) != (b < 0)))
            {
                q--;
            }

            return q;
        }

        /// <summary>
        /// a mod b with the sign of b (the remainder that goes with <see cref="FloorDiv"/>): a - b * FloorDiv(a, b),
        /// in [0, b) for b &gt; 0.
        /// </summary>
        /// <exception cref="DivideByZeroException">b is 0.</exception>
        public static long FloorMod(long a, long b)
        {
            if (b == 0)
            {
                throw new DivideByZeroException();
            }

            if (b == -1)
            {
                return 0;
            }

            long r = a % b;
            if (r != 0 && ((r < 0) != (b < 0)))
            {
                r += b;
            }

            return r;
        }

        /// <summary>
        /// round(a / b) to nearest with ties toward +infinity (the same rule as <see cref="RoundingShiftRight"/>),
        /// for b &gt; 0: q = FloorDiv(a, b), r = a - q*b in [0, b), result q + (r &gt;= b - r ? 1 : 0). No intermediate
        /// overflows for any a.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">b &lt;= 0.</exception>
        public static long RoundDiv(long a, long b)
        {
            if (b <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(b), b, "Divisor must be positive.");
            }

            long q = FloorDiv(a, b);
            long r = a - (q * b);
            return r >= b - r ? q + 1 : q;
        }

        /// <summary>min(max(v, lo), hi).</summary>
        /// <exception cref="ArgumentException">lo &gt; hi.</exception>
        public static long Clamp(long v, long lo, long hi)
        {
            if (lo > hi)
            {
                throw new ArgumentException("Clamp bounds are inverted: lo > hi.", nameof(lo));
            }

            return v < lo ? lo : v > hi ? hi : v;
        }

        /// <summary>
        /// floor(sqrt(v)), exact for every ulong. Bit-by-bit (digit-by-digit) method with exactly 32 iterations, one per
        /// result bit from bit 31 down to bit 0: with r the root so far and rem = v - r^2, the bit 2^i is set when
        /// t = r * 2^(i+1) + 4^i &lt;= rem, in which case rem -= t. Fixed latency and no division, which suits HLS; t
        /// never exceeds 2^64 / 3, so nothing overflows.
        /// </summary>
        public static ulong Isqrt(ulong v)
        {
            ulong root = 0;
            ulong rem = v;
            for (int i = 31; i >= 0; i--)
            {
                ulong t = (root << (i + 1)) + (1UL << (2 * i));
                if (t <= rem)
                {
                    rem -= t;
                    root |= 1UL << i;
                }
            }

            return root;
        }

        /// <summary>
        /// Index, relative to <paramref name="offset"/>, of the maximum of values[offset .. offset+length); ties go to the
        /// lowest index.
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1 or the range is outside the array.</exception>
        public static int ArgMax(int[] values, int offset, int length)
        {
            CheckRange(values, offset, length, nameof(values));
            if (length < 1)
            {
                throw new ArgumentException("ArgMax needs at least one element.", nameof(length));
            }

            int best = 0;
            int bestValue = values[offset];
            for (int i = 1; i < length; i++)
            {
                if (values[offset + i] > bestValue)
                {
                    bestValue = values[offset + i];
                    best = i;
                }
            }

            return best;
        }

        /// <summary>
        /// Requantizes an accumulator: Clamp(zeroPoint + d.Apply(acc), lo, hi). The addition is exact (|d.Apply(acc)|
        /// &lt;= 2^62 and |zeroPoint| &lt;= 2^31).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">|acc| &gt; 2^31 or |zeroPoint| &gt; 2^31.</exception>
        /// <exception cref="ArgumentException">lo &gt; hi.</exception>
        public static long Requantize(long acc, Dyadic d, long zeroPoint, long lo, long hi)
        {
            if (zeroPoint > Dyadic.MaxOperand || zeroPoint < -Dyadic.MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, "Zero point magnitude must be at most 2^31.");
            }

            return Clamp(zeroPoint + d.Apply(acc), lo, hi);
        }

        /// <summary>Requantize to the full range of <paramref name="type"/>.</summary>
        public static long Requantize(long acc, Dyadic d, long zeroPoint, ElementType type)
            => Requantize(acc, d, zeroPoint, type.MinValue, type.MaxValue);

        internal static void CheckRange<T>(T[] array, int offset, int length, string name)
        {
            if (array == null)
            {
                throw new ArgumentNullException(name);
            }

            if (offset < 0 || length < 0 || offset > array.Length - length)
            {
                throw new ArgumentException("Range [offset, offset + length) lies outside the array.", name);
            }
        }
    }
}
