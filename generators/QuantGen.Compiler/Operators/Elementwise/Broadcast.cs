using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>
    /// Shape rule of the binary element-wise operators (Mul, Sub): the output has the larger operand's shape; the other,
    /// without its leading 1s, must equal the trailing axes of it (same shape, a scalar, a trailing-axis vector, or
    /// ONNX's [1, 1, 1, L] against [1, H, L, L]). Element i then reads the smaller operand at i % its element count.
    /// </summary>
    public static class Broadcast
    {
        /// <summary>The output shape, or null after reporting through <paramref name="c"/>.</summary>
        public static int[]? Shape(GraphContext c, string op)
        {
            int[] a = c.Inputs[0].Shape, b = c.Inputs[1].Shape;
            if (c.Inputs[0].Kind == TensorKind.Initializer && c.Inputs[1].Kind == TensorKind.Initializer)
            {
                return c.Fail($"{op} of two initializers is a constant; fold it into one initializer", ModelErrors.InvalidValue);
            }

            bool aLarger = Count(a) >= Count(b);
            int[] large = aLarger ? a : b, small = (aLarger ? b : a).SkipWhile(d => d == 1).ToArray();
            bool suffix = small.Length <= large.Length;
            for (int i = 0; suffix && i < small.Length; i++)
            {
                suffix = small[small.Length - 1 - i] == large[large.Length - 1 - i];
            }

            if (!suffix)
            {
                return c.Fail($"{op} operands [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast: the smaller shape, without leading 1s, must equal the trailing axes of the larger");
            }

            return (int[])large.Clone();
        }

        /// <summary>True when every constant operand has one per-tensor scale; false after reporting.</summary>
        public static bool CheckConstants(GraphContext c, GraphNode node, string op)
        {
            foreach (TensorInfo t in node.Inputs)
            {
                if (t.Kind == TensorKind.Initializer && (t.Quant == null || t.ChannelScales != null))
                {
                    return c.Reject($"the constant operand \"{t.Name}\" of {op} needs one per-tensor scale");
                }
            }

            return true;
        }

        private static long Count(int[] s) => s.Aggregate(1L, (p, d) => p * d);
    }
}
