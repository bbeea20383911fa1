using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;

namespace QuantGen.Cpu
{
    /// <summary>
    /// Conv2d: channels-last GEMM (int8, one group: the Dense AVX-VNNI GEMM on im2col rows) -> channels-last depthwise (int8)
    /// -> im2col into int16 tap pairs + vpmaddwd -> direct convolution with int64 accumulators.
    /// </summary>
    public sealed class Conv2dLowering : CpuLowering
    {
        public const string Im2ColKernel = "int16-im2col-pmaddwd";

        public const string GemmKernel = "int8-conv-nhwc-gemm";

        public const string DepthwiseKernel = "int8-depthwise-nhwc";

        public override OpKind Op => OpKind.Conv2d;

        public override IReadOnlyList<CpuStrategy> Strategies { get; } = new CpuStrategy[] { new NhwcGemm(), new Depthwise(), new Im2Col(), new Direct() };

        internal static ConvPlan Plan(CpuPlanContext c, GraphNode node, string kernel)
        {
            TensorInfo x = node.Inputs[0];
            IntRange xr = c.Ranges.Tensors[x.Name];
            long zx = x.Quant!.ZeroPoint;
            return new ConvPlan(kernel, xr.Min - zx, xr.Max - zx, c.RangesOf(node).Find("acc"))
            {
                Library = kernel != "scalar-int64" ? KernelFiles.Kernels | KernelFiles.ConvKernels : KernelFiles.Kernels,
            };
        }

        /// <summary>int8 input, int8 weights (at most 8 bits), int8 output, 4-D, accumulator proven to fit int32.</summary>
        private static bool Int8(CpuPlanContext context, GraphNode node, ConvPlan p)
        {
            TensorInfo x = node.Inputs[0], wt = node.Weight!;
            bool int8 = CSharp.Type(x.Type) == "sbyte" && CSharp.Type(node.Output.Type) == "sbyte" && wt.Type.IsSigned && wt.Type.Bits <= 8;
            bool accFits = p.Accumulator is not IntRange a || (a.Min >= int.MinValue && a.Max <= int.MaxValue);
            return int8 && accFits && x.Shape.Length == 4;
        }

        /// <summary>
        /// Channels per pixel of a one-group conv's padded image: 4 for a padded 3-channel input (the RGB stems; the 4th
        /// channel meets zero weights, and every kernel row becomes whole quads of taps for the implicit im2col), else c.
        /// </summary>
        internal static int ImageChannels(int c, bool padded) => padded && c == 3 ? 4 : c;

        /// <summary>QuantGenPointwiseKernels.MaxImplicitQuads: the most tap quads per position ConvImplicit32High takes.</summary>
        internal const int Implicit32MaxQuads = 1024;

        /// <summary>
        /// The stacked image of a StemStack stem in the scratch _convImage: oh stacked rows of RowStride bytes (9 per pixel of
        /// the padded window's pw, then 4 more: the 28th tap of the last position stays inside its row) at 0, the
        /// channels-last padded 4-channel image it is built from (PadImageWide) at ImageAt (ph * pw * 4 bytes and 32 of
        /// slack: the stacking's 32-byte loads), Length bytes in all.
        /// </summary>
        internal static (int RowStride, int ImageAt, int Length) StemStackLayout(int oh, int ph, int pw)
        {
            int rowStride = (9 * pw) + 4, imageAt = ((oh * rowStride) + 63) / 64 * 64;
            return (rowStride, imageAt, imageAt + (ph * pw * 4) + 32);
        }

        /// <summary>The padded window [ph][pw] the output positions read: ((o - 1) * stride + kernel) per axis.</summary>
        internal static (int Ph, int Pw) Window(GraphNode node)
        {
            var cv = (Conv2dLayer)node.Layer;
            int[] ws = node.Weight!.Shape, os = node.Output.Shape;
            return (((os[2] - 1) * cv.Strides[0]) + ws[2], ((os[3] - 1) * cv.Strides[1]) + ws[3]);
        }

