using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>ReLU in the quantized domain: max(x, zero point), vectorized for int8; element-wise, so any layout.</summary>
    public sealed class ReluLowering : CpuLowering
    {
        public override OpKind Op => OpKind.Relu;

        public const string FusedKernel = "fused-into-add";

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new IntoAdd(), new Int8(), new Loop() };

        /// <summary>
        /// The int8 Add in front clamps to [max(lo, zx), hi] (<see cref="AddLowering.FusedRelu"/>): this ReLU's output shares the
        /// Add's buffer and its method does nothing.
        /// </summary>
        private sealed class IntoAdd : CpuStrategy<FusedReluPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                GraphNode? add = context.Model.Producer(node.Inputs[0].Name);
                return add != null && ReferenceEquals(AddLowering.FusedRelu(context.Model, add), node) && AddInt8.Plan(add, 1) != null
                    ? new FusedReluPlan(add.Output.Name, add.Layer.Name) { Layout = CpuLayout.Elementwise }
                    : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, FusedReluPlan plan) =>
                w.Line($"// Fused into the Add \"{NamedTensorApi.Esc(plan.Add)}\" (its clamp starts at the zero point {CSharp.I(node.Inputs[0].Quant!.ZeroPoint)}): y is x's buffer, nothing to do.");
        }

        /// <summary>int8 in and out: QuantGenKernels.MaxS8 (one vector max per 32 / 64 bytes).</summary>
        private sealed class Int8 : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
                CSharp.Type(node.Inputs[0].Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && node.Inputs[0].ElementCount == node.Output.ElementCount
                    ? new CpuKernelPlan("int8-max") { Library = KernelFiles.Kernels, Layout = CpuLayout.Elementwise }
                    : null;

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) =>
                w.Line(CpuEmitter.K("MaxS8", "x", $"(sbyte){CSharp.I(node.Inputs[0].Quant!.ZeroPoint)}", "y") + ";");
        }

        private sealed class Loop : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => new CpuKernelPlan(ScalarStrategy.Kernel) { Layout = CpuLayout.Elementwise };

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                TensorInfo x = node.Inputs[0], y = node.Output;
                string zx = CSharp.I(x.Quant!.ZeroPoint);
                w.Open($"for (int i = 0; i < {y.ElementCount}; i++)");
                w.Line($"y[i] = x[i] < {zx} ? ({CSharp.Type(y.Type)}){zx} : x[i];");
                w.Close();
            }
        }
    }

    /// <summary>A ReLU fused into the int8 Add that writes <see cref="Into"/> (the tensor whose buffer its output shares).</summary>
    public sealed record FusedReluPlan(string Into, string Add) : CpuKernelPlan(ReluLowering.FusedKernel), ISharedStorage;
}
