using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Per-channel affine chains after a Conv or a Dense, folded into its weights and bias: BatchNormalization (float
    /// exports of Conv/Linear + BN), torch's QAT ConvBn/LinearBn export (Conv/Gemm -> Div(scale factor) -> Add(bias)
    /// -> BatchNormalization), a MatMul's separate bias Add, and constant per-channel Mul/Div/Add/Sub. With the chain
    /// y = x * f + g per output channel, w' = w * f and b' = b * f + g. Weights fixed by a QDQ model keep their
    /// integers: the factor goes into the per-channel weight scale (|f|; a negative f negates the integers), which is
    /// exact in real terms.
    /// </summary>
    internal sealed partial class OnnxLowering
    {
        private sealed class AffineChain
        {
            public AffineChain(int channels, string output)
            {
                Scale = Enumerable.Repeat(1.0, channels).ToArray();
                Shift = new double[channels];
                Output = output;
            }

            public double[] Scale { get; }

            public double[] Shift { get; }

            public string Output { get; set; }

            public List<Node> Nodes { get; } = new List<Node>();

            /// <summary>The constant bias a lone Add contributed (keeps the file's bias name when nothing else is folded).</summary>
            public string? BiasSource { get; set; }

            public bool ScalesWeights => Scale.Any(v => v != 1.0);
        }

        /// <summary>
        /// Collects the per-channel affine nodes that follow <paramref name="output"/> (each the sole consumer of the
        /// previous tensor, which is not quantized). Channels lie on <paramref name="channelAxis"/> of <paramref name="shape"/>.
        /// </summary>
        private AffineChain CollectAffine(string output, int[] shape, int channelAxis, Func<string, Node?> soleConsumer)
        {
            int channels = shape[channelAxis];
            var chain = new AffineChain(channels, output);
            string t = output;
            while (!quant.ContainsKey(t) && soleConsumer(t) is Node m)
            {
                if (m.Op == "Div" || m.Op == "Mul" || m.Op == "Add" || m.Op == "Sub")
                {
                    string other = m.In[0] == t ? m.In[1] : m.In[0];
                    bool left = m.In[0] == t;
                    if (!consts.TryGetValue(other, out TensorValue? c) || ((m.Op == "Div" || m.Op == "Sub") && !left))
                    {
                        break;
                    }

                    double[]? pc = PerChannel(c, shape, channelAxis);
                    if (pc == null)
                    {
                        break;
                    }

                    for (int i = 0; i < channels; i++)
                    {
                        switch (m.Op)
                        {
                            case "Mul":
                                chain.Scale[i] *= pc[i];
                                chain.Shift[i] *= pc[i];
                                break;
                            case "Div":
                                chain.Scale[i] /= pc[i];
                                chain.Shift[i] /= pc[i];
                                break;
                            case "Add":
                                chain.Shift[i] += pc[i];
                                break;
                            default:
                                chain.Shift[i] -= pc[i];
                                break;
                        }
                    }

                    chain.BiasSource = m.Op == "Add" && chain.Nodes.Count == 0 ? other : null;
                }
                else if (m.Op == "BatchNormalization" && channelAxis == 1 && m.In[0] == t)
                {
                    if (m.In.Count < 5 || m.In.Skip(1).Take(4).Any(i => !consts.ContainsKey(i)))
                    {
                        break;
                    }

                    double[] gamma = consts[m.In[1]].AsDoubles(), beta = consts[m.In[2]].AsDoubles(), mean = consts[m.In[3]].AsDoubles(), variance = consts[m.In[4]].AsDoubles();
                    if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
                    {
                        throw Fail(OnnxErrors.UnsupportedAttribute, m.Src.Place, $"BatchNormalization parameters need {channels} values each (the channels of the layer before it)");
                    }

                    // Computed in double from the float32 epsilon, as the existing Conv fold did.
                    double eps = m.Src.Attribute("epsilon")?.F ?? 1e-5f;
                    for (int i = 0; i < channels; i++)
                    {
                        double k = gamma[i] / Math.Sqrt(variance[i] + eps);
                        chain.Scale[i] *= k;
                        chain.Shift[i] = (chain.Shift[i] - mean[i]) * k + beta[i];
                    }

                    chain.BiasSource = null;
                }
                else
                {
                    break;
                }

                chain.Nodes.Add(m);
                t = m.Out;
            }

            chain.Output = t;
            if (chain.Nodes.Count > 1 || chain.ScalesWeights)
            {
                chain.BiasSource = null;
            }

            return chain;
        }

        /// <summary>A constant as one value per channel: a scalar, or a tensor that varies along the channel axis only.</summary>
        private static double[]? PerChannel(TensorValue c, int[] shape, int channelAxis)
        {
            int channels = shape[channelAxis];
            if (c.Count == 1)
            {
                return Enumerable.Repeat(c[0], channels).ToArray();
            }

            if (c.Count != channels || c.Dims.Length > shape.Length)
            {
                return null;
            }

            // Right-aligned broadcasting: the constant's one non-1 dimension must sit on the channel axis.
            int offset = shape.Length - c.Dims.Length;
            for (int i = 0; i < c.Dims.Length; i++)
            {
                if (c.Dims[i] != 1 && i + offset != channelAxis)
                {
                    return null;
                }
            }

            return c.AsDoubles();
        }

        /// <summary>Folds the chain into float weights laid out [channels, per] and a bias; returns the folded bias.</summary>
        private static float[] ApplyAffine(AffineChain chain, float[] weights, int per, float[] bias)
        {
            var b = new float[bias.Length];
            for (int o = 0; o < chain.Scale.Length; o++)
            {
                double f = chain.Scale[o];
                if (f != 1.0)
                {
                    for (int j = 0; j < per; j++)
                    {
                        weights[o * per + j] = (float)(weights[o * per + j] * f);
                    }
                }

                b[o] = (float)(bias[o] * f + chain.Shift[o]);
            }

            return b;
        }

        /// <summary>Integer weights [channels, per] keep their values; each channel's scale absorbs |f|, a negative f negates them.</summary>
        private FixedTensor ScaleFixed(FixedTensor w, AffineChain chain, int per, OnnxNode at)
        {
            int channels = chain.Scale.Length;
            var values = (int[])w.Values.Clone();
            var scales = new double[channels];
            long min = 0, max = 0;
            for (int o = 0; o < channels; o++)
            {
                double f = chain.Scale[o];
                if (f == 0 || double.IsNaN(f) || double.IsInfinity(f))
                {
                    throw Fail(OnnxErrors.InvalidQuantization, at.Place, $"folding the per-channel factors after it gives channel {o} the factor {f}; its quantized weights cannot absorb it");
                }

                scales[o] = (float)(w.Scales[w.Scales.Length == 1 ? 0 : o] * Math.Abs(f));
                for (int j = 0; j < per; j++)
                {
                    int v = f < 0 ? -values[o * per + j] : values[o * per + j];
                    values[o * per + j] = v;
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
            }

            int bits = w.Type.Bits;
            while (bits < 16 && (min < -(1L << (bits - 1)) || max > (1L << (bits - 1)) - 1))
            {
                bits++;
            }

            return new FixedTensor(ElementType.Int(bits), values, scales);
        }

        private void NoteAffine(AffineChain chain, OnnxNode into)
        {
            if (chain.Nodes.Count == 0 || (chain.Nodes.Count == 1 && chain.BiasSource != null))
            {
                return;
            }

            notes.Add($"{string.Join(", ", chain.Nodes.Select(m => m.Src.Place))}: folded into {into.Place}" + (chain.Nodes.Count > 1 ? $" (per-channel {string.Join(" -> ", chain.Nodes.Select(m => m.Op))})" : string.Empty));
        }
    }
}
