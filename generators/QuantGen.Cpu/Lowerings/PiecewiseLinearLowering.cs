using QuantGen.Graph;
using QuantGen.Operators;

namespace QuantGen.Cpu
{
    /// <summary>
    /// HardSigmoid/HardSwish on an input wider than 8 bits: the exact integer form (<see cref="PiecewiseLinear"/>) as a
    /// scalar int64 loop, the same expression as the reference interpreter (inputs of at most 8 bits read the table built
    /// from the same definition, <see cref="TableLookup"/>).
    /// </summary>
    internal static class PiecewiseLinearLowering
    {
        internal static void Emit(SourceWriter w, GraphNode node, PiecewiseLinear p)
        {
            TensorInfo x = node.Inputs[0], y = node.Output;
            string product = p.Product ? "d * g" : "g";
            w.Line($"// {node.Layer.Op} exact form (docs/numerics.md): d = x - z_x, g = clamp(d M + B, 0, C), y = clamp(z_y + round({product} / 2^{p.Shift})); {p}.");
            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line($"long d = x[i] - ({CSharp.I(x.Quant!.ZeroPoint)});");
            w.Line($"long g = (d * {CSharp.I(p.Multiplier)}L) + ({CSharp.I(p.Offset)}L);");
            w.Line($"g = g < 0 ? 0 : (g > {CSharp.I(p.Ceiling)}L ? {CSharp.I(p.Ceiling)}L : g);");
            w.Line($"long v = ({CSharp.I(y.Quant!.ZeroPoint)}) + ((({product}) + {CSharp.I(1L << (p.Shift - 1))}L) >> {p.Shift});");
            w.Line($"y[i] = ({CSharp.Type(y.Type)})(v < ({CSharp.I(y.Type.MinValue)}) ? ({CSharp.I(y.Type.MinValue)}) : (v > {CSharp.I(y.Type.MaxValue)} ? {CSharp.I(y.Type.MaxValue)} : v));");
            w.Close();
        }
    }
}
