using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Integer parameters of I-ViT's Shiftmax. X0 &lt; 0 is floor(-1/S) (so -X0 integer units ~ 1.0), N the fixed-point
    /// precision of ShiftExp, OutBits the output width (output scale 2^-(OutBits-1)).
    /// </summary>
    public readonly struct ShiftmaxParams : IEquatable<ShiftmaxParams>
    {
        /// <summary>
        /// Validates and stores the parameters: X0 in [-2^30, -1], N in [0, 30], OutBits in [2, 16], and the per-element
        /// budget (-X0) * 2^N &lt;= 2^31 - 1 (the largest ShiftExp value, reached at x = row max).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range or the budget is exceeded.</exception>
        public ShiftmaxParams(int x0, int n, int outBits)
        {
            ShiftExpMath.Validate(x0, n, 1);
            if (outBits < 2 || outBits > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(outBits), outBits, "OutBits must be in [2, 16].");
            }

            X0 = x0;
            N = n;
            OutBits = outBits;
        }

        /// <summary>floor(-1/S), negative.</summary>
        public int X0 { get; }

        /// <summary>ShiftExp precision bits.</summary>
        public int N { get; }

        /// <summary>Output width: outputs lie in [0, 2^(OutBits-1) - 1].</summary>
        public int OutBits { get; }

        /// <inheritdoc/>
        public bool Equals(ShiftmaxParams other) => X0 == other.X0 && N == other.N && OutBits == other.OutBits;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ShiftmaxParams other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (X0 * 31 + N) * 31 + OutBits;
    }

    /// <summary>
    /// I-ViT Shiftmax: softmax with base-2 shifts, one integer division per row. Inputs are zero-point-free integers
    /// (q - zp) at scale S; outputs are probabilities at scale 2^-(OutBits-1).
    /// </summary>
    public static class Shiftmax
    {
        /// <summary>
        /// Parameters from the float32 input scale: X0 = floor(-1f / S) with the division done in float32 (as the
        /// trained I-ViT graphs do), then validated by <see cref="ShiftmaxParams"/>.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">S not finite and positive, or the parameters are invalid.</exception>
        public static ShiftmaxParams FromScale(float inputScale, int n = 15, int outBits = 8)
            => new ShiftmaxParams(ShiftExpMath.X0FromScale(inputScale), n, outBits);

        /// <summary>Row sums up to this bound keep f = floor((2^31 - 1) / sum) at 8 bits or more (see <see cref="FittingN"/>).</summary>
        public const long FittedSumBound = 1L << 23;

        /// <summary>
        /// n for a row of <paramref name="length"/> elements whose input integers span <paramref name="span"/> steps (issue 13:
        /// narrow attention logits at 197 tokens, where I-ViT's n = 15 lets the int32 row sum overflow, QG1019). When
        /// length * (-x0) * 2^wanted fits int32, <paramref name="wanted"/>, unchanged. Otherwise the largest n below it with
        /// (1) length * (-x0) * 2^n &lt;= 2^23: the sum fits with f &gt;= 256, so the one division keeps 8 bits (a sum just
        /// under 2^31 gives f = 1 and underestimates every probability up to 2x); the largest term (-x0) * 2^n keeps about
        /// 2^23 / length integer steps, since a small scale makes -x0 large; and (2) n * (-x0) &gt;= 1.4375 * span + 2: no
        /// x - max the input can reach meets ShiftExp's floor at 2^-n of the row max, so lowering n changes no term's
        /// approximation (ShiftExp's value depends on n only through that floor and the scale 2^n). When no n satisfies
        /// both, <paramref name="wanted"/>: the range analysis then reports the overflow (QG1019) as before.
        /// </summary>
        public static int FittingN(int x0, int length, long span, int wanted)
        {
            // unit * 2^n <= bound is tested as unit <= bound >> n: no shift of unit can overflow.
            long unit = (long)Math.Max(1, length) * -(long)x0;
            if (wanted < 0 || wanted > 30 || unit <= (int.MaxValue >> wanted))
            {
                return wanted;
            }

            for (int n = wanted - 1; n >= 0; n--)
            {
                if (unit <= (FittedSumBound >> n) && (n * -(long)x0) >= ((span * 23) / 16) + 2)
                {
                    return n;
                }
            }

            return wanted;
        }

        /// <summary>
        /// I-ViT ShiftExp for x &lt;= 0, all shifts floor shifts, all arithmetic in int64:
        /// <code>
        /// x = x + (x &gt;&gt; 1) - (x &gt;&gt; 4)          // x * log2(e), log2(e) ~ 1.4375
        /// x = max(x, n * x0)
        /// q = x / x0                             // both &lt;= 0, exact floor = truncation, q in [0, n]
        /// r = x - q * x0                         // in (x0, 0]
        /// return ((r - 2 x0) &lt;&lt; (n - q)) &gt;&gt; 1     // = floor((r/2 - x0) * 2^(n-q)); 2^(r S) ~ 1 + r S / 2
        /// </code>
        /// The result lies in [1, (-x0) * 2^n] and approximates e^(x S) * (-x0) * 2^n.
        /// Domain: x in [-2^62, 0], x0 in [-2^30, -1], n in [0, 30].
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">An argument is outside the domain.</exception>
        public static long ShiftExp(long x, int x0, int n)
        {
            if (x > 0 || x < -IntegerOps.Pow2_62)
            {
                throw new ArgumentOutOfRangeException(nameof(x), x, "ShiftExp needs x in [-2^62, 0].");
            }

            if (x0 >= 0 || x0 < -(1 << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(x0), x0, "x0 must be in [-2^30, -1].");
            }

            if ((uint)n > 30u)
            {
                throw new ArgumentOutOfRangeException(nameof(n), n, "n must be in [0, 30].");
            }

            return ShiftExpMath.Unchecked(x, x0, n);
        }

        /// <summary>
        /// One row: m = max_i x_i; e_i = ShiftExp(x_i - m, X0, N); sum = min(sum_i e_i, 2^31 - 1) (in int64);
        /// f = floor((2^31 - 1) / sum); y_i = (e_i * f) &gt;&gt; (32 - OutBits) (floor). Since e_i * f &lt;= 2^31 - 1, y_i lies
        /// in [0, 2^(OutBits-1) - 1] at scale 2^-(OutBits-1). The clamp of the sum only engages when the row exceeds the
        /// overflow budget L * (-X0) * 2^N &lt;= 2^31 - 1; the sum is then underestimated, so outputs are biased high (their
        /// total can exceed 1.0) but each stays in range.
        /// Any int32 inputs; length &gt;= 1; x and y may be the same array (each x_i is read before y_i is written).
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1 or a range outside its array.</exception>
        public static void Row(int[] x, int xOffset, int length, ShiftmaxParams p, int[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            if (p.X0 == 0)
            {
                throw new ArgumentException("Parameters are default(ShiftmaxParams).", nameof(p));
            }

            int max = x[xOffset];
            for (int i = 1; i < length; i++)
            {
                max = Math.Max(max, x[xOffset + i]);
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                // Saturating accumulate: each term is <= 2^31 - 1, so the running sum stays far below 2^63.
                sum = Math.Min(sum + ShiftExpMath.Unchecked((long)x[xOffset + i] - max, p.X0, p.N), int.MaxValue);
            }

            long f = int.MaxValue / sum;
            int shift = 32 - p.OutBits;
            for (int i = 0; i < length; i++)
            {
                long e = ShiftExpMath.Unchecked((long)x[xOffset + i] - max, p.X0, p.N);
                y[yOffset + i] = (int)((e * f) >> shift);
            }
        }

        /// <summary>
        /// <see cref="Row"/> over the kept positions only (<paramref name="keep"/>[i], one flag per row position): m = max of
        /// the kept x_i, e_i = ShiftExp(x_i - m) where kept and 0 where masked, the same saturating sum, f and output. A
        /// masked position outputs 0; a row with no kept position outputs all zeros.
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1, a range outside its array, or keep shorter than length.</exception>
        public static void MaskedRow(int[] x, int xOffset, int length, bool[] keep, ShiftmaxParams p, int[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1 || keep.Length < length || p.X0 == 0)
            {
                throw new ArgumentException("A row needs at least one element, a flag per element and Shiftmax parameters.", nameof(length));
            }

            long max = long.MinValue;
            for (int i = 0; i < length; i++)
            {
                max = keep[i] ? Math.Max(max, x[xOffset + i]) : max;
            }

            if (max == long.MinValue)
            {
                Array.Clear(y, yOffset, length);
                return;
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum = keep[i] ? Math.Min(sum + ShiftExpMath.Unchecked(x[xOffset + i] - max, p.X0, p.N), int.MaxValue) : sum;
            }

            long f = int.MaxValue / sum;
            int shift = 32 - p.OutBits;
            for (int i = 0; i < length; i++)
            {
                y[yOffset + i] = keep[i] ? (int)((ShiftExpMath.Unchecked(x[xOffset + i] - max, p.X0, p.N) * f) >> shift) : 0;
            }
        }

        /// <summary>The output scale 2^-(outBits-1).</summary>
        public static double OutputScale(int outBits)
        {
            if (outBits < 2 || outBits > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(outBits), outBits, "OutBits must be in [2, 16].");
            }

            return FloatBits.Pow2(-(outBits - 1));
        }
    }

    /// <summary>Shared ShiftExp core and parameter checks for Shiftmax and ShiftGELU.</summary>
    internal static class ShiftExpMath
    {
        internal static int X0FromScale(float inputScale)
        {
            if (float.IsNaN(inputScale) || float.IsInfinity(inputScale) || inputScale <= 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "Scale must be finite and positive.");
            }

            float ratio = -1f / inputScale;
            double x0 = Math.Floor((double)ratio);
            if (x0 < -(1 << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "Scale too small: x0 below -2^30.");
            }

            return (int)x0;
        }

        // terms: how many ShiftExp values (each <= (-x0) * 2^n) must sum to at most 2^31 - 1.
        internal static void Validate(int x0, int n, int terms)
        {
            if (x0 >= 0 || x0 < -(1 << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(x0), x0, "x0 must be in [-2^30, -1].");
            }

            if ((uint)n > 30u)
            {
                throw new ArgumentOutOfRangeException(nameof(n), n, "n must be in [0, 30].");
            }

            if ((long)terms * (-(long)x0) << n > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(n),
                    n,
                    "Overflow budget: " + terms.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    + " * (-x0) * 2^n must be at most 2^31 - 1; use a smaller n or a larger input scale.");
            }
        }

        // Caller guarantees x in [-2^62, 0], x0 in [-2^30, -1], n in [0, 30].
        internal static long Unchecked(long x, int x0, int n)
        {
            x = x + (x >> 1) - (x >> 4);
            long lower = (long)n * x0;
            if (x < lower)
            {
                x = lower;
            }

            long q = x / x0;                     // x <= 0 and x0 < 0: truncation is the floor
            long r = x - (q * x0);               // in (x0, 0]
            return ((r - (2L * x0)) << (int)(n - q)) >> 1;
        }
    }
}
