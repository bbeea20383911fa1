using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Integer LayerNorm core: normalises one row of C channels to a fixed-point value at scale sqrt(C) / 2^30 (real
    /// normalised value = y * OutputScale(C), |y| &lt; 2^30), epsilon included. The affine part (gamma, beta) and the output
    /// requantization are folded by the caller into per-channel dyadic multipliers and integer biases.
    /// <para>
    /// Unlike I-ViT's I-LayerNorm (mean rounded to an integer, integer square root without fractional bits, no epsilon:
    /// up to 0.4 normalised units off on narrow rows), nothing is rounded before the square root: with S = sum x_i and
    /// Q = sum x_i^2, the centred values d_i = C x_i - S = C (x_i - mean) and D = C Q - S^2 = C^2 var are exact integers,
    /// so the float LayerNorm (x_i - mean) / sqrt(var + eps) is exactly d_i / sqrt(D + C^2 eps) in input units. The
    /// square root and the reciprocal carry 30 significant bits, the channel factor at least 25 and the row factor at
    /// least 23 (relative errors 2^-30 + 2^-30 + 2^-25 + 2^-24 &lt; 2^-23); the result is within a relative 2^-23 (plus half a unit)
    /// of the exact value.
    /// </para>
    /// </summary>
    public static class IntLayerNorm
    {
        /// <summary>Largest input magnitude (raw stored integers, zero point included): int16 and 18-bit inputs fit.</summary>
        public const int MaxInputMagnitude = 1 << 18;

        /// <summary>Most channels in a row: with |x| &lt;= 2^18, C^2 X^2 &lt;= 2^60 bounds the variance sum.</summary>
        public const int MaxChannels = 4096;

        /// <summary>Largest folded epsilon (<see cref="VarianceOffset(int, double, double)"/> saturates here): D + E stays below 2^62.</summary>
        public const long MaxVarianceOffset = 1L << 61;

        /// <summary>
        /// The epsilon folded into the integer variance: E = round(C^2 eps / S_x^2) (ties toward +inf), saturated at
        /// <see cref="MaxVarianceOffset"/> (where every output is already within 2^-29 normalised units of 0: |d| &lt;= 2^31).
        /// ORT and torch add eps to the biased (divide-by-C) variance, which D / C^2 is.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">channels outside [1, MaxChannels], a negative or non-finite epsilon, or a non-positive input scale.</exception>
        public static long VarianceOffset(int channels, double epsilon, double inputScale)
        {
            if (channels < 1 || channels > MaxChannels)
            {
                throw new ArgumentOutOfRangeException(nameof(channels), channels, "LayerNorm needs 1 to 4096 channels.");
            }

            if (!(epsilon >= 0) || double.IsInfinity(epsilon))
            {
                throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and not negative.");
            }

            if (!(inputScale > 0) || double.IsInfinity(inputScale))
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "The input scale must be finite and positive.");
            }

            double e = (double)channels * channels * (epsilon / inputScale / inputScale);
            return e >= MaxVarianceOffset ? MaxVarianceOffset : (long)Math.Floor(e + 0.5);
        }

        /// <summary>Largest variance shift k (even): the centred variance sum is scaled by 2^k before epsilon is added.</summary>
        public const int MaxVarianceShift = 60;

        /// <summary>
        /// The folded epsilon at a variance shift k: E = round(2^k C^2 eps / S_x^2) (ties toward +inf), saturated at
        /// <see cref="MaxVarianceOffset"/>. With k bits below the input's LSB^2, low-variance rows (all equal but one, var
        /// of a few LSB^2) see the layer's own epsilon to a relative 2^-k instead of E's rounding of up to 1/2 (which moved
        /// such outputs by up to 2 LSB at k = 0).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">as <see cref="VarianceOffset(int, double, double)"/>, or k not even in [0, 60].</exception>
        public static long VarianceOffset(int channels, double epsilon, double inputScale, int varianceShift)
        {
            CheckShift(varianceShift);
            if (!(epsilon >= 0) || double.IsInfinity(epsilon))
            {
                throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and not negative.");
            }

            long e0 = VarianceOffset(channels, epsilon, inputScale);
            double e = (double)channels * channels * (epsilon / inputScale / inputScale) * FloatBits.Pow2(varianceShift);
            return e0 >= MaxVarianceOffset || e >= MaxVarianceOffset ? MaxVarianceOffset : (long)Math.Floor(e + 0.5);
        }

        /// <summary>
        /// The largest even k with C^2 X^2 2^k &lt;= 2^60 (X: the largest input magnitude, at most 2^18): the scaled variance
        /// sum D 2^k &lt;= C^2 X^2 2^k stays within 2^60, as at k = 0 on the whole domain. A build-time constant per layer
        /// (int8 at C = 192: 30; int16 at C = 768: 10; at most <see cref="MaxVarianceShift"/>).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">channels outside [1, MaxChannels] or X outside [1, 2^18].</exception>
        public static int VarianceShift(int channels, long maxMagnitude)
        {
            if (channels < 1 || channels > MaxChannels)
            {
                throw new ArgumentOutOfRangeException(nameof(channels), channels, "LayerNorm needs 1 to 4096 channels.");
            }

            if (maxMagnitude < 1 || maxMagnitude > MaxInputMagnitude)
            {
                throw new ArgumentOutOfRangeException(nameof(maxMagnitude), maxMagnitude, "The input magnitude must lie in [1, 2^18].");
            }

            long bound = (long)channels * channels * maxMagnitude * maxMagnitude;   // <= 2^24 2^36 = 2^60
            int k = 0;
            while (k + 2 <= MaxVarianceShift && bound <= (1L << 60) >> (k + 2))
            {
                k += 2;
            }

            return k;
        }

        private static void CheckShift(int varianceShift)
        {
            if (varianceShift < 0 || varianceShift > MaxVarianceShift || (varianceShift & 1) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(varianceShift), varianceShift, "The variance shift must be even and in [0, 60].");
            }
        }

        /// <summary>g = Isqrt(floor(2^62 / C)) ~ 2^31 / sqrt(C), in [2^25, 2^31] for C in [1, 4096]: a build-time constant per layer.</summary>
        /// <exception cref="ArgumentOutOfRangeException">channels outside [1, MaxChannels].</exception>
        public static long ChannelFactor(int channels)
        {
            if (channels < 1 || channels > MaxChannels)
            {
                throw new ArgumentOutOfRangeException(nameof(channels), channels, "LayerNorm needs 1 to 4096 channels.");
            }

            return (long)IntegerOps.Isqrt((ulong)(IntegerOps.Pow2_62 / channels));
        }

        /// <summary>
        /// Even normalisation of v in [1, 2^62): a = floor((62 - b) / 2) with b the bit length of v, so v * 4^a lies in
        /// [2^60, 2^62); a is in [0, 30] and the row's output shift is 30 - a.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">v outside [1, 2^62).</exception>
        public static int Align(long v)
        {
            if (v < 1 || v >= IntegerOps.Pow2_62)
            {
                throw new ArgumentOutOfRangeException(nameof(v), v, "The LayerNorm variance sum must lie in [1, 2^62).");
            }

            int b = 0;
            for (long u = v; u != 0; u >>= 1)
            {
                b++;
            }

            return (62 - b) >> 1;
        }

        /// <summary>
        /// The per-row factor F ~ 2^(60 - a) / sqrt(C v) for v = D + E in [1, 2^62), a = <see cref="Align"/>(v), g = <see cref="ChannelFactor"/>(C):
        /// <code>
        /// t = Isqrt(v * 4^a)                       // v * 4^a in [2^60, 2^62): t in [2^30, 2^31), exact floor
        /// R = floor((2^60 + floor(t / 2)) / t)     // round(2^60 / t), in [2^29, 2^30]
        /// F = RoundShift(R * g, 31)                // R g &lt;= 2^61; F in [2^23, 2^30]
        /// </code>
        /// so that d * 2^30 / sqrt(C v) ~ RoundShift(d * F, 30 - a).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">v outside [1, 2^62) or g outside [1, 2^31].</exception>
        public static long Factor(long v, long g)
        {
            if (g < 1 || g > 1L << 31)
            {
                throw new ArgumentOutOfRangeException(nameof(g), g, "The channel factor must lie in [1, 2^31].");
            }

            int a = Align(v);
            long t = (long)IntegerOps.Isqrt((ulong)(v << (2 * a)));
            long r = ((1L << 60) + (t >> 1)) / t;
            return IntegerOps.RoundingShiftRight(r * g, 31);
        }

        /// <summary>
        /// One row, every step exact in int64:
        /// <code>
        /// S = sum x_i;  Q = sum x_i^2
        /// V = C Q - S^2 + E                        // C^2 (var + eps), var the biased variance in input units
        /// V == 0: y_i = 0                          // a constant row with eps folded to 0
        /// a = Align(V); F = Factor(V, ChannelFactor(C))
        /// y_i = RoundShift((C x_i - S) * F, 30 - a)   // ties toward +inf; ~ (x_i - mean) / sqrt(var + eps) * 2^30 / sqrt(C)
        /// </code>
        /// Domain (throws outside it): 1 &lt;= C &lt;= 4096, |x_i| &lt;= 2^18, 0 &lt;= E &lt;= 2^61. Bounds that follow: |S| &lt;= 2^30,
        /// Q &lt;= 2^48, C Q &lt;= 2^60 and S^2 &lt;= 2^60, so D = C Q - S^2 = C sum (x_i - mean)^2 &lt;= C^2 X^2 &lt;= 2^60 and V &lt; 2^62;
        /// |d_i| = |C x_i - S| &lt;= 2^31; since sum_i d_i = 0 and sum_i d_i^2 = C D, d_i^2 &lt;= (C - 1) D &lt;= (C - 1) V, so
        /// |d_i F| &lt;= sqrt((C - 1) / C) 2^(60 - a) (1 + 2^-23) + 2^31 sqrt(C) &lt; 2^61, and |y_i| &lt;= sqrt((C - 1) / C) 2^30 (1 + 2^-23) + 1
        /// &lt; 2^30 (sqrt((C - 1) / C) &lt;= 1 - 2^-13). x and y may be the same array.
        /// </summary>
        /// <exception cref="ArgumentException">length outside [1, 4096], a range outside its array, or an input outside the domain.</exception>
        public static void Row(int[] x, int xOffset, int length, long varianceOffset, int[] y, int yOffset)
            => Row(x, xOffset, length, varianceOffset, 0, y, yOffset);

        /// <summary>
        /// One row with the variance sum scaled by 2^k before the folded epsilon E (<see cref="VarianceOffset(int, double, double, int)"/>):
        /// <code>
        /// V = (C Q - S^2) 2^k + E                  // 2^k C^2 (var + eps); C Q - S^2 &lt;= 2^60 / 2^k (else throws: the range analysis proves it)
        /// a = Align(V); F = Factor(V, g)
        /// y_i = RoundShift((C x_i - S) F, max(0, 30 - a - k / 2))
        /// </code>
        /// 30 - a - k/2 &lt; 0 only when C Q - S^2 = 0 (then every C x_i - S is 0 and y is 0). k = 0 is <see cref="Row(int[], int, int, long, int[], int)"/>.
        /// </summary>
        /// <exception cref="ArgumentException">as the other overload, k not even in [0, 60], or a variance sum beyond 2^60 / 2^k.</exception>
        public static void Row(int[] x, int xOffset, int length, long varianceOffset, int varianceShift, int[] y, int yOffset)
        {
            if (varianceShift < 0 || varianceShift > MaxVarianceShift || (varianceShift & 1) != 0)
            {
                throw new ArgumentException("The LayerNorm variance shift must be even and in [0, 60].", nameof(varianceShift));
            }

            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1 || length > MaxChannels)
            {
                throw new ArgumentException("A LayerNorm row needs 1 to 4096 elements.", nameof(length));
            }

            if (varianceOffset < 0 || varianceOffset > MaxVarianceOffset)
            {
                throw new ArgumentException("The folded LayerNorm epsilon must lie in [0, 2^61].", nameof(varianceOffset));
            }

            long s = 0, q = 0;
            for (int i = 0; i < length; i++)
            {
                long v = x[xOffset + i];
                if (v > MaxInputMagnitude || v < -MaxInputMagnitude)
                {
                    throw new ArgumentException("LayerNorm inputs must lie in [-2^18, 2^18].", nameof(x));
                }

                s += v;
                q += v * v;
            }

            long centred = (length * q) - (s * s);
            if (centred > (1L << 60) >> varianceShift)
            {
                throw new ArgumentException("The LayerNorm variance sum exceeds 2^60 / 2^k for this variance shift.", nameof(x));
            }

            long variance = (centred << varianceShift) + varianceOffset;
            long f = 0;
            int shift = 0;
            if (variance > 0)
            {
                f = Factor(variance, ChannelFactor(length));
                shift = Math.Max(0, 30 - Align(variance) - (varianceShift >> 1));
            }

            for (int i = 0; i < length; i++)
            {
                long d = (length * (long)x[xOffset + i]) - s;
                y[yOffset + i] = (int)IntegerOps.RoundingShiftRight(d * f, shift);
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
