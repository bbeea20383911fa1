using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Add (residual, HAWQ-V3: each branch rescaled separately): int8 through int16 branch tables -> vectorized int8 -> int8 plus a per-channel constant (bias) -> scalar with 256-entry branch tables.</summary>
    public sealed class AddLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Add;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new AddInt8Table(), new AddInt8(), new AddBiasRows(), new AddScalar() };
    }

    /// <summary>
    /// Two int8 activations of the output's size, int8 output, each branch a build-time table of its 256 values (the
    /// reference's RoundShift, the output zero point folded into b's) when every entry lies in [-16384, 16383], so that the
    /// sum of two entries is exact in int16: QuantGenKernels.AddS8Table (64 elements per step on AVX-512 VBMI).
    /// </summary>
    public sealed class AddInt8Table : CpuStrategy<AddTablePlan>
    {
        public const string Kernel = "int8-add-table";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            if (new AddInt8().TryPlan(context, node) == null)
            {
                return null;
            }

            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            short[]? ta = Branch(a.Quant!.ZeroPoint, add.Integers.RequantA, 0), tb = Branch(b.Quant!.ZeroPoint, add.Integers.RequantB, y.Quant!.ZeroPoint);
            return ta != null && tb != null ? new AddTablePlan(ta, tb) { Library = KernelFiles.Kernels, Layout = CpuLayout.Elementwise } : null;
        }

        /// <summary>t[q &amp; 255] = z0 + RoundShift((q - z) * m) for every int8 q, or null when an entry leaves [-16384, 16383].</summary>
        internal static short[]? Branch(long z, Dyadic m, long z0)
        {
            var t = new short[256];
            for (int q = -128; q < 128; q++)
            {
                long v = z0 + IntegerOps.RoundingShiftRight((q - z) * m.Multiplier, m.Shift);
                if (v < -16384 || v > 16383)
                {
                    return null;
                }

                t[q & 255] = (short)v;
            }

            return t;
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, AddTablePlan plan)
        {
            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            Dyadic ma = add.Integers.RequantA, mb = add.Integers.RequantB;
            int offset = e.AddBytes(plan.A.Select(v => (long)(v & 255)).Concat(plan.A.Select(v => (long)((v >> 8) & 255)))
                .Concat(plan.B.Select(v => (long)(v & 255))).Concat(plan.B.Select(v => (long)((v >> 8) & 255))));
            w.Line($"// Residual add of two int8 tensors through int16 branch tables at blob offset {offset} (QuantGenKernels.AddS8Table):");
            w.Line($"// ta[a] = RoundShift({CpuEmitter.Minus("a", a.Quant!.ZeroPoint)} * {ma.Multiplier}, {ma.Shift}), tb[b] = {CSharp.I(y.Quant!.ZeroPoint)} + RoundShift({CpuEmitter.Minus("b", b.Quant!.ZeroPoint)} * {mb.Multiplier}, {mb.Shift}),");
            w.Line($"// entries in [{plan.A.Min() + plan.B.Min()}, {plan.A.Max() + plan.B.Max()}] summed (exact in int16), clamped to [{CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)}].");
            w.Line(CpuEmitter.K("AddS8Table", "a", "b", $"ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_blob), {offset})", CSharp.I(y.Type.MinValue), CSharp.I(y.Type.MaxValue), "y") + ";");
        }
    }

    /// <summary>The two int16 branch tables of <see cref="AddInt8Table"/>, indexed by (byte)q.</summary>
    public sealed record AddTablePlan(short[] A, short[] B) : CpuKernelPlan(AddInt8Table.Kernel);

    /// <summary>Two int8 activations of the output's size, int8 output: QuantGenKernels.AddS8.</summary>
    public sealed class AddInt8 : CpuStrategy<CpuKernelPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
        {
            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            Dyadic ma = add.Integers.RequantA, mb = add.Integers.RequantB;
            bool fits = a.Kind != TensorKind.Initializer && b.Kind != TensorKind.Initializer && a.Type.IsSigned && a.Type.Bits <= 8 && b.Type.IsSigned && b.Type.Bits <= 8
                && a.ElementCount == y.ElementCount && b.ElementCount == y.ElementCount && CSharp.Type(y.Type) == "sbyte" && ma.Shift <= 62 && mb.Shift <= 62;
            return fits ? new CpuKernelPlan("int8-add") { Library = KernelFiles.Kernels, Layout = CpuLayout.Elementwise } : null;
        }

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            Dyadic ma = add.Integers.RequantA, mb = add.Integers.RequantB;
            w.Line("// Residual add of two int8 tensors, vectorized (QuantGenKernels.AddS8).");
            w.Line(CpuEmitter.K("AddS8", "a", CSharp.I(a.Quant!.ZeroPoint), CSharp.I(ma.Multiplier), CSharp.I(ma.Shift), "b", CSharp.I(b.Quant!.ZeroPoint), CSharp.I(mb.Multiplier), CSharp.I(mb.Shift),
                CSharp.I(y.Quant!.ZeroPoint), CSharp.I(y.Type.MinValue), CSharp.I(y.Type.MaxValue), "y") + ";");
        }
    }

    /// <summary>Any widths, constant operands, broadcasting: one loop, int8 branches through build-time tables.</summary>
    public sealed class AddScalar : ScalarStrategy
    {
        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            var add = (AddLayer)node.Layer;
            TensorInfo a = node.Inputs[0], b = node.Inputs[1], y = node.Output;
            int data = node.Inputs.Count(t => t.Kind != TensorKind.Initializer);
            string ty = CSharp.Type(y.Type), lo = CSharp.I(y.Type.MinValue), hi = CSharp.I(y.Type.MaxValue);
            string Operand(TensorInfo t, string name)
            {
                if (t.Kind != TensorKind.Initializer)
                {
                    return name;
                }

                int off = e.AddInts(t.IntData!);
                w.Line($"ReadOnlySpan<int> {name} = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, {off}, {t.ElementCount * 4}));");
                return name;
            }

            string an = Operand(a, a.Kind == TensorKind.Initializer ? "ca" : "a");
            string bn = Operand(b, b.Kind == TensorKind.Initializer ? "cb" : data == 1 ? "x" : "b");
            if (a.Kind != TensorKind.Initializer && data == 1)
            {
                an = "x";
            }

            string Branch(TensorInfo t, string name, Dyadic m, string v)
            {
                string index = CpuEmitter.Index("i", t.ElementCount, y.ElementCount);
                if (t.Kind != TensorKind.Initializer && t.Type.IsSigned && t.Type.Bits <= 8)
                {
                    // int8 operand: its rescaled branch is a build-time table of 256 values (reference numerics).
                    var table = new int[256];
                    bool fits = true;
                    for (int q = -128; q < 128; q++)
                    {
                        long r = IntegerOps.RoundingShiftRight((q - t.Quant!.ZeroPoint) * m.Multiplier, m.Shift);
                        fits &= r >= int.MinValue && r <= int.MaxValue;
                        table[q & 255] = unchecked((int)r);
                    }

                    if (fits)
                    {
                        int off = e.AddInts(table);
                        w.Line($"ref int {v}Table = ref Unsafe.As<byte, int>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_blob), {off})); // RoundShift(({name} - {CSharp.I(t.Quant!.ZeroPoint)}) * {m.Multiplier}, {m.Shift})");
                        return $"long {v} = Unsafe.Add(ref {v}Table, (byte){name}[{index}]);";
                    }
                }

                return $"long {v} = QuantGenKernels.RoundShift(((long){name}[{index}] - {CSharp.I(t.Quant!.ZeroPoint)}) * {m.Multiplier}, {m.Shift});";
            }

            string lineA = Branch(a, an, add.Integers.RequantA, "va"), lineB = Branch(b, bn, add.Integers.RequantB, "vb");
            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line(lineA);
            w.Line(lineB);
            w.Line($"y[i] = ({ty})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + va + vb, {lo}, {hi});");
            w.Close();
        }
    }
}
