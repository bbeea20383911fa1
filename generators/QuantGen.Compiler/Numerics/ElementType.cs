using System;

namespace QuantGen.Numerics
{
    /// <summary>
    /// The element type of a tensor: a two's complement signed integer of 2..16 or 32 bits, an unsigned integer of
    /// 2..16 bits, or IEEE float32. Names (<see cref="ToString"/>, <see cref="TryParse"/>): <c>int2</c>..<c>int16</c>,
    /// <c>uint2</c>..<c>uint16</c>, <c>int32</c>, <c>float32</c>.
    /// <para><c>default(ElementType)</c> is an invalid value: <see cref="Bits"/> is 0, <see cref="ToString"/> returns
    /// <c>"invalid"</c> and <see cref="MinValue"/>, <see cref="MaxValue"/> and <see cref="Saturate"/> throw
    /// <see cref="InvalidOperationException"/>; so do they for <see cref="Float32"/>.</para>
    /// </summary>
    public readonly struct ElementType : IEquatable<ElementType>
    {
        private const byte KindInvalid = 0;
        private const byte KindSigned = 1;
        private const byte KindUnsigned = 2;
        private const byte KindFloat = 3;

        private readonly byte _bits;
        private readonly byte _kind;

        private ElementType(int bits, byte kind)
        {
            _bits = (byte)bits;
            _kind = kind;
        }

        /// <summary>Signed two's complement integer of <paramref name="bits"/> bits, 2..16 or 32.</summary>
        /// <exception cref="ArgumentOutOfRangeException">bits is not in 2..16 and not 32.</exception>
        public static ElementType Int(int bits)
        {
            if (!((bits >= 2 && bits <= 16) || bits == 32))
            {
                throw new ArgumentOutOfRangeException(nameof(bits), bits, "Signed integer types have 2..16 or 32 bits.");
            }

            return new ElementType(bits, KindSigned);
        }

        /// <summary>Unsigned integer of <paramref name="bits"/> bits, 2..16.</summary>
        /// <exception cref="ArgumentOutOfRangeException">bits is not in 2..16.</exception>
        public static ElementType UInt(int bits)
        {
            if (bits < 2 || bits > 16)
            {
                throw new ArgumentOutOfRangeException(nameof(bits), bits, "Unsigned integer types have 2..16 bits.");
            }

            return new ElementType(bits, KindUnsigned);
        }

        /// <summary>IEEE 754 binary32.</summary>
        public static ElementType Float32 => new ElementType(32, KindFloat);

        /// <summary><c>int8</c>: [-128, 127].</summary>
        public static ElementType Int8 => new ElementType(8, KindSigned);

        /// <summary><c>uint8</c>: [0, 255].</summary>
        public static ElementType UInt8 => new ElementType(8, KindUnsigned);

        /// <summary><c>int4</c>: [-8, 7].</summary>
        public static ElementType Int4 => new ElementType(4, KindSigned);

        /// <summary><c>int16</c>: [-32768, 32767].</summary>
        public static ElementType Int16 => new ElementType(16, KindSigned);

        /// <summary><c>int32</c>: [-2^31, 2^31 - 1].</summary>
        public static ElementType Int32 => new ElementType(32, KindSigned);

        /// <summary>Width in bits (32 for float32, 0 for <c>default</c>).</summary>
        public int Bits => _bits;

        /// <summary>True for signed integers and float32.</summary>
        public bool IsSigned => _kind == KindSigned || _kind == KindFloat;

        /// <summary>True for float32.</summary>
        public bool IsFloat => _kind == KindFloat;

        /// <summary>True for the integer types (false for float32 and <c>default</c>).</summary>
        public bool IsInteger => _kind == KindSigned || _kind == KindUnsigned;

        /// <summary>Smallest representable integer: -2^(Bits-1) when signed, 0 when unsigned.</summary>
        /// <exception cref="InvalidOperationException">Not an integer type.</exception>
        public long MinValue
        {
            get
            {
                RequireInteger();
                return _kind == KindSigned ? -(1L << (_bits - 1)) : 0L;
            }
        }

        /// <summary>Largest representable integer: 2^(Bits-1) - 1 when signed, 2^Bits - 1 when unsigned.</summary>
        /// <exception cref="InvalidOperationException">Not an integer type.</exception>
        public long MaxValue
        {
            get
            {
                RequireInteger();
                return _kind == KindSigned ? (1L << (_bits - 1)) - 1 : (1L << _bits) - 1;
            }
        }

        /// <summary>Clamps <paramref name="value"/> to [<see cref="MinValue"/>, <see cref="MaxValue"/>] (saturation,
        /// never wrap-around). Defined for every long.</summary>
        /// <exception cref="InvalidOperationException">Not an integer type.</exception>
        public long Saturate(long value)
        {
            long lo = MinValue;
            long hi = MaxValue;
            return value < lo ? lo : value > hi ? hi : value;
        }

        /// <summary>True when <paramref name="value"/> lies in [<see cref="MinValue"/>, <see cref="MaxValue"/>].</summary>
        public bool Contains(long value) => value >= MinValue && value <= MaxValue;

        /// <summary>
        /// Parses one of the names <c>int2</c>..<c>int16</c>, <c>int32</c>, <c>uint2</c>..<c>uint16</c>,
        /// <c>float32</c>: exact, ordinal, case-sensitive, no surrounding spaces, no leading zeros.
        /// </summary>
        public static bool TryParse(string? text, out ElementType type)
        {
            type = default;
            if (text == null)
            {
                return false;
            }

            if (string.Equals(text, "float32", StringComparison.Ordinal))
            {
                type = Float32;
                return true;
            }

            bool unsigned = text.StartsWith("uint", StringComparison.Ordinal);
            int prefix = unsigned ? 4 : text.StartsWith("int", StringComparison.Ordinal) ? 3 : -1;
            if (prefix < 0)
            {
                return false;
            }

            int digits = text.Length - prefix;
            if (digits < 1 || digits > 2 || text[prefix] == '0')
            {
                return false;
            }

            int bits = 0;
            for (int i = prefix; i < text.Length; i++)
            {
                char c = text[i];
                if (c < '0' || c > '9')
                {
                    return false;
                }

                bits = (bits * 10) + (c - '0');
            }

            bool valid = unsigned ? bits >= 2 && bits <= 16 : (bits >= 2 && bits <= 16) || bits == 32;
            if (!valid)
            {
                return false;
            }

            type = new ElementType(bits, unsigned ? KindUnsigned : KindSigned);
            return true;
        }

        /// <summary>Parses like <see cref="TryParse"/>.</summary>
        /// <exception cref="FormatException">Not an element type name.</exception>
        public static ElementType Parse(string text)
        {
            if (!TryParse(text, out ElementType type))
            {
                throw new FormatException("Unknown element type '" + text + "'.");
            }

            return type;
        }

        /// <summary>The canonical name, e.g. <c>int8</c>, <c>uint4</c>, <c>float32</c>; <c>invalid</c> for default.</summary>
        public override string ToString()
        {
            switch (_kind)
            {
                case KindSigned: return "int" + _bits.ToString(System.Globalization.CultureInfo.InvariantCulture);
                case KindUnsigned: return "uint" + _bits.ToString(System.Globalization.CultureInfo.InvariantCulture);
                case KindFloat: return "float32";
                default: return "invalid";
            }
        }

        /// <inheritdoc/>
        public bool Equals(ElementType other) => _bits == other._bits && _kind == other._kind;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is ElementType other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (_kind << 8) | _bits;

        /// <summary>Value equality.</summary>
        public static bool operator ==(ElementType left, ElementType right) => left.Equals(right);

        /// <summary>Value inequality.</summary>
        public static bool operator !=(ElementType left, ElementType right) => !left.Equals(right);

        private void RequireInteger()
        {
            if (!IsInteger)
            {
                throw new InvalidOperationException("Element type '" + ToString() + "' has no integer range.");
            }
        }
    }
}
