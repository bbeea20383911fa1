using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// MaxPool2d: int8 channels-last, 16 channels per vector max (where the plan keeps the input channels-last) -> the window
    /// unrolled at constant offsets without padding, clipped to the input with padding (NCHW).
    /// </summary>
    public sealed class MaxPool2dLowering : CpuLowering
    {
        public override OpKind Op => OpKind.MaxPool2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new Int8(), new Window() };

        /// <summary>int8, 4-D: layout-preserving, so a pool between channels-last convolutions stays channels-last.</summary>
        private sealed class Int8 : CpuStrategy<CpuKernelPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) =>
                CSharp.Type(node.Inputs[0].Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && node.Inputs[0].Shape.Length == 4
                    ? new CpuKernelPlan("int8-maxpool") { Library = KernelFiles.Kernels | KernelFiles.ConvKernels, Layout = CpuLayout.Preserving }
                    : null;

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan)
            {
                var mp = (MaxPool2dLayer)node.Layer;
                TensorInfo x = node.Inputs[0], y = node.Output;
                if (!e.Plan.IsChannelsLast(x))
                {
                    CpuEmitter.EmitMaxPool2d(w, node, mp);
                    return;
                }

                int[] s = x.Shape, os = y.Shape;
                int inLen = s[1] * s[2] * s[3], outLen = os[1] * os[2] * os[3];
                w.Line($"// MaxPool2d on channels-last int8: per output position the window clipped to the input (padding never wins), 16 channels per vector max.");
                w.Open($"for (int b = 0; b < {s[0]}; b++)");
                w.Line(KernelLibrary.Call("QuantGenConvKernels", "MaxPoolNhwc", $"x.Slice(b * {inLen}, {inLen})", CSharp.I(s[1]), CSharp.I(s[2]), CSharp.I(s[3]), CSharp.I(mp.Kernel[0]), CSharp.I(mp.Kernel[1]),
                    CSharp.I(mp.Strides[0]), CSharp.I(mp.Strides[1]), CSharp.I(mp.Pads[0]), CSharp.I(mp.Pads[1]), CSharp.I(os[2]), CSharp.I(os[3]), $"y.Slice(b * {outLen}, {outLen})") + ";");
                w.Close();
            }
        }

        private sealed class Window : ScalarStrategy
        {
            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, CpuKernelPlan plan) => CpuEmitter.EmitMaxPool2d(w, node, (MaxPool2dLayer)node.Layer);
        }
    }
}
