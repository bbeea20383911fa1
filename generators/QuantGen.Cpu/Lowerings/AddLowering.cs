using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>Add (residual, HAWQ-V3: each branch rescaled separately): vectorized int8 -> int8 plus a per-channel constant (bias) -> scalar with 256-entry branch tables.</summary>
    public sealed class AddLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Add;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new AddInt8(), new AddBiasRows(), new AddScalar() };
    }

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
