using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Graph;
using QuantGen.Hls;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Plan;
using QuantGen.Testing;
using Xunit;
using Xunit.Sdk;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Generated-code snapshots of the data-movement operators (Concat, Slice, Split, Gather, Requantize) and the table
    /// operators ("tanh": an int8 table and an int16 segment table, <see cref="LookupIntegers"/>), one tiny quantized
    /// model per feature written here in C# with hand-set integer parameters (no PTQ, so only the emitters are pinned). Per
    /// feature, tests/QuantGen.Conformance.Tests/Baselines/&lt;feature&gt;/ holds the model's C# inference file, its ILGPU
    /// file and the model-specific HLS files: io_parallel's top function, defines, parameters and weight headers, and
    /// io_stream's top function (its other files are asserted equal to io_parallel's or are the fixed library headers the
    /// fixture baselines already pin). The C# boundary helpers, the kernel libraries and golden vectors are not pinned here.
    /// </summary>
    public class FeatureSnapshotTests
    {
        private const string Project = "QuantGen.Conformance.Tests";

        private static readonly string[] FeatureNames = { "concat", "slice", "split", "gather", "requantize", "mul", "sub", "avgpool2d", "embedding", "tanh", "maskedsoftmax" };

        public static IEnumerable<object[]> Features => FeatureNames.Select(f => new object[] { f });

        [Theory]
        [MemberData(nameof(Features))]
        public void CSharpMatchesBaseline(string feature)
        {
            (string name, string text) = CSharpFile(feature);
            Baseline.Verify(Project, feature, name, text);
        }

        [Theory]
        [MemberData(nameof(Features))]
        public void IlgpuMatchesBaseline(string feature)
        {
            (string name, string text) = GpuFile(feature);
            Baseline.Verify(Project, feature, name, text);
        }

        [Theory]
        [MemberData(nameof(Features))]
        public void HlsMatchesBaseline(string feature)
        {
            foreach ((string name, string text) in HlsFiles(feature))
            {
                Baseline.Verify(Project, feature, name, text);
            }
        }

        /// <summary>A baseline the emitters no longer produce (a renamed file, a removed feature) fails here.</summary>
        [Theory]
        [MemberData(nameof(Features))]
        public void NoStaleBaselines(string feature) =>
            Baseline.VerifyNoStale(Project, feature, Produced(feature));

        /// <summary>Every data-movement operator (and Mul, Sub, AvgPool2d) has a feature model, and each model uses the operator it is named for.</summary>
        [Fact]
        public void EveryDataMovementOperatorHasAFeatureModel()
        {
            var covered = new HashSet<OpKind>();
            foreach (string f in FeatureNames)
            {
                ModelGraph g = Build(f);
                covered.UnionWith(g.Nodes.Select(n => n.Layer.Op));
                Assert.Contains(g.Nodes, n => string.Equals(n.Layer.Op.ToString(), f, StringComparison.OrdinalIgnoreCase));
            }

            Assert.Superset(new HashSet<OpKind> { OpKind.Concat, OpKind.Slice, OpKind.Split, OpKind.Gather, OpKind.Requantize, OpKind.Mul, OpKind.Sub, OpKind.AvgPool2d, OpKind.Embedding, OpKind.MaskedSoftmax }, covered);
        }

        /// <summary>
        /// The harness's stale check itself: a baseline file no test produces fails VerifyNoStale (or, when baselines are
        /// being accepted, is deleted).
        /// </summary>
        [Fact]
        public void TheStaleCheckFailsOnABaselineNoLongerProduced()
        {
            string dir = Path.Combine(Baseline.SourceRoot(), "tests", Project, "Baselines", "stale-probe");
            Directory.CreateDirectory(dir);
            string kept = Path.Combine(dir, "kept.cs.txt"), stale = Path.Combine(dir, "gone.cs.txt");
            try
            {
                File.WriteAllText(kept, "kept\n");
                File.WriteAllText(stale, "gone\n");
                if (Environment.GetEnvironmentVariable(Baseline.AcceptVariable) == "1")
                {
                    Baseline.VerifyNoStale(Project, "stale-probe", new[] { "kept.cs" });
                    Assert.False(File.Exists(stale));
                    Assert.True(File.Exists(kept));
                }
                else
                {
                    XunitException e = Assert.Throws<XunitException>(() => Baseline.VerifyNoStale(Project, "stale-probe", new[] { "kept.cs" }));
                    Assert.Contains("gone.cs.txt", e.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain("kept.cs.txt", e.Message, StringComparison.Ordinal);
                    Baseline.VerifyNoStale(Project, "stale-probe", new[] { "kept.cs", "gone.cs" });
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        private static IEnumerable<string> Produced(string feature) =>
            new[] { CSharpFile(feature).Name, GpuFile(feature).Name }.Concat(HlsFiles(feature).Select(f => f.Name));

        private static (string Name, string Text) CSharpFile(string feature)
        {
            ModelGraph g = Build(feature);
            CpuOutput cpu = CpuBackend.Emit(Target(g), Plan(g), string.Empty);
            Assert.NotNull(cpu.Plan);
            SourceFile main = Assert.Single(cpu.Files, f => !f.HintName.Contains("Boundary", StringComparison.Ordinal));
            return (main.HintName, main.Text);
        }

        private static (string Name, string Text) GpuFile(string feature)
        {
            ModelGraph g = Build(feature);
            var missing = new List<MissingLowering>();
            SourceFile? file = GpuBackend.Emit(Target(g), Plan(g), string.Empty, missing);
            Assert.True(file != null, string.Join(", ", missing.Select(m => m.Node.Layer.Op)));
            return (file!.HintName, file.Text);
        }

        private static IEnumerable<(string Name, string Text)> HlsFiles(string feature)
        {
            ModelGraph g = Build(feature);
            HlsProject parallel = Hls(g, "io_parallel"), stream = Hls(g, "io_stream");
            string top = "firmware/" + parallel.Name + ".cpp";
            foreach (KeyValuePair<string, string> f in parallel.Files.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                if (f.Key == top || f.Key == "firmware/defines.h" || f.Key == "firmware/parameters.h" || f.Key.StartsWith("firmware/weights/", StringComparison.Ordinal))
                {
                    yield return ("io_parallel_" + f.Key.Replace('/', '_'), f.Value);
                }
            }

            yield return ("io_stream_" + top.Replace('/', '_'), stream.Files[top]);
        }

        private static HlsProject Hls(ModelGraph g, string io)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse(io, null, null, null, null, "4", errors);
            Assert.Empty(errors);
            var diagnostics = new List<ModelDiagnostic>();
            HlsGenerationResult r = HlsGenerator.Generate(g, options, diagnostics);
            Assert.True(r.Success, string.Join("\n", diagnostics.Concat(r.Diagnostics)));
            return r.Project!;
        }

        private static CSharpTarget Target(ModelGraph g) => new CSharpTarget("Features", ToPascal(g.Name), Array.Empty<string>(), g.Name + ".qmodel.json");

        private static string ToPascal(string name) => string.Concat(name.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

        private static ModelPlan Plan(ModelGraph g)
        {
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport? ranges = RangeAnalysis.Analyze(g, diagnostics);
            Assert.True(ranges != null, string.Join("\n", diagnostics));
            return ModelPlan.Create(g, ranges!);
        }

        /// <summary>The feature models: int8 input at scale 0.05, a few elements, every integer parameter written out.</summary>
        private static ModelGraph Build(string feature)
        {
            var m = new FeatureModel("feature_" + feature, feature switch
            {
                "concat" => new[] { 2, 3 },
                "slice" => new[] { 3, 4, 5 },
                "split" => new[] { 2, 9 },
                "gather" => new[] { 2, 5, 3 },
                "avgpool2d" => new[] { 1, 2, 5, 5 },
                "maskedsoftmax" => new[] { 1, 4, 6 },
                _ => new[] { 2, 6 },
            }, inputZp: 3);
            switch (feature)
            {
                case "concat":
                    // x [2, 3] ++ a constant [2, 1] ++ x along the last axis -> [2, 7]; each input requantized to the output's scale
                    m.Constant("cls", new[] { 2, 1 }, new sbyte[] { -100, 42 }, 0.07, -2);
                    return m.Layer(
                        new ConcatLayer { Axis = -1, Integers = new ConcatIntegers(new[] { 0.05 / 0.1, 0.07 / 0.1, 0.05 / 0.1 }.Select(Dyadic.FromReal)) },
                        "cat", new[] { "x", "cls", "x" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.1, 1)).Build("y");
                case "slice":
                    // negative steps on axes 0 and 2 -> [3, 4, 3]
                    return m.Layer(
                        new SliceLayer { Starts = new long[] { -1, 100 }, Ends = new long[] { -100, 0 }, Axes = new[] { 0, -1 }, Steps = new long[] { -1, -2 } },
                        "rev", new[] { "x" }, new[] { "y" }).Build("y");
                case "split":
                    // [2, 9] -> [2, 2], [2, 3], [2, 4] -> Concat(p2, p0) of plain copies -> [2, 6]
                    m.Layer(new SplitLayer { Axis = 1, Sizes = new[] { 2, 3, 4 } }, "sp", new[] { "x" }, new[] { "p0", "p1", "p2" });
                    return m.Layer(
                        new ConcatLayer { Axis = 1, Integers = new ConcatIntegers(new[] { Dyadic.One, Dyadic.One }) },
                        "cat", new[] { "p2", "p0" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.05, 3)).Build("y");
                case "gather":
                    // axis 1 indices [4, -1, 0] -> [2, 3, 3], then the class token x[:, 0] (scalar index) -> [2, 3]
                    m.Layer(new GatherLayer { Axis = 1, Indices = new long[] { 4, -1, 0 } }, "pick", new[] { "x" }, new[] { "p" });
                    return m.Layer(new GatherLayer { Axis = -2, Indices = new long[] { 0 }, IndicesShape = new int[0] }, "cls", new[] { "p" }, new[] { "y" }).Build("y");
                case "mul":
                    // x [2, 6] times a per-element constant [6] (broadcast over rows) -> p; then p squared into int16
                    m.Constant("w", new[] { 6 }, new sbyte[] { -128, -3, 0, 1, 77, 127 }, 0.04, 0);
                    m.Layer(
                        new MulLayer { Integers = new MulIntegers(Dyadic.FromReal(0.05 * 0.04 / 0.1)) },
                        "scale", new[] { "x", "w" }, new[] { "p" }, new TensorQuant(ElementType.Int8, 0.1, -1));
                    return m.Layer(
                        new MulLayer { Integers = new MulIntegers(Dyadic.FromReal(0.1 * 0.1 / 0.003)) },
                        "square", new[] { "p", "p" }, new[] { "y" }, new TensorQuant(ElementType.Int16, 0.003, 0)).Build("y");
                case "sub":
                    // BERT's 1 - mask: a scalar constant minus x, each side rescaled to the output scale
                    m.Constant("one", new[] { 1 }, new sbyte[] { 100 }, 0.01, 0);
                    return m.Layer(
                        new SubLayer { Integers = new AddIntegers(Dyadic.FromReal(0.01 / 0.06), Dyadic.FromReal(0.05 / 0.06)) },
                        "rsub", new[] { "one", "x" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.06, -5)).Build("y");
                case "avgpool2d":
                    // 3x3 window, stride 2, asymmetric pads, count_include_pad 0: one dyadic per divisor 1..9
                    return m.Layer(
                        new AvgPool2dLayer
                        {
                            Kernel = new[] { 3, 3 },
                            Strides = new[] { 2, 2 },
                            Pads = new[] { 1, 0, 1, 1 },
                            Integers = new AvgPool2dIntegers(Enumerable.Range(1, 9).Select(n => Dyadic.FromReal(0.05 / (0.04 * n)))),
                        },
                        "pool", new[] { "x" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.04, 2)).Build("y");
                case "embedding":
                    // token ids [2, 3] (an index input, ids 0 to 4) -> rows of a [5, 4] int8 table -> [2, 3, 4]
                    m.Ids(new[] { 2, 3 }, 4);
                    m.Constant("table", new[] { 5, 4 }, new sbyte[] { 1, 2, 3, 4, -5, -6, -7, -8, 127, -128, 0, 9, 10, 11, 12, 13, -1, -2, -3, -4 }, 0.1, 0);
                    return m.Layer(new EmbeddingLayer { Table = "table" }, "emb", new[] { "x" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.1, 0)).Build("y");

                case "maskedsoftmax":
                    // scores x [1, 4, 6]; the mask is x's first row (kept where its integer is not the zero point 3), one row shared by all rows
                    m.Layer(new SliceLayer { Starts = new long[] { 0 }, Ends = new long[] { 1 }, Axes = new[] { 1 } }, "mask", new[] { "x" }, new[] { "m" });
                    return m.Layer(
                        new MaskedSoftmaxLayer { Integers = new SoftmaxIntegers(new ShiftmaxParams(-10, 4, 8)) },
                        "attn", new[] { "x", "m" }, new[] { "y" }, new TensorQuant(ElementType.Int8, Shiftmax.OutputScale(8), 0)).Build("y");
                case "tanh":
                    // int8 -> int8 Tanh (a 256-entry table: the vectorized lookup), widened to int16, then int16 -> int16 HardSwish
                    // (its exact int64 form: PiecewiseLinear). Tables from the operators' own rule (only the emitters are pinned).
                    {
                        var t8 = new TensorQuant(ElementType.Int8, 1.0 / 128, 0);
                        var w16 = new TensorQuant(ElementType.Int16, 0.0001, -7);
                        var y16 = new TensorQuant(ElementType.Int16, 0.0002, 11);
                        var tanh = new TanhLayer();
                        var swish = new HardSwishLayer();
                        m.Layer(new TanhLayer { Integers = new LookupIntegers(new QuantGen.Operators.TanhOperator().Table(tanh, m.InputQuant, t8)) }, "tanh", new[] { "x" }, new[] { "t" }, t8);
                        m.Layer(new RequantizeLayer { Integers = new RequantizeIntegers(Dyadic.FromReal(t8.Scale / w16.Scale)) }, "widen", new[] { "t" }, new[] { "w" }, w16);
                        return m.Layer(
                            new HardSwishLayer { Integers = new QuantGen.Operators.HardSwishOperator().Integers(swish, w16, y16) },
                            "hswish", new[] { "w" }, new[] { "y" }, y16).Build("y");
                    }

                default:
                    // x 0.125 into int16, then back to int8 at another scale
                    m.Layer(
                        new RequantizeLayer { Factor = 0.125, Integers = new RequantizeIntegers(Dyadic.FromReal(0.125 * 0.05 / 0.0007)) },
                        "scale", new[] { "x" }, new[] { "s" }, new TensorQuant(ElementType.Int16, 0.0007, -20));
                    return m.Layer(
                        new RequantizeLayer { Integers = new RequantizeIntegers(Dyadic.FromReal(0.0007 / 0.011)) },
                        "narrow", new[] { "s" }, new[] { "y" }, new TensorQuant(ElementType.Int8, 0.011, 2)).Build("y");
            }
        }

        /// <summary>A quantized model built in memory and validated by the graph builder that reads model files.</summary>
        private sealed class FeatureModel
        {
            private readonly ModelSpec spec;
            private readonly List<RawTensor> weights = new List<RawTensor>();

            public FeatureModel(string name, int[] shape, long inputZp)
            {
                spec = new ModelSpec { Name = name, Kind = ModelKind.Quantized, Weights = name + ".safetensors" };
                spec.Input = new InputSpec
                {
                    Name = "x",
                    Shape = shape,
                    Quant = new TensorQuant(ElementType.Int8, 0.05, inputZp),
                    RangeMin = (-128 - inputZp) * 0.05,
                    RangeMax = (127 - inputZp) * 0.05,
                };
            }

            /// <summary>Makes the input "x" an index input of token ids 0 to <paramref name="last"/>.</summary>
            public void Ids(int[] shape, int last) =>
                spec.Input = new InputSpec { Name = "x", Role = InputRole.Index, Shape = shape, Quant = new TensorQuant(ElementType.Int32, 1, 0), RangeMin = 0, RangeMax = last };

            public TensorQuant InputQuant => spec.Input.Quant!;

            public void Constant(string name, int[] shape, sbyte[] values, double scale, long zp)
            {
                spec.Initializers.Add(new InitializerSpec { Name = name, Type = ElementType.Int8, Shape = shape, Scales = new[] { scale }, ZeroPoint = zp });
                weights.Add(new RawTensor(name, "I8", shape.Select(d => (long)d).ToArray(), values.Select(v => unchecked((byte)v)).ToArray()));
            }

            /// <summary>Adds a layer; <paramref name="quant"/> declares every output's quantization (operators that keep the input's pass none).</summary>
            public FeatureModel Layer(LayerSpec layer, string name, string[] inputs, string[] outputs, TensorQuant? quant = null)
            {
                layer.Name = name;
                layer.Inputs.AddRange(inputs);
                layer.Outputs.Clear();
                layer.Outputs.AddRange(outputs);
                if (quant != null)
                {
                    spec.Activations.AddRange(outputs.Select(o => new ActivationSpec(o, quant, null, SourcePlace.None)));
                }

                spec.Layers.Add(layer);
                return this;
            }

            public ModelGraph Build(string output)
            {
                spec.Output = output;
                var diagnostics = new List<ModelDiagnostic>();
                ModelGraph? g = GraphBuilder.Build(spec, weights, spec.Weights, diagnostics);
                Assert.True(g != null, string.Join("\n", diagnostics));
                return g!;
            }
        }
    }
}
