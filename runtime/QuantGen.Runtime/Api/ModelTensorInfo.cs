using System;

namespace QuantGen
{
    /// <summary>One input or output of a generated model: name, shape, integer type and quantization (real = Scale * (q - ZeroPoint)).</summary>
    public sealed class ModelTensorInfo
    {
        public ModelTensorInfo(string name, int[] shape, string elementType, double scale, long zeroPoint)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Shape = shape ?? throw new ArgumentNullException(nameof(shape));
            ElementType = elementType ?? throw new ArgumentNullException(nameof(elementType));
            Scale = scale;
            ZeroPoint = zeroPoint;
            long length = 1;
            foreach (int d in shape)
            {
                length *= d;
            }

            Length = (int)length;
        }

        /// <summary>The tensor's name in the model file.</summary>
        public string Name { get; }

        public int[] Shape { get; }

        /// <summary>Element type, e.g. <c>int8</c>.</summary>
        public string ElementType { get; }

        public double Scale { get; }

        public long ZeroPoint { get; }

        /// <summary>Elements in one sample (the product of <see cref="Shape"/>).</summary>
        public int Length { get; }

        public override string ToString() => Name + " [" + string.Join(", ", Shape) + "] " + ElementType;
    }
}
