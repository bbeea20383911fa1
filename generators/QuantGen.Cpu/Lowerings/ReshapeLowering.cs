using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>Reshape: the row-major elements unchanged, as a view of the input's buffer (<see cref="ReshapeView"/>) or a copy.</summary>
    public sealed class ReshapeLowering : CpuLowering
    {
        public const string ViewKernel = "view";

        public override OpKind Op => OpKind.Reshape;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new View(), new Copy() };

        /// <summary>
        /// The output shares the input's buffer (<see cref="CpuPlan.Storage"/>) and the layer does nothing: the input is an
        /// intermediate activation of the same element type, neither tensor is a graph output. Exact because a Reshape moves no
        /// element (the copy it replaces is x.CopyTo(y)) and the arena keeps the shared buffer live until the last reader of either
        /// tensor (<see cref="CpuPlan.Arena"/>), so the input's bytes stay what the Reshape would have copied for as long as the
        /// output is read.
        /// </summary>
        private sealed class View : CpuStrategy<ReshapeView>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                TensorInfo x = node.Inputs[0], y = node.Output;
                return node.Inputs.Count == 1 && node.Outputs.Count == 1 && x.Kind == TensorKind.Activation && CSharp.Type(x.Type) == CSharp.Type(y.Type)
                    && x.ElementCount == y.ElementCount && !context.Model.IsGraphOutput(x) && !context.Model.IsGraphOutput(y)
                    ? new ReshapeView(x.Name)
                    : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ReshapeView plan) =>
                w.Line("// A view: y is x's buffer (CpuPlan.Storage), nothing to move.");
        }

        private sealed class Copy : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => w.Line("x.CopyTo(y);");
        }
    }

    /// <summary>A Reshape whose output lives in the buffer of its input <see cref="Into"/>.</summary>
    public sealed record ReshapeView(string Into) : CpuKernelPlan(ReshapeLowering.ViewKernel), ISharedStorage;

    /// <summary>A layer plan whose output tensor is stored in the buffer of the tensor <see cref="Into"/> (<see cref="CpuPlan.Storage"/>).</summary>
    public interface ISharedStorage
    {
        string Into { get; }
    }
}
