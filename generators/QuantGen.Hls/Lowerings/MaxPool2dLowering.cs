using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>MaxPool2d NCHW over kh x kw windows; padding never wins.</summary>
    public sealed record MaxPool2dKernel(int Planes, int H, int W, int Oh, int Ow, int Kh, int Kw, string Ih, string Iw) : HlsKernel;

    public sealed class MaxPool2dLowering : HlsLowering
    {
        public override OpKind Op => OpKind.MaxPool2d;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var mp = (MaxPool2dLayer)c.Spec;
            int[] inShape = c.InShape, os = c.Node.Output.Shape;
            if (!Fits.Parallel(c, c.Inputs[0]))
            {
                return null;
            }

            int taps = mp.Kernel[0] * mp.Kernel[1];
            var kernel = new MaxPool2dKernel(inShape[0] * inShape[1], inShape[2], inShape[3], os[2], os[3], mp.Kernel[0], mp.Kernel[1],
                HlsLayerContext.WindowIndex("oh", mp.Strides[0], mp.Pads[0], "i"), HlsLayerContext.WindowIndex("ow", mp.Strides[1], mp.Pads[1], "j"));
            string comment = $"{mp.Name}: MaxPool2d {Shape(inShape)} -> {Shape(os)}, kernel {mp.Kernel[0]}x{mp.Kernel[1]}, strides {mp.Strides[0]}x{mp.Strides[1]}, pads [{string.Join(", ", mp.Pads)}] (padding never wins)";
            int depth = HlsPlanner.CeilLog2(taps) + 1;
            long elements = c.Output.Count;
            return new HlsLowered("maxpool2d", comment, 1, HlsCost.Simple(0, 0, elements + depth, $"E + ceil(log2(kh kw)) + 1 = {elements} + {depth}"), kernel);
        }
    }
}
