using QuantGen.Graph;

namespace QuantGen.Cpu
{
    /// <summary>A strategy that always applies and reports the kernel "scalar" (plain loops the JIT compiles as it can).</summary>
    public abstract class ScalarStrategy : CpuStrategy<CpuKernelPlan>
    {
        public const string Kernel = "scalar";

        public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => new CpuKernelPlan(Kernel);
    }
}
