using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// LayerNorm over the last axis; quantized: the exact-centring integer LayerNorm (<see cref="IntLayerNorm"/>) with
    /// epsilon folded into the variance ("varianceOffset", optional: 0 when absent, as files written before it had none)
    /// and gamma and beta folded into per-channel dyadics and biases.
    /// </summary>
    public sealed class LayerNormOperator : Operator
    {
        private static readonly string[] OwnFields = { "gamma", "beta", "epsilon", "multipliers", "shifts", "biases", "varianceOffset", "biasFractions", "varianceShift" };

        /// <summary>QG1047: a LayerNorm outside the integer LayerNorm's proven domain (channels, input magnitude).</summary>
        public const string DomainProblem = "QG1047";

        /// <summary>QG1050: a quantized file's "varianceShift" too large for the layer's input range (the scaled variance sum would pass 2^60).</summary>
        public const string VarianceShiftProblem = "QG1050";

        public override OpKind Op => OpKind.LayerNorm;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override LayerSpec? Parse(LayerReader r)
        {
            var ln = new LayerNormLayer();
            if (r.Quantized)
            {
                r.Quant.Forbid("gamma", "beta", "epsilon");
                Dyadic[]? requant = r.Quant.DyadicArray("multipliers", "shifts");
                long[]? biases = r.Quant.IntegerArray("biases");
                long offset = r.OptionalInteger("varianceOffset", 0, IntLayerNorm.MaxVarianceOffset) ?? 0;
                long varianceShift = r.OptionalInteger("varianceShift", 0, IntLayerNorm.MaxVarianceShift) ?? 0;
                if ((varianceShift & 1) != 0)
                {
                    r.Report(ModelErrors.InvalidValue, "\"varianceShift\" must be even (the square root halves it)", "varianceShift");
                    varianceShift = -1;
                }
                bool hasFractions = r.Get("biasFractions") is Json.JsonNode;
                long[]? fractions = hasFractions ? r.LongArray("biasFractions", -(1L << 61), 1L << 61, IntLayerNorm.MaxChannels) : null;
                if (hasFractions && fractions != null && requant != null && !FractionsFit(requant, fractions))
                {
                    r.Report(ModelErrors.InvalidValue, "\"biasFractions\" needs one entry per channel, each within +-2^(shift - 1) of that channel's shift", "biasFractions");
                    fractions = null;
                }

                return r.WithIntegers(ln, () => requant != null && biases != null && (!hasFractions || fractions != null) && varianceShift >= 0 ? new LayerNormIntegers(requant, biases, offset, fractions, (int)varianceShift) : null);
            }
            else
            {
                ln.Gamma = r.TensorName("gamma");
                ln.Beta = r.TensorName("beta");
                foreach (string integerField in new[] { "varianceOffset", "biasFractions", "varianceShift" })
                {
                    if (r.Get(integerField) is Json.JsonNode vo)
                    {
                        r.Report(ModelErrors.InvalidValue, $"\"{integerField}\" is an integer parameter; it belongs in quantized models only", vo);
                    }
                }

                ln.Epsilon = r.OptionalDouble("epsilon", 1e-5);
                if (ln.Epsilon < 0)
                {
                    r.Report(ModelErrors.InvalidValue, "LayerNorm epsilon must not be negative", "epsilon");
                }
            }

            return ln;
        }

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var ln = (LayerNormLayer)layer;
            if (!w.Quantized)
            {
                if (ln.Gamma != null)
                {
                    w.Property("gamma", ln.Gamma);
                }

                if (ln.Beta != null)
                {
                    w.Property("beta", ln.Beta);
                }

                w.Property("epsilon", ln.Epsilon);
            }

            if (ln.IntegersOrNull is LayerNormIntegers q)
            {
                w.Dyadics(q.Requant);
                w.Property("biases", q.Biases);
                w.Property("varianceOffset", q.VarianceOffset);
                if (q.VarianceShift != 0)
                {
                    w.Property("varianceShift", q.VarianceShift);
                }
                if (q.HasBiasFractions)
                {
                    w.Property("biasFractions", q.BiasFractions);
                }
            }
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var ln = (LayerNormLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            if (x.Length == 0)
            {
                return One(c.Fail("LayerNorm needs a last axis of channels"));
            }

            int ch = x[x.Length - 1];
            foreach ((string? name, string what) in new[] { (ln.Gamma, "gamma"), (ln.Beta, "beta") })
            {
                if (name == null)
                {
                    continue;
                }

                TensorInfo? t = c.Initializer(name, what);
                if (t == null)
                {
                    return null;
                }

                if (t.Shape.Length != 1 || t.Shape[0] != ch)
                {
                    return One(c.Fail($"{what} \"{name}\" has shape {Shape(t.Shape)}; the input has {ch} channels so it must be [{ch}]"));
                }

                if (what == "gamma")
                {
                    c.Weight = t;
                }
                else
                {
                    c.Bias = t;
                }
            }

            return One((int[])x.Clone());
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node)
        {
            var ln = (LayerNormLayer)node.Layer;
            int ch = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
            if (ln.Integers.Requant.Count != ch || ln.Integers.Biases.Count != ch)
            {
                return c.Reject($"\"multipliers\", \"shifts\" and \"biases\" need {ch} entries, one per channel");
            }

            return true;
        }

        public override IntRange Range(RangeContext c)
        {
            var ln = (LayerNormLayer)c.Node.Layer;
            TensorQuant outQ = c.Node.Output.Quant!;
            int ch = c.Node.Inputs[0].Shape[c.Node.Inputs[0].Shape.Length - 1];
            IntRange x = c.In(0);
            if (ch > IntLayerNorm.MaxChannels || !c.CheckMagnitude("LayerNorm input", x, IntLayerNorm.MaxInputMagnitude, "the integer LayerNorm's input domain"))
            {
                c.Report($"the integer LayerNorm normalises rows of at most {IntLayerNorm.MaxChannels} channels of integers within +-2^18 (this row: {ch} channels, inputs in {x}); narrow the input type or split the row", DomainProblem);
                return c.Full(outQ);
            }

            long spread = x.Max - x.Min;
            int k = ln.Integers.VarianceShift;
            long centred = (spread * spread / 4 * ch * ch) + ch * ch;   // C Q - S^2 = C sum (x - mean)^2 <= C^2 spread^2 / 4
            c.Add("C x - S", new IntRange(-spread * ch, spread * ch));
            if (centred > (1L << 60) >> k)
            {
                c.Report($"the LayerNorm variance sum reaches {centred} for inputs in {x}, beyond 2^60 / 2^{k} for its \"varianceShift\" {k}; lower the shift (re-quantize) or narrow the input", VarianceShiftProblem);
                return c.Full(outQ);
            }

            c.Add("(C Q - S^2) 2^k + E", new IntRange(ln.Integers.VarianceOffset, (centred << k) + ln.Integers.VarianceOffset));
            c.Add("row factor", new IntRange(0, 1L << 30));
            var norm = new IntRange(-(1L << 30), 1L << 30);
            c.Add("normalized", norm);
            IntRange? outRange = null;
            for (int i = 0; i < ch; i++)
            {
                // A bias fraction (|f| <= 2^(shift - 1)) moves the one rounding by at most 1 either way; |norm m + f| < 2^62.
                long slack = ln.Integers.BiasFractions[i] == 0 ? 0 : 1;
                IntRange r = c.Requant(norm, ln.Integers.Requant[i], outQ.ZeroPoint + ln.Integers.Biases[i]);
                r = new IntRange(r.Min - slack, r.Max + slack);
                outRange = outRange?.Union(r) ?? r;
            }

            return outRange!.Value;
        }

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var ln = (LayerNormLayer)node.Layer;
            int[] x = inputs[0], y = outputs[0];
            TensorQuant outQ = node.Output.Quant!;
            int len = TensorOps.LastAxis(node);
            var norm = new int[x.Length];
            for (int r = 0; r < x.Length / len; r++)
            {
                IntLayerNorm.Row(x, r * len, len, ln.Integers.VarianceOffset, ln.Integers.VarianceShift, norm, r * len);
            }

            for (int i = 0; i < y.Length; i++)
            {
                int c = i % len;
                y[i] = (int)Requantize(norm[i], ln.Integers.Requant[c], ln.Integers.BiasFractions[c], outQ.ZeroPoint + ln.Integers.Biases[c], outQ.Type);
            }
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var ln = (LayerNormLayer)node.Layer;
            double[] x = inputs[0], y = outputs[0];
            int last = TensorOps.LastAxis(node);
            float[]? gamma = node.Weight?.FloatData;
            float[]? beta = node.Bias?.FloatData;
            for (int r = 0; r < x.Length / last; r++)
            {
                FloatReference.LayerNorm(x, r * last, last, ln.Epsilon, y, r * last);
            }

            for (int i = 0; i < y.Length; i++)
            {
                y[i] = y[i] * (gamma?[i % last] ?? 1.0) + (beta?[i % last] ?? 0.0);
            }
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer)
        {
            var ln = (LayerNormLayer)layer;
            TensorQuant outQ = c.Calibrated(0, layer.Precision.ActivationBits);
            int ch = node.Inputs[0].Shape[node.Inputs[0].Shape.Length - 1];
            float[]? gamma = node.Weight?.FloatData;
            float[]? beta = node.Bias?.FloatData;
            double normScale = IntLayerNorm.OutputScale(ch);
            if (ch > IntLayerNorm.MaxChannels)
            {
                c.Report(DomainProblem, $"LayerNorm \"{layer.Name}\" normalises rows of {ch} channels; the integer LayerNorm takes at most {IntLayerNorm.MaxChannels}");
                return null;
            }

            TensorQuant inQ = c.Input(0);
            int varianceShift = IntLayerNorm.VarianceShift(ch, Math.Min(IntLayerNorm.MaxInputMagnitude, Math.Max(1, Math.Max(-inQ.Type.MinValue, inQ.Type.MaxValue))));
            Dyadic[] requant = Enumerable.Range(0, ch).Select(i => Dyadic.FromReal((gamma?[i] ?? 1.0) * normScale / outQ.Scale)).ToArray();
            long[] biases = Enumerable.Range(0, ch).Select(i => Numerics.Quantization.RoundHalfUp((beta?[i] ?? 0.0) / outQ.Scale)).ToArray();
            c.Attach(new LayerNormIntegers(
                requant,
                biases,
                IntLayerNorm.VarianceOffset(ch, ln.Epsilon, inQ.Scale, varianceShift),
                Enumerable.Range(0, ch).Select(i => BiasFraction((beta?[i] ?? 0.0) / outQ.Scale, biases[i], requant[i])),
                varianceShift));
            ln.Gamma = null;
            ln.Beta = null;
            return One(outQ);
        }

        /// <summary>
        /// One output element: clamp(zeroPoint + RoundShift(norm m + f, shift)) with zeroPoint holding the output zero point
        /// and the integer part of beta; f, the rest of beta at the shift, joins the product before the one rounding (so
        /// beta is not rounded separately: the result is the exactly rounded gamma norm + beta up to the dyadic's error).
        /// </summary>
        public static long Requantize(long norm, Dyadic d, long fraction, long zeroPoint, ElementType type)
        {
            if (norm > Dyadic.MaxOperand || norm < -Dyadic.MaxOperand)
            {
                throw new System.ArgumentOutOfRangeException(nameof(norm), norm, "LayerNorm's normalised value must lie within 2^31.");
            }

            return IntegerOps.Clamp(zeroPoint + IntegerOps.RoundingShiftRight((norm * d.Multiplier) + fraction, d.Shift), type.MinValue, type.MaxValue);
        }

        /// <summary>f = RoundHalfUp((b - bias) 2^shift), the part of b = beta / S_y below the integer bias, clamped to +-2^(shift - 1).</summary>
        public static long BiasFraction(double b, long bias, Dyadic d)
        {
            if (d.Shift == 0 || d.Multiplier == 0)
            {
                return 0;
            }

            long half = 1L << (d.Shift - 1);
            double f = Math.Floor(((b - bias) * FloatBits.Pow2(d.Shift)) + 0.5);
            return f >= half ? half : f <= -half ? -half : (long)f;
        }

        private static bool FractionsFit(IReadOnlyList<Dyadic> requant, long[] fractions)
        {
            if (fractions.Length != requant.Count)
            {
                return false;
            }

            for (int i = 0; i < fractions.Length; i++)
            {
                long half = requant[i].Shift == 0 ? 0 : 1L << (requant[i].Shift - 1);
                if (fractions[i] < -half || fractions[i] > half)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
