using System.Linq;
using QuantGen.Graph;
using QuantGen.Hls.Plan;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Hls.Lowerings
{
    /// <summary>Conv2d NCHW: each output pixel gathers its window, then O x K / R multipliers per cycle.</summary>
    public sealed record Conv2dKernel(
        int Batch, int CIn, int H, int W, int COut, int Oh, int Ow, int Kh, int Kw, string Ih, string Iw, int Cg, int K, int WinCount, int Group,
        string WinBase, int Block, bool Padded, int Lanes, string AccType, string XType, string ProductType, string Weight, string WeightType, string Bias,
        string Lo, string Hi, string MultTable, string ShiftTable, string WeightReshape, int TableFactor, LineBuffer Line) : HlsKernel;

    /// <summary>
    /// The io_stream sliding window of Conv2d and MaxPool2d: the kernel walks the padded input (Hp x Wp positions, one
    /// input beat per real position, the pad value elsewhere), keeps kh - 1 rows of it in a line buffer and kh x kw x C
    /// window registers, and computes an output pixel at every position where a window ends (<see cref="Ready"/>).
    /// </summary>
    public sealed record LineBuffer(int Hp, int Wp, string Real, string Ready, int Rows)
    {
        public static LineBuffer Of(int h, int w, int kh, int kw, int sh, int sw, int[] pads, int oh, int ow)
        {
            int pt = pads[0], pl = pads[1], pb = pads[2], pr = pads[3];
            var real = new System.Collections.Generic.List<string>();
            if (pt > 0)
            {
                real.Add("ph >= " + pt);
            }

            if (pb > 0)
            {
                real.Add("ph < " + (pt + h));
            }

            if (pl > 0)
            {
                real.Add("pw >= " + pl);
            }

            if (pr > 0)
            {
                real.Add("pw < " + (pl + w));
            }

            // The window ending at (ph, pw) starts at (ph - kh + 1, pw - kw + 1), which must be a multiple of the stride and
            // an output inside the output map.
            var ready = new System.Collections.Generic.List<string> { "ph >= " + (kh - 1), "pw >= " + (kw - 1), "ph <= " + (kh - 1 + ((oh - 1) * sh)), "pw <= " + (kw - 1 + ((ow - 1) * sw)) };
            if (sh > 1)
            {
                ready.Add($"(ph - {kh - 1}) % {sh} == 0");
            }

            if (sw > 1)
            {
                ready.Add($"(pw - {kw - 1}) % {sw} == 0");
            }

            return new LineBuffer(h + pt + pb, w + pl + pr, real.Count == 0 ? "true" : string.Join(" && ", real), string.Join(" && ", ready), kh - 1);
        }

        /// <summary>Input beats read before the first window is complete (an upper bound: kh - pad_top rows).</summary>
        public static long Lead(int h, int w, int kh, int[] pads) => (long)System.Math.Min(h, System.Math.Max(1, kh - pads[0])) * w;
    }

    public sealed class Conv2dLowering : HlsLowering
    {
        public override OpKind Op => OpKind.Conv2d;

        public override bool HasReuse => true;

        /// <summary>One output channel's window: C / group x kh x kw.</summary>
        public override int ReduceDim(GraphNode node) => node.Weight!.ElementCount / node.Weight.Shape[0];

        public override MacShape? Mac(GraphNode node, LayerRanges ranges, System.Func<TensorInfo, HlsTensor> tensor)
        {
            int[] ws = node.Weight!.Shape, os = node.Output.Shape, inShape = node.Inputs[0].Shape;
            int k = ws[1] * ws[2] * ws[3];
            IntRange xzp = ranges.Find("input-zp") ?? new IntRange(0, 0);
            var window = new IntRange(System.Math.Min(xzp.Min, 0), System.Math.Max(xzp.Max, 0));
            IntRange acc = AccumulatorBounds.PartialSums(node.Weight.IntData!, ws[0], node.Bias?.IntData, xzp);
            return new MacShape(inShape[0] * os[2] * os[3], ws[0], k, window.Bits, tensor(node.Weight).Bits, acc.Bits, 1, inShape[1] * ws[2] * ws[3]);
        }

        /// <summary>Feature maps in and out are pixel beats: the line-buffer kernel (layers/conv2d_stream.sbn).</summary>
        public override bool Streams(GraphNode node, System.Func<TensorInfo, HlsStreamLayout> layout) =>
            node.Inputs[0].Shape.Length == 4 && layout(node.Inputs[0]).Lanes == node.Inputs[0].Shape[1] && layout(node.Output).Lanes == node.Output.Shape[1];

        public override HlsLowered? Lower(HlsLayerContext c)
        {
            var cv = (Conv2dLayer)c.Spec;
            GraphNode node = c.Node;
            int[] inShape = c.InShape, ws = node.Weight!.Shape, os = node.Output.Shape;
            int cOut = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], k = cg * kh * kw, og = cOut / cv.Group, reuse = c.Reuse;
            int pixels = inShape[0] * os[2] * os[3];
            if (!Fits.Conv(c, c.Inputs[0], cOut, k, reuse))
            {
                return null;
            }

            IntRange xzp = c.Ranges.Find("input-zp") ?? new IntRange(0, 0);
            var window = new IntRange(System.Math.Min(xzp.Min, 0), System.Math.Max(xzp.Max, 0));   // padding is the real 0
            IntRange acc = AccumulatorBounds.PartialSums(node.Weight.IntData!, cOut, node.Bias?.IntData, xzp);
            IntRange product = AccumulatorBounds.Products(node.Weight.IntData!, window);
            string accType = c.Type("acc_t", acc, "accumulator and every partial sum");
            string xType = c.Type("x_t", window, "window value: input minus its zero point, 0 in the padding");
            string productType = c.Type("product_t", product, "window value x weight");

            // Output channel o reads the window of its group's channels: win[(o / og) * K + j].
            string winBase = cv.Group == 1 ? string.Empty : og == 1 ? $"o * {k} + " : $"(o / {og}) * {k} + ";
            WeightTables t = WeightTables.Of(c, cv.Integers.Requant);
            HlsTensor weight = c.Tensor(node.Weight);
            HlsTensor? bias = node.Bias != null ? c.Tensor(node.Bias) : null;
            var kernel = new Conv2dKernel(
                inShape[0], inShape[1], inShape[2], inShape[3], cOut, os[2], os[3], kh, kw,
                HlsLayerContext.WindowIndex("oh", cv.Strides[0], cv.Pads[0], "i"), HlsLayerContext.WindowIndex("ow", cv.Strides[1], cv.Pads[1], "j"),
                cg, k, inShape[1] * kh * kw, cv.Group, winBase, (k + reuse - 1) / reuse, k % reuse != 0, (cOut + reuse - 1) / reuse, accType, xType, productType,
                weight.Array, weight.Type, bias?.Array ?? string.Empty, CppFormat.Lit(cv.Integers.Clamp.Lo), CppFormat.Lit(cv.Integers.Clamp.Hi), t.Multipliers, t.Shifts, RomShape.Weights(cOut, k, reuse), RomShape.TableFactor(cOut, reuse),
                LineBuffer.Of(inShape[2], inShape[3], kh, kw, cv.Strides[0], cv.Strides[1], cv.Pads, os[2], os[3]));
            string kind = cv.Group == 1 ? string.Empty : cg == 1 ? $", depthwise (group {cv.Group})" : $", group {cv.Group}";
            string comment = $"{cv.Name}: Conv2d {Shape(inShape)} -> {Shape(os)}, kernel {kh}x{kw}, strides {cv.Strides[0]}x{cv.Strides[1]}, pads [{string.Join(", ", cv.Pads)}]{kind}, activation {cv.Activation.ToString().ToLowerInvariant()}, reuse factor {reuse}";
            long rom = ((long)cOut * k * weight.Bits) + (bias != null ? (long)cOut * bias.Bits : 0) + ((long)cOut * (32 + 6));
            HlsCost cost = MacCost.Of(pixels, k, cOut, reuse, acc, rom, 1);
            if (!c.Native)
            {
                return new HlsLowered("conv2d", comment, reuse, cost, kernel);
            }

            // io_stream: every padded position takes a cycle to shift the window; each output pixel then runs the MAC.
            long positions = (long)inShape[0] * kernel.Line.Hp * kernel.Line.Wp;
            cost = cost with
            {
                Latency = positions + cost.Latency,
                Formula = $"N Hp Wp + {cost.Formula.Replace(" = ", " = " + positions + " + ")}",
                BufferBits = (long)(kh - 1) * kernel.Line.Wp * inShape[1] * window.Bits,
            };
            return new HlsLowered("conv2d_stream", comment + ", line buffer", reuse, cost, kernel,
                LineBuffer.Lead(inShape[2], inShape[3], kh, cv.Pads), (long)cv.Strides[0] * inShape[3]);
        }
    }

    /// <summary>The size rules (QG3012) shared by the window operators.</summary>
    internal static class Fits
    {
        /// <summary>QG3012 unless the Conv2d's MAC stage (O x K / R multipliers in one cycle) can be unrolled and its input fits the io mode.</summary>
        public static bool Conv(HlsLayerContext c, HlsTensor input, int cOut, int k, int reuse)
        {
            if (!Parallel(c, input))
            {
                return false;
            }

            long unrolled = (long)cOut * ((k + reuse - 1) / reuse);
            if (unrolled <= HlsPlanner.UnrollLimit)
            {
                return true;
            }

            int first = Enumerable.Range(1, k).FirstOrDefault(d => (long)cOut * ((k + d - 1) / d) <= HlsPlanner.UnrollLimit);
            string fix = first > 0
                ? $"raise its reuse factor (LayerReuseFactors \"{c.Spec.Name}={first}\"; any factor from {first} to {k} fits)"
                : $"even reuse factor {k} leaves {cOut} multipliers, one per output channel: split the layer into convolutions of at most {HlsPlanner.UnrollLimit} output channels";
            c.Error(HlsErrors.LayerTooLarge, $"layer \"{c.Spec.Name}\" (Conv2d, {cOut} output channels x {k} window values) would unroll {unrolled} multipliers per cycle at reuse factor {reuse}, more than {HlsPlanner.UnrollLimit} (where Vivado HLS stops unrolling: XFORM 203-504); {fix}");
            return false;
        }

        /// <summary>QG3012 when io_parallel would partition a Conv2d/MaxPool2d input into more than
        /// <see cref="HlsPlanner.UnrollLimit"/> registers, each window value a multiplexer over all of them.</summary>
        public static bool Parallel(HlsLayerContext c, HlsTensor input)
        {
            if (c.Options.IoMode != IoMode.Parallel || input.Count <= HlsPlanner.UnrollLimit)
            {
                return true;
            }

            c.Error(HlsErrors.LayerTooLarge, $"layer \"{c.Spec.Name}\" ({c.Spec.Op}) reads a {input.Shape} input ({input.Count} elements); io_parallel partitions it completely into registers and reads each window through a multiplexer over all of them, which does not fit beyond {HlsPlanner.UnrollLimit} elements: use IoMode io_stream");
            return false;
        }
    }
}
