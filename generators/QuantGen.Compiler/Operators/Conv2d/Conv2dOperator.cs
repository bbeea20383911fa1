using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>2-D convolution over NCHW (<see cref="Conv2dLayer"/>), quantized exactly like Dense per output channel.</summary>
    public sealed class Conv2dOperator : WeightedOperator
    {
        private static readonly string[] OwnFields = { "weight", "bias", "activation", "strides", "pads", "group", "multipliers", "shifts", "clamp" };

        public override OpKind Op => OpKind.Conv2d;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var cv = new Conv2dLayer
            {
                Weight = r.TensorName("weight") ?? string.Empty,
                Bias = r.OptionalTensorName("bias"),
                Activation = ParseActivation(r),
                Strides = r.OptionalIntArray("strides", 2, 1, SpecParser.MaxDimension) ?? new[] { 1, 1 },
                Pads = r.OptionalIntArray("pads", 4, 0, SpecParser.MaxDimension) ?? new[] { 0, 0, 0, 0 },
                Group = r.Get("group") != null ? (int)(r.Integer("group", 1, SpecParser.MaxDimension) ?? 1) : 1,
            };
            return ReadIntegers(r, cv);
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var cv = (Conv2dLayer)layer;
            WriteWeighted(cv, w);
            w.Property("strides", cv.Strides);
            w.Property("pads", cv.Pads);
            w.Property("group", cv.Group);
            WriteQuantized(cv, w);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var cv = (Conv2dLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            if (x.Length != 4)
            {
                return One(c.Fail($"Conv2d needs an NCHW input of rank 4; got {Shape(x)}"));
            }

            TensorInfo? w = c.Initializer(cv.Weight, "weight");
            if (w == null)
            {
                return null;
            }

            int g = cv.Group;
            if (w.Shape.Length != 4 || x[1] % g != 0 || w.Shape[1] * g != x[1] || w.Shape[0] % g != 0)
            {
                return One(c.Fail($"weight \"{w.Name}\" has shape {Shape(w.Shape)} but the input has {x[1]} channels and group {g}: a Conv2d weight is [outputs (a multiple of group), {x[1]} / group, kh, kw]"));
            }

            int kh = w.Shape[2], kw = w.Shape[3];
            int hp = x[2] + cv.Pads[0] + cv.Pads[2], wp = x[3] + cv.Pads[1] + cv.Pads[3];
            if (hp < kh || wp < kw)
            {
                return One(c.Fail($"kernel {kh}x{kw} does not fit the padded input {hp}x{wp}"));
            }

            int n = w.Shape[0];
            c.Weight = w;
            if (cv.Bias != null)
            {
                TensorInfo? b = c.Initializer(cv.Bias, "bias");
                if (b == null)
                {
                    return null;
                }

                if (b.Shape.Length != 1 || b.Shape[0] != n)
                {
                    return One(c.Fail($"bias \"{b.Name}\" has shape {Shape(b.Shape)}; the convolution has {n} output channels, so the bias must be [{n}]"));
                }

                c.Bias = b;
            }

            return One(new[] { x[0], n, (hp - kh) / cv.Strides[0] + 1, (wp - kw) / cv.Strides[1] + 1 });
        }

        /// <summary>One per output element and window tap of its group (C/group x kh x kw, padded taps counted).</summary>
        public override long Macs(GraphNode node) => node.Output.ElementCount * (long)(node.Weight!.ElementCount / node.Weight.Shape[0]);

        /// <summary>Every output sums at most the whole kernel (padding contributes 0, which every product range holds).</summary>
        public override IntRange Range(RangeContext c) => WeightedRange(c, (Conv2dLayer)c.Node.Layer, paddedTaps: true);

        /// <summary>
        /// acc = bias[o] + sum over the kernel window of (x - zx) * w; padded positions contribute 0 (they hold the real value
        /// 0, i.e. the zero point), then the Dense requantization and clamp per output channel.
        /// </summary>
        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var cv = (Conv2dLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            long zx = node.Inputs[0].Quant!.ZeroPoint;
            TensorQuant outQ = node.Output.Quant!;
            int[] w = node.Weight!.IntData!;
            int[]? bias = node.Bias?.IntData;
            int[] s = node.Inputs[0].Shape, ws = node.Weight.Shape, os = node.Output.Shape;
            int cg = ws[1], kh = ws[2], kw = ws[3], og = ws[0] / cv.Group;
            int inC = s[1], inH = s[2], inW = s[3];
            int strideH = cv.Strides[0], strideW = cv.Strides[1], padH = cv.Pads[0], padW = cv.Pads[1];
            IReadOnlyList<Dyadic> requant = cv.Integers.Requant;
            long lo = cv.Integers.Clamp.Lo, hi = cv.Integers.Clamp.Hi;

            // The input minus its zero point once; the window's rows are contiguous in x and in w (j innermost).
            var xs = new long[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                xs[i] = x[i] - zx;
            }

            for (int b = 0; b < s[0]; b++)
            {
                for (int o = 0; o < os[1]; o++)
                {
                    int firstC = (o / og) * cg;
                    for (int oh = 0; oh < os[2]; oh++)
                    {
                        for (int ow = 0; ow < os[3]; ow++)
                        {
                            long acc = bias?[o] ?? 0;
                            for (int ci = 0; ci < cg; ci++)
                            {
                                int xPlane = (b * inC + firstC + ci) * inH, wPlane = (o * cg + ci) * kh;
                                for (int i = 0; i < kh; i++)
                                {
                                    int ih = oh * strideH - padH + i;
                                    if (ih < 0 || ih >= inH)
                                    {
                                        continue;
                                    }

                                    int xRow = (xPlane + ih) * inW, wRow = (wPlane + i) * kw, iw0 = ow * strideW - padW;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int iw = iw0 + j;
                                        if (iw >= 0 && iw < inW)
                                        {
                                            acc += xs[xRow + iw] * w[wRow + j];
                                        }
                                    }
                                }
                            }

                            y[((b * os[1] + o) * os[2] + oh) * os[3] + ow] = (int)IntegerOps.Requantize(acc, requant[o], outQ.ZeroPoint, lo, hi);
                        }
                    }
                }
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var cv = (Conv2dLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
            int[] inShape = node.Inputs[0].Shape;
            float[] w = node.Weight!.FloatData!;
            float[]? bias = node.Bias?.FloatData;
            int[] ws = node.Weight.Shape, os = node.Output.Shape;
            int cg = ws[1], kh = ws[2], kw = ws[3], og = ws[0] / cv.Group;
            for (int b = 0; b < inShape[0]; b++)
            {
                for (int o = 0; o < os[1]; o++)
                {
                    int firstC = (o / og) * cg;
                    for (int oh = 0; oh < os[2]; oh++)
                    {
                        for (int ow = 0; ow < os[3]; ow++)
                        {
                            double acc = bias?[o] ?? 0;
                            for (int ci = 0; ci < cg; ci++)
                            {
                                for (int i = 0; i < kh; i++)
                                {
                                    int ih = oh * cv.Strides[0] - cv.Pads[0] + i;
                                    if (ih < 0 || ih >= inShape[2])
                                    {
                                        continue;
                                    }

                                    for (int j = 0; j < kw; j++)
                                    {
                                        int iw = ow * cv.Strides[1] - cv.Pads[1] + j;
                                        if (iw >= 0 && iw < inShape[3])
                                        {
                                            acc += x[((b * inShape[1] + firstC + ci) * inShape[2] + ih) * inShape[3] + iw] * w[((o * cg + ci) * kh + i) * kw + j];
                                        }
                                    }
                                }
                            }

                            y[((b * os[1] + o) * os[2] + oh) * os[3] + ow] = ApplyActivation(cv.Activation, acc);
                        }
                    }
                }
            }
        }

        protected override float[] FloatBias(PtqContext c, GraphNode node, double[] weightScales) => c.CorrectedBias(weightScales);
    }
}
