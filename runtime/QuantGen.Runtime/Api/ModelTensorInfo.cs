using System;

namespace QuantGen
{
    /// <summary>What the values of a model input or output are.</summary>
    public enum ModelTensorKind
    {
        /// <summary>Quantized real values: real = Scale * (q - ZeroPoint); the float API quantizes and dequantizes them.</summary>
        Quantized = 0,

        /// <summary>Whole ids (int32 token ids, an Embedding's input): the float API takes them as they are, never scaled.</summary>
        Index = 1,
    }

    /// <summary>
    /// One input or output of a generated model: name, kind, shape, integer type, quantization (real = Scale * (q - ZeroPoint))
    /// and the integer values an input accepts. Enough to feed a model through <c>IQuantizedModel</c> without knowing
    /// its generated type.
    /// </summary>
    public sealed class ModelTensorInfo
    {
        /// <summary>A quantized tensor; <see cref="Min"/> and <see cref="Max"/> are the element type's limits.</summary>
        public ModelTensorInfo(string name, int[] shape, string elementType, double scale, long zeroPoint)
            : this(name, ModelTensorKind.Quantized, shape, elementType, scale, zeroPoint, TypeMin(elementType), TypeMax(elementType))
        {
        }

        /// <summary>A tensor of the given kind whose integer values lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
        public ModelTensorInfo(string name, ModelTensorKind kind, int[] shape, string elementType, double scale, long zeroPoint, long min, long max)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Shape = shape ?? throw new ArgumentNullException(nameof(shape));
            ElementType = elementType ?? throw new ArgumentNullException(nameof(elementType));
            if (min > max)
            {
                throw new ArgumentException($"min {min} is above max {max}", nameof(min));
            }

            Kind = kind;
            Scale = scale;
            ZeroPoint = zeroPoint;
            Min = min;
            Max = max;
            long length = 1;
            foreach (int d in shape)
            {
                length *= d;
            }

            Length = (int)length;
        }

        /// <summary>The tensor's name in the model file.</summary>
        public string Name { get; }

        /// <summary>Quantized real values, or whole ids (<see cref="ModelTensorKind.Index"/>).</summary>
        public ModelTensorKind Kind { get; }

        public int[] Shape { get; }

        /// <summary>Element type, e.g. <c>int8</c> (<c>int32</c> for ids).</summary>
        public string ElementType { get; }

        /// <summary>Real value of one step of the integer (1 for ids).</summary>
        public double Scale { get; }

        public long ZeroPoint { get; }

        /// <summary>
        /// The smallest integer value the model accepts (an input: the low end of its declared range, 0 for ids) or produces
        /// (an output: the low end of its type).
        /// </summary>
        public long Min { get; }

        /// <summary>The largest integer value accepted or produced: for an index input the largest valid id.</summary>
        public long Max { get; }

        /// <summary>Elements in one sample (the product of <see cref="Shape"/>).</summary>
        public int Length { get; }

        public override string ToString() => Name + " [" + string.Join(", ", Shape) + "] " + ElementType + (Kind == ModelTensorKind.Index ? " ids" : string.Empty);

        // "intN" (2 <= N <= 32) and "uintN": the type's integer limits; anything else (float32) is unbounded.
        private static long TypeMin(string type) => Bits(type, out bool signed) is int n && n > 0 ? (signed ? -(1L << (n - 1)) : 0) : long.MinValue;

        private static long TypeMax(string type) => Bits(type, out bool signed) is int n && n > 0 ? (signed ? (1L << (n - 1)) - 1 : (1L << n) - 1) : long.MaxValue;

        private static int Bits(string type, out bool signed)
        {
            signed = !type.StartsWith("u", StringComparison.Ordinal);
            string digits = signed ? (type.StartsWith("int", StringComparison.Ordinal) ? type.Substring(3) : string.Empty) : (type.StartsWith("uint", StringComparison.Ordinal) ? type.Substring(4) : string.Empty);
            return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= 32 ? n : 0;
        }
    }
}
