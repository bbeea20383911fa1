using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Softmax: the table method's rows; vectorized Shiftmax rows (int8 in, int16 out) -> row loops with build-time exp tables for int8.</summary>
    public sealed class SoftmaxLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Softmax;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new SoftmaxTableSimd(), new SoftmaxTableRows(), new ShiftmaxRows(), new SoftmaxScalar() };
    }

    /// <summary>
    /// The table softmax's vector kernel (QuantGenTransformerKernels.SoftmaxTableRows) and what it relies on, proven here:
    /// <see cref="Flip"/> 0x80 for int8 scores (x ^ 0x80 = x + 128 as a byte keeps every max - x) or 0 for uint8;
    /// <see cref="RowSumBound"/> = len E[0] &lt; 2^31, so the row sum and every partial sum of int32 lanes fit; the output's
    /// zero point within its type (so z + RoundShift(p m, s) &gt;= z needs only the upper clamp) and the type within a byte.
    /// E f &lt;= 2^62 and p = (E f) &gt;&gt; 31 &lt;= 2^31 hold for every table (E &lt;= sum), so p fits uint32 and p m + 2^(s-1) &lt; 2^63.
    /// </summary>
    public sealed record SoftmaxTablePlan(int Flip, long RowSumBound) : CpuKernelPlan(SoftmaxTableSimd.Kernel);

    /// <summary>The table softmax on vectors: 8-bit scores and outputs, the row sum proven to fit int32.</summary>
    public sealed class SoftmaxTableSimd : CpuStrategy<SoftmaxTablePlan>
    {
        public const string Kernel = "table-softmax-simd";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var s = (SoftmaxLayer)node.Layer;
            if (s.Method != SoftmaxMethod.Table)
            {
                return null;
            }

            TensorInfo x = node.Inputs[0], y = node.Output;
            string tx = CSharp.Type(x.Type), ty = CSharp.Type(y.Type);
            SoftmaxTableParams t = s.Integers.Table;
            int len = x.Shape[x.Shape.Length - 1];
            long bound = (long)len * t.Exp[0], z = y.Quant!.ZeroPoint;
            bool bytes = (tx == "sbyte" || tx == "byte") && (ty == "sbyte" || ty == "byte");
            if (!bytes || bound > int.MaxValue || t.Out.Multiplier < 0 || z < y.Type.MinValue || z > y.Type.MaxValue)
            {
                return null;
            }

            return new SoftmaxTablePlan(tx == "sbyte" ? 0x80 : 0, bound) { Library = KernelFiles.TransformerKernels, Scratch = new CpuScratch(RowInts: len) };
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, SoftmaxTablePlan plan)
        {
            SoftmaxTableParams t = ((SoftmaxLayer)node.Layer).Integers.Table;
            TensorInfo x = node.Inputs[0], y = node.Output;
            int len = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / len;
            var table = new int[256];
            for (int i = 0; i < t.Exp.Count; i++)
            {
                table[i] = t.Exp[i];
            }

            int off = e.AddInts(table);
            Dyadic d = t.Out;
            w.Line($"// Table softmax on vectors (QuantGenTransformerKernels.SoftmaxTableRows, blob offset {off}: E[max - x] for max - x in [0, 255], zero past the table): per row f = 2^62 / sum E,");
            w.Line($"// y = {CSharp.I(y.Quant!.ZeroPoint)} + RoundShift(((E f) >> 31) x {d.Multiplier}, {d.Shift}) clamped; row sum <= {len} x {t.Exp[0]} = {plan.RowSumBound} < 2^31 (int32 lanes).");
            w.Line($"ref int expTable = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {off}));");
            w.Line(KernelLibrary.Call("QuantGenTransformerKernels", "SoftmaxTableRows", CSharp.Type(x.Type) == "sbyte" ? "MemoryMarshal.AsBytes(x)" : "x", CSharp.I(plan.Flip), CSharp.I(rows), CSharp.I(len),
                "ref expTable", "_rowInts", CSharp.I(d.Multiplier), CSharp.I(d.Shift), CSharp.I(y.Quant!.ZeroPoint), CSharp.I(y.Type.MinValue), CSharp.I(y.Type.MaxValue),
                CSharp.Type(y.Type) == "sbyte" ? "MemoryMarshal.AsBytes(y)" : "y") + ";");
        }
    }

    /// <summary>
    /// The table softmax (<see cref="SoftmaxTable"/>): the spec's exponential table as build-time data, per row the max, the
    /// sum of table entries, one division into 2^62, and per element (E f) &gt;&gt; 31 requantized by the output dyadic.
    /// </summary>
    public sealed class SoftmaxTableRows : CpuStrategy<CpuKernelPlan>
    {
        public const string Kernel = "table-softmax-rows";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            ((SoftmaxLayer)node.Layer).Method == SoftmaxMethod.Table ? new CpuKernelPlan(Kernel) : null;

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            SoftmaxTableParams t = ((SoftmaxLayer)node.Layer).Integers.Table;
            TensorInfo x = node.Inputs[0], y = node.Output;
            int len = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / len;
            int off = e.AddInts(t.Exp.ToArray());
            Dyadic d = t.Out;
            string round = d.Shift == 0 ? "0L" : CSharp.I(1L << (d.Shift - 1)) + "L";
            w.Line($"// Table softmax (blob offset {off}): E[max - x] = round(2^{t.ExpBits} exp(-(max - x) S_x)), f = 2^62 / sum, p = E f >> 31, y = z + p x {d.Multiplier} >> {d.Shift}.");
            w.Line($"ref int expTable = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref BlobData, {off}));");
            w.Open($"for (int r = 0; r < {rows}; r++)");
            w.Line($"int o = r * {len};");
            w.Line("int max = x[o];");
            w.Open($"for (int i = 1; i < {len}; i++)");
            w.Line("if (x[o + i] > max) max = x[o + i];");
            w.Close();
            w.Line("long sum = 0;");
            w.Open($"for (int i = 0; i < {len}; i++)");
            w.Line("sum += Unsafe.Add(ref expTable, max - x[o + i]);");
            w.Close();
            w.Line("long f = 4611686018427387904L / sum;");
            w.Open($"for (int i = 0; i < {len}; i++)");
            w.Line("long p = (Unsafe.Add(ref expTable, max - x[o + i]) * f) >> 31;");
            w.Line($"long v = {CSharp.I(y.Quant!.ZeroPoint)}L + ((p * {d.Multiplier}L + {round}) >> {d.Shift});");
            w.Line($"y[o + i] = ({CSharp.Type(y.Type)})(v < {CSharp.I(y.Type.MinValue)}L ? {CSharp.I(y.Type.MinValue)}L : v > {CSharp.I(y.Type.MaxValue)}L ? {CSharp.I(y.Type.MaxValue)}L : v);");
            w.Close();
            w.Close();
        }
    }

    /// <summary>Shiftmax rows whose division by -x0 is the checked multiply-shift <see cref="Magic"/>.</summary>
    public sealed record ShiftmaxRowsPlan(int Magic) : CpuKernelPlan(ShiftmaxRows.Kernel);

    public sealed class ShiftmaxRows : CpuStrategy<ShiftmaxRowsPlan>
    {
        public const string Kernel = "int8-shiftmax-rows";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var s = (SoftmaxLayer)node.Layer;
            TensorInfo x = node.Inputs[0], y = node.Output;
            if (x.Type.Bits <= 8 && x.Type.IsSigned && s.Method == SoftmaxMethod.Shiftmax && CSharp.Type(y.Type) == "short" && CpuEmitter.ShiftDivisor(s.Integers.Shiftmax, out int magic))
            {
                return new ShiftmaxRowsPlan(magic) { Library = KernelFiles.Kernels, Scratch = new CpuScratch(RowInts: x.Shape[x.Shape.Length - 1]) };
            }

            return null;
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ShiftmaxRowsPlan plan) => e.EmitShiftmaxRows(w, node, plan);
    }

    public sealed class SoftmaxScalar : CpuStrategy<CpuKernelPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            new CpuKernelPlan(ScalarStrategy.Kernel) { Scratch = new CpuScratch(RowLongs: node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1]) };

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => e.EmitSoftmaxScalar(w, node);
    }
}
