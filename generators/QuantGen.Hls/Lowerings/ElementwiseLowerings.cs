using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>An operator whose kernel needs nothing beyond the common layer fields (ReLU, Reshape).</summary>
    public sealed record NoKernelFields : HlsKernel
    {
        public static NoKernelFields Instance { get; } = new NoKernelFields();
    }

    /// <summary>ReLU: max(x, zero point).</summary>
    public sealed class ReluLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Relu;

        public override HlsLowered? Lower(HlsLayerContext c) =>
            new HlsLowered("relu", $"{c.Spec.Name}: ReLU, max(x, zero point)", 1, HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1"), NoKernelFields.Instance);
    }

    /// <summary>Clip to [qmin, qmax] in the integer domain.</summary>
    public sealed record ClipKernel(string Qmin, string Qmax) : HlsKernel;

    public sealed class ClipLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Clip;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var clip = (ClipLayer)c.Spec;
            return new HlsLowered("clip", $"{clip.Name}: Clip to [{clip.Integers.QMin}, {clip.Integers.QMax}]", 1, HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1"),
                new ClipKernel(CppFormat.Lit(clip.Integers.QMin), CppFormat.Lit(clip.Integers.QMax)));
        }
    }

    /// <summary>Reshape: the row-major order is unchanged, so the kernel copies.</summary>
    public sealed class ReshapeLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Reshape;

        public override HlsLowered? Lower(HlsLayerContext c) =>
            new HlsLowered("copy", $"{c.Spec.Name}: Reshape {Shape(c.InShape)} -> {Shape(c.Node.Output.Shape)} (row-major order unchanged)", 1,
                HlsCost.Simple(0, 0, c.Output.Count + 1, "E + 1"), NoKernelFields.Instance);
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
