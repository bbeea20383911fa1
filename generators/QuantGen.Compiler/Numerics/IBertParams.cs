using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Integer parameters of I-BERT's i-exp, folded from the input scale S (see <see cref="IBert.ExpFromScale"/>):
    /// QLn2 = floor(-0.6931 / S), QB = floor(b / S), QC = floor(c / S^2) with b = 0.96963238 / 0.35815147 and
    /// c = 1 / 0.35815147, and Shift, the largest k in [0, 30] with QC * 2^k &lt;= 2^30 (derived from QC, not stored
    /// in models).
    /// </summary>
    public readonly struct IExpParams : IEquatable<IExpParams>
    {
        /// <summary>
        /// Validates: QLn2 in [-2^30, -1]; QB in (-2 QLn2, 2^31 - 1] (so the polynomial (r + QB) r + QC is increasing on
        /// (QLn2, 0]); QC in [1, 2^30]; and the polynomial at r = QLn2 + 1 is at least 1. Together these give
        /// 1 &lt;= (r + QB) r + QC &lt;= QC for every reduced argument r.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A parameter violates its range.</exception>
        public IExpParams(int qLn2, int qB, int qC)
        {
            if (qLn2 > -1 || qLn2 < -(1 << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(qLn2), qLn2, "QLn2 must be in [-2^30, -1].");
            }

            if ((long)qB <= -2L * qLn2)
            {
                throw new ArgumentOutOfRangeException(nameof(qB), qB, "QB must exceed -2 * QLn2.");
            }

            if (qC < 1 || qC > (1 << 30))
            {
                throw new ArgumentOutOfRangeException(nameof(qC), qC, "QC must be in [1, 2^30] (input scale too small?).");
            }

            long rMin = qLn2 + 1L;
            if (((rMin + qB) * rMin) + qC < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(qC), qC, "The polynomial must stay positive on (QLn2, 0].");
            }

            QLn2 = qLn2;
            QB = qB;
            QC = qC;
            int shift = 0;
            while (shift < 30 && ((long)qC << (shift + 1)) <= (1L << 30))
            {
                shift++;
            }

            Shift = shift;
        }

        /// <summary>floor(-ln2 / S) with ln2 taken as 0.6931 (I-BERT's constant); negative.</summary>
        public int QLn2 { get; }

        /// <summary>floor((0.96963238 / 0.35815147) / S).</summary>
        public int QB { get; }

        /// <summary>floor((1 / 0.35815147) / S^2).</summary>
        public int QC { get; }

        /// <summary>Precision shift: the largest k in [0, 30] with QC * 2^k &lt;= 2^30.</summary>
        public int Shift { get; }

        /// <inheritdoc/>
        public bool Equals(IExpParams other) => QLn2 == other.QLn2 && QB == other.QB && QC == other.QC;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is IExpParams other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => ((QLn2 * 31) + QB) * 31 + QC;
    }

    /// <summary>i-softmax parameters: the i-exp parameters and the output width (output scale 2^-OutBits).</summary>
    public readonly struct ISoftmaxParams : IEquatable<ISoftmaxParams>
    {
        /// <summary>Stores the parameters; OutBits in [2, 16].</summary>
        /// <exception cref="ArgumentOutOfRangeException">OutBits outside [2, 16].</exception>
        public ISoftmaxParams(IExpParams exp, int outBits)
        {
            if (outBits < 2 || outBits > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(outBits), outBits, "OutBits must be in [2, 16].");
            }

            Exp = exp;
            OutBits = outBits;
        }

        /// <summary>The i-exp parameters.</summary>
        public IExpParams Exp { get; }

        /// <summary>Output width: outputs lie in [0, 2^OutBits - 1] at scale 2^-OutBits.</summary>
        public int OutBits { get; }

        /// <inheritdoc/>
        public bool Equals(ISoftmaxParams other) => Exp.Equals(other.Exp) && OutBits == other.OutBits;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ISoftmaxParams other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (Exp.GetHashCode() * 31) + OutBits;
    }

    /// <summary>
    /// Integer parameters of I-BERT's i-GELU, folded from the input scale S with S_e = S / 1.4142:
    /// QB = floor(-1.769 / S_e), QC = floor((1 / -0.2888) / S_e^2), QOne = floor(1 / (-0.2888 S_e^2)). All negative.
    /// (Without I-BERT's "&gt;&gt; 14", QC and QOne coincide when folded from a scale; both are kept so that models can
    /// carry them independently.)
    /// </summary>
    public readonly struct IGeluParams : IEquatable<IGeluParams>
    {
        /// <summary>Validates: QB in [-46340, -1] (QB^2 &lt;= 2^31), QC and QOne in [-(2^31 - 1), -1].</summary>
        /// <exception cref="ArgumentOutOfRangeException">A parameter violates its range.</exception>
        public IGeluParams(int qB, int qC, int qOne)
        {
            if (qB > -1 || qB < -46340)
            {
                throw new ArgumentOutOfRangeException(nameof(qB), qB, "QB must be in [-46340, -1] (input scale too small?).");
            }

            if (qC > -1 || qC == int.MinValue)
            {
                throw new ArgumentOutOfRangeException(nameof(qC), qC, "QC must be in [-(2^31 - 1), -1].");
            }

            if (qOne > -1 || qOne == int.MinValue)
            {
                throw new ArgumentOutOfRangeException(nameof(qOne), qOne, "QOne must be in [-(2^31 - 1), -1].");
            }

            QB = qB;
            QC = qC;
            QOne = qOne;
        }

        /// <summary>floor(-1.769 / S_e), negative: -QB is the clip point of |x|.</summary>
        public int QB { get; }

        /// <summary>floor((1 / -0.2888) / S_e^2), negative.</summary>
        public int QC { get; }

        /// <summary>floor(1 / (-0.2888 S_e^2)), negative: the integer "1" at the erf scale.</summary>
        public int QOne { get; }

        /// <inheritdoc/>
        public bool Equals(IGeluParams other) => QB == other.QB && QC == other.QC && QOne == other.QOne;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is IGeluParams other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => ((QB * 31) + QC) * 31 + QOne;
    }
}
