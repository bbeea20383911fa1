using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The table operators (Tanh, Sigmoid, HardSigmoid, HardSwish): the layer's own table (the spec's integers) printed as
    /// build-time data; signed inputs of at most 8 bits with int8 outputs run QuantGenKernels.Lookup (AVX-512 VBMI
    /// vpermi2b), anything else a scalar loop over an int32 table (int16 inputs: a segmented table, interpolated), except
    /// HardSigmoid/HardSwish on int16 inputs: their exact int64 form (PiecewiseLinearLowering).
    /// </summary>
    public abstract class LookupLowering : CpuLowering
    {
        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new TableLookup() };
    }

    public sealed class TanhLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Tanh;
    }

    public sealed class SigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.Sigmoid;
    }

    public sealed class HardSigmoidLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSigmoid;
    }

    public sealed class HardSwishLowering : LookupLowering
    {
        public override OpKind Op => OpKind.HardSwish;
    }

    /// <summary>"int8-lookup" (vectorized) for a signed input of at most 8 bits and an sbyte output, else "scalar".</summary>
    public sealed class TableLookup : CpuStrategy<CpuKernelPlan>
    {
        private static bool Vectorized(GraphNode node) => node.Inputs[0].Type.IsSigned && node.Inputs[0].Type.Bits <= 8 && CSharp.Type(node.Output.Type) == "sbyte" && CSharp.Type(node.Inputs[0].Type) == "sbyte";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
            Vectorized(node) ? new CpuKernelPlan("int8-lookup") { Library = KernelFiles.Kernels } : new CpuKernelPlan(ScalarStrategy.Kernel);

        internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
        {
            if (((LookupLayer)node.Layer).Integers.Exact is PiecewiseLinear exact)
            {
                PiecewiseLinearLowering.Emit(w, node, exact);
                return;
            }

            int[] table = ((LookupLayer)node.Layer).Integers.Table.ToArray();
            TensorInfo x = node.Inputs[0], y = node.Output;
            long lo = x.Type.MinValue;
            int shift = LookupOperator.SegmentShift(x.Type);
            if (Vectorized(node))
            {
                // Indexed by the input's byte: entry v & 255 holds table[v - min] for every v of the input type.
                var bytes = new long[256];
                for (long v = lo; v <= x.Type.MaxValue; v++)
                {
                    bytes[v & 255] = table[v - lo];
                }

                int off = e.AddBytes(bytes);
                w.Line($"// {node.Layer.Op} table (blob offset {off}): the spec's {table.Length} integers, indexed by the input's byte.");
                w.Line(CpuEmitter.K("Lookup", "x", $"ref Unsafe.Add(ref BlobData, {off})", "y") + ";");
                return;
            }

            int at = e.AddInts(table);
            if (shift > 0)
            {
                // A segmented table (int16 input): the two entries around x, interpolated exactly as LookupOperator.Apply.
                w.Line($"// {node.Layer.Op} segment table (blob offset {at}): the spec's {table.Length} integers, one every {1 << shift} inputs from {CSharp.I(lo)}, interpolated.");
                w.Line($"ReadOnlySpan<int> table = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {at}, {table.Length * 4}));");
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"int u = x[i] - ({CSharp.I(lo)});");
                w.Line($"long a = table[u >> {shift}], b = table[(u >> {shift}) + 1];");
                w.Line($"y[i] = ({CSharp.Type(y.Type)})(a + ((((b - a) * (u & {(1 << shift) - 1})) + {1 << (shift - 1)}) >> {shift}));");
                w.Close();
                return;
            }

            w.Line($"// {node.Layer.Op} table (blob offset {at}): the spec's {table.Length} integers, indexed by x - ({CSharp.I(lo)}).");
            w.Line($"ReadOnlySpan<int> table = MemoryMarshal.Cast<byte, int>(new ReadOnlySpan<byte>(s_blob, s_blobAt + {at}, {table.Length * 4}));");
            w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
            w.Line($"y[i] = ({CSharp.Type(y.Type)})table[x[i] - ({CSharp.I(lo)})];");
            w.Close();
        }
    }
}
