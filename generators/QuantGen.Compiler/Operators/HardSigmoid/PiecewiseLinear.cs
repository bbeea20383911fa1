using System;
using System.Numerics;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// The exact integer form of HardSigmoid and HardSwish (docs/numerics.md, "HardSigmoid, HardSwish (exact)"). With
    /// d = x - z_x and one shift s:
    /// <list type="bullet">
    /// <item>HardSigmoid: y = clamp(z_y + round(clamp(d M + B, 0, C) / 2^s)), M = round(alpha S_x 2^s / S_y),
    /// B = round(beta 2^s / S_y), C = round(2^s / S_y): the gate alpha x + beta in output units, clamped at the
    /// output-quantized 0 and 1, rounded once.</item>
    /// <item>HardSwish: y = clamp(z_y + round(d clamp(d M + B, 0, C) / 2^s)), M = round(alpha S_x^2 2^s / S_y),
    /// B = round(beta S_x 2^s / S_y), C = round(S_x 2^s / S_y): the gate scaled by S_x / S_y (its 1 is C), the product
    /// in int64, rounded once.</item>
    /// </list>
    /// round is the project's rounding shift (ties toward +infinity); the outer clamp is the output type. M, B and C are
    /// rounded to nearest from the exact rationals (the scales and attributes are binary fractions; HardSwish's 1/6 is
    /// exact), so each is within 1/2 of its ideal value and the result is within 1/2 + e LSB of f(x) / S_y + z_y before
    /// the type clamp, e = (D + 2) 2^-(s+1) for HardSigmoid and D (D + 2) 2^-(s+1) for HardSwish, D = 2^bits(x) - 1 the
    /// largest |d|. s is the largest shift in [1, 62] with 2^bits |M| + |B| &lt;= 2^62 and C 2^bits &lt;= 2^62 (HardSwish) or
    /// C &lt;= 2^62 (HardSigmoid), so every intermediate fits int64 and the rounding operand is at most 2^62 in magnitude.
    /// </summary>
    public sealed class PiecewiseLinear : IEquatable<PiecewiseLinear>
    {
        /// <summary>QG1049: no shift gives the exact HardSigmoid/HardSwish an error term e of at most 1/2 LSB within int64.</summary>
        public const string Unrepresentable = "QG1049";

        public PiecewiseLinear(long multiplier, long offset, long ceiling, int shift, bool product)
        {
            if (shift < 1 || shift > 62)
            {
                throw new ArgumentException($"the shift {shift} must be in [1, 62]", nameof(shift));
            }

            if (ceiling < 0 || ceiling > IntegerOps.Pow2_62)
            {
                throw new ArgumentException($"the ceiling {ceiling} must be in [0, 2^62]", nameof(ceiling));
            }

            if (multiplier < -IntegerOps.Pow2_62 || multiplier > IntegerOps.Pow2_62 || offset < -IntegerOps.Pow2_62 || offset > IntegerOps.Pow2_62)
            {
                throw new ArgumentException($"the multiplier {multiplier} and offset {offset} must lie in [-2^62, 2^62]", nameof(multiplier));
            }

            Multiplier = multiplier;
            Offset = offset;
            Ceiling = ceiling;
            Shift = shift;
            Product = product;
        }

        /// <summary>M: the gate's slope per input integer, times 2^s.</summary>
        public long Multiplier { get; }

        /// <summary>B: the gate's value at d = 0, times 2^s.</summary>
        public long Offset { get; }

        /// <summary>C: the gate's upper clamp (the output-quantized 1, times S_x for HardSwish), times 2^s.</summary>
        public long Ceiling { get; }

        /// <summary>s.</summary>
        public int Shift { get; }

        /// <summary>true for HardSwish (the gate multiplies d), false for HardSigmoid.</summary>
        public bool Product { get; }

        /// <summary>
        /// Whether the parameters are safe for an input of <paramref name="bits"/> bits: every intermediate fits int64
        /// (|d| &lt; 2^bits) and the rounding operand is at most 2^62 in magnitude.
        /// </summary>
        public bool FitsInput(int bits)
        {
            var n = BigInteger.One << bits;
            BigInteger limit = BigInteger.One << 62;
            return (n * BigInteger.Abs(Multiplier)) + BigInteger.Abs(Offset) <= limit && (Product ? n * Ceiling : (BigInteger)Ceiling) <= limit;
        }

        /// <summary>The error term e of the bound 1/2 + e (output LSB) for an input of <paramref name="bits"/> bits.</summary>
        public double ErrorTerm(int bits)
        {
            double d = Math.Pow(2, bits) - 1;
            return (Product ? d * (d + 2) : d + 2) * Math.Pow(2, -(Shift + 1));
        }

        /// <summary>The integer function before the output zero point and type clamp: round(g / 2^s) or round(d g / 2^s).</summary>
        public long Core(long d)
        {
            long g = (d * Multiplier) + Offset;
            g = g < 0 ? 0 : (g > Ceiling ? Ceiling : g);
            return IntegerOps.RoundingShiftRight(Product ? d * g : g, Shift);
        }

        /// <summary>The quantized output for input integer x.</summary>
        public int Apply(long x, TensorQuant inQ, TensorQuant outQ)
        {
            long v = outQ.ZeroPoint + Core(x - inQ.ZeroPoint);
            return (int)Math.Max(outQ.Type.MinValue, Math.Min(outQ.Type.MaxValue, v));
        }

        /// <summary>
        /// The parameters for gate alpha x + beta (exact rationals <paramref name="alphaNum"/>/<paramref name="alphaDen"/>
        /// and the double <paramref name="beta"/>) between the two quantizations; null (QG1049) when no shift in [1, 62]
        /// keeps the intermediates within int64 with e &lt;= 1/2.
        /// </summary>
        public static PiecewiseLinear? Derive(BigInteger alphaNum, BigInteger alphaDen, double beta, bool product, TensorQuant inQ, TensorQuant outQ)
        {
            (BigInteger sxN, BigInteger sxD) = Exact(inQ.Scale);
            (BigInteger syN, BigInteger syD) = Exact(outQ.Scale);
            (BigInteger bN, BigInteger bD) = Exact(beta);
            if (sxN.Sign <= 0 || syN.Sign <= 0)
            {
                return null;
            }

            // Each parameter as num / den, times 2^s below. HardSigmoid: alpha S_x / S_y, beta / S_y, 1 / S_y;
            // HardSwish: alpha S_x^2 / S_y, beta S_x / S_y, S_x / S_y.
            BigInteger mN = alphaNum * sxN * syD, mD = alphaDen * sxD * syN;
            BigInteger oN = bN * syD, oD = bD * syN;
            BigInteger cN = syD, cD = syN;
            if (product)
            {
                mN *= sxN;
                mD *= sxD;
                oN *= sxN;
                oD *= sxD;
                cN *= sxN;
                cD *= sxD;
            }

            int bits = inQ.Type.Bits;
            for (int s = 62; s >= 1; s--)
            {
                BigInteger m = RoundHalfUp(mN << s, mD), o = RoundHalfUp(oN << s, oD), ceiling = RoundHalfUp(cN << s, cD);
                BigInteger limit = BigInteger.One << 62;
                if (BigInteger.Abs(m) > limit || BigInteger.Abs(o) > limit || ceiling > limit)
                {
                    continue;
                }

                var p = new PiecewiseLinear((long)m, (long)o, (long)ceiling, s, product);
                if (p.FitsInput(bits))
                {
                    return p.ErrorTerm(bits) <= 0.5 ? p : null;
                }
            }

            return null;
        }

        /// <summary>A finite double as an exact fraction num / den (den a power of two, den &gt; 0).</summary>
        public static (BigInteger Num, BigInteger Den) Exact(double v)
        {
            if (double.IsNaN(v) || double.IsInfinity(v))
            {
                throw new ArgumentException($"{v} is not finite", nameof(v));
            }

            long raw = BitConverter.DoubleToInt64Bits(v);
            bool negative = raw < 0;
            int exp = (int)((raw >> 52) & 0x7FF);
            long mant = raw & 0xFFFFFFFFFFFFFL;
            if (exp == 0)
            {
                exp = 1;
            }
            else
            {
                mant |= 1L << 52;
            }

            // v = mant 2^(exp - 1075)
            int e = exp - 1075;
            BigInteger num = negative ? -(BigInteger)mant : mant;
            return e >= 0 ? (num << e, BigInteger.One) : (num, BigInteger.One << -e);
        }

        /// <summary>floor(n / d + 1/2) for d &gt; 0.</summary>
        public static BigInteger RoundHalfUp(BigInteger n, BigInteger d)
        {
            BigInteger a = (2 * n) + d, b = 2 * d;
            BigInteger q = BigInteger.DivRem(a, b, out BigInteger r);
            return r.Sign < 0 ? q - 1 : q;
        }

        public bool Equals(PiecewiseLinear? other) =>
            other != null && other.Multiplier == Multiplier && other.Offset == Offset && other.Ceiling == Ceiling && other.Shift == Shift && other.Product == Product;

        public override bool Equals(object? obj) => Equals(obj as PiecewiseLinear);

        public override int GetHashCode() => unchecked((((Multiplier.GetHashCode() * 31) + Offset.GetHashCode()) * 31) + (Ceiling.GetHashCode() * 7) + (Shift * 2) + (Product ? 1 : 0));

        public override string ToString() => $"M {Multiplier} B {Offset} C {Ceiling} s {Shift}{(Product ? " (product)" : string.Empty)}";
    }
}
