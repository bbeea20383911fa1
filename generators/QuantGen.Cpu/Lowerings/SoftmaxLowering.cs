using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Softmax: vectorized Shiftmax rows (int8 in, int16 out) -> row loops with build-time exp tables for int8.</summary>
    public sealed class SoftmaxLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Softmax;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new ShiftmaxRows(), new SoftmaxScalar() };
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
