using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;

namespace QuantGen.Tests.Conformance
{
    /// <summary>One corpus model: the operators it is there for, how to write it, and how to quantize it.</summary>
    public sealed class CorpusCase
    {
        public CorpusCase(string name, OpKind[] covers, Func<ModelGraph> build, QuantizationOptions? options = null)
        {
            Name = name;
            Covers = covers;
            Build = build;
            Options = options ?? new QuantizationOptions();
        }

        public string Name { get; }

        /// <summary>The operators this case exists to test (the registry matrix counts a backend cell as covered only through these).</summary>
        public OpKind[] Covers { get; }

        public Func<ModelGraph> Build { get; }

        public QuantizationOptions Options { get; }

        public override string ToString() => Name;
    }

    /// <summary>
    /// The conformance corpus: for every operator, small models that reach its variants (bit widths, per-tensor and
    /// per-channel weights, fused activations, methods, strides, pads, groups, axes, broadcasting, negative steps,
    /// several outputs). Each is a float model written from C# with seeded weights, quantized by the post-training
    /// quantizer on seeded calibration inputs: deterministic, and valid by construction.
    /// </summary>
    public static class Corpus
    {
        public static IReadOnlyList<CorpusCase> Cases { get; } = BuildCases();

        public static CorpusCase Find(string name) => Cases.First(c => c.Name == name);

        /// <summary>Calibration inputs uniform over the declared input range, from a fixed seed.</summary>
        public static List<float[]> Calibration(ModelGraph g, int count = 48, int seed = 7)
        {
            var rng = new Random(seed);
            var list = new List<float[]>();
            double lo = g.Spec.Input.RangeMin, hi = g.Spec.Input.RangeMax;
            for (int s = 0; s < count; s++)
            {
                var x = new float[g.Input.ElementCount];
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = (float)(lo + (rng.NextDouble() * (hi - lo)));
                }

                list.Add(x);
            }

            return list;
        }

        public static QuantizedModel Quantize(CorpusCase c)
        {
            ModelGraph g = c.Build();
            return PostTrainingQuantizer.Quantize(g, Calibration(g), c.Options);
        }

        /// <summary>
        /// The exact HardSigmoid/HardSwish (PiecewiseLinear) at their kinks: an int16 input of scale 2^-12 (x = 3 is the integer
        /// 12288) declared over [2.98, 3.02], so every test input lies within 82 integers of the kink; HardSwish into int16 with
        /// its zero point at the type's minimum, then HardSigmoid (alpha 1/6, beta 1/2: kinks at +-3 again) into int16 whose
        /// output-quantized 0 and 1 are the type's two ends (1 saturates), then HardSwish of that (int16 -> int8).
        /// </summary>
        private static CorpusCase HardExactKinks()
        {
            var fixedQ = new Dictionary<string, TensorQuant>(StringComparer.Ordinal)
            {
                ["x"] = new TensorQuant(ElementType.Int16, 1.0 / 4096, 0),
                ["hswish_out"] = new TensorQuant(ElementType.Int16, 1.0 / 4096, -32768),
                ["hsig_out"] = new TensorQuant(ElementType.Int16, 1.0 / 65536, -32768),
                ["hswish2_out"] = new TensorQuant(ElementType.Int8, 1.0 / 200, -128),
            };
            return new CorpusCase("hard_exact_kinks", new[] { OpKind.HardSigmoid, OpKind.HardSwish }, () =>
            {
                var b = new FloatModelBuilder("hard_exact_kinks", "x", new[] { 4, 96 }, 2.98, 3.02, 31);
                string w = b.Unary(new HardSwishLayer(), "hswish", b.Input, activationBits: 16);
                string h = b.Unary(new HardSigmoidLayer { Alpha = 1.0 / 6, Beta = 0.5 }, "hsig", w, activationBits: 16);
                return b.Build(b.Unary(new HardSwishLayer(), "hswish2", h, activationBits: 8));
            }, new QuantizationOptions { FixedActivations = fixedQ });
        }

        /// <summary>
        /// The exact HardSigmoid/HardSwish over a whole int16 input (scale 2^-10, zero point 1000) with extreme scale ratios:
        /// HardSwish int16 -> int16 with S_x / S_y = 64 (most inputs saturate), HardSwish of that into int8 (S_x / S_y = 2^-13,
        /// a tiny slope), HardSigmoid (ONNX's alpha 0.2, beta 0.5) of the int8 into int16 with alpha S_x / S_y = 3276.8 (the
        /// 256-entry table built from the exact form), HardSigmoid with a negative alpha (-0.3, beta 0.9) into int8 with its
        /// zero point at the type's minimum.
        /// </summary>
        private static CorpusCase HardExactScales()
        {
            var fixedQ = new Dictionary<string, TensorQuant>(StringComparer.Ordinal)
            {
                ["x"] = new TensorQuant(ElementType.Int16, 1.0 / 1024, 1000),
                ["hswish_wide_out"] = new TensorQuant(ElementType.Int16, 1.0 / 65536, 0),
                ["hswish_out"] = new TensorQuant(ElementType.Int8, 1.0 / 8, -125),
                ["hsig_out"] = new TensorQuant(ElementType.Int16, 1.0 / 65536, -32768),
                ["hsig_neg_out"] = new TensorQuant(ElementType.Int8, 1.0 / 255, -128),
            };
            return new CorpusCase("hard_exact_scales", new[] { OpKind.HardSigmoid, OpKind.HardSwish }, () =>
            {
                var b = new FloatModelBuilder("hard_exact_scales", "x", new[] { 3, 64 }, -32.97, 31.02, 32);
                string v = b.Unary(new HardSwishLayer(), "hswish_wide", b.Input, activationBits: 16);
                string w = b.Unary(new HardSwishLayer(), "hswish", v, activationBits: 8);
                string h = b.Unary(new HardSigmoidLayer { Alpha = 0.2, Beta = 0.5 }, "hsig", w, activationBits: 16);
                return b.Build(b.Unary(new HardSigmoidLayer { Alpha = -0.3, Beta = 0.9 }, "hsig_neg", h, activationBits: 8));
            }, new QuantizationOptions { FixedActivations = fixedQ });
        }

