using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cpu
{
    /// <summary>An int8 -> int8 element-wise layer as 256 build-time results indexed by the input's byte (QuantGenKernels.Lookup).</summary>
    public sealed record LookupTablePlan(IReadOnlyList<long> Table) : CpuKernelPlan(LookupTablePlan.KernelName)
    {
        public const string KernelName = "int8-lookup";
    }

    /// <summary>
    /// Requantize: int8 to int8 as a build-time table of the 256 results (<see cref="RequantizeLookup"/>), else one box, every
    /// element clamp(z_out + RoundShift((x - z_in) * m, s)), printed from the core's DataMovement.Plan.
    /// </summary>
    public sealed class RequantizeLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Requantize;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new RequantizeLookup(), new Copy() };

        /// <summary>
        /// An int8 input and an int8 output: the layer is a function of the input's 256 values, tabulated by the planner with the
        /// core's own integer rule (IntegerOps.Requantize, the reference's) and run by QuantGenKernels.Lookup (AVX-512 VBMI:
        /// two vpermi2b per 64 bytes; a byte table per element elsewhere). DeiT's attention scale after q x k^T.
        /// </summary>
        private sealed class RequantizeLookup : CpuStrategy<LookupTablePlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                TensorInfo x = node.Inputs[0], y = node.Output;
                if (node.Inputs.Count != 1 || x.Kind == TensorKind.Initializer || x.Quant == null || y.Quant == null || CSharp.Type(x.Type) != "sbyte" || CSharp.Type(y.Type) != "sbyte")
                {
                    return null;
                }

                Dyadic d = ((RequantizeLayer)node.Layer).Integers.Requant;
                var table = new long[256];
                for (long v = x.Type.MinValue; v <= x.Type.MaxValue; v++)
                {
                    table[v & 255] = IntegerOps.Requantize(v - x.Quant.ZeroPoint, d, y.Quant.ZeroPoint, y.Type);
                }

                return new LookupTablePlan(table) { Library = KernelFiles.Kernels };
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, LookupTablePlan plan)
            {
                Dyadic d = ((RequantizeLayer)node.Layer).Integers.Requant;
                int off = e.AddBytes(plan.Table.ToArray());
                w.Line($"// Lookup table (blob offset {off}): y = clamp({CSharp.I(node.Output.Quant!.ZeroPoint)} + RoundShift((x - {CSharp.I(node.Inputs[0].Quant!.ZeroPoint)}) * {d.Multiplier}, {d.Shift})) for each of the 256 int8 inputs, computed at build time.");
                w.Line(CpuEmitter.K("Lookup", e.InputNames(node)[0], $"ref Unsafe.Add(ref BlobData, {off})", "y") + ";");
            }
        }

        private sealed class Copy : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => StridedCopyWriter.Plan(node);

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => StridedCopyWriter.Emit(e, w, node);
        }
    }
}
