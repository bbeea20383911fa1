using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>
    /// An int8 -> int8 map y[r, j] = clamp(Requant.Apply(x[r, j] - za) + c[j], lo, hi) with a per-column int32 constant c
    /// (the Requantize layers, c[j] = zo), run 32 elements at a time in int32 lanes by QuantGenKernels.AffineRowsS8. The int64 product
    /// (x - za) m is split at bit 16: with m = mh 2^16 + ml (0 &lt;= ml &lt; 2^16) and s &gt;= 17,
    /// RoundShift(d m, s) = (d mh + 2^(s-17) + ((d ml) &gt;&gt; 16)) &gt;&gt; (s - 16) (nested floor shifts by powers of two are
    /// exact). The planner does not rely on the algebra alone: it evaluates both sides for every one of the 256 inputs and
    /// checks every intermediate against int32, and declines (another strategy runs) when anything differs.
    /// </summary>
    public sealed record AffineRowsPlan(int N, int Za, int Mh, int Ml, int Rnd, int Sh, IReadOnlyList<int> Columns, int Lo, int Hi) : CpuKernelPlan(AffineRows.Kernel);

    internal static class AffineRows
    {
        public const string Kernel = "int8-affine-rows";

        /// <summary>The plan for int8 x of n-element rows, or null when the int32 split is not exact for some input.</summary>
        public static AffineRowsPlan? TryPlan(TensorInfo x, TensorInfo y, int n, Dyadic m, IReadOnlyList<long> columns)
        {
            if (CSharp.Type(x.Type) != "sbyte" || CSharp.Type(y.Type) != "sbyte" || n <= 0 || y.ElementCount % n != 0 || x.ElementCount != y.ElementCount
                || m.Shift < 17 || m.Shift > 47 || columns.Count != n)
            {
                return null;
            }

            long za = x.Quant!.ZeroPoint, lo = y.Type.MinValue, hi = y.Type.MaxValue;
            long cMin = columns.Min(), cMax = columns.Max();
            if (cMin < int.MinValue / 2 || cMax > int.MaxValue / 2 || za < int.MinValue / 2 || za > int.MaxValue / 2)
            {
                return null;
            }

            int mh = m.Multiplier >> 16, ml = m.Multiplier & 0xFFFF, sh = m.Shift - 16;
            long rnd = 1L << (m.Shift - 17);
            for (long q = -128; q <= 127; q++)
            {
                long d = q - za, hiPart = d * mh, loPart = (d * ml) >> 16, sum = hiPart + rnd + loPart;
                long split = sum >> sh, exact = m.Apply(d);
                if (split != exact || !Int32(d) || !Int32(hiPart) || !Int32(d * ml) || !Int32(hiPart + rnd) || !Int32(sum)
                    || !Int32(split + cMin) || !Int32(split + cMax))
                {
                    return null;
                }
            }

            return new AffineRowsPlan(n, (int)za, mh, ml, (int)rnd, sh, columns.Select(c => (int)c).ToArray(), (int)lo, (int)hi) { Library = KernelFiles.Kernels };
        }

        private static bool Int32(long v) => v >= int.MinValue && v <= int.MaxValue;

        public static void Emit(CpuEmitter e, SourceWriter w, string x, AffineRowsPlan p)
        {
            int off = e.AddInts(p.Columns.ToArray());
            w.Line($"// y = clamp(RoundShift((x - {p.Za}) * m, s) + c[j], {p.Lo}, {p.Hi}) on int32 lanes: m = {p.Mh} * 2^16 + {p.Ml}, the split checked exact for all 256 inputs at build time.");
            w.Line(CpuEmitter.K("AffineRowsS8", x, CSharp.I(p.N), CSharp.I(p.Za), CSharp.I(p.Mh), CSharp.I(p.Ml), CSharp.I(p.Rnd), CSharp.I(p.Sh),
                $"MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, {off}, {p.N * 4}))", CSharp.I(p.Lo), CSharp.I(p.Hi), "y") + ";");
        }
    }

    /// <summary>Requantize of int8 to int8 (attention's scale by 1/sqrt(d)): <see cref="AffineRows"/> with c[j] = zo.</summary>
    public sealed class RequantizeRows : CpuStrategy<AffineRowsPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var r = (RequantizeLayer)node.Layer;
            TensorInfo x = node.Inputs[0], y = node.Output;
            if (node.Inputs.Count != 1 || x.Kind == TensorKind.Initializer || y.Shape.Length == 0 || y.Quant == null || x.Quant == null)
            {
                return null;
            }

            int n = y.Shape[y.Shape.Length - 1];
            return AffineRows.TryPlan(x, y, n, r.Integers.Requant, Enumerable.Repeat((long)y.Quant.ZeroPoint, n).ToArray());
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, AffineRowsPlan plan) => AffineRows.Emit(e, w, e.InputNames(node)[0], plan);
    }
}