        /// <summary>
        /// Float constants of Adds kept at the file's precision, as the QDQ import keeps DeiT's position embedding and the bias
        /// after each bias-free MatMul (ResidualAdd.WideConstant: int32 at a scale 2^-21 of the output's, mantissa 1 at the
        /// activation's shift): a constant of the activation's own size (the position embedding: CPU's per-element rows form),
        /// then a row constant broadcast along the last axis as the FIRST operand (a bias; the constant-first branch), 37 x 24
        /// elements (4-row tiles and a tail). Scales fixed as the file fixes them; the constants' integers reach 2^23.
        /// </summary>
        private static CorpusCase AddWideConstants()
        {
            var fixedQ = new Dictionary<string, TensorQuant>(StringComparer.Ordinal)
            {
                ["x"] = new TensorQuant(ElementType.Int8, 0.0235, -1),
                ["pos_add_out"] = new TensorQuant(ElementType.Int8, 0.0267, 3),
                ["bias_add_out"] = new TensorQuant(ElementType.Int8, 0.0321, -2),
            };
            var fixedWeights = new Dictionary<string, FixedTensor>(StringComparer.Ordinal);
            return new CorpusCase("add_wide_constants", new[] { OpKind.Add }, () =>
            {
                var b = new FloatModelBuilder("add_wide_constants", "x", new[] { 1, 37, 24 }, -3, 3, 41);
                string pos = b.Initializer("pos", new[] { 1, 37, 24 }, 0.4);
                string x = b.Binary(new AddLayer(), "pos_add", b.Input, pos, new[] { 1, 37, 24 });
                string bias = b.Initializer("bias", new[] { 24 }, 0.6, 0.1);
                ModelGraph g = b.Build(b.Binary(new AddLayer(), "bias_add", bias, x, new[] { 1, 37, 24 }));
                foreach ((string c, string a, string o) in new[] { (pos, "x", "pos_add_out"), (bias, "pos_add_out", "bias_add_out") })
                {
                    float[] v = g.Nodes.SelectMany(n => n.Inputs).First(t => t.Name == c).FloatData!;
                    (int[] q, double scale) = ResidualAdd.WideConstant(v, fixedQ[a].Scale, fixedQ[o].Scale)!.Value;
                    fixedWeights[c] = new FixedTensor(ElementType.Int32, q, new[] { scale });
                }

                return g;
            }, new QuantizationOptions { FixedActivations = fixedQ, FixedWeights = fixedWeights });
        }

        /// <summary>
        /// An embedding table quantized the way ONNX Runtime's quantize_static writes a Gather's initializer: asymmetric uint8
        /// over [min(0, lo), max(0, hi)], folded to int8 (value - 128, zero point - 128), fixed as the import fixes a file's
        /// integers. The seeded table lies in [-0.7, 1.3]; its zero point comes out -41, which the Embedding's output carries to the Dense.
        /// </summary>
        private static CorpusCase EmbeddingWithZeroPoint()
        {
            var fixedWeights = new Dictionary<string, FixedTensor>(StringComparer.Ordinal);
            return new CorpusCase("embedding_table_zero_point", new[] { OpKind.Embedding }, () =>
            {
                var b = new FloatModelBuilder("embedding_table_zero_point", "ids", new[] { 3, 4 }, 0, 9, 31);
                b.IndexInput();
                string table = b.Initializer("tok.weight", new[] { 10, 12 }, 1.0, 0.3);
                string e = b.Unary(new EmbeddingLayer { Table = table }, "tok", b.Input, new[] { 3, 4, 12 });
                ModelGraph g = b.Build(b.Dense("fc", e, 5));
                float[] v = g.Nodes.First(n => n.Layer.Op == OpKind.Embedding).Weight!.FloatData!;
                double lo = Math.Min(0, v.Min()), hi = Math.Max(0, v.Max());
                double scale = (float)((hi - lo) / 255);
                long zpU8 = (long)Math.Round(-lo / scale);
                int[] q = v.Select(x => (int)Math.Max(0, Math.Min(255, Math.Round(x / scale) + zpU8)) - 128).ToArray();
                fixedWeights[table] = new FixedTensor(ElementType.Int8, q, new[] { scale }, zpU8 - 128);
                return g;
            }, new QuantizationOptions { FixedWeights = fixedWeights });
        }

        /// <summary>
        /// An embedding table quantized per axis as ONNX Runtime's quantize_static can write a Gather's initializer: int8 integers
        /// over the whole range, one scale and zero point per row (axis 0) or per feature (axis 1), fixed as the import fixes a
        /// file's integers. Adversarial: the scales span 2^10 (0.002 to 2.048, geometric), the zero points sit at the ends (-128
        /// on the first row/feature, 127 on the last, the others alternate), and every row holds -128 and 127; the float table
        /// is the dequantized one, so the output's calibrated scale covers the widest row and the narrowest rows round to few steps.
        /// </summary>
        private static CorpusCase EmbeddingPerAxis(int axis)
        {
            string name = axis == 0 ? "embedding_per_row" : "embedding_per_feature";
            var fixedWeights = new Dictionary<string, FixedTensor>(StringComparer.Ordinal);
            return new CorpusCase(name, new[] { OpKind.Embedding }, () =>
            {
                var b = new FloatModelBuilder(name, "ids", new[] { 3, 4 }, 0, 9, 37 + axis);
                b.IndexInput();
                string table = b.Initializer("tok.weight", new[] { 10, 12 }, 1.0, 0.0);
                string e = b.Unary(new EmbeddingLayer { Table = table }, "tok", b.Input, new[] { 3, 4, 12 });
                ModelGraph g = b.Build(b.Dense("fc", e, 5));
                float[] v = g.Nodes.First(n => n.Layer.Op == OpKind.Embedding).Weight!.FloatData!;
                int count = axis == 0 ? 10 : 12;
                double[] scales = Enumerable.Range(0, count).Select(k => (double)(float)(0.002 * Math.Pow(2, 10.0 * k / (count - 1)))).ToArray();
                long[] zps = Enumerable.Range(0, count).Select(k => k == 0 ? -128L : k == count - 1 ? 127L : k % 2 == 0 ? -100L : 90L).ToArray();
                var rng = new Random(4100 + axis);
                int[] q = new int[v.Length];
                for (int i = 0; i < q.Length; i++)
                {
                    int col = i % 12;
                    q[i] = col == 0 ? -128 : col == 11 ? 127 : rng.Next(-128, 128);
                    int k = axis == 0 ? i / 12 : col;
                    v[i] = (float)(scales[k] * (q[i] - zps[k]));
                }

                fixedWeights[table] = new FixedTensor(ElementType.Int8, q, scales) { Axis = axis, ZeroPoints = zps };
                return g;
            }, new QuantizationOptions { FixedWeights = fixedWeights });
        }

