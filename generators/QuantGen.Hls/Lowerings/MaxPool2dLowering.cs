using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>MaxPool2d NCHW over kh x kw windows; padding never wins.</summary>
    public sealed record MaxPool2dKernel(int Planes, int H, int W, int Oh, int Ow, int Kh, int Kw, string Ih, string Iw, int Batch, int C, LineBuffer Line) : HlsKernel;

    public sealed class MaxPool2dLowering : HlsLowering
    {
        public override OpKind Op => OpKind.MaxPool2d;

        public override bool Streams(QuantGen.Graph.GraphNode node, System.Func<QuantGen.Graph.TensorInfo, HlsStreamLayout> layout) =>
            node.Inputs[0].Shape.Length == 4 && layout(node.Inputs[0]).Lanes == node.Inputs[0].Shape[1] && layout(node.Output).Lanes == node.Output.Shape[1];

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
                HlsLayerContext.WindowIndex("oh", mp.Strides[0], mp.Pads[0], "i"), HlsLayerContext.WindowIndex("ow", mp.Strides[1], mp.Pads[1], "j"),
                inShape[0], inShape[1], LineBuffer.Of(inShape[2], inShape[3], mp.Kernel[0], mp.Kernel[1], mp.Strides[0], mp.Strides[1], mp.Pads, os[2], os[3]));
            string comment = $"{mp.Name}: MaxPool2d {Shape(inShape)} -> {Shape(os)}, kernel {mp.Kernel[0]}x{mp.Kernel[1]}, strides {mp.Strides[0]}x{mp.Strides[1]}, pads [{string.Join(", ", mp.Pads)}] (padding never wins)";
            int depth = HlsPlanner.CeilLog2(taps) + 1;
            long elements = c.Output.Count;
            if (!c.Native)
            {
                return new HlsLowered("maxpool2d", comment, 1, HlsCost.Simple(0, 0, elements + depth, $"E + ceil(log2(kh kw)) + 1 = {elements} + {depth}"), kernel);
            }

            // io_stream: one padded position per cycle, all channels of a pixel at once.
            long positions = (long)inShape[0] * kernel.Line.Hp * kernel.Line.Wp;
            HlsCost cost = HlsCost.Simple(0, 0, positions + depth, $"N Hp Wp + ceil(log2(kh kw)) + 1 = {positions} + {depth}") with
            {
                BufferBits = (long)(mp.Kernel[0] - 1) * kernel.Line.Wp * inShape[1] * c.Inputs[0].Bits,
            };
            return new HlsLowered("maxpool2d_stream", comment + ", line buffer", 1, cost, kernel,
                LineBuffer.Lead(inShape[2], inShape[3], mp.Kernel[0], mp.Pads), (long)mp.Strides[0] * inShape[3]);
        }
    }
}
