using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// 2-D average pooling over NCHW with a window (ONNX AveragePool, torch nn.AvgPool2d): kernel, strides, zero pads and
    /// ONNX's count_include_pad. Quantized: the int64 sum of (x - z_x) over the window's taps inside the input, times one
    /// dyadic per divisor, D_c = S_in / (S_out c) (c = kh kw with count_include_pad = 1, else the number of taps inside):
    /// y = clamp(z_y + D_c.Apply(sum)). No division at run time; the error is the average pool's (1/2 LSB + dyadic).
    /// </summary>
    public sealed class AvgPool2dOperator : Operator
    {
        private const double MultiplierTolerance = 1e-6;

        private static readonly string[] OwnFields = { "kernel", "strides", "pads", "count_include_pad", "multipliers", "shifts" };

        public override OpKind Op => OpKind.AvgPool2d;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var layer = new AvgPool2dLayer
            {
                Kernel = r.IntArray("kernel", 1, SpecParser.MaxDimension) ?? new[] { 1, 1 },
                Strides = r.OptionalIntArray("strides", 2, 1, SpecParser.MaxDimension) ?? new[] { 1, 1 },
                Pads = r.OptionalIntArray("pads", 4, 0, SpecParser.MaxDimension) ?? new[] { 0, 0, 0, 0 },
                CountIncludePad = (r.OptionalInteger("count_include_pad", 0, 1) ?? 0) == 1,
            };
            Dyadic[]? requant = r.Quant.DyadicArray("multipliers", "shifts");
            return r.WithIntegers(layer, () => requant != null ? new AvgPool2dIntegers(requant) : null);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var p = (AvgPool2dLayer)layer;
            w.Property("kernel", p.Kernel);
            w.Property("strides", p.Strides);
            w.Property("pads", p.Pads);
            w.Property("count_include_pad", p.CountIncludePad ? 1 : 0);
            w.Dyadics(p.IntegersOrNull?.Requant);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var p = (AvgPool2dLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            if (p.Kernel.Length != 2)
            {
                return One(c.Fail($"AvgPool2d kernel {Shape(p.Kernel)} must hold two sizes [kh, kw]"));
            }

            if (x.Length != 4)
            {
                return One(c.Fail($"AvgPool2d needs an NCHW input of rank 4; got {Shape(x)}"));
            }

            int[] k = p.Kernel, s = p.Strides, pad = p.Pads;
            if (x[2] + pad[0] + pad[2] < k[0] || x[3] + pad[1] + pad[3] < k[1] || pad[0] >= k[0] || pad[2] >= k[0] || pad[1] >= k[1] || pad[3] >= k[1])
            {
                return One(c.Fail($"AvgPool2d kernel {Shape(k)} with pads {Shape(pad)} does not fit the input {Shape(x)} (pads must be smaller than the kernel)"));
            }

            return One(new[] { x[0], x[1], ((x[2] + pad[0] + pad[2] - k[0]) / s[0]) + 1, ((x[3] + pad[1] + pad[3] - k[1]) / s[1]) + 1 });
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var p = (AvgPool2dLayer)node.Layer;
            TensorInfo x = node.Inputs[0];
            if (x.Quant == null || x.ChannelScales != null)
            {
                return c.Reject($"the input \"{x.Name}\" of AvgPool2d needs one per-tensor scale");
            }

            int taps = p.Kernel[0] * p.Kernel[1];
            IReadOnlyList<Dyadic> requant = p.Integers.Requant;
            if (requant.Count != taps)
            {
                return c.Reject($"\"multipliers\"/\"shifts\" hold {requant.Count} dyadics; a {p.Kernel[0]}x{p.Kernel[1]} window needs {taps}, one per divisor 1..{taps} (S_in / (S_out c))");
            }

            for (int i = 0; i < taps; i++)
            {
                double expected = x.Quant.Scale / (node.Output.Quant!.Scale * (i + 1));
                Dyadic d = requant[i];
                bool exact = expected < Dyadic.MaxOperand && d == Dyadic.FromReal(expected);
                if (!exact && Math.Abs(d.ToReal() - expected) > expected * MultiplierTolerance)
                {
                    return c.Reject($"multiplier {i} ({d}) must be S_in / (S_out {i + 1}) = {expected.ToString("R", CultureInfo.InvariantCulture)}");
                }
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var p = (AvgPool2dLayer)c.Node.Layer;
            IntRange x = c.Shifted(0);
            int taps = p.Kernel[0] * p.Kernel[1];
            var sum = new IntRange(Math.Min(0, x.Min) * taps, Math.Max(0, x.Max) * taps);
            c.Add("sum", sum);
            if (!c.CheckInt32("sum", sum, "the int32 pooling sum"))
            {
                return c.Full(c.Node.Output.Quant!);
            }

            long zo = c.Node.Output.Quant!.ZeroPoint, lo = long.MaxValue, hi = long.MinValue;
            for (int n = p.CountIncludePad ? taps : 1; n <= taps; n++)
            {
                // n taps inside the window: the sum lies in [n min, n max] (count_include_pad: any count of taps, divisor kh kw).
                for (int inside = p.CountIncludePad ? 1 : n; inside <= n; inside++)
                {
                    IntRange r = c.Requant(new IntRange(x.Min * inside, x.Max * inside), p.Integers.Requant[n - 1], zo);
                    lo = Math.Min(lo, r.Min);
                    hi = Math.Max(hi, r.Max);
                }
            }

            return new IntRange(lo, hi);
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var p = (AvgPool2dLayer)node.Layer;
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            Pool(node, p, inputs[0], (sum, count) => IntegerOps.Clamp(outQ.ZeroPoint + p.Integers.Requant[count - 1].Apply((long)sum), outQ.Type.MinValue, outQ.Type.MaxValue), v => v - zx, outputs[0]);
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var p = (AvgPool2dLayer)node.Layer;
            double[] y = outputs[0];
            int[] x = node.Inputs[0].Shape;
            int[] ys = node.Output.Shape;
            for (int o = 0; o < y.Length; o++)
            {
                (double sum, int count) = Window(p, x, ys, o, i => inputs[0][i]);
                y[o] = sum / count;
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var p = (AvgPool2dLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            c.Attach(new AvgPool2dIntegers(Enumerable.Range(1, p.Kernel[0] * p.Kernel[1]).Select(n => Dyadic.FromReal(inQ.Scale / (outQ.Scale * n)))));
            return One(outQ);
        }

        /// <summary>The sum over output <paramref name="o"/>'s window of the taps inside the input, and the divisor (count_include_pad: kh kw).</summary>
        public static (double Sum, int Count) Window(AvgPool2dLayer p, int[] x, int[] y, int o, Func<int, double> at)
        {
            int ow = o % y[3], oh = (o / y[3]) % y[2], nc = o / (y[3] * y[2]);
            double sum = 0;
            int count = 0;
            for (int i = 0; i < p.Kernel[0]; i++)
            {
                int h = (oh * p.Strides[0]) - p.Pads[0] + i;
                for (int j = 0; j < p.Kernel[1]; j++)
                {
                    int w = (ow * p.Strides[1]) - p.Pads[1] + j;
                    if (h >= 0 && h < x[2] && w >= 0 && w < x[3])
                    {
                        sum += at((((nc * x[2]) + h) * x[3]) + w);
                        count++;
                    }
                }
            }

            return (sum, p.CountIncludePad ? p.Kernel[0] * p.Kernel[1] : count);
        }

        private static void Pool(GraphNode node, AvgPool2dLayer p, int[] x, Func<long, int, long> finish, Func<int, long> shift, int[] y)
        {
            int[] xs = node.Inputs[0].Shape, ys = node.Output.Shape;
            for (int o = 0; o < y.Length; o++)
            {
                // Integer sums (every tap is an int32 minus a zero point; the range analysis bounds the sum to int32).
                (double sum, int count) = Window(p, xs, ys, o, i => shift(x[i]));
                y[o] = (int)finish((long)sum, count);
            }
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>2-D average pooling with a window; quantized: one dyadic per divisor 1..kh kw.</summary>
    public sealed class AvgPool2dLayer : QuantizableLayer<AvgPool2dIntegers>
    {
        public AvgPool2dLayer()
            : base(OpKind.AvgPool2d)
        {
        }

        public int[] Kernel { get; set; } = { 1, 1 };

        public int[] Strides { get; set; } = { 1, 1 };

        /// <summary>[top, left, bottom, right] zero padding.</summary>
        public int[] Pads { get; set; } = { 0, 0, 0, 0 };

        /// <summary>ONNX count_include_pad: divide by kh kw (true) or by the taps inside the input (false, the default).</summary>
        public bool CountIncludePad { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new AvgPool2dLayer { Kernel = (int[])Kernel.Clone(), Strides = (int[])Strides.Clone(), Pads = (int[])Pads.Clone(), CountIncludePad = CountIncludePad });
    }

    /// <summary>AvgPool2d: S_in / (S_out c) for each divisor c = 1..kh kw (a window clipped by the border divides by fewer taps).</summary>
    public sealed class AvgPool2dIntegers : LayerIntegers
    {
        public AvgPool2dIntegers(IEnumerable<Numerics.Dyadic> requant)
        {
            Requant = Frozen(requant, nameof(requant));
            if (Requant.Count == 0)
            {
                throw new System.ArgumentException("AvgPool2d needs one dyadic per divisor 1..kh kw, at least one", nameof(requant));
            }
        }

        /// <summary>Index c - 1 holds S_in / (S_out c).</summary>
        public IReadOnlyList<Numerics.Dyadic> Requant { get; }
    }
}