        /// <summary>
        /// The channel of lane l in QuantGenDepthwiseKernels.DepthwiseQuadRegs (its QuadRegsChannel): c % 32 == 0, blocks of 32
        /// channels in the order byte and word unpacks within 128-bit lanes produce; else the channels in order.
        /// </summary>
        internal static int QuadRegsChannel(int c, int l)
        {
            if (c % 32 != 0)
            {
                return l;
            }

            int block = l / 32 * 32, k = (l % 32) / 8, m = l % 8;
            return block + (m < 4 ? 0 : 16) + (4 * k) + (m & 3);
        }

        /// <summary>The lane stride of a tap-quad row of <paramref name="lanes"/> lanes (QuantGenDepthwiseKernels.TapQuads).</summary>
        internal static int QuadLanes(int lanes) => ((lanes + 15) / 16 * 16) + 16;

        /// <summary>
        /// The int32 multiply-high requantization of QuantGenDepthwiseKernels.DepthwiseVnniHigh equals the reference's
        /// int64 one for every int32 accumulator when s &gt;= 33 and, with t = s - 32, t &lt;= 30 and
        /// |2^(t - 1) + zo * 2^t| &lt; 2^30 (the high half of acc * m is within 2^30, so the sum stays inside int32).
        /// </summary>
        internal static bool MulHighApplies(Dyadic r, long zo)
        {
            int t = r.Shift - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + (zo << t)) < (1L << 30);
        }

        /// <summary>
        /// int8, one group: a GEMM of the output positions (rows) by the output channels over K = kh * kw * C taps in the
        /// order (row, column, channel), on the Dense kernels (AVX-VNNI, int16 pairs elsewhere) with the requantization fused
        /// into the register tiles. Channels-last in and out where the plan keeps them (a 1x1 stride-1 conv is then the GEMM
        /// itself, other convs copy kh runs of kw * C bytes per position); the graph edges transpose.
        /// </summary>
        private sealed class NhwcGemm : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                var cv = (Conv2dLayer)node.Layer;
                ConvPlan p = Plan(context, node, GemmKernel);
                if (!Int8(context, node, p) || cv.Group != 1)
                {
                    return null;
                }

                int[] s = node.Inputs[0].Shape, ws = node.Weight!.Shape, os = node.Output.Shape;
                // Sized for the wider image of a 3-channel input (the layout plan, which decides whether it is padded, comes later).
                int cImg = ImageChannels(s[1], true);
                int positions = os[2] * os[3], k = cImg * ws[2] * ws[3], kQuads = (k + 3) / 4;
                (int ph, int pw) = Window(node);
                // The int32 multiply-high requantization is taken where every channel's constants allow its proof: in the
                // implicit im2col tiles (ConvGemmImplicitHigh) and in the Dense-tile GEMM store (QuantGenPointwiseKernels.GemmVnniHigh:
                // 1x1 convs and explicit im2col rows); the narrow tiles and the paths without VNNI keep the int64 form.
                long zo = node.Output.Quant!.ZeroPoint;
                bool high = Enumerable.Range(0, ws[0]).All(o => MulHighApplies(cv.Integers.Requant[o], zo));
                // QuantGenPointwiseKernels only where the emission can reach GemmVnniHigh: an image that is not padded (a
                // channels-last input without pads: the layout plan decides that later, so both cases count) or a padded one
                // the implicit tiles cannot read, above 16 channels or as a 1x1 stride-1 GEMM (EmitConvGemm's branches).
                bool pads = cv.Pads.Any(v => v != 0);
                bool pointwise = high && (GemmHighReachable(node, true) || (!pads && GemmHighReachable(node, false)));
                // An RGB stem with 8 output channels (MobileNet's features.0) runs weight-stationary over 8 output positions
                // (QuantGenPointwiseKernels.Stem8) where AVX-512 VBMI runs, on the 4-channel image the implicit tiles read.
                bool stem8 = high && s[1] == 3 && ws[0] == 8 && (cv.Strides[1] == 1 || cv.Strides[1] == 2) && os[3] >= 8;
                // An RGB 3x3 stem with 16k output channels (ResNet-8's conv): the implicit tiles read the stacked image
                // (QuantGenStemKernels.StackRows3: the three image rows of an output row side by side per pixel), 27 taps in 7
                // quads instead of 9 on the 4-channel image.
                bool stemStack = high && pads && !stem8 && s[1] == 3 && ws[2] == 3 && ws[3] == 3 && ws[0] % 16 == 0;
                // Where the emission takes the implicit tiles (a padded image, kernel rows of whole quads) on 32k output channels
                // without a fused Add: the 4 x 32 tiles (QuantGenPointwiseKernels.ConvImplicit32High), not the 6 x 16 ones; at most
                // Implicit32MaxQuads tap quads per position (its quad table lives on the stack).
                bool tiles32 = high && !stem8 && !stemStack && ws[0] % 32 == 0 && (ws[3] * cImg) % 4 == 0 && (ws[2] * ws[3] * cImg) / 4 <= Implicit32MaxQuads;
                int image = (ph * pw * cImg) + 16;
                if (stemStack)
                {
                    image = System.Math.Max(image, StemStackLayout(os[2], ph, pw).Length);
                }

