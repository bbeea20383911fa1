using System;
using System.Collections.Generic;
using System.Linq;

namespace QuantGen.Numerics
{
    /// <summary>
    /// The "table" softmax: for an input of at most 8 bits, x - max takes at most 2^bits values, so the exponential is a
    /// build-time table and the only approximations are its rounding and the final requantization. Per row of length L:
    /// <code>
    /// max = max(x); sum = Σ E[max - x_i]                         (E[d] = round(2^B exp(-d S_x)), B = ExpBits(L): sum &lt; 2^31)
    /// f = floor(2^62 / sum)                                       (one division per row; sum &gt;= E[0] = 2^B &gt;= 1)
    /// p_i = (E[max - x_i] f) &gt;&gt; 31                                (p_i ~ 2^31 e_i / sum, in [0, 2^31]; E f &lt;= 2^62)
    /// y_i = clamp(z_y + RoundShift(p_i m, s))                      (m 2^-s = Dyadic.FromReal(2^-31 / S_y): y at the output's own quantization)
    /// </code>
    /// Against the float softmax quantized with the same output parameters (what ONNX Runtime computes between a QDQ pair)
    /// the error before the final rounding is below 2^-B + 2^-31 relative, so y differs only when the float value lies that
    /// close to a rounding tie (ties go up here, to even in ORT). Unlike Shiftmax's fixed int16 output, the output
    /// quantization is free (uint8 at the file's scale in a QDQ model).
    /// </summary>
    public static class SoftmaxTable
    {
        /// <summary>Widest input with a table (one entry per difference max - x).</summary>
        public const int MaxInputBits = 8;

        /// <summary>
        /// B: the largest integer in [0, 30] with L 2^B &lt;= 2^31 - 1, so that the row sum of L exponentials (each at most
        /// E[0] = 2^B) fits int32.
        /// </summary>
        public static int ExpBits(int rowLength)
        {
            int b = 30;
            while (b > 0 && ((long)Math.Max(rowLength, 1) << b) > int.MaxValue)
            {
                b--;
            }

            return b;
        }

        /// <summary>E[d] = round_half_even(2^B exp(-d S_x)) for d in [0, entries): entries = 2^bits of the input type.</summary>
        public static int[] Exp(double inputScale, int entries, int rowLength)
        {
            int b = ExpBits(rowLength);
            var e = new int[entries];
            for (int d = 0; d < entries; d++)
            {
                e[d] = (int)Math.Round(Math.Exp(-d * inputScale) * (1L << b), MidpointRounding.ToEven);
            }

            return e;
        }

        /// <summary>The dyadic from p (a probability times 2^31) to the output's integers: 2^-31 / S_y.</summary>
        public static Dyadic Output(double outputScale) => Dyadic.FromReal(Math.Pow(2, -31) / outputScale);

        /// <summary>One row, as every backend computes it (zero point of x irrelevant: it cancels in max - x).</summary>
        public static void Row(int[] x, int offset, int length, SoftmaxTableParams p, long outZero, long outMin, long outMax, int[] y, int yOffset)
        {
            int max = x[offset];
            for (int i = 1; i < length; i++)
            {
                max = Math.Max(max, x[offset + i]);
            }

            long sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += p.Exp[max - x[offset + i]];
            }

            long f = (1L << 62) / sum;
            for (int i = 0; i < length; i++)
            {
                long prob = (p.Exp[max - x[offset + i]] * f) >> 31;
                long v = outZero + p.Out.Apply(prob);
                y[yOffset + i] = (int)Math.Max(outMin, Math.Min(outMax, v));
            }
        }
    }

    /// <summary>The "table" softmax's integers: the exponential table E (one entry per difference max - x) and the output dyadic.</summary>
    public sealed class SoftmaxTableParams : IEquatable<SoftmaxTableParams>
    {
        /// <summary>Validates: 1 to 256 entries, E[0] a power of two 2^B (B in [0, 30]) and every entry in [0, E[0]], non-increasing.</summary>
        /// <exception cref="ArgumentException">The table violates one of these.</exception>
        public SoftmaxTableParams(IEnumerable<int> exp, Dyadic output)
        {
            Exp = (exp ?? throw new ArgumentNullException(nameof(exp))).ToArray();
            if (Exp.Count == 0 || Exp.Count > 1 << SoftmaxTable.MaxInputBits)
            {
                throw new ArgumentException($"the exponential table has {Exp.Count} entries; 1 to {1 << SoftmaxTable.MaxInputBits} expected", nameof(exp));
            }

            int top = Exp[0];
            if (top < 1 || (top & (top - 1)) != 0 || top > 1 << 30)
            {
                throw new ArgumentException($"the exponential table's first entry {top} must be 2^B with B in [0, 30]", nameof(exp));
            }

            for (int i = 1; i < Exp.Count; i++)
            {
                if (Exp[i] < 0 || Exp[i] > Exp[i - 1])
                {
                    throw new ArgumentException($"the exponential table must be non-increasing and non-negative (entry {i} is {Exp[i]} after {Exp[i - 1]})", nameof(exp));
                }
            }

            if (output.Multiplier < 0)
            {
                throw new ArgumentException("the output multiplier must not be negative", nameof(output));
            }

            Out = output;
            ExpBits = 0;
            while ((1 << ExpBits) < top)
            {
                ExpBits++;
            }
        }

        /// <summary>E[d] = round(2^B exp(-d S_x)).</summary>
        public IReadOnlyList<int> Exp { get; }

        /// <summary>B, from E[0] = 2^B.</summary>
        public int ExpBits { get; }

        /// <summary>2^-31 / S_y.</summary>
        public Dyadic Out { get; }

        public bool Equals(SoftmaxTableParams? other) => other != null && Out == other.Out && Exp.SequenceEqual(other.Exp);

        public override bool Equals(object? obj) => Equals(obj as SoftmaxTableParams);

        public override int GetHashCode() => Out.GetHashCode() ^ Exp.Count ^ Exp[Exp.Count - 1];
    }
}
