using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// I-BERT's integer exp, softmax and GELU (second-order polynomial approximations), with the integer parameters
    /// folded at build time from the input scale. Deviations from the reference code are listed in docs/numerics.md:
    /// i-exp scales its polynomial up by a precision shift and then shifts right by the range-reduction quotient
    /// (guarded) instead of shifting left by 30 - q; the softmax divides once per row into 2^62 and rounds; i-GELU drops
    /// the "&gt;&gt; 14"; the negative GELU output scale is reported as is for the caller to fold into its Dyadic.
    /// </summary>
    public static class IBert
    {
        /// <summary>I-BERT's ln 2.</summary>
        public const double Ln2 = 0.6931;

        /// <summary>exp(p) ~ 0.35815147 p^2 + 0.96963238 p + 1 = ExpA (p^2 + ExpB p + ExpC) on p in (-ln2, 0].</summary>
        public const double ExpA = 0.35815147;

        /// <summary>b = 0.96963238 / a.</summary>
        public const double ExpB = 0.96963238 / ExpA;

        /// <summary>c = 1 / a.</summary>
        public const double ExpC = 1.0 / ExpA;

        /// <summary>erf polynomial coefficient a.</summary>
        public const double ErfA = -0.2888;

        /// <summary>erf polynomial clip point b.</summary>
        public const double ErfB = -1.769;

        /// <summary>I-BERT's sqrt(2).</summary>
        public const double Sqrt2 = 1.4142;

        /// <summary>
        /// QLn2 = floor(-0.6931 / S), QB = floor(ExpB / S), QC = floor(ExpC / S^2), all in double.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">S not finite and positive, or the parameters invalid (S below
        /// ~5.2e-5 makes QC exceed 2^30).</exception>
        public static IExpParams ExpFromScale(double inputScale)
        {
            CheckScale(inputScale);
            return new IExpParams(
                ToInt(Math.Floor(-Ln2 / inputScale), nameof(inputScale)),
                ToInt(Math.Floor(ExpB / inputScale), nameof(inputScale)),
                ToInt(Math.Floor(ExpC / (inputScale * inputScale)), nameof(inputScale)));
        }

        /// <summary>Scale of <see cref="IExp"/>'s output: ExpA * S^2 * 2^-Shift.</summary>
        public static double ExpOutputScale(double inputScale)
            => ExpA * inputScale * inputScale * FloatBits.Pow2(-ExpFromScale(inputScale).Shift);

        /// <summary>
        /// i-exp for q &lt;= 0 (q at scale S), exact int64 arithmetic:
        /// <code>
        /// z = q / QLn2                              // both &lt;= 0: truncation = floor, z &gt;= 0
        /// r = q - z * QLn2                          // in (QLn2, 0]
        /// p = (r + QB) * r + QC                     // in [1, QC]: exp(r S) / (ExpA S^2)
        /// return ShiftRightGuarded(p &lt;&lt; Shift, z)   // floor; a count &gt;= 63 gives 0
        /// </code>
        /// The result lies in [0, 2^30] and approximates e^(q S) / ExpOutputScale(S). Domain q in [-2^62, 0].
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">q outside the domain.</exception>
        public static long IExp(long q, IExpParams p)
        {
            if (q > 0 || q < -IntegerOps.Pow2_62)
            {
                throw new ArgumentOutOfRangeException(nameof(q), q, "i-exp needs q in [-2^62, 0].");
            }

            if (p.QLn2 == 0)
            {
                throw new ArgumentException("Parameters are default(IExpParams).", nameof(p));
            }

            return IExpUnchecked(q, p);
        }

        /// <summary>Softmax parameters from the input scale (see <see cref="ExpFromScale"/>).</summary>
        public static ISoftmaxParams SoftmaxFromScale(double inputScale, int outBits = 8)
            => new ISoftmaxParams(ExpFromScale(inputScale), outBits);

        /// <summary>Softmax parameters from stored integers (validated as in <see cref="IExpParams"/>).</summary>
        public static ISoftmaxParams SoftmaxFromIntegers(int qLn2, int qB, int qC, int outBits)
            => new ISoftmaxParams(new IExpParams(qLn2, qB, qC), outBits);

        /// <summary>
        /// One row: m = max_i x_i; e_i = IExp(x_i - m) (each &lt;= 2^30, the maximum's &gt;= 2^29); sum = sum_i e_i (int64);
        /// f = floor(2^62 / sum); y_i = min(RoundingShiftRight(e_i * f, 62 - OutBits), 2^OutBits - 1). e_i * f &lt;= 2^62.
        /// The unclamped value reaches 2^OutBits for a one-hot row, hence the saturation. Output scale 2^-OutBits.
        /// Any int32 inputs; 1 &lt;= length &lt;= 2^31 - 1; x and y may be the same array.
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1 or a range outside its array.</exception>
        public static void SoftmaxRow(int[] x, int xOffset, int length, ISoftmaxParams p, int[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            if (p.OutBits == 0 || p.Exp.QLn2 == 0)
            {
                throw new ArgumentException("Parameters are default(ISoftmaxParams).", nameof(p));
            }

            int max = x[xOffset];
            for (int i = 1; i < length; i++)
            {
                max = Math.Max(max, x[xOffset + i]);
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += IExpUnchecked((long)x[xOffset + i] - max, p.Exp);
            }

            long f = IntegerOps.Pow2_62 / sum;
            long top = (1L << p.OutBits) - 1;
            int shift = 62 - p.OutBits;
            for (int i = 0; i < length; i++)
            {
                long e = IExpUnchecked((long)x[xOffset + i] - max, p.Exp);
                y[yOffset + i] = (int)Math.Min(IntegerOps.RoundingShiftRight(e * f, shift), top);
            }
        }

        /// <summary>The softmax output scale 2^-outBits.</summary>
        public static double SoftmaxOutputScale(int outBits)
        {
            if (outBits < 2 || outBits > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(outBits), outBits, "OutBits must be in [2, 16].");
            }

            return FloatBits.Pow2(-outBits);
        }

        /// <summary>
        /// i-GELU parameters from the input scale: S_e = S / 1.4142; QB = floor(-1.769 / S_e);
        /// QC = floor((1 / -0.2888) / S_e^2); QOne = floor(1 / (-0.2888 S_e^2)); all in double.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">S not finite and positive or too small (below ~5.7e-5).</exception>
        public static IGeluParams GeluFromScale(double inputScale)
        {
            CheckScale(inputScale);
            double se = inputScale / Sqrt2;
            return new IGeluParams(
                ToInt(Math.Floor(ErfB / se), nameof(inputScale)),
                ToInt(Math.Floor((1.0 / ErfA) / (se * se)), nameof(inputScale)),
                ToInt(Math.Floor(1.0 / (ErfA * se * se)), nameof(inputScale)));
        }

        /// <summary>i-GELU parameters from stored integers (validated as in <see cref="IGeluParams"/>).</summary>
        public static IGeluParams GeluFromIntegers(int qB, int qC, int qOne) => new IGeluParams(qB, qC, qOne);

        /// <summary>
        /// Scale of <see cref="Gelu"/>'s output: S * ErfA * S_e^2 / 2 with S_e = S / 1.4142. Negative (ErfA &lt; 0): the
        /// caller folds the sign into the requantization Dyadic (Dyadic.FromReal of a negative real).
        /// </summary>
        public static double GeluOutputScale(double inputScale)
        {
            CheckScale(inputScale);
            double se = inputScale / Sqrt2;
            return inputScale * ErfA * se * se / 2.0;
        }

        /// <summary>
        /// Element-wise i-GELU, exact int64 arithmetic:
        /// <code>
        /// a   = min(|q|, -QB)
        /// erf = sign(q) * ((a + QB)^2 + QC)          // erf(q S / sqrt 2) / (ErfA S_e^2); sign(0) = 0
        /// y   = q * (erf + QOne)
        /// </code>
        /// Every intermediate fits int64 for the domain |q| &lt;= 2^30 with validated parameters (|erf + QOne| &lt; 2^33).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">|q| &gt; 2^30.</exception>
        public static long Gelu(long q, IGeluParams p)
        {
            if (q > (1L << 30) || q < -(1L << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(q), q, "i-GELU needs |q| <= 2^30.");
            }

            if (p.QB == 0)
            {
                throw new ArgumentException("Parameters are default(IGeluParams).", nameof(p));
            }

            long abs = q < 0 ? -q : q;
            long a = Math.Min(abs, -(long)p.QB);
            long t = a + p.QB;
            long poly = (t * t) + p.QC;
            long erf = q > 0 ? poly : q < 0 ? -poly : 0;
            return q * (erf + p.QOne);
        }

        private static long IExpUnchecked(long q, IExpParams p)
        {
            long z = q / p.QLn2;
            long r = q - (z * p.QLn2);
            long poly = ((r + p.QB) * r) + p.QC;
            return IntegerOps.ShiftRightGuarded(poly << p.Shift, z);
        }

        private static void CheckScale(double scale)
        {
            if (double.IsNaN(scale) || double.IsInfinity(scale) || scale <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale must be finite and positive.");
            }
        }

        private static int ToInt(double value, string name)
        {
            if (!(value >= int.MinValue && value <= int.MaxValue))
            {
                throw new ArgumentOutOfRangeException(name, value, "Folded parameter does not fit int32.");
            }

            return (int)value;
        }
    }
}
