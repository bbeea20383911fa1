using System.Globalization;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Printing helpers of the C# backends (CPU and ILGPU).</summary>
    public static class CSharp
    {
        /// <summary>The C# element type of a quantized type.</summary>
        public static string Type(ElementType t) =>
            t.IsSigned ? (t.Bits <= 8 ? "sbyte" : t.Bits <= 16 ? "short" : "int") : (t.Bits <= 8 ? "byte" : "ushort");

        /// <summary>Bytes per element of <see cref="Type"/>.</summary>
        public static int Size(ElementType t) => Type(t) switch { "sbyte" => 1, "byte" => 1, "int" => 4, _ => 2 };

        /// <summary>An invariant integer literal.</summary>
        public static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        /// <summary>A round-trippable invariant double literal.</summary>
        public static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        /// <summary>"[2, 3]".</summary>
        public static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

    }
}
