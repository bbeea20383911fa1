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

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new SoftmaxTableRows(), new ShiftmaxRows(), new SoftmaxScalar() };
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
            w.Line($"ref int expTable = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_blob), {off}));");
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
