using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>What Dense and Conv2d share: the activation field, the weighted-layer quantization check and PTQ rule.</summary>
    public abstract class WeightedOperator : Operator
    {
        protected static Activation ParseActivation(LayerReader r) =>
            r.Enum("activation", Activation.None, ("none", Activation.None), ("relu", Activation.Relu), ("relu6", Activation.Relu6));

        protected static double ApplyActivation(Activation a, double acc) => a switch
        {
            Activation.Relu => FloatReference.Relu(acc),
            Activation.Relu6 => FloatReference.Relu6(acc),
            _ => acc,
        };

        /// <summary>The quantized fields "multipliers", "shifts" and "clamp" as the layer's <see cref="WeightedIntegers"/>.</summary>
        protected static LayerSpec ReadIntegers(LayerReader r, WeightedLayer layer)
        {
            Dyadic[]? requant = r.Quant.DyadicArray("multipliers", "shifts");
            long[]? clamp = r.Quant.IntegerPair("clamp");
            return r.WithIntegers(layer, () => requant != null && clamp != null ? new WeightedIntegers(requant, new ClampBounds(clamp[0], clamp[1])) : null);
        }

        /// <summary>Symmetric integer weights, int32 bias, one dyadic per output channel, a clamp inside the output type.</summary>
        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var layer = (WeightedLayer)node.Layer;
            TensorQuant outQ = node.Output.Quant!;
            TensorInfo w = node.Weight!;
            if (w.Type.IsFloat || w.Quant == null || w.Quant.ZeroPoint != 0)
            {
                return c.Reject($"weight \"{w.Name}\" must be a symmetric integer tensor (zero point 0) with its scale(s)");
            }

            if (node.Bias != null && node.Bias.Type != ElementType.Int32)
            {
                return c.Reject($"bias \"{node.Bias.Name}\" must be int32 (scale = input scale x weight scale), not {node.Bias.Type}");
            }

            int n = w.Shape[0];
            WeightedIntegers q = layer.Integers;
            if (q.Requant.Count != n)
            {
                return c.Reject($"\"multipliers\"/\"shifts\" need {n} entries, one per output channel; found {q.Requant.Count}");
            }

            if (q.Clamp.Lo < outQ.Type.MinValue || q.Clamp.Hi > outQ.Type.MaxValue)
            {
                return c.Reject($"\"clamp\" must lie within {outQ.Type} [{outQ.Type.MinValue}, {outQ.Type.MaxValue}]");
            }

            return true;
        }

        /// <summary>
        /// Symmetric per-output-channel weights (axis 0), int32 bias at input scale x weight scale, one dyadic per output
        /// channel, the activation as a clamp.
        /// </summary>
        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var wl = (WeightedLayer)layer;
            TensorQuant inQ = c.Input(0);
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            double[] wScales = c.QuantizeWeight(node.Weight!, layer.Precision);
            Dyadic[] requant = wScales.Select(ws => Dyadic.FromReal(inQ.Scale * ws / outQ.Scale)).ToArray();
            if (node.Bias != null)
            {
                float[] b = FloatBias(c, node, wScales);
                int[] qb = new int[b.Length];
                for (int i = 0; i < b.Length; i++)
                {
                    qb[i] = (int)IntegerOps.Clamp(Numerics.Quantization.RoundHalfUp(b[i] / (inQ.Scale * wScales[i])), int.MinValue, int.MaxValue);
                }

                c.AddInitializer(node.Bias.Name, ElementType.Int32, node.Bias.Shape, qb, wScales.Select(ws => inQ.Scale * ws).ToArray());
            }

            ClampBounds clamp = wl.Activation switch
            {
                Activation.Relu => ClampBounds.Relu(outQ.Type, outQ.ZeroPoint),
                Activation.Relu6 => ClampBounds.Relu6(outQ.Type, outQ.Scale, outQ.ZeroPoint),
                _ => ClampBounds.None(outQ.Type),
            };
            c.Attach(new WeightedIntegers(requant, clamp));
            return One(outQ);
        }

        /// <summary>The float bias PTQ quantizes (both apply bias correction when the options ask for it).</summary>
        protected abstract float[] FloatBias(PtqContext c, GraphNode node, double[] weightScales);

        protected static void WriteWeighted(WeightedLayer l, LayerWriter w)
        {
            w.Property("weight", l.Weight);
            if (l.Bias != null)
            {
                w.Property("bias", l.Bias);
            }

            w.Property("activation", l.Activation.ToString().ToLowerInvariant());
        }

        protected static void WriteQuantized(WeightedLayer l, LayerWriter w)
        {
            if (l.IntegersOrNull is WeightedIntegers q)
            {
                w.Dyadics(q.Requant);
                w.Property("clamp", new[] { q.Clamp.Lo, q.Clamp.Hi });
            }
        }

        /// <summary>The per-channel accumulator ranges (bias plus every tap), requantized and clamped.</summary>
        protected static IntRange WeightedRange(RangeContext c, WeightedLayer layer, bool paddedTaps)
        {
            GraphNode node = c.Node;
            TensorQuant outQ = node.Output.Quant!;
            IntRange x = c.Shifted(0);
            int[] w = node.Weight!.IntData!;
            int n = node.Weight.Shape[0], k = w.Length / n;
            int[]? bias = node.Bias?.IntData;
            IntRange? acc = null, products = null, outRange = null;
            for (int o = 0; o < n; o++)
            {
                long lo = bias?[o] ?? 0, hi = lo;
                for (int j = 0; j < k; j++)
                {
                    long a = w[o * k + j] * x.Min, b = w[o * k + j] * x.Max;
                    if (paddedTaps)
                    {
                        // A padded tap contributes 0, which every product range of a conv must hold.
                        lo += System.Math.Min(0, System.Math.Min(a, b));
                        hi += System.Math.Max(0, System.Math.Max(a, b));
                    }
                    else
                    {
                        lo += System.Math.Min(a, b);
                        hi += System.Math.Max(a, b);
                    }

                    var p = new IntRange(System.Math.Min(a, b), System.Math.Max(a, b));
                    products = products?.Union(p) ?? p;
                }

                var ch = new IntRange(lo, hi);
                acc = acc?.Union(ch) ?? ch;
                if (lo >= int.MinValue && hi <= int.MaxValue)
                {
                    IntRange y = c.Requant(ch, layer.Integers.Requant[o], outQ.ZeroPoint).Clamp(layer.Integers.Clamp.Lo, layer.Integers.Clamp.Hi);
                    outRange = outRange?.Union(y) ?? y;
                }
            }

            c.Add("input-zp", x);
            c.Add("product", products ?? new IntRange(0, 0));
            c.Add("acc", acc ?? new IntRange(0, 0));
            c.CheckInt32("acc", acc ?? new IntRange(0, 0), "the int32 accumulator of a channel");
            return outRange ?? new IntRange(outQ.Type.MinValue, outQ.Type.MaxValue);
        }
    }
}
