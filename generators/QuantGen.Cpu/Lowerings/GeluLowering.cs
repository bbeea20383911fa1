using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>GELU (ShiftGELU or I-BERT): int8 input -> a build-time table of the 256 outputs (vectorized lookup for int8 outputs); else per element.</summary>
    public sealed class GeluLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Gelu;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new GeluLookup(), new GeluScalar() };

        internal static bool Int8Input(GraphNode node) => node.Inputs[0].Type.Bits <= 8 && node.Inputs[0].Type.IsSigned && node.Output.Type.Bits <= 8;
    }

    /// <summary>
    /// Element-wise on an int8 input: the whole operator (GELU and requantization) is a function of 256 values, tabulated at
    /// build time with the reference numerics, so it is bit-exact by construction. int8 outputs: QuantGenKernels.Lookup.
    /// </summary>
    public sealed class GeluLookup : CpuStrategy<CpuKernelPlan>
    {
        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            !GeluLowering.Int8Input(node) ? null
            : CSharp.Type(node.Output.Type) == "sbyte" ? new CpuKernelPlan("int8-lookup") { Library = KernelFiles.Kernels }
            : new CpuKernelPlan(ScalarStrategy.Kernel);

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            var g = (GeluLayer)node.Layer;
            TensorInfo x = node.Inputs[0], y = node.Output;
            long zx = x.Quant!.ZeroPoint, zo = y.Quant!.ZeroPoint;
            string ty = CSharp.Type(y.Type);
            Dyadic r = g.Integers.Requant;
            var table = new long[256];
            for (int v = (int)x.Type.MinValue; v <= x.Type.MaxValue; v++)
            {
                if (g.Method == GeluMethod.Table)
                {
                    table[v & 255] = g.Integers.Table[(int)(v - x.Type.MinValue)];
                    continue;
                }

                long raw = g.Method == GeluMethod.ShiftGelu ? ShiftGelu.Element(v - zx, g.Integers.ShiftGelu) : IBert.Gelu(v - zx, g.Integers.IBert);
                table[v & 255] = IntegerOps.Requantize(raw, r, zo, y.Type);
            }

            int off = e.AddBytes(table);
            w.Line($"// Lookup table (blob offset {off}): y = requantize(gelu(x - {CSharp.I(zx)})) for each of the 256 int8 inputs, computed at build time.");
            if (ty == "sbyte")
            {
                w.Line(CpuEmitter.K("Lookup", "x", $"ref Unsafe.Add(ref BlobData, {off})", "y") + ";");
                return;
            }

            w.Line($"ref byte lut = ref Unsafe.Add(ref BlobData, {off});");
            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line($"y[i] = ({ty})Unsafe.Add(ref lut, (byte)x[i]);");
            w.Close();
        }
    }

    /// <summary>Wider inputs: the integer GELU per element, then the requantization.</summary>
    public sealed class GeluScalar : ScalarStrategy
    {
        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            var g = (GeluLayer)node.Layer;
            TensorInfo x = node.Inputs[0], y = node.Output;
            Dyadic r = g.Integers.Requant;
            if (g.Method == GeluMethod.Table)
            {
                int at = e.AddInts(System.Linq.Enumerable.ToArray(g.Integers.Table));
                w.Line($"// GELU table (blob offset {at}): the spec's {g.Integers.Table.Count} integers, indexed by x - ({CSharp.I(x.Type.MinValue)}).");
                w.Line($"ReadOnlySpan<int> table = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {at}, {g.Integers.Table.Count * 4}));");
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"y[i] = ({CSharp.Type(y.Type)})table[x[i] - ({CSharp.I(x.Type.MinValue)})];");
                w.Close();
                return;
            }

            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line($"long v = (long)x[i] - {CSharp.I(x.Quant!.ZeroPoint)};");
            if (g.Method == GeluMethod.ShiftGelu)
            {
                w.Line($"long raw = QuantGenKernels.ShiftGelu(v, {g.Integers.ShiftGelu.X0}, {g.Integers.ShiftGelu.N});");
            }
            else
            {
                w.Line($"long raw = QuantGenKernels.IGelu(v, {g.Integers.IBert.QB}, {g.Integers.IBert.QC}, {g.Integers.IBert.QOne});");
            }

            w.Line($"y[i] = ({CSharp.Type(y.Type)})QuantGenKernels.Clamp({CSharp.I(y.Quant!.ZeroPoint)} + QuantGenKernels.RoundShift(raw * {r.Multiplier}, {r.Shift}), {CSharp.I(y.Type.MinValue)}, {CSharp.I(y.Type.MaxValue)});");
            w.Close();
        }
    }
}