        private static IReadOnlyList<CorpusCase> BuildCases()
        {
            var cases = new List<CorpusCase>
            {
                new CorpusCase("dense_int8", new[] { OpKind.Dense }, () =>
                {
                    var b = new FloatModelBuilder("dense_int8", "x", new[] { 3, 24 }, -2, 2, 1);
                    return b.Build(b.Dense("fc", b.Input, 20));
                }),
                new CorpusCase("dense_relu_int4w_pertensor", new[] { OpKind.Dense }, () =>
                {
                    var b = new FloatModelBuilder("dense_relu_int4w_pertensor", "x", new[] { 2, 33 }, -1, 3, 2);
                    return b.Build(b.Dense("fc", b.Input, 17, Activation.Relu, weightBits: 4, perChannel: false));
                }),
                new CorpusCase("dense_relu6_int16_nobias", new[] { OpKind.Dense }, () =>
                {
                    var b = new FloatModelBuilder("dense_relu6_int16_nobias", "x", new[] { 40 }, -4, 4, 3);
                    string h = b.Dense("fc1", b.Input, 16, Activation.Relu6, activationBits: 16, bias: false);
                    return b.Build(b.Dense("fc2", h, 5, activationBits: 4));
                }),
                new CorpusCase("matmul", new[] { OpKind.MatMul, OpKind.Transpose }, () =>
                {
                    var b = new FloatModelBuilder("matmul", "x", new[] { 6, 8 }, -2, 2, 4);
                    string q = b.Dense("q", b.Input, 8);
                    string k = b.Dense("k", b.Input, 8);
                    string kt = b.Unary(new TransposeLayer { Perm = new[] { 1, 0 } }, "kt", k, new[] { 8, 6 });
                    return b.Build(b.Binary(new MatMulLayer { Alpha = 0.35 }, "scores", q, kt, new[] { 6, 6 }));
                }),
                new CorpusCase("attention_heads_rank4", new[] { OpKind.MatMul, OpKind.Transpose, OpKind.Add, OpKind.Requantize, OpKind.Reshape }, () =>
                {
                    // DeiT's imported attention: Dense without bias, the bias as a separate int8 Add (int8-add-rows: 36
                    // columns, one 32-lane step and a tail), a position-embedding Add of the activation's own size, heads as
                    // rank-4 [1, 2, 37, 20] tensors (37 rows: 4-row tiles and a single row), k^T by a transpose of the last
                    // two axes (fused into the VNNI packing), the rank-4 MatMul and the scale by 0.125 as a Requantize.
                    var b = new FloatModelBuilder("attention_heads_rank4", "x", new[] { 1, 37, 24 }, -3, 3, 29);
                    string pos = b.Initializer("pos", new[] { 1, 37, 24 }, 0.4);
                    string x = b.Binary(new AddLayer(), "pos_add", b.Input, pos, new[] { 1, 37, 24 });
                    string qk = b.Dense("qk", x, 40, bias: false);
                    string qkBias = b.Initializer("qk_bias", new[] { 40 }, 0.6);
                    string qkb = b.Binary(new AddLayer(), "qk_add", qk, qkBias, new[] { 1, 37, 40 });
                    string v = b.Dense("v", x, 36, bias: false);
                    string vBias = b.Initializer("v_bias", new[] { 36 }, 0.6);
                    string vb = b.Binary(new AddLayer(), "v_add", v, vBias, new[] { 1, 37, 36 });
                    string r = b.Unary(new ReshapeLayer { Shape = new[] { 1, 37, 2, 20 } }, "heads", qkb, new[] { 1, 37, 2, 20 });
                    string q = b.Unary(new TransposeLayer { Perm = new[] { 0, 2, 1, 3 } }, "q", r, new[] { 1, 2, 37, 20 });
                    string kt = b.Unary(new TransposeLayer { Perm = new[] { 0, 1, 3, 2 } }, "kt", q, new[] { 1, 2, 20, 37 });
                    string scores = b.Binary(new MatMulLayer(), "scores", q, kt, new[] { 1, 2, 37, 37 });
                    string scaled = b.Unary(new RequantizeLayer { Factor = 0.125 }, "scale", scores);
                    string flat = b.Unary(new ReshapeLayer { Shape = new[] { 1, 74, 37 } }, "flat", scaled, new[] { 1, 74, 37 });
                    string vt = b.Unary(new ReshapeLayer { Shape = new[] { 1, 37, 36 } }, "vr", vb, new[] { 1, 37, 36 });
                    return b.Build(b.Binary(new MatMulLayer(), "ctx", flat, vt, new[] { 1, 74, 36 }));
                }),
                new CorpusCase("dense_bias_fused", new[] { OpKind.Dense, OpKind.Add, OpKind.Relu }, () =>
                {
                    // An imported transformer's Linear layers: Dense without bias on 23 token rows (4-row tiles and three single
                    // rows), the bias as a separate int8 Add whose constant runs along the 64 / 32 output channels: the CPU plan
                    // fuses each Add into its Dense's store (BiasFusion, QuantGenPointwiseKernels.GemmVnniHighAddRows); the
                    // ReLU keeps the last Add's output off the graph output.
                    var b = new FloatModelBuilder("dense_bias_fused", "x", new[] { 1, 23, 40 }, -3, 3, 31);
                    string h = b.Dense("fc1", b.Input, 64, bias: false);
                    string hb = b.Binary(new AddLayer(), "fc1_bias", h, b.Initializer("fc1_b", new[] { 64 }, 0.7), new[] { 1, 23, 64 });
                    string o = b.Dense("fc2", hb, 32, bias: false);
                    string ob = b.Binary(new AddLayer(), "fc2_bias", o, b.Initializer("fc2_b", new[] { 32 }, 0.7), new[] { 1, 23, 32 });
                    return b.Build(b.Unary(new ReluLayer(), "relu", ob));
                }),
                new CorpusCase("add_broadcast", new[] { OpKind.Add }, () =>
                {
                    var b = new FloatModelBuilder("add_broadcast", "x", new[] { 4, 12 }, -3, 3, 5);
                    string h = b.Dense("fc", b.Input, 12);
                    string s = b.Binary(new AddLayer(), "res", b.Input, h, new[] { 4, 12 });
                    string bias = b.Initializer("shift", new[] { 12 }, 0.5);
                    return b.Build(b.Binary(new AddLayer(), "shifted", s, bias, new[] { 4, 12 }, activationBits: 16));
                }),
                new CorpusCase("relu_clip", new[] { OpKind.Relu, OpKind.Clip }, () =>
                {
                    var b = new FloatModelBuilder("relu_clip", "x", new[] { 50 }, -5, 5, 6);
                    string r = b.Unary(new ReluLayer(), "relu", b.Input);
                    return b.Build(b.Unary(new ClipLayer { Min = -1, Max = 2.5 }, "clip", b.Dense("fc", r, 30), activationBits: 4));
                }),
                new CorpusCase("softmax_shiftmax", new[] { OpKind.Softmax }, () =>
                {
                    var b = new FloatModelBuilder("softmax_shiftmax", "x", new[] { 5, 19 }, -6, 6, 7);
                    return b.Build(b.Unary(new SoftmaxLayer { Method = SoftmaxMethod.Shiftmax }, "sm", b.Input));
                }),
                new CorpusCase("softmax_shiftmax_197_narrow", new[] { OpKind.Softmax }, () =>
                {
                    // Issue 13 item 4: DeiT's 197-token attention rows with narrow logits (input scale ~0.0024, x0 = -426):
                    // at n = 15 the int32 row sum could reach 197 * 426 * 2^15 > 2^31 - 1 (QG1019); PTQ lowers n to fit.
                    var b = new FloatModelBuilder("softmax_shiftmax_197_narrow", "x", new[] { 2, 197 }, -0.3, 0.3, 26);
                    return b.Build(b.Unary(new SoftmaxLayer { Method = SoftmaxMethod.Shiftmax }, "sm", b.Input));
                }),
                new CorpusCase("softmax_ibert", new[] { OpKind.Softmax }, () =>
                {
                    var b = new FloatModelBuilder("softmax_ibert", "x", new[] { 3, 16 }, -8, 8, 8);
                    return b.Build(b.Unary(new SoftmaxLayer { Method = SoftmaxMethod.IBert }, "sm", b.Input));
                }, new QuantizationOptions { SoftmaxMethod = SoftmaxMethod.IBert, SoftmaxOutBits = 8 }),
                new CorpusCase("softmax_table_197", new[] { OpKind.Softmax }, () =>
                {
                    // The table softmax (what a QDQ import picks): DeiT's 197-token rows, exponential table over max - x,
                    // uint8-range output at its calibrated scale (docs/numerics.md, "Table softmax").
                    var b = new FloatModelBuilder("softmax_table_197", "x", new[] { 3, 197 }, -5, 5, 27);
                    return b.Build(b.Unary(new SoftmaxLayer { Method = SoftmaxMethod.Table }, "sm", b.Input));
                }),
                new CorpusCase("softmax_table_u16out", new[] { OpKind.Softmax }, () =>
                {
                    // The table softmax with the 16-bit output a QDQ import gives a Softmax whose output the file leaves in
                    // float (uint16 over [0, 1]: int16, scale 1/65535, zero point -32768; docs/numerics.md, "Table softmax to
                    // a float output"), rows of 37.
                    var b = new FloatModelBuilder("softmax_table_u16out", "x", new[] { 4, 37 }, -6, 6, 33);
                    return b.Build(b.Unary(new SoftmaxLayer { Method = SoftmaxMethod.Table }, "sm", b.Input));
                }, new QuantizationOptions { FixedActivations = new Dictionary<string, TensorQuant>(StringComparer.Ordinal) { ["sm_out"] = new TensorQuant(ElementType.Int16, 1.0 / 65535, -32768) } }),
                new CorpusCase("gelu_table", new[] { OpKind.Gelu }, () =>
                {
                    // The table GELU (what a QDQ import picks): one output integer per int8 input.
                    var b = new FloatModelBuilder("gelu_table", "x", new[] { 3, 40 }, -6, 6, 28);
                    return b.Build(b.Unary(new GeluLayer { Method = GeluMethod.Table }, "gelu", b.Input));
                }),
                new CorpusCase("gelu_shiftgelu", new[] { OpKind.Gelu }, () =>
                {
                    var b = new FloatModelBuilder("gelu_shiftgelu", "x", new[] { 4, 21 }, -4, 4, 9);
                    return b.Build(b.Unary(new GeluLayer { Method = GeluMethod.ShiftGelu }, "gelu", b.Input));
                }),
                new CorpusCase("gelu_ibert", new[] { OpKind.Gelu }, () =>
                {
                    var b = new FloatModelBuilder("gelu_ibert", "x", new[] { 2, 16 }, -3, 3, 10);
                    return b.Build(b.Unary(new GeluLayer { Method = GeluMethod.IBert }, "gelu", b.Input));
                }, new QuantizationOptions { GeluMethod = GeluMethod.IBert }),
                new CorpusCase("layernorm", new[] { OpKind.LayerNorm }, () =>
                {
                    var b = new FloatModelBuilder("layernorm", "x", new[] { 5, 24 }, -3, 5, 11);
                    string g = b.Initializer("ln.gamma", new[] { 24 }, 0.8, 0.2);
                    string be = b.Initializer("ln.beta", new[] { 24 }, 0.3);
                    return b.Build(b.Unary(new LayerNormLayer { Gamma = g, Beta = be }, "ln", b.Input));
                }),
                new CorpusCase("layernorm_narrow_eps", new[] { OpKind.LayerNorm }, () =>
                {
                    // int8 rows of 37 channels (AVX-512 lanes plus a tail) over a narrow input range: eps = 1e-5 is ~60 input
                    // LSB^2, so the folded varianceOffset matters; gammas of both signs.
                    var b = new FloatModelBuilder("layernorm_narrow_eps", "x", new[] { 4, 37 }, -0.05, 0.05, 22);
                    string g = b.Initializer("ln.gamma", new[] { 37 }, 0.8);
                    string be = b.Initializer("ln.beta", new[] { 37 }, 0.2);
                    return b.Build(b.Unary(new LayerNormLayer { Gamma = g, Beta = be }, "ln", b.Input));
                }),
                new CorpusCase("layernorm_int16", new[] { OpKind.LayerNorm }, () =>
                {
                    // int16 input (the scalar row loop) and a large epsilon (0.05) that dominates narrow rows.
                    var b = new FloatModelBuilder("layernorm_int16", "x", new[] { 3, 20 }, -1, 1, 23);
                    string h = b.Dense("fc", b.Input, 24, activationBits: 16);
                    string g = b.Initializer("ln.gamma", new[] { 24 }, 0.8, 0.4);
                    string be = b.Initializer("ln.beta", new[] { 24 }, 0.1);
                    return b.Build(b.Unary(new LayerNormLayer { Gamma = g, Beta = be, Epsilon = 0.05 }, "ln", h));
                }),
                new CorpusCase("layernorm_eps_dominant_c192", new[] { OpKind.LayerNorm }, () =>
                {
                    // DeiT's width (192: AVX-512 lanes, no tail) on a row of tiny variance: at scale ~8e-5 the default epsilon
                    // 1e-5 is ~1,600 input LSB^2, so every output sits within a few LSB of beta, whose fraction below one LSB
                    // (biasFractions) decides the rounding.
                    var b = new FloatModelBuilder("layernorm_eps_dominant_c192", "x", new[] { 3, 192 }, -0.01, 0.01, 31);
                    string g = b.Initializer("ln.gamma", new[] { 192 }, 0.8, 0.1);
                    string be = b.Initializer("ln.beta", new[] { 192 }, 0.7);
                    return b.Build(b.Unary(new LayerNormLayer { Gamma = g, Beta = be }, "ln", b.Input));
                }),
                new CorpusCase("layernorm_int16_output", new[] { OpKind.LayerNorm }, () =>
                {
                    // int8 in, int16 out (the scalar row loop with the bias fractions at shifts near 40) over 45 channels.
                    var b = new FloatModelBuilder("layernorm_int16_output", "x", new[] { 4, 45 }, -2, 2, 32);
                    string g = b.Initializer("ln.gamma", new[] { 45 }, 1.5);
                    string be = b.Initializer("ln.beta", new[] { 45 }, 2.0, 0.5);
                    return b.Build(b.Unary(new LayerNormLayer { Gamma = g, Beta = be }, "ln", b.Input, activationBits: 16));
                }),
                new CorpusCase("avgpool_reshape", new[] { OpKind.AvgPool, OpKind.Reshape }, () =>
                {
                    var b = new FloatModelBuilder("avgpool_reshape", "x", new[] { 6, 10 }, -2, 2, 12);
                    string r = b.Unary(new ReshapeLayer { Shape = new[] { 3, 2, 10 } }, "rs", b.Input, new[] { 3, 2, 10 });
                    return b.Build(b.Unary(new AvgPoolLayer { Axis = 1 }, "pool", r, new[] { 3, 10 }));
                }),
                new CorpusCase("transpose_3d", new[] { OpKind.Transpose }, () =>
                {
                    var b = new FloatModelBuilder("transpose_3d", "x", new[] { 2, 3, 5 }, -1, 1, 13);
                    return b.Build(b.Dense("fc", b.Unary(new TransposeLayer { Perm = new[] { 2, 0, 1 } }, "tr", b.Input, new[] { 5, 2, 3 }), 4));
                }),
                new CorpusCase("transpose_last_two", new[] { OpKind.Transpose }, () =>
                {
                    // A patch embedding's [1, C, H * W] -> [1, H * W, C] (the CPU's int8-transpose-blocks: 16 x 16 register
                    // blocks and edge rows and columns: 2 x 2 blocks of 16 plus 5 and 3 at the edges).
                    var b = new FloatModelBuilder("transpose_last_two", "x", new[] { 1, 37, 35 }, -1, 1, 29);
                    return b.Build(b.Dense("fc", b.Unary(new TransposeLayer { Perm = new[] { 0, 2, 1 } }, "tr", b.Input, new[] { 1, 35, 37 }), 4));
                }),
                new CorpusCase("argmax", new[] { OpKind.ArgMax }, () =>
                {
                    var b = new FloatModelBuilder("argmax", "x", new[] { 3, 11 }, -2, 2, 14);
                    return b.Build(b.Unary(new ArgMaxLayer(), "am", b.Dense("fc", b.Input, 9), new[] { 3 }));
                }),
                new CorpusCase("conv_plain_strided", new[] { OpKind.Conv2d }, () =>
                {
                    var b = new FloatModelBuilder("conv_plain_strided", "x", new[] { 1, 3, 9, 8 }, 0, 1, 15);
                    return b.Build(b.Conv("conv", b.Input, 6, 3, 2, new[] { 2, 1 }, new[] { 1, 0, 1, 1 }, 1, Activation.Relu));
                }),
                new CorpusCase("conv_depthwise_grouped", new[] { OpKind.Conv2d }, () =>
                {
                    var b = new FloatModelBuilder("conv_depthwise_grouped", "x", new[] { 2, 4, 7, 7 }, -1, 1, 16);
                    string dw = b.Conv("dw", b.Input, 4, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 4, Activation.Relu6);
                    return b.Build(b.Conv("gc", dw, 6, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 2, activationBits: 16, weightBits: 4));
                }),
                new CorpusCase("maxpool", new[] { OpKind.MaxPool2d }, () =>
                {
                    var b = new FloatModelBuilder("maxpool", "x", new[] { 1, 3, 8, 7 }, -2, 2, 17);
                    return b.Build(b.Unary(new MaxPool2dLayer { Kernel = new[] { 3, 2 }, Strides = new[] { 2, 2 }, Pads = new[] { 1, 0, 1, 1 } }, "pool", b.Input, new[] { 1, 3, 4, 4 }));
                }),
                new CorpusCase("concat_requant_initializer", new[] { OpKind.Concat }, () =>
                {
                    // The class-token pattern: an initializer row concatenated before the tokens, then two differently
                    // quantized branches (int8 and int16) joined along the last axis.
                    var b = new FloatModelBuilder("concat_requant_initializer", "x", new[] { 4, 6 }, -2, 2, 18);
                    string cls = b.Initializer("cls_token", new[] { 1, 6 }, 0.7);
                    string t = b.Binary(new ConcatLayer { Axis = 0 }, "with_cls", cls, b.Input, new[] { 5, 6 });
                    string a = b.Dense("a", t, 7);
                    string c = b.Dense("c", t, 3, Activation.Relu, activationBits: 16);
                    return b.Build(b.Binary(new ConcatLayer { Axis = -1 }, "joined", a, c, new[] { 5, 10 }));
                }),
                new CorpusCase("slice_negative_steps", new[] { OpKind.Slice }, () =>
                {
                    var b = new FloatModelBuilder("slice_negative_steps", "x", new[] { 2, 7, 10 }, -3, 3, 19);
                    string s1 = b.Unary(new SliceLayer { Starts = new long[] { 6, 1 }, Ends = new long[] { -8, 100 }, Axes = new[] { 1, 2 }, Steps = new long[] { -2, 3 } }, "odd_rows", b.Input, new[] { 2, 4, 3 });
                    string s2 = b.Unary(new SliceLayer { Starts = new long[] { 1 }, Ends = new long[] { 2 } }, "second", s1, new[] { 1, 4, 3 });
                    return b.Build(b.Dense("fc", s2, 5));
                }),
                new CorpusCase("split_three_concat", new[] { OpKind.Split, OpKind.Concat }, () =>
                {
                    // The fused-qkv pattern: one projection split into three unequal parts along the last axis, then
                    // joined again in another order along a middle axis.
                    var b = new FloatModelBuilder("split_three_concat", "x", new[] { 3, 2, 8 }, -2, 2, 20);
                    string h = b.Dense("qkv", b.Input, 12);
                    b.Add(new SplitLayer { Axis = 2, Sizes = new[] { 4, 4, 4 } }, "unbind", new[] { h }, new[] { "q", "k", "v" }, new[] { new[] { 3, 2, 4 }, new[] { 3, 2, 4 }, new[] { 3, 2, 4 } });
                    string j = b.Add(new ConcatLayer { Axis = 1 }, "rejoin", new[] { "v", "q", "k" }, new[] { "rejoin_out" }, new[] { new[] { 3, 6, 4 } }).Output;
                    return b.Build(j);
                }),
                new CorpusCase("split_unequal", new[] { OpKind.Split }, () =>
                {
                    var b = new FloatModelBuilder("split_unequal", "x", new[] { 9, 5 }, -1, 1, 21);
                    b.Add(new SplitLayer { Axis = 0, Sizes = new[] { 2, 3, 4 } }, "parts", new[] { b.Input }, new[] { "p0", "p1", "p2" }, new[] { new[] { 2, 5 }, new[] { 3, 5 }, new[] { 4, 5 } });
                    string c = b.Binary(new ConcatLayer { Axis = 0 }, "p20", "p2", "p0", new[] { 6, 5 });
                    return b.Build(b.Binary(new ConcatLayer { Axis = 0 }, "all", c, "p1", new[] { 9, 5 }));
                }),
                new CorpusCase("colliding_names", new[] { OpKind.Add, OpKind.Dense }, () =>
                {
                    // Names that sanitize alike (issue 12): "h.1"/"h_1", "hé"/"hü", layers "fc.1"/"fc_1", a tensor and a
                    // layer starting with the HLS library's qg_ prefix, and a C++ keyword.
                    var b = new FloatModelBuilder("colliding_names", "x", new[] { 2, 12 }, -2, 2, 22);
                    string w1 = b.Initializer("w.1", new[] { 12, 12 }, 0.3);
                    string w2 = b.Initializer("w_1", new[] { 12, 12 }, 0.3);
                    b.Add(new DenseLayer { Weight = w1 }, "fc.1", new[] { b.Input }, new[] { "h.1" }, new[] { new[] { 2, 12 } });
                    b.Add(new DenseLayer { Weight = w2 }, "fc_1", new[] { b.Input }, new[] { "h_1" }, new[] { new[] { 2, 12 } });
                    b.Add(new AddLayer(), "qg_add", new[] { "h.1", "h_1" }, new[] { "h\u00e9" }, new[] { new[] { 2, 12 } });
                    b.Add(new ReluLayer(), "int", new[] { "h\u00e9" }, new[] { "h\u00fc" }, new[] { new[] { 2, 12 } });
                    b.Add(new AddLayer(), "add-2", new[] { "h\u00fc", "h.1" }, new[] { "qg_out" }, new[] { new[] { 2, 12 } });
                    return b.Build("qg_out");
                }),
                new CorpusCase("gather_class_token_and_list", new[] { OpKind.Gather }, () =>
                {
                    // x[:, 0] (a scalar index drops the axis) and x[:, [3, -1, 0]] (a list keeps it), after a Dense.
                    var b = new FloatModelBuilder("gather_class_token_and_list", "x", new[] { 2, 5, 6 }, -2, 2, 22);
                    string h = b.Dense("proj", b.Input, 6);
                    string cls = b.Unary(new GatherLayer { Axis = 1, Indices = new long[] { 0 }, IndicesShape = new int[0] }, "cls", h, new[] { 2, 6 });
                    string picked = b.Unary(new GatherLayer { Axis = -2, Indices = new long[] { 3, -1, 0 } }, "picked", h, new[] { 2, 3, 6 });
                    string flat = b.Unary(new ReshapeLayer { Shape = new[] { 6, 6 } }, "flat", picked, new[] { 6, 6 });
                    string both = b.Binary(new ConcatLayer { Axis = 0 }, "both", cls, flat, new[] { 8, 6 });
                    return b.Build(b.Dense("head", both, 4));
                }),
                new CorpusCase("requantize_factor_int16", new[] { OpKind.Requantize }, () =>
                {
                    // A scalar attention scale (factor 0.125) and a change of quantization to int16 and back to int4.
                    var b = new FloatModelBuilder("requantize_factor_int16", "x", new[] { 3, 16 }, -3, 3, 23);
                    string h = b.Dense("fc", b.Input, 12);
                    string s = b.Unary(new RequantizeLayer { Factor = 0.125 }, "scale", h, new[] { 3, 12 });
                    string w = b.Unary(new RequantizeLayer(), "widen", s, new[] { 3, 12 }, activationBits: 16);
                    return b.Build(b.Unary(new RequantizeLayer { Factor = 3.0 }, "narrow", w, new[] { 3, 12 }, activationBits: 4));
                }),
                new CorpusCase("conv_vnni_3x3_1x1_strided", new[] { OpKind.Conv2d }, () =>
                {
                    // The int8 GEMM convs: 3x3 stride 1 (144 positions: 4-row tiles plus a tail),
                    // a 1x1 conv as a plain GEMM, then 3x3 stride 2 with asymmetric pads and an odd channel count.
                    var b = new FloatModelBuilder("conv_vnni_3x3_1x1_strided", "x", new[] { 1, 16, 12, 12 }, -3, 3, 22);
                    string c1 = b.Conv("c3x3", b.Input, 16, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu);
                    string c2 = b.Conv("c1x1", c1, 9, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    return b.Build(b.Conv("c3x3s2", c2, 5, 3, 3, new[] { 2, 2 }, new[] { 0, 1, 1, 0 }, 1, Activation.Relu6));
                }),
                new CorpusCase("conv_vnni_odd_channels_batch", new[] { OpKind.Conv2d }, () =>
                {
                    // 5 input channels (a partial quad), 7 outputs (a 4-channel tile and 3 single channels), batch 2,
                    // a 1x1 stride-2 shortcut, then a DS-CNN-like tall kernel with pads taller than they are wide.
                    var b = new FloatModelBuilder("conv_vnni_odd_channels_batch", "x", new[] { 2, 5, 9, 7 }, -1, 1, 23);
                    string c1 = b.Conv("c3x3", b.Input, 7, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1);
                    string c2 = b.Conv("short", c1, 6, 1, 1, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, 1);
                    return b.Build(b.Conv("tall", c2, 4, 4, 2, new[] { 1, 1 }, new[] { 2, 0, 2, 1 }, 1, Activation.Relu));
                }),
                new CorpusCase("conv_vnni_single_channel_input", new[] { OpKind.Conv2d }, () =>
                {
                    // One input channel (three zero channels in every quad), a 10x4 stride-2 window as DS-CNN's first layer.
                    var b = new FloatModelBuilder("conv_vnni_single_channel_input", "x", new[] { 1, 1, 25, 10 }, -2, 2, 24);
                    return b.Build(b.Conv("c10x4", b.Input, 12, 10, 4, new[] { 2, 2 }, new[] { 5, 1, 5, 1 }, 1, Activation.Relu));
                }),
                new CorpusCase("conv_stem8_rgb_strided", new[] { OpKind.Conv2d }, () =>
                {
                    // The RGB stem with 8 output channels (MobileNet's features.0 shape: 3x3 stride 2, pads 1) that runs
                    // weight-stationary (QuantGenPointwiseKernels.Stem8) on the 4-channel padded image where AVX-512 VBMI runs:
                    // 10 outputs a row (a last group of 8 overlapping the first), an odd input width, a batch of 2; then a 1x1 conv.
                    var b = new FloatModelBuilder("conv_stem8_rgb_strided", "x", new[] { 2, 3, 18, 19 }, -2, 2, 33);
                    string stem = b.Conv("stem", b.Input, 8, 3, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu6);
                    return b.Build(b.Conv("pw", stem, 4, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1));
                }),
                new CorpusCase("conv_stem8_rgb_stride1", new[] { OpKind.Conv2d }, () =>
                {
                    // Stem8 at stride 1 (pixel dwords 4 bytes apart): 3x3, pads 1, 12 outputs a row, ReLU.
                    var b = new FloatModelBuilder("conv_stem8_rgb_stride1", "x", new[] { 1, 3, 7, 12 }, -1, 1, 34);
                    return b.Build(b.Conv("stem", b.Input, 8, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu));
                }),
                new CorpusCase("conv_depthwise_rows_strided", new[] { OpKind.Conv2d }, () =>
                {
                    // int8 depthwise: 5 channels, stride 2 with asymmetric pads, then stride 1 on a map wider than 16, each
                    // followed by a pointwise conv on the GEMM.
                    var b = new FloatModelBuilder("conv_depthwise_rows_strided", "x", new[] { 1, 5, 11, 37 }, -2, 2, 25);
                    string d1 = b.Conv("dw_s2", b.Input, 5, 3, 3, new[] { 2, 2 }, new[] { 1, 0, 1, 1 }, 5, Activation.Relu);
                    string p1 = b.Conv("pw1", d1, 6, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string d2 = b.Conv("dw_s1", p1, 6, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 6, Activation.Relu6);
                    return b.Build(b.Conv("pw2", d2, 4, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1));
                }),
                new CorpusCase("conv_depthwise_quad_regs", new[] { OpKind.Conv2d }, () =>
                {
                    // int8 3x3 depthwise with the tap quads built in registers: 32 channels at stride 1 on an odd width (pixel
                    // pairs and a last pixel alone), 64 at stride 2 padded top/right only, 16 and 8 at stride 1 with uneven pads,
                    // a batch of 2; pointwise convs between them. 5x5 maps: every layer's input stays within the 4,096 elements that
                    // HLS io_parallel partitions into registers (QG3012), so the case runs in both HLS io modes too.
                    var b = new FloatModelBuilder("conv_depthwise_quad_regs", "x", new[] { 2, 32, 5, 5 }, -2, 2, 32);
                    string d32 = b.Conv("dw32", b.Input, 32, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 32, Activation.Relu6);
                    string p64 = b.Conv("pw64", d32, 64, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string d64 = b.Conv("dw64_s2", p64, 64, 3, 3, new[] { 2, 2 }, new[] { 1, 0, 0, 1 }, 64, Activation.Relu);
                    string p16 = b.Conv("pw16", d64, 16, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string d16 = b.Conv("dw16", p16, 16, 3, 3, new[] { 1, 1 }, new[] { 1, 0, 1, 2 }, 16);
                    string p8 = b.Conv("pw8", d16, 8, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string d8 = b.Conv("dw8", p8, 8, 3, 3, new[] { 1, 1 }, new[] { 0, 1, 2, 1 }, 8, Activation.Relu);
                    return b.Build(b.Conv("head", d8, 4, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1));
                }),
                new CorpusCase("conv_nhwc_residual_block", new[] { OpKind.Conv2d, OpKind.MaxPool2d, OpKind.Add, OpKind.Relu, OpKind.Reshape, OpKind.AvgPool }, () =>
                {
                    // The channels-last plan: an NCHW input transposed by the first conv, a residual block whose Add and ReLU
                    // stay channels-last, a padded channels-last max pool (19 channels: a vector and a tail), a depthwise stride-2 conv on an odd map with 19 channels (past a 16-lane vector),
                    // a 1x1 stride-2 shortcut, and an NCHW tensor written by the last conv's transpose for the global pool.
                    var b = new FloatModelBuilder("conv_nhwc_residual_block", "x", new[] { 1, 3, 9, 9 }, -2, 2, 26);
                    string c1 = b.Conv("stem", b.Input, 19, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu);
                    string pool = b.Unary(new MaxPool2dLayer { Kernel = new[] { 2, 3 }, Strides = new[] { 1, 1 }, Pads = new[] { 1, 1, 0, 1 } }, "pool", c1, new[] { 1, 19, 9, 9 });
                    string dw = b.Conv("dw_s2", pool, 19, 3, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, 19, Activation.Relu6);
                    string pw = b.Conv("pw", dw, 20, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string sc = b.Conv("shortcut", c1, 20, 1, 1, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, 1);
                    string add = b.Binary(new AddLayer(), "add", sc, pw, new[] { 1, 20, 5, 5 });
                    string relu = b.Unary(new ReluLayer(), "relu", add);
                    string head = b.Conv("head", relu, 6, 3, 3, new[] { 1, 1 }, new[] { 1, 0, 0, 1 }, 1);
                    string flat = b.Unary(new ReshapeLayer { Shape = new[] { 1, 6, 16 } }, "flat", head, new[] { 1, 6, 16 });
                    return b.Build(b.Unary(new AvgPoolLayer { Axis = 2 }, "gap", flat, new[] { 1, 6 }));
                }),
                new CorpusCase("conv_residual_fused_store", new[] { OpKind.Conv2d, OpKind.Add, OpKind.Relu, OpKind.Reshape, OpKind.AvgPool }, () =>
                {
                    // ResNet-8's residual blocks in small: 16- and 32-channel 3x3 convs whose residual Adds (with their ReLUs)
                    // the CPU plan fuses into the second conv's store. In the second block the Add's other operand comes from
                    // the 1x1 stride-2 shortcut, a later node, so the fused conv runs where the Add stood and its input and the
                    // shortcut's must stay live in the arena until then.
                    var b = new FloatModelBuilder("conv_residual_fused_store", "x", new[] { 1, 3, 10, 10 }, -2, 2, 41);
                    string stem = b.Conv("stem", b.Input, 16, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu);
                    string a1 = b.Conv("b1_conv1", stem, 16, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu);
                    string a2 = b.Conv("b1_conv2", a1, 16, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1);
                    string r1 = b.Unary(new ReluLayer(), "b1_relu", b.Binary(new AddLayer(), "b1_add", a2, stem, new[] { 1, 16, 10, 10 }));
                    string c1 = b.Conv("b2_conv1", r1, 32, 3, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu);
                    string c2 = b.Conv("b2_conv2", c1, 32, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1);
                    string sc = b.Conv("b2_shortcut", r1, 32, 1, 1, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, 1);
                    string r2 = b.Unary(new ReluLayer(), "b2_relu", b.Binary(new AddLayer(), "b2_add", c2, sc, new[] { 1, 32, 5, 5 }));
                    string flat = b.Unary(new ReshapeLayer { Shape = new[] { 1, 32, 25 } }, "flat", r2, new[] { 1, 32, 25 });
                    return b.Build(b.Unary(new AvgPoolLayer { Axis = 2 }, "gap", flat, new[] { 1, 32 }));
                }),
                new CorpusCase("avgpool_rows", new[] { OpKind.AvgPool }, () =>
                {
                    // The global pool of the zoo CNNs: int8 rows averaged over the innermost axis (70: two 32-byte vectors
                    // and a tail).
                    var b = new FloatModelBuilder("avgpool_rows", "x", new[] { 5, 70 }, -3, 2, 28);
                    return b.Build(b.Unary(new AvgPoolLayer { Axis = 1 }, "gap", b.Input, new[] { 5 }));
                }),
                new CorpusCase("conv_nhwc_one_pixel", new[] { OpKind.Conv2d }, () =>
                {
                    // 1-pixel maps: a depthwise 3x3 whose window is all padding but its centre (33 channels: two full vectors
                    // and a 1-channel tail), a pointwise conv to 17 channels, and a 3x3 conv reading 8 padding taps of 9.
                    var b = new FloatModelBuilder("conv_nhwc_one_pixel", "x", new[] { 1, 33, 1, 1 }, -4, 4, 27);
                    string dw = b.Conv("dw", b.Input, 33, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 33, Activation.Relu);
                    string pw = b.Conv("pw", dw, 17, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1, Activation.Relu);
                    return b.Build(b.Conv("c3", pw, 5, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 1));
                }),
                new CorpusCase("conv_rgb_stem_eight_channels", new[] { OpKind.Conv2d }, () =>
                {
                    // A MobileNet-like RGB stem: 3 channels read as a 4-channel image (a padding channel with zero weights),
                    // 8 outputs at stride 2 on an odd map (12-position tiles, two positions per requantization register, a
                    // tail of 1..11), then a 2-channel input with a 3x2 window (kernel rows of whole quads with c % 4 != 0).
                    var b = new FloatModelBuilder("conv_rgb_stem_eight_channels", "x", new[] { 1, 3, 15, 13 }, -3, 3, 29);
                    string stem = b.Conv("stem", b.Input, 8, 3, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, 1, Activation.Relu6);
                    string two = b.Conv("two", stem, 2, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    return b.Build(b.Conv("wide", two, 8, 3, 2, new[] { 1, 1 }, new[] { 1, 0, 1, 1 }, 1, Activation.Relu));
                }),
                new CorpusCase("lookup_activations", new[] { OpKind.Tanh, OpKind.Sigmoid, OpKind.HardSigmoid, OpKind.HardSwish }, () =>
                {
                    // The table operators: int8 -> int8 (the vectorized lookup), an int4 input (a 16-entry table), an int16
                    // output (the scalar loop), HardSigmoid with torch's alpha 1/6.
                    var b = new FloatModelBuilder("lookup_activations", "x", new[] { 3, 40 }, -4, 4, 26);
                    string t = b.Unary(new TanhLayer(), "tanh", b.Input);
                    string s = b.Unary(new SigmoidLayer(), "sigmoid", b.Dense("fc1", t, 24));
                    string h = b.Unary(new HardSigmoidLayer { Alpha = 1.0 / 6, Beta = 0.5 }, "hsig", b.Dense("fc2", s, 20, activationBits: 4));
                    return b.Build(b.Unary(new HardSwishLayer(), "hswish", b.Dense("fc3", h, 10), activationBits: 16));
                }),
                new CorpusCase("lookup_int16_inputs", new[] { OpKind.Tanh, OpKind.Sigmoid, OpKind.HardSigmoid, OpKind.HardSwish }, () =>
                {
                    // The table operators on int16 inputs: segment tables of 1,025 entries, interpolated; int16 -> int8 (Tanh,
                    // HardSigmoid) and int16 -> int16 (Sigmoid, HardSwish), each fed by a Dense with 16-bit activations.
                    var b = new FloatModelBuilder("lookup_int16_inputs", "x", new[] { 3, 24 }, -4, 4, 29);
                    string t = b.Unary(new TanhLayer(), "tanh", b.Dense("fc1", b.Input, 20, activationBits: 16));
                    string s = b.Unary(new SigmoidLayer(), "sigmoid", b.Dense("fc2", t, 20, activationBits: 16), activationBits: 16);
                    string h = b.Unary(new HardSigmoidLayer { Alpha = 1.0 / 6, Beta = 0.5 }, "hsig", b.Dense("fc3", s, 18, activationBits: 16));
                    return b.Build(b.Unary(new HardSwishLayer(), "hswish", b.Dense("fc4", h, 10, activationBits: 16), activationBits: 16));
                }),
                HardExactKinks(),
                new CorpusCase("mobilenetv3_block", new[] { OpKind.HardSwish, OpKind.HardSigmoid, OpKind.Conv2d, OpKind.Mul }, () =>
                {
                    // A MobileNetV3-style block: stem conv -> HardSwish (int8 -> int8: the vectorized table), depthwise conv
                    // into int16 -> HardSwish int16 -> int16 (the exact int64 form), global pool, and a squeeze-excite on the
                    // pooled features (Dense -> ReLU -> Dense -> HardSigmoid int8 -> int8) multiplying them, then the classifier.
                    var b = new FloatModelBuilder("mobilenetv3_block", "x", new[] { 1, 3, 9, 9 }, -2, 2, 33);
                    string stem = b.Conv("stem", b.Input, 8, 3, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, 1);
                    string hs1 = b.Unary(new HardSwishLayer(), "hswish1", stem);
                    string dw = b.Conv("dw", hs1, 8, 3, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, 8, activationBits: 16);
                    string hs2 = b.Unary(new HardSwishLayer(), "hswish2", dw, activationBits: 16);
                    string flat = b.Unary(new ReshapeLayer { Shape = new[] { 1, 8, 25 } }, "flat", hs2, new[] { 1, 8, 25 });
                    string gap = b.Unary(new AvgPoolLayer { Axis = 2 }, "gap", flat, new[] { 1, 8 });
                    string se1 = b.Dense("se_reduce", gap, 4, Activation.Relu);
                    string se = b.Unary(new HardSigmoidLayer { Alpha = (double)(1.0f / 6), Beta = 0.5 }, "se_gate", b.Dense("se_expand", se1, 8));
                    string scaled = b.Binary(new MulLayer(), "se_mul", gap, se, new[] { 1, 8 });
                    return b.Build(b.Dense("classifier", scaled, 5));
                }),
                HardExactScales(),
                new CorpusCase("mul_sub_broadcast", new[] { OpKind.Mul, OpKind.Sub }, () =>
                {
                    // Mul and Sub of two activations (same shape, and a trailing-axis activation row), with a constant first
                    // operand (BERT's 1 - mask), a negative scalar constant (the mask's -10000) and an int16 output.
                    var b = new FloatModelBuilder("mul_sub_broadcast", "x", new[] { 4, 12 }, -3, 3, 27);
                    string h = b.Dense("fc", b.Input, 12);
                    string m = b.Binary(new MulLayer(), "mul", b.Input, h, new[] { 4, 12 });
                    string c = b.Initializer("offset", new[] { 12 }, 0.5, 1.0);
                    string d = b.Binary(new SubLayer(), "rsub", c, m, new[] { 4, 12 });
                    string k = b.Initializer("neg", new[] { 1 }, 0.0, -2.5);
                    string n = b.Binary(new MulLayer(), "negate", d, k, new[] { 4, 12 });
                    string row = b.Unary(new GatherLayer { Axis = 0, Indices = new long[] { 1 }, IndicesShape = new int[0] }, "row", h, new[] { 12 });
                    string sq = b.Binary(new MulLayer(), "square", row, row, new[] { 12 });
                    return b.Build(b.Binary(new SubLayer(), "minus_row", n, sq, new[] { 4, 12 }, activationBits: 16));
                }),
                new CorpusCase("avgpool2d_pads_count_include", new[] { OpKind.AvgPool2d }, () =>
                {
                    // A 3x3 stride-2 window with asymmetric pads and count_include_pad = 0 (divisors 4, 6 and 9 at the
                    // borders), then a 2x3 window with count_include_pad = 1 to an int16 output, then a plain 2x2 pool.
                    var b = new FloatModelBuilder("avgpool2d_pads_count_include", "x", new[] { 1, 3, 9, 11 }, -3, 3, 28);
                    string c = b.Conv("c", b.Input, 4, 1, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, 1);
                    string p1 = b.Unary(new AvgPool2dLayer { Kernel = new[] { 3, 3 }, Strides = new[] { 2, 2 }, Pads = new[] { 1, 0, 1, 1 } }, "pool_exclude", c, new[] { 1, 4, 5, 5 });
                    string p2 = b.Unary(new AvgPool2dLayer { Kernel = new[] { 2, 3 }, Strides = new[] { 1, 1 }, Pads = new[] { 1, 1, 0, 1 }, CountIncludePad = true }, "pool_include", p1, new[] { 1, 4, 5, 5 }, activationBits: 16);
                    return b.Build(b.Unary(new AvgPool2dLayer { Kernel = new[] { 2, 2 }, Strides = new[] { 2, 2 } }, "pool_plain", p2, new[] { 1, 4, 2, 2 }));
                }),
                new CorpusCase("embedding_ids_dense", new[] { OpKind.Embedding }, () =>
                {
                    // Token ids 0 to 9 (an index input) -> rows of a [10, 12] table -> a Dense on the embeddings.
                    var b = new FloatModelBuilder("embedding_ids_dense", "ids", new[] { 2, 5 }, 0, 9, 29);
                    b.IndexInput();
                    string table = b.Initializer("tok.weight", new[] { 10, 12 }, 1.5);
                    string e = b.Unary(new EmbeddingLayer { Table = table }, "tok", b.Input, new[] { 2, 5, 12 });
                    return b.Build(b.Dense("fc", e, 6));
                }),
                EmbeddingWithZeroPoint(),
                AddWideConstants(),
                EmbeddingPerAxis(0),
                EmbeddingPerAxis(1),
                new CorpusCase("masked_softmax_rows", new[] { OpKind.MaskedSoftmax }, () =>
                {
                    // Scores from a Dense; the mask is the input's first row (kept where its integer is not the zero point:
                    // the all-zero-point input masks every position, the all-zeros row case).
                    var b = new FloatModelBuilder("masked_softmax_rows", "x", new[] { 1, 4, 6 }, -3, 3, 31);
                    string scores = b.Dense("scores", b.Input, 6);
                    string mask = b.Unary(new SliceLayer { Starts = new long[] { 0 }, Ends = new long[] { 1 }, Axes = new[] { 1 } }, "mask", b.Input, new[] { 1, 1, 6 });
                    return b.Build(b.Binary(new MaskedSoftmaxLayer(), "attn", scores, mask, new[] { 1, 4, 6 }, activationBits: 16));
                }),
            };
            return cases;
        }
    }
}
