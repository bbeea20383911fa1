using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Quantized element-wise a + b (and a - b) of two tensors with different scales, rounded ONCE like ONNX Runtime's
    /// QLinearAdd / DQ -> Add -> Q: y = clamp(zo + RoundShift((a - za) M_a + (b - zb) M_b, s)), one common shift s. The two
    /// branch dyadics (m_a 2^-s_a, m_b 2^-s_b) are brought to the common shift s = max(s_a, s_b) exactly (the other mantissa
    /// shifted up: <see cref="Common"/>), so spec files with different branch shifts read with the same meaning. The result
    /// is within 1/2 LSB of the real sum of the two dyadic products (ties toward +inf), plus the multipliers' own error.
    /// </summary>
    public static class ResidualAdd
    {
        /// <summary>Bits of the larger branch mantissa chosen by <see cref="Multipliers"/>: it lies in [2^20, 2^21].</summary>
        public const int MantissaBits = 21;

        /// <summary>The largest allowed distance between the two branch shifts (so that the shifted-up mantissa fits int64 with room).</summary>
        public const int MaxShiftGap = 31;

        /// <summary>
        /// The two branch multipliers S_a / S_out and S_b / S_out with ONE common shift s, chosen so that the larger mantissa
        /// lies in [2^20, 2^21] (each rounded half to even from the exact double product): relative error at most 2^-21 on the
        /// larger, absolute error 2^-(s+1) on each. Small mantissas keep (a - za) m_a + (b - zb) m_b + 2^(s-1) within int32 for
        /// int8 operands (the CPU plan proves it per layer before it takes its int32 kernel). s is clamped to [0, 62]; a ratio
        /// of 2^31 or more is rejected.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A scale that is not finite and positive, or a ratio of 2^31 or more.</exception>
        public static (Dyadic A, Dyadic B) Multipliers(double scaleA, double scaleB, double outputScale)
        {
            if (!(outputScale > 0) || double.IsInfinity(outputScale))
            {
                throw new ArgumentOutOfRangeException(nameof(outputScale), outputScale, "Scale must be finite and positive.");
            }

            double ra = scaleA / outputScale, rb = scaleB / outputScale;
            if (double.IsNaN(ra) || double.IsInfinity(ra) || double.IsNaN(rb) || double.IsInfinity(rb))
            {
                throw new ArgumentOutOfRangeException(nameof(scaleA), scaleA, "Scales must be finite.");
            }

            double big = Math.Max(Math.Abs(ra), Math.Abs(rb));
            if (big == 0)
            {
                return (Dyadic.Zero, Dyadic.Zero);
            }

            FloatBits.Frexp(big, out int e);
            int s = Math.Min(Dyadic.MaxShift, Math.Max(0, MantissaBits - e));
            double ma = Math.Round(ra * FloatBits.Pow2(s), MidpointRounding.ToEven), mb = Math.Round(rb * FloatBits.Pow2(s), MidpointRounding.ToEven);
            if (Math.Abs(ma) > int.MaxValue || Math.Abs(mb) > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(scaleA), big, "Multiplier magnitude must be below 2^31.");
            }

            return (new Dyadic((int)ma, s), new Dyadic((int)mb, s));
        }

        /// <summary>The largest magnitude of an integer of a <see cref="WideConstant"/> (2^30: int32 with a bit to spare).</summary>
        public const int WideConstantLimit = 1 << 30;

        /// <summary>
        /// A float constant operand c of an Add (a positional embedding, a bias added after a MatMul) as int32 integers at a
        /// scale S_c = S_o 2^(k - s), where s is the common shift <see cref="Multipliers"/> picks for the activation's branch
        /// (S_a / S_o) and k &gt;= 0 the smallest that keeps every |c / S_c| within 2^30. Multipliers(S_a, S_c, S_o) then gives the
        /// constant's branch the mantissa 2^k at shift s exactly, so the Add's one rounding is on (a - za) M_a + round(c / S_c) 2^k,
        /// i.e. on c / S_o to within 2^(k - s - 1) output LSB (2^-22 for DeiT's position embedding) instead of the half step
        /// of an 8-bit constant: the sum ONNX Runtime rounds when it adds a float initializer between QDQ pairs. Integers
        /// round half to even. Null when no such k exists (the constant's branch would need a larger shift than the activation's,
        /// or a scale is not finite and positive): the caller keeps its 8-bit constant.
        /// </summary>
        public static (int[] Values, double Scale)? WideConstant(float[] values, double scaleA, double outputScale)
        {
            if (!(scaleA > 0) || !(outputScale > 0) || double.IsInfinity(scaleA) || double.IsInfinity(outputScale) || double.IsInfinity(scaleA / outputScale))
            {
                return null;
            }

            int s = Multipliers(scaleA, 0, outputScale).A.Shift;
            double absMax = 0;
            foreach (float v in values)
            {
                if (float.IsNaN(v) || float.IsInfinity(v))
                {
                    return null;
                }

                absMax = Math.Max(absMax, Math.Abs((double)v));
            }

            for (int k = 0; k <= 30; k++)
            {
                double scale = outputScale * FloatBits.Pow2(k - s);
                if (absMax / scale > WideConstantLimit)
                {
                    continue;
                }

                (Dyadic a, Dyadic c) = Multipliers(scaleA, scale, outputScale);
                if (a.Shift != s || c.Shift != s || c.Multiplier != 1 << k)
                {
                    return null;
                }

                var q = new int[values.Length];
                for (int i = 0; i < q.Length; i++)
                {
                    q[i] = (int)Math.Round(values[i] / scale, MidpointRounding.ToEven);
                }

                return (q, scale);
            }

            return null;
        }

        /// <summary>
        /// The common-shift form of two branch dyadics: s = max(s_a, s_b), M_a = m_a 2^(s - s_a), M_b = m_b 2^(s - s_b) (exact).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The shifts differ by more than <see cref="MaxShiftGap"/>.</exception>
        public static (long MA, long MB, int Shift) Common(Dyadic a, Dyadic b)
        {
            int s = Math.Max(a.Shift, b.Shift);
            if (s - a.Shift > MaxShiftGap || s - b.Shift > MaxShiftGap)
            {
                throw new ArgumentOutOfRangeException(nameof(b), b.Shift, "Branch shifts must differ by at most 31.");
            }

            return ((long)a.Multiplier << (s - a.Shift), (long)b.Multiplier << (s - b.Shift), s);
        }

        /// <summary>
        /// Clamp(zo + RoundShift((a - za) M_a + sign (b - zb) M_b, s), lo, hi) in the common-shift form of dA, dB (sign = +1 for
        /// Add, -1 for Sub): one rounding, ties toward +inf. Domain: the pre-shift sum within 2^62 in magnitude (the range analysis
        /// proves it), |zo| &lt;= 2^31.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">An operand outside the domain.</exception>
        /// <exception cref="ArgumentException">lo &gt; hi.</exception>
        public static long Apply(long a, long za, Dyadic dA, long b, long zb, Dyadic dB, long zo, long lo, long hi, int sign = 1)
        {
            if (zo > Dyadic.MaxOperand || zo < -Dyadic.MaxOperand)
            {
                throw new ArgumentOutOfRangeException(nameof(zo), zo, "Zero point magnitude must be at most 2^31.");
            }

            (long ma, long mb, int s) = Common(dA, dB);
            long pre = checked(((a - za) * ma) + (sign * (b - zb) * mb));
            return IntegerOps.Clamp(zo + IntegerOps.RoundingShiftRight(pre, s), lo, hi);
        }

        /// <summary>Apply with the full range of <paramref name="outputType"/> as the clamp.</summary>
        public static long Apply(long a, long za, Dyadic dA, long b, long zb, Dyadic dB, long zo, ElementType outputType, int sign = 1)
            => Apply(a, za, dA, b, zb, dB, zo, outputType.MinValue, outputType.MaxValue, sign);

        /// <summary>
        /// The proven range of the pre-shift sum (a - za) M_a + sign (b - zb) M_b for shifted operands in the given ranges, or
        /// null when it may leave +-2^62 (the limit of the rounding shift in Apply) or the shifts are too far apart.
        /// </summary>
        public static (long Min, long Max)? PreShiftRange(long aMin, long aMax, long bMin, long bMax, Dyadic dA, Dyadic dB, int sign)
        {
            if (Math.Abs(dA.Shift - dB.Shift) > MaxShiftGap)
            {
                return null;
            }

            (long ma, long mb, _) = Common(dA, dB);
            mb *= sign;
            double bound = (Math.Max(Math.Abs((double)aMin), Math.Abs((double)aMax)) * Math.Abs((double)ma)) + (Math.Max(Math.Abs((double)bMin), Math.Abs((double)bMax)) * Math.Abs((double)mb));
            if (bound >= 4.0e18)
            {
                return null;
            }

            long p0 = aMin * ma, p1 = aMax * ma, q0 = bMin * mb, q1 = bMax * mb;
            long min = Math.Min(p0, p1) + Math.Min(q0, q1), max = Math.Max(p0, p1) + Math.Max(q0, q1);
            const long Limit = 1L << 62;
            return min < -Limit || max > Limit ? null : (min, max);
        }
    }
}
