using System;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>An operator whose kernel needs nothing beyond the common layer fields (ReLU, Reshape).</summary>
    public sealed record NoKernelFields : HlsKernel
    {
        public static NoKernelFields Instance { get; } = new NoKernelFields();
    }

    /// <summary>
    /// An element-wise layer's io_stream kernel (layers/elementwise_stream.sbn): every lane of a beat in the same cycle.
    /// <see cref="Value"/> is the lane's result from <c>xa</c> (and <c>ba</c>, the second input's lane), as 64-bit integers.
    /// A constant input (an Add's bias, broadcast by index modulo as in the interpreter) is read from its ROM with a wrapping
    /// counter instead of a stream: <see cref="ConstSide"/> is the constant's input index (-1: none), <see cref="ConstArray"/>
    /// its ROM and <see cref="ConstLen"/> its element count.
    /// </summary>
    public sealed record LaneKernel(string Value, bool Binary, int ConstSide = -1, string ConstArray = "", int ConstLen = 0) : HlsKernel;

    /// <summary>What the element-wise lowerings share: an io_stream kernel whenever input and output beats match.</summary>
    public abstract class ElementwiseLowering : HlsLowering
    {
        public override bool Streams(GraphNode node, Func<TensorInfo, HlsStreamLayout> layout)
        {
            HlsStreamLayout o = layout(node.Output);
            foreach (TensorInfo t in node.Inputs)
            {
                if (t.Kind == TensorKind.Initializer || t.ElementCount != node.Output.ElementCount || layout(t).Lanes != o.Lanes || layout(t).Beats != o.Beats)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The io_stream lowering: P = lanes elements per cycle, so the layer takes beats + pipeline depth cycles.</summary>
        protected static HlsLowered Lanes(HlsLayerContext c, string comment, HlsCost arrayCost, string value, bool binary, int depth, LaneKernel? kernel = null)
        {
            HlsStreamLayout o = c.OutLayouts[0];
            HlsCost cost = arrayCost with { Latency = o.Beats + depth, Formula = $"beats + {depth} = {o.Beats} + {depth} ({o.Lanes} elements per cycle)" };
            return new HlsLowered("elementwise_stream", comment, 1, cost, kernel ?? new LaneKernel(value, binary), 1, 0);
        }
    }

    /// <summary>ReLU: max(x, zero point).</summary>
    public sealed class ReluLowering : ElementwiseLowering
    {
        public override OpKind Op => OpKind.Relu;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            string comment = $"{c.Spec.Name}: ReLU, max(x, zero point)";
            HlsCost cost = HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1");
            return c.Native ? Lanes(c, comment, cost, $"qg_max(xa, {CppFormat.Lit(c.Inputs[0].ZeroPoint)})", false, 1)
                : new HlsLowered("relu", comment, 1, cost, NoKernelFields.Instance);
        }
    }

    /// <summary>Clip to [qmin, qmax] in the integer domain.</summary>
    public sealed record ClipKernel(string Qmin, string Qmax) : HlsKernel;

    public sealed class ClipLowering : ElementwiseLowering
    {
        public override OpKind Op => OpKind.Clip;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var clip = (ClipLayer)c.Spec;
            string comment = $"{clip.Name}: Clip to [{clip.Integers.QMin}, {clip.Integers.QMax}]";
            HlsCost cost = HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1");
            return c.Native ? Lanes(c, comment, cost, $"qg_clamp(xa, {CppFormat.Lit(clip.Integers.QMin)}, {CppFormat.Lit(clip.Integers.QMax)})", false, 1)
                : new HlsLowered("clip", comment, 1, cost, new ClipKernel(CppFormat.Lit(clip.Integers.QMin), CppFormat.Lit(clip.Integers.QMax)));
        }
    }

    /// <summary>How a Reshape moves beats in io_stream: unchanged ("copy"), a pixel beat split into one-element beats
    /// ("unpack", e.g. the Flatten after a global pool), or one-element beats packed into a pixel ("pack").</summary>
    public sealed record StreamCopyKernel(string Mode) : HlsKernel;

    /// <summary>Reshape: the row-major order is unchanged, so the kernel copies.</summary>
    public sealed class ReshapeLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Reshape;

        private static string? Mode(HlsStreamLayout i, HlsStreamLayout o) =>
            i.Lanes == o.Lanes && i.Beats == o.Beats ? "copy" : i.Packed && i.Spatial == 1 && !o.Packed ? "unpack" : !i.Packed && o.Packed && o.Spatial == 1 ? "pack" : null;

        public override bool Streams(GraphNode node, Func<TensorInfo, HlsStreamLayout> layout) => Mode(layout(node.Inputs[0]), layout(node.Output)) != null;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            string comment = $"{c.Spec.Name}: Reshape {Shape(c.InShape)} -> {Shape(c.Node.Output.Shape)} (row-major order unchanged)";
            if (!c.Native)
            {
                return new HlsLowered("copy", comment, 1, HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1"), NoKernelFields.Instance);
            }

            HlsStreamLayout i = c.InLayouts[0], o = c.OutLayouts[0];
            string mode = Mode(i, o)!;
            long cycles = System.Math.Max(i.Beats, o.Beats);
            return new HlsLowered("copy_stream", comment, 1, HlsCost.Simple(0, 0, cycles + 1, $"max(beats in, beats out) + 1 = {cycles} + 1"), new StreamCopyKernel(mode), 1, 0);
        }
    }

    /// <summary>ArgMax over the last axis (ties -> lowest index).</summary>
    public sealed record ArgMaxKernel(int Rows, int Len) : HlsKernel;

    public sealed class ArgMaxLowering : HlsLowering
    {
        public override OpKind Op => OpKind.ArgMax;

        public override HlsLowered? Lower(HlsLayerContext c) =>
            new HlsLowered("argmax", $"{c.Spec.Name}: ArgMax over rows of {c.Last} (ties -> lowest index)", 1,
                HlsCost.Simple(0, 0, c.Inputs[0].Count + 1, "E_in + 1"), new ArgMaxKernel(c.Inputs[0].Count / c.Last, c.Last));
    }
}
