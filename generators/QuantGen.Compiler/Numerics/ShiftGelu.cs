using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// Integer parameters of I-ViT's ShiftGELU: X0 = floor(-1/S') with S' = 1.702 S, N the ShiftExp precision.
    /// </summary>
    public readonly struct ShiftGeluParams : IEquatable<ShiftGeluParams>
    {
        /// <summary>
        /// Validates and stores: X0 in [-2^30, -1], N in [0, 30], and the budget 2 * (-X0) * 2^N &lt;= 2^31 - 1 (the
        /// sigmoid's denominator is the sum of two ShiftExp values).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its range or the budget is exceeded.</exception>
        public ShiftGeluParams(int x0, int n)
        {
            ShiftExpMath.Validate(x0, n, 2);
            X0 = x0;
            N = n;
        }

        /// <summary>floor(-1 / (1.702 S)), negative.</summary>
        public int X0 { get; }

        /// <summary>ShiftExp precision bits.</summary>
        public int N { get; }

        /// <inheritdoc/>
        public bool Equals(ShiftGeluParams other) => X0 == other.X0 && N == other.N;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ShiftGeluParams other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (X0 * 31) + N;
    }

    /// <summary>
    /// I-ViT ShiftGELU: GELU(x) ~ x * sigmoid(1.702 x) with sigmoid(z) = e^(z - m) / (e^(z - m) + e^(-m)) evaluated with
    /// ShiftExp. Row-wise: m comes from the row maximum.
    /// </summary>
    public static class ShiftGelu
    {
        /// <summary>Width of the integer sigmoid: values in [0, 127] at scale 2^-7.</summary>
        public const int SigmoidBits = 8;

        /// <summary>Largest input magnitude: keeps x * sigmoid (sigmoid &lt;= 127) inside int32.</summary>
        public const int MaxInputMagnitude = 1 << 24;

        /// <summary>
        /// Parameters from the float32 input scale: S' = 1.702f * S (float32 multiply), X0 = floor(-1f / S') (float32
        /// divide), validated by <see cref="ShiftGeluParams"/>. With n = 23 the budget needs S &gt;= ~0.0046.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">S not finite and positive, or the parameters are invalid.</exception>
        public static ShiftGeluParams FromScale(float inputScale, int n = 23)
        {
            if (float.IsNaN(inputScale) || float.IsInfinity(inputScale) || inputScale <= 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "Scale must be finite and positive.");
            }

            float folded = 1.702f * inputScale;
            return new ShiftGeluParams(ShiftExpMath.X0FromScale(folded), n);
        }

        /// <summary>
        /// One row, all intermediates in int64: m = max(max_i x_i, 0); e_b = ShiftExp(-m); for each i:
        /// e_a = ShiftExp(x_i - m); f = floor((2^31 - 1) / (e_a + e_b)); s_i = (e_a * f) &gt;&gt; 24 (floor, in [0, 127]);
        /// y_i = x_i * s_i, at scale S * 2^-7.
        /// <para>Deviation from I-ViT, which uses m = row max: with a wholly negative row, -m &gt; 0 would be fed to
        /// ShiftExp and its shift n - q would exceed n and overflow. e^(z - m) / (e^(z - m) + e^(-m)) is the same
        /// function for every m, so max(m, 0) is an exact identity in reals that keeps both ShiftExp arguments &lt;= 0.</para>
        /// Domain: |x_i| &lt;= 2^24; length &gt;= 1; x and y may be the same array.
        /// </summary>
        /// <exception cref="ArgumentException">length &lt; 1, a range outside its array, or |x_i| &gt; 2^24.</exception>
        public static void Row(int[] x, int xOffset, int length, ShiftGeluParams p, int[] y, int yOffset)
        {
            IntegerOps.CheckRange(x, xOffset, length, nameof(x));
            IntegerOps.CheckRange(y, yOffset, length, nameof(y));
            if (length < 1)
            {
                throw new ArgumentException("A row needs at least one element.", nameof(length));
            }

            if (p.X0 == 0)
            {
                throw new ArgumentException("Parameters are default(ShiftGeluParams).", nameof(p));
            }

            long m = 0;
            for (int i = 0; i < length; i++)
            {
                int v = x[xOffset + i];
                if (v > MaxInputMagnitude || v < -MaxInputMagnitude)
                {
                    throw new ArgumentException("ShiftGELU inputs must lie in [-2^24, 2^24].", nameof(x));
                }

                m = Math.Max(m, v);
            }

            long eb = ShiftExpMath.Unchecked(-m, p.X0, p.N);
            for (int i = 0; i < length; i++)
            {
                long v = x[xOffset + i];
                long ea = ShiftExpMath.Unchecked(v - m, p.X0, p.N);
                long f = int.MaxValue / (ea + eb);       // both >= 1, sum <= 2^31 - 1 by the budget
                long s = (ea * f) >> (31 - (SigmoidBits - 1));
                y[yOffset + i] = (int)(v * s);
            }
        }

        /// <summary>
        /// Element-wise variant (not I-ViT's): the same formula as <see cref="Row"/> with m = max(x, 0) per element
        /// instead of per row, so one of the two ShiftExp arguments is always 0 and neither can reach ShiftExp's
        /// n * x0 clamp unless the sigmoid is already within 2^-n of 0 or 1. Row-wise, a large row max pushes both
        /// e^(x - m) and e^(-m) onto that clamp and the sigmoid of small elements degrades (see docs/numerics.md).
        /// Domain |x| &lt;= 2^24; returns x * s at scale S * 2^-7.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">|x| &gt; 2^24.</exception>
        public static long Element(long x, ShiftGeluParams p)
        {
            if (x > MaxInputMagnitude || x < -MaxInputMagnitude)
            {
                throw new ArgumentOutOfRangeException(nameof(x), x, "ShiftGELU inputs must lie in [-2^24, 2^24].");
            }

            return x * Sigmoid(x, Math.Max(x, 0), p);
        }

        /// <summary>The sigmoid alone for one element given the row's m = max(rowmax, 0): (e_a * f) &gt;&gt; 24 as in
        /// <see cref="Row"/>.</summary>
        public static int Sigmoid(long x, long m, ShiftGeluParams p)
        {
            if (m < 0 || x > m || x < -IntegerOps.Pow2_62 / 2 || m > IntegerOps.Pow2_62 / 2)
            {
                throw new ArgumentOutOfRangeException(nameof(x), x, "Needs 0 <= m, x <= m, |x|, m <= 2^61.");
            }

            if (p.X0 == 0)
            {
                throw new ArgumentException("Parameters are default(ShiftGeluParams).", nameof(p));
            }

            long ea = ShiftExpMath.Unchecked(x - m, p.X0, p.N);
            long eb = ShiftExpMath.Unchecked(-m, p.X0, p.N);
            long f = int.MaxValue / (ea + eb);
            return (int)((ea * f) >> (31 - (SigmoidBits - 1)));
        }

        /// <summary>The output scale S * 2^-7.</summary>
        public static double OutputScale(double inputScale) => inputScale * FloatBits.Pow2(-(SigmoidBits - 1));
    }
}
