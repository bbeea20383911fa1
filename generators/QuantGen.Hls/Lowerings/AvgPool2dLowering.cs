using System.Linq;
using QuantGen.Hls.Plan;
using QuantGen.Model;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>AvgPool2d NCHW over kh x kw windows: the sum of the taps inside the input, the dyadic of the divisor from two ROM tables.</summary>
    public sealed record AvgPool2dKernel(int Planes, int H, int W, int Oh, int Ow, int Kh, int Kw, string Ih, string Iw, string Divisor, string MultTable, string ShiftTable) : HlsKernel;

    public sealed class AvgPool2dLowering : HlsLowering
    {
        public override OpKind Op => OpKind.AvgPool2d;

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var p = (AvgPool2dLayer)c.Spec;
            int[] inShape = c.InShape, os = c.Node.Output.Shape;
            if (!Fits.Parallel(c, c.Inputs[0]))
            {
                return null;
            }

            int taps = p.Kernel[0] * p.Kernel[1];
            string mult = c.Table("multiplier", p.Integers.Requant.Select(d => (long)d.Multiplier), $"{p.Name}: S_in / (S_out c) for the divisors c = 1..{taps}");
            string shift = c.Table("shift", p.Integers.Requant.Select(d => (long)d.Shift), $"{p.Name}: shifts of those dyadics");
            var kernel = new AvgPool2dKernel(inShape[0] * inShape[1], inShape[2], inShape[3], os[2], os[3], p.Kernel[0], p.Kernel[1],
                HlsLayerContext.WindowIndex("oh", p.Strides[0], p.Pads[0], "i"), HlsLayerContext.WindowIndex("ow", p.Strides[1], p.Pads[1], "j"),
                p.CountIncludePad ? CppFormat.Lit(taps) : "count", mult, shift);
            string comment = $"{p.Name}: AvgPool2d {Shape(inShape)} -> {Shape(os)}, kernel {p.Kernel[0]}x{p.Kernel[1]}, strides {p.Strides[0]}x{p.Strides[1]}, pads [{string.Join(", ", p.Pads)}], count_include_pad {(p.CountIncludePad ? 1 : 0)}";
            int depth = HlsPlanner.CeilLog2(taps) + 1 + HlsPlanner.RequantDepth;
            long elements = c.Output.Count;
            HlsCost cost = HlsCost.Simple(1, 0, elements + depth, $"E + ceil(log2(kh kw)) + 1 + {HlsPlanner.RequantDepth} = {elements} + {depth}") with { RomBits = taps * (32L + 6) };
            return new HlsLowered("avgpool2d", comment, 1, cost, kernel);
        }
    }
}