                return p with
                {
                    Layout = CpuLayout.Convertible,
                    Library = KernelFiles.Kernels | KernelFiles.ConvKernels | (pointwise || stem8 || tiles32 ? KernelFiles.PointwiseKernels : KernelFiles.None)
                        | (stemStack ? KernelFiles.StemKernels : KernelFiles.None),
                    Stem8 = stem8,
                    StemStack = stemStack,
                    Tiles32 = tiles32,
                    Scratch = new CpuScratch(ConvImage: image, ConvCol: positions * kQuads * 4, ConvOut: positions * ws[0], GemmA: positions * ((k + 1) / 2) * 2),
                    MulHigh = high,
                };
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConvGemm(w, node, plan);

            /// <summary>Whether EmitConvGemm's AVX-VNNI branch calls the Dense-tile GEMM (GemmVnniHigh when MulHigh) for this image.</summary>
            private static bool GemmHighReachable(GraphNode node, bool padded)
            {
                var cv = (Conv2dLayer)node.Layer;
                int[] ws = node.Weight!.Shape;
                int c = node.Inputs[0].Shape[1], cImg = ImageChannels(c, padded), kh = ws[2], kw = ws[3];
                if (padded && (kw * cImg) % 4 == 0)
                {
                    return false; // the implicit tiles (ConvGemmImplicitHigh)
                }

                bool direct = !padded && kh == 1 && kw == 1 && cv.Strides[0] == 1 && cv.Strides[1] == 1 && (cImg * kh * kw) % 4 == 0;
                return direct || ws[0] > 16;
            }
        }

        /// <summary>
        /// int8 depthwise (groups == input channels == output channels): channels-last, 16 channels per vector (AVX-512; 8 on
        /// AVX2, scalar elsewhere: the same integers), the zero-point padded image read without position tests, the
        /// requantization in registers.
        /// </summary>
        private sealed class Depthwise : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                var cv = (Conv2dLayer)node.Layer;
                TensorInfo x = node.Inputs[0], wt = node.Weight!;
                ConvPlan p = Plan(context, node, DepthwiseKernel);
                if (!Int8(context, node, p) || cv.Group != x.Shape[1] || wt.Shape[0] != cv.Group || wt.Shape[1] != 1)
                {
                    return null;
                }

                int[] os = node.Output.Shape;
                (int ph, int pw) = Window(node);
                int c = x.Shape[1], kw = wt.Shape[3];
                // 3x3 layers with 8, 16 or a multiple of 32 channels build their tap quads in registers from the padded image
                // (QuantGenDepthwiseKernels.DepthwiseQuadRegs: no quad buffer, stride 1 and 2); measured against DepthwiseNhwc
                // and the tap-quad buffer in one process by `dw-regs` (BENCHMARKS.md, branch perfdw2; process CPU time, load 20-30):
                // stride 1 1.3-2.0x of the int32 lanes (8 channels 1.7-1.8x of the tap-quad buffer); stride 2 from 64 channels
                // (1.1-1.4x). Since the zmm multiply-high store (branch dwstore, `dw-regs`, process CPU time, load 20-29, BENCHMARKS.md)
                // stride 2 with 16 and 32 channels also beats the int32 lanes (1.27x / 1.36x, before 1.08-1.11x / 1.18-1.19x).
                // Otherwise, where AVX-VNNI runs, stride-1 layers whose channels do not fill 16 lanes (MobileNet's 8-channel first depthwise)
                // go through tap quads and vpdpbusd (QuantGenDepthwiseKernels; kernel rows of at most 4 taps), the requantization
                // in the int32 multiply-high form where every channel's constants allow its proof. dw-probe measured tap quads
                // at 1.09x there and at 0.26-0.93x of the int32 lanes on the other zoo shapes (building the quads costs as much
                // as the vpdpbusd loop saves), so those keep DepthwiseNhwc.
                bool regs = wt.Shape[2] == 3 && kw == 3 && (c == 8 || c == 16 || c % 32 == 0) && cv.Strides[0] == cv.Strides[1]
                    && (cv.Strides[1] == 1 || (cv.Strides[1] == 2 && c >= 16));
                bool quads = !regs && kw <= 4 && cv.Strides[1] == 1 && c % 16 != 0;
                long zo = node.Output.Quant!.ZeroPoint;
                bool high = (quads || regs) && Enumerable.Range(0, c).All(ch => MulHighApplies(cv.Integers.Requant[ch], zo));
                // 16 channels at stride 2 with padding 1 only at the top and left (MobileNet's features.9: 48x48 -> 24x24) read the
                // interior straight from x (QuantGenDepthwiseKernels.DepthwiseQuadRegs16S2, one xor per load) and pad only the first
                // two output rows' and columns' strips: the whole-image padding pass of a 48x48x16 input (74 KB with its image,
                // more than L1) cost about a third of the layer. `dw-regs` (QUANTGEN_DW_OLD=1, process CPU time, 2026-12-06): 48x48
                // 1.27x, 12x20 1.06x, 8x8 0.87x against PadImageU + DepthwiseQuadRegs, so from 24x24 inputs only.
                int h = x.Shape[2], w = x.Shape[3];
                bool direct = regs && high && c == 16 && cv.Strides[0] == 2 && cv.Pads[0] == 1 && cv.Pads[1] == 1 && ph == h + 1 && pw == w + 1
                    && h % 4 == 0 && w % 4 == 0 && h * w >= 24 * 24;
                return p with
                {
                    Layout = CpuLayout.Convertible,
                    Library = KernelFiles.Kernels | KernelFiles.ConvKernels | (quads || regs ? KernelFiles.DepthwiseKernels : KernelFiles.None),
                    Scratch = new CpuScratch(ConvImage: (ph * pw * c) + c + 32, ConvOut: os[1] * os[2] * os[3], ConvCol: quads ? ph * QuadLanes(os[3] * c) * 4 : 0),
                    TapQuads = quads,
                    QuadRegs = regs,
                    QuadRegsDirect = direct,
                    MulHigh = high,
                };
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitDepthwiseNhwc(w, node, plan);
        }

        /// <summary>
        /// The depthwise inputs whose producer writes the padded u-image in place (CpuPlan.PaddedImages): the tensor's buffer is
        /// the consumer's [ph][pw][c] window of u = x ^ 0x80 (plus the c + 32 bytes the register quads may read past it), the
        /// producer's rows stored at row stride pw * c from one padded row and the left padding in, and the consumer writes the
        /// border (zx ^ 0x80) before it reads, so no padding pass copies the image. Taken only where every reader of the tensor
        /// reads that layout: its one consumer is a register-quad depthwise layer (<see cref="ConvPlan.QuadRegs"/>, not the in-place
        /// <see cref="ConvPlan.QuadRegsDirect"/>) whose window holds the whole input; its producer is a channels-last 1x1
        /// stride-1 GEMM conv with the multiply-high store (QuantGenPointwiseKernels.GemmVnniHighImage) into 32k channels; the
        /// tensor is channels-last, batch 1, not a graph output and has its own buffer (no fused Add or view stores into it).
        /// </summary>
        internal static IReadOnlyDictionary<string, PaddedImage> PaddedImages(ModelPlan model, IReadOnlyList<CpuLayerPlan> layers, Func<TensorInfo, bool> channelsLast, Func<string, string> storage)
        {
            var found = new Dictionary<string, PaddedImage>(StringComparer.Ordinal);
            foreach (CpuLayerPlan d in layers)
            {
                if (d.Kernel is not ConvPlan { Name: DepthwiseKernel, QuadRegs: true, QuadRegsDirect: false } || d.Node.Layer is not Conv2dLayer dcv)
                {
                    continue;
                }

                TensorInfo t = d.Node.Inputs[0];
                GraphNode? producer = model.Producer(t.Name);
                CpuLayerPlan? p = producer == null ? null : layers.FirstOrDefault(l => ReferenceEquals(l.Node, producer));
                if (p == null || p.Kernel is not ConvPlan { Name: GemmKernel, MulHigh: true, Stem8: false } || producer!.Layer is not Conv2dLayer pcv)
                {
                    continue;
                }

                int[] s = t.Shape, pws = producer.Weight!.Shape;
                bool oneByOne = pcv.Group == 1 && pws[2] == 1 && pws[3] == 1 && pcv.Strides.All(v => v == 1) && pcv.Pads.All(v => v == 0)
                    && channelsLast(producer.Inputs[0]) && producer.Inputs[0].Shape[1] % 4 == 0 && pws[0] % 32 == 0;
                (int ph, int pw) = Window(d.Node);
                int pt = dcv.Pads[0], pl = dcv.Pads[1];
                bool layout = s.Length == 4 && s[0] == 1 && channelsLast(t) && !model.IsGraphOutput(t) && model.Consumers(t.Name).Count == 1
                    && storage(t.Name) == t.Name && storage(producer.Output.Name) == t.Name && pt + s[2] <= ph && pl + s[3] <= pw;
                if (oneByOne && layout)
                {
                    found[t.Name] = new PaddedImage(t.Name, s[1], s[2], s[3], pt, pl, ph, pw, t.Quant!.ZeroPoint);
                }
            }

            return found;
        }

        /// <summary>x - zx proven to fit int16 and weights of at most 16 bits: int16 x int16 products are exact in int32 lanes.</summary>
        private sealed class Im2Col : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node)
            {
                ConvPlan p = Plan(context, node, Im2ColKernel);
                return node.Inputs[0].Type.Bits <= 16 && p.DMin >= short.MinValue && p.DMax <= short.MaxValue && node.Weight!.Type.Bits <= 16 ? p : null;
            }

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
        }

        private sealed class Direct : CpuStrategy<ConvPlan>
        {
            public override CpuKernelPlan? TryPlan(CpuPlanContext context, GraphNode node) => Plan(context, node, "scalar-int64");

            internal override void Emit(CpuEmitter e, SourceWriter w, GraphNode node, ConvPlan plan) => e.EmitConv2d(w, node, plan);
        }
    }

    /// <summary>A convolution's kernel with the proven range of x - zx ([<see cref="DMin"/>, <see cref="DMax"/>]) and of its accumulator.</summary>
    public sealed record ConvPlan(string Name, long DMin, long DMax, IntRange? Accumulator) : CpuKernelPlan(Name)
    {
        /// <summary>Depthwise: on AVX-VNNI the kernel rows go through tap quads and vpdpbusd (kernel width at most 4).</summary>
        public bool TapQuads { get; init; }

        /// <summary>Depthwise 3x3 with 8, 16 or 32k channels: tap quads built in registers (QuantGenDepthwiseKernels.DepthwiseQuadRegs).</summary>
        public bool QuadRegs { get; init; }

        /// <summary>
        /// With <see cref="QuadRegs"/>: 16 channels, stride 2, padding 1 at the top and left and none read at the bottom and right,
        /// h and w multiples of 4 from 24x24: QuantGenDepthwiseKernels.DepthwiseQuadRegs16S2 reads a channels-last input's
        /// interior in place (no padding pass over the whole image; an NCHW input keeps PadImageU + DepthwiseQuadRegs).
        /// </summary>
        public bool QuadRegsDirect { get; init; }

        /// <summary>
        /// The int32 multiply-high requantization is proven exact for every channel (<see cref="Conv2dLowering.MulHighApplies"/>):
        /// depthwise tap quads (buffered or in registers), the implicit im2col tiles of a one-group conv (ConvGemmImplicitHigh)
        /// and the GEMM convs' Dense-tile store (QuantGenPointwiseKernels.GemmVnniHigh).
        /// </summary>
        public bool MulHigh { get; init; }

        /// <summary>
        /// A 3-channel padded stem with 8 output channels, MulHigh proven, stride 1 or 2 along a row of at least 8 outputs: the
        /// weight-stationary kernel QuantGenPointwiseKernels.Stem8 where it runs (AVX-VNNI and AVX-512 VBMI), else the implicit tiles.
        /// </summary>
        public bool Stem8 { get; init; }

        /// <summary>
        /// A padded RGB 3x3 stem with 16k output channels, MulHigh proven: on AVX-VNNI the implicit tiles read the stacked image
        /// (Conv2dLowering.StemStackLayout, QuantGenStemKernels.StackRows3) as a 1-channel image of one kernel row of 28 taps
        /// (7 quads: 27 taps in the order (column, row, channel) and a byte that meets a zero weight).
        /// </summary>
        public bool StemStack { get; init; }

        /// <summary>
        /// MulHigh proven, 32k output channels, not a Stem8 or StemStack stem: where the emission takes the implicit im2col tiles
        /// without a fused residual Add, the 4-position x 32-channel tiles (QuantGenPointwiseKernels.ConvImplicit32High: 4 weight
        /// and 4 broadcast loads per 16 vpdpbusd, the 6 x 16 tiles 2 and 6 per 12) in place of ConvGemmImplicitHigh's; the same
        /// integers. DS-CNN's 1-channel stem (K = 40) and ResNet-8's stride-2 convs to 32 and 64 channels.
        /// </summary>
        public bool Tiles32 { get; init; }
    }

    /// <summary>
    /// A tensor stored as its depthwise consumer's padded image of u = x ^ 0x80 (<see cref="Conv2dLowering.PaddedImages"/>): c
    /// channels, h x w pixels at rows pt.., columns pl.. of the [ph][pw] window, border bytes zx ^ 0x80 (written by the consumer).
    /// </summary>
    public sealed record PaddedImage(string Tensor, int C, int H, int W, int Pt, int Pl, int Ph, int Pw, long Zx)
    {
        /// <summary>Where pixel (0, 0) lies in the buffer: one padded row per top padding row, then the left padding.</summary>
        public int Interior => ((Pt * Pw) + Pl) * C;

        /// <summary>The border bytes between the end of one image row and the start of the next (right, then left padding).</summary>
        public int Gap => (Pw - W) * C;

        /// <summary>The buffer: the window and the c + 32 bytes the register quads may read past it (they meet zero weights).</summary>
        public int Bytes => (Ph * Pw * C) + C + 32;
    }
}
