using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// ReLU, ReLU6 and Clip in the quantized domain: the activation becomes an integer clamp [Lo, Hi] of the output
    /// (after requantization), with the bounds derived once at build time from the output scale and zero point.
    /// Applying it is <see cref="IntegerOps.Clamp"/>(q, Lo, Hi); it commutes exactly with the float activation because
    /// quantization is monotone: Quantize(clip(r, a, b)) = Clamp(Quantize(r), Quantize(a), Quantize(b)).
    /// </summary>
    public readonly struct ClampBounds : IEquatable<ClampBounds>
    {
        /// <summary>Stores [lo, hi].</summary>
        /// <exception cref="ArgumentException">lo &gt; hi.</exception>
        public ClampBounds(long lo, long hi)
        {
            if (lo > hi)
            {
                throw new ArgumentException("Clamp bounds are inverted: lo > hi.", nameof(lo));
            }

            Lo = lo;
            Hi = hi;
        }

        /// <summary>Lower bound (inclusive).</summary>
        public long Lo { get; }

        /// <summary>Upper bound (inclusive).</summary>
        public long Hi { get; }

        /// <summary>Clamp(q, Lo, Hi).</summary>
        public long Apply(long q) => q < Lo ? Lo : q > Hi ? Hi : q;

        /// <summary>No activation: the full range of <paramref name="type"/>.</summary>
        public static ClampBounds None(ElementType type) => new ClampBounds(type.MinValue, type.MaxValue);

        /// <summary>ReLU: [max(zeroPoint, Min), Max] (real 0 is exactly the zero point). Needs zeroPoint &lt;= Max.</summary>
        /// <exception cref="ArgumentException">zeroPoint above the type's maximum.</exception>
        public static ClampBounds Relu(ElementType type, long zeroPoint)
            => new ClampBounds(type.Saturate(zeroPoint), type.MaxValue);

        /// <summary>ReLU6: [max(zeroPoint, Min), Quantize(6, scale, zeroPoint, type)].</summary>
        public static ClampBounds Relu6(ElementType type, double scale, long zeroPoint)
            => Clip(type, scale, zeroPoint, 0.0, 6.0);

        /// <summary>
        /// Clip(min, max): [Quantize(min), Quantize(max)] with <see cref="Quantization.Quantize"/> (ties toward +inf,
        /// saturated to the type). Needs min &lt;= max.
        /// </summary>
        /// <exception cref="ArgumentException">min &gt; max or not finite.</exception>
        public static ClampBounds Clip(ElementType type, double scale, long zeroPoint, double min, double max)
        {
            if (!(min <= max) || double.IsInfinity(min) || double.IsInfinity(max))
            {
                throw new ArgumentException("Clip needs finite min <= max.", nameof(min));
            }

            return new ClampBounds(
                Quantization.Quantize(min, scale, zeroPoint, type),
                Quantization.Quantize(max, scale, zeroPoint, type));
        }

        /// <summary>Intersection with another clamp (e.g. a fused activation inside the type's range).</summary>
        /// <exception cref="ArgumentException">The ranges do not intersect.</exception>
        public ClampBounds Intersect(ClampBounds other) => new ClampBounds(Math.Max(Lo, other.Lo), Math.Min(Hi, other.Hi));

        /// <inheritdoc/>
        public bool Equals(ClampBounds other) => Lo == other.Lo && Hi == other.Hi;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ClampBounds other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (Lo.GetHashCode() * 397) ^ Hi.GetHashCode();

        /// <summary>"[lo, hi]".</summary>
        public override string ToString()
            => "[" + Lo.ToString(System.Globalization.CultureInfo.InvariantCulture) + ", "
               + Hi.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";
    }
}
