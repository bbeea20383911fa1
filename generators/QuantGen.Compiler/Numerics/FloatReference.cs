using System;

namespace QuantGen.Numerics
{
    /// <summary>Double-precision references for the float interpreter and for measuring the integer operators' error.</summary>
    public static class FloatReference
    {
        private const double TwoOverSqrtPi = 1.1283791670955126;
        private const double SqrtPi = 1.7724538509055159;

        /// <summary>
        /// The error function, absolute error below 1e-14 for every finite x (measured: 2.4e-15 against a libm erf).
        /// For |x| &lt; 2.5 it sums erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)), whose terms are
        /// all positive (no cancellation); for |x| &gt;= 2.5 it returns 1 - erfc(|x|) with erfc from its continued
        /// fraction e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + (2/2) / (x + (3/2) / ...))) evaluated 60 levels deep.
        /// Odd; NaN gives NaN; +-infinity gives +-1.
        /// </summary>
        public static double Erf(double x)
        {
            if (double.IsNaN(x))
            {
                return double.NaN;
            }

            double ax = Math.Abs(x);
            double result;
            if (ax >= 2.5)
            {
                result = 1.0 - Erfc(ax);
            }
            else
            {
                double x2 = ax * ax;
                double term = ax;
                double sum = ax;
                for (int n = 1; n < 200; n++)
                {
                    term *= 2.0 * x2 / ((2 * n) + 1);
                    sum += term;
                    if (term < sum * 1e-17)
                    {
                        break;
                    }
                }

                result = Math.Min(TwoOverSqrtPi * Math.Exp(-x2) * sum, 1.0);
            }

            return x < 0 ? -result : result;
        }

        // Continued fraction for x >= 2.5 (relative error ~4e-15 there, better further out); 0 once e^(-x^2) underflows.
        private static double Erfc(double x)
        {
            if (double.IsPositiveInfinity(x))
            {
                return 0.0;
            }

            double t = x;
            for (int k = 60; k >= 1; k--)
            {
                t = x + ((k / 2.0) / t);
            }

            return Math.Exp(-x * x) / (SqrtPi * t);
        }

        /// <summary>Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).</summary>
        public static double Gelu(double x) => 0.5 * x * (1.0 + Erf(x / Math.Sqrt(2.0)));

        /// <summary>Sigmoid GELU approximation: x * sigmoid(1.702 x) (what ShiftGELU approximates).</summary>
        public static double GeluSigmoid(double x) => x * Sigmoid(1.702 * x);

        /// <summary>1 / (1 + e^-x), evaluated without overflow for either sign.</summary>
        public static double Sigmoid(double x)
        {
            if (x >= 0)
            {
                return 1.0 / (1.0 + Math.Exp(-x));
            }

            double e = Math.Exp(x);
            return e / (1.0 + e);
        }

        /// <summary>Softmax of x[offset..offset+length) into y[yOffset..], max-subtracted. length &gt;= 1.</summary>
        public static void Softmax(double[] x, int offset, int length, double[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, offset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            double max = double.NegativeInfinity;
            for (int i = 0; i < length; i++)
            {
                max = Math.Max(max, x[offset + i]);
            }

            double sum = 0;
            var e = new double[length];
            for (int i = 0; i < length; i++)
            {
                e[i] = Math.Exp(x[offset + i] - max);
                sum += e[i];
            }

            for (int i = 0; i < length; i++)
            {
                y[yOffset + i] = e[i] / sum;
            }
        }

        /// <summary>
        /// LayerNorm without affine: (x - mean) / sqrt(var + epsilon), var the biased (divide-by-C) variance. length &gt;= 1.
        /// </summary>
        public static void LayerNorm(double[] x, int offset, int length, double epsilon, double[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, offset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            double mean = 0;
            for (int i = 0; i < length; i++)
            {
                mean += x[offset + i];
            }

            mean /= length;
            double variance = 0;
            for (int i = 0; i < length; i++)
            {
                double d = x[offset + i] - mean;
                variance += d * d;
            }

            variance /= length;
            double inv = 1.0 / Math.Sqrt(variance + epsilon);
            var centred = new double[length];
            for (int i = 0; i < length; i++)
            {
                centred[i] = (x[offset + i] - mean) * inv;
            }

            Array.Copy(centred, 0, y, yOffset, length);
        }

        /// <summary>max(x, 0).</summary>
        public static double Relu(double x) => x > 0 ? x : 0.0;

        /// <summary>min(max(x, 0), 6).</summary>
        public static double Relu6(double x) => Clip(x, 0.0, 6.0);

        /// <summary>min(max(x, lo), hi).</summary>
        public static double Clip(double x, double lo, double hi) => x < lo ? lo : x > hi ? hi : x;

        /// <summary>Index, relative to offset, of the first maximum of x[offset..offset+length). length &gt;= 1.</summary>
        public static int ArgMax(double[] x, int offset, int length)
        {
            IntegerOps.CheckRange(x, offset, length, nameof(x));
            if (length < 1)
            {
                throw new ArgumentException("Needs at least one element.", nameof(length));
            }

            int best = 0;
            for (int i = 1; i < length; i++)
            {
                if (x[offset + i] > x[offset + best])
                {
                    best = i;
                }
            }

            return best;
        }

        /// <summary>Mean of x[offset..offset+length). length &gt;= 1.</summary>
        public static double Mean(double[] x, int offset, int length)
        {
            IntegerOps.CheckRange(x, offset, length, nameof(x));
            if (length < 1)
            {
                throw new ArgumentException("Needs at least one element.", nameof(length));
            }

            double sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += x[offset + i];
            }

            return sum / length;
        }
    }
}
