using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The ILGPU session of models with several inputs or outputs against the C# class, on ILGPU's CPU accelerator: the
    /// named float Run (one sample and batched), IQuantizedModel over a packed sample and, for a classifier, Predict (one,
    /// batched), TopK and IQuantizedClassifier. Models: MultiIoSpecs.Two (two inputs, two outputs), MultiIoSpecs.Tok (token
    /// ids + an int8 input) and the classifier of MultiInputClassifierApiTests. Expected values: the reference interpreter,
    /// dequantized with the scale and zero point of Info; batched = N single calls; every documented exception equal to the
    /// class's (type, parameter, message), the GPU's own ones (batch limit, disposal) asserted by text; the concurrent-use guard
    /// on every entry point.
    /// </summary>
    public class GpuMultiSessionApiTests : IClassFixture<GpuMultiSessionApiTests.Loaded>
    {
        /// <summary>The named calls of each model, printed once for the session ("Gpu", first argument the session) and once for the class ("Cpu").</summary>
        private static string Calls(string suffix, string two, string tok, string cls) => $$"""
                public static float[][] TwoRun{{suffix}}(object m, float[] l, float[] r, int n)
                {
                    var x = ({{two}})m;
                    var sum = new float[(n < 0 ? 1 : n) * Two.SumLength];
                    var pos = new float[(n < 0 ? 1 : n) * Two.PosLength];
                    if (n < 0) x.Run(l, r, sum, pos); else x.Run(l, r, sum, pos, n);
                    return new[] { sum, pos };
                }

                public static float[] TokRun{{suffix}}(object m, int[] ids, float[] bias, int n)
                {
                    var x = ({{tok}})m;
                    var sum = new float[(n < 0 ? 1 : n) * Tok.SumLength];
                    if (n < 0) x.Run(ids, bias, sum); else x.Run(ids, bias, sum, n);
                    return sum;
                }

                public static int ClsPredict{{suffix}}(object m, int[] ids, float[] bias) => (({{cls}})m).Predict(ids, bias);

                public static int[] ClsPredictBatch{{suffix}}(object m, int[] ids, float[] bias, int n)
                {
                    var x = ({{cls}})m;
                    var labels = new int[n];
                    x.Predict(ids, bias, labels);
                    int[] again = x.Predict(ids, bias, n);
                    if (!labels.AsSpan().SequenceEqual(again)) throw new InvalidOperationException("the two batched Predict overloads differ");
                    return labels;
                }

                public static Prediction[] ClsTopK{{suffix}}(object m, int[] ids, float[] bias, int k) => (({{cls}})m).TopK(ids, bias, k);

                public static string[] Errors{{suffix}}(object twoM, object tokM, object clsM)
                {
                    var two = ({{two}})twoM;
                    var tok = ({{tok}})tokM;
                    var cls = ({{cls}})clsM;
                    IQuantizedModel twoI = two, tokI = tok;
                    IQuantizedClassifier clsI = cls;
                    float[] badRight = new float[16];
                    badRight[8 + 3] = 0.6f;
                    float[] packedTwo = new float[24];
                    packedTwo[16 + 1] = 0.6f;
                    return new[]
                    {
                        Error(() => two.Run(new float[15], new float[8], new float[16], new float[16])),
                        Error(() => two.Run(new float[16], new float[] { 0, 0, float.NaN, 0, 0, 0, 0, 0 }, new float[16], new float[16])),
                        Error(() => two.Run(new float[16], new float[] { 0, 0, 0, 0, 0.6f, 0, 0, 0 }, new float[16], new float[16])),
                        Error(() => two.Run(new float[32], new float[16], new float[32], new float[31], 2)),
                        Error(() => two.Run(new float[32], badRight, new float[32], new float[32], 2)),
                        Error(() => twoI.Run(new float[23], new float[32])),
                        Error(() => twoI.Run(new float[24], new float[31])),
                        Error(() => twoI.Run(packedTwo, new float[32])),
                        Error(() => tok.Run(new[] { 0, 1, 4, 2 }, new float[2], new float[8])),
                        Error(() => tok.Run(new[] { 0, 1, 2, 3, 3, 7, 0, 0 }, new float[4], new float[16], 2)),
                        Error(() => tokI.Run(new float[] { 1.5f, 0, 0, 0, 0, 0 }, new float[8])),
                        Error(() => tokI.Run(new float[] { 0, 0, 9, 0, 0, 0 }, new float[8])),
                        Error(() => tokI.Run(new float[] { 0, 0, 0, 0, 0, float.NaN }, new float[8])),
                        Error(() => cls.Predict(new[] { 0 }, new float[2])),
                        Error(() => cls.Predict(new[] { 0, 1, 2 }, new float[6], new int[3])),
                        Error(() => cls.TopK(new[] { 0 }, new float[3], 0)),
                        Error(() => cls.TopK(new[] { 0 }, new float[] { 0, 1.5f, 0 }, new Prediction[2])),
                        Error(() => clsI.Predict(new float[3])),
                        Error(() => clsI.Predict(new float[7], new int[2])),
                        Error(() => clsI.TopK(new float[4], 0)),
                        Error(() => clsI.TopK(new float[] { 9, 0, 0, 0 }, new Prediction[3])),
                        Error(() => cls.Predict(new[] { 5 }, new float[3])),
                    };
                }

            """;

        private const string Source = """
            using System;
            using System.Collections.Generic;
            using ILGPU;
            using ILGPU.Runtime;
            using ILGPU.Runtime.CPU;
            using QuantGen;

            [QuantizedModel("models/two.qmodel.json")]
            public partial class Two { }

            [QuantizedModel("models/tok.qmodel.json")]
            public partial class Tok { }

            [QuantizedModel("models/cls.qmodel.json")]
            public partial class Cls { }

            public static class Runner
            {
                // A small simulated GPU (2 threads per warp, 1 warp, 2 multiprocessors), as the other GPU tests on this 2-core machine.
                private static readonly CPUDevice Device = new CPUDevice(2, 1, 2);
                private static readonly Context Context = Context.Create(b => b.CPU(Device).Optimize(OptimizationLevel.O1));
                private static readonly Accelerator Accelerator = Device.CreateCPUAccelerator(Context);

                public static object[] NewSessions() => new object[] { new Two.GpuSession(Accelerator), new Tok.GpuSession(Accelerator), new Cls.GpuSession(Accelerator) };

                public static object[] NewClasses() => new object[] { new Two(), new Tok(), new Cls() };

                public static void Close(object[] sessions)
                {
                    foreach (object s in sessions) ((IDisposable)s).Dispose();
                    Accelerator.Dispose();
                    Context.Dispose();
                }

                public static void Dispose(object session) => ((IDisposable)session).Dispose();

                public static string Error(Action a)
                {
                    try
                    {
                        a();
                        return "no exception";
                    }
                    catch (Exception e) when (e is ArgumentException || e is ObjectDisposedException || e is InvalidOperationException)
                    {
                        return e.GetType().Name + " " + ((e as ArgumentException)?.ParamName ?? "-") + ": " + e.Message;
                    }
                }

                /// <summary>Every public float entry point of the three sessions once, on preallocated buffers.</summary>
                public static Dictionary<string, Action> EntryPoints(object[] s)
                {
                    var two = (Two.GpuSession)s[0];
                    var tok = (Tok.GpuSession)s[1];
                    var cls = (Cls.GpuSession)s[2];
                    IQuantizedModel twoI = two;
                    IQuantizedClassifier clsI = cls;
                    float[] l = new float[32], r = new float[16], y1 = new float[32], y2 = new float[32], packed = new float[24], packedOut = new float[32];
                    int[] ids = { 0, 1, 2, 3 }, one = { 2 }, labels = new int[2];
                    float[] bias = new float[2], clsBias = new float[3], clsBias2 = new float[6], clsPacked = new float[4], clsPacked2 = new float[8], clsOut = new float[3];
                    var best = new Prediction[2];
                    return new Dictionary<string, Action>
                    {
                        ["Two.Run"] = () => two.Run(l.AsSpan(0, 16), r.AsSpan(0, 8), y1.AsSpan(0, 16), y2.AsSpan(0, 16)),
                        ["Two.Run batch"] = () => two.Run(l, r, y1, y2, 2),
                        ["Two IQuantizedModel.Run"] = () => twoI.Run(packed, packedOut),
                        ["Tok.Run"] = () => tok.Run(ids, bias, y1.AsSpan(0, 8)),
                        ["Cls.Predict"] = () => cls.Predict(one, clsBias),
                        ["Cls.Predict batch"] = () => cls.Predict(new[] { 0, 1 }, clsBias2, labels),
                        ["Cls.Predict array"] = () => cls.Predict(new[] { 0, 1 }, clsBias2, 2),
                        ["Cls.TopK"] = () => cls.TopK(one, clsBias, best),
                        ["Cls.TopK array"] = () => cls.TopK(one, clsBias, 2),
                        ["Cls IQuantizedModel.Run"] = () => clsI.Run(clsPacked, clsOut),
                        ["Cls IQuantizedClassifier.Predict"] = () => clsI.Predict(clsPacked),
                        ["Cls IQuantizedClassifier.Predict batch"] = () => clsI.Predict(clsPacked2, labels),
                        ["Cls IQuantizedClassifier.Predict array"] = () => clsI.Predict(clsPacked2, 2),
                        ["Cls IQuantizedClassifier.TopK"] = () => clsI.TopK(clsPacked, best),
                        ["Cls IQuantizedClassifier.TopK array"] = () => clsI.TopK(clsPacked, 2),
                    };
                }

                /// <summary>The session's own limits (no C# class counterpart): the batch size range.</summary>
                public static string[] GpuOnlyErrors(object[] s)
                {
                    var two = (Two.GpuSession)s[0];
                    var cls = (Cls.GpuSession)s[2];
                    IQuantizedClassifier clsI = cls;
                    return new[]
                    {
                        Error(() => two.Run(new float[0], new float[0], new float[0], new float[0], -1)),
                        Error(() => cls.Predict(new int[0], new float[0], -1)),
                        Error(() => clsI.Predict(new float[0], -1)),
                    };
                }

            """ + "%CALLS%" + """
            }
            """;

        private static string IlgpuPath => Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll");

        private static readonly int[] ClsTable = { 1, 2, -3, -4, 50, 60, 127, -128, 0, 5, 5, 5 };

        private static byte[] TokWeights() => SafeTensors.Write(new[] { TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 2 }, new[] { 1, 2, -3, -4, 50, 60, 127, -128 }) });

        private static byte[] TwoWeights() => SafeTensors.Write(Array.Empty<RawTensor>());

        private static byte[] ClsWeights() => SafeTensors.Write(new[] { TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 3 }, ClsTable) });

        /// <summary>The three models compiled once with ILGPU referenced (which switches the GPU backend on), loaded with ILGPU beside them.</summary>
        public sealed class Loaded : IDisposable
        {
            private readonly IlgpuContext context = new IlgpuContext();

            public Loaded()
            {
                string source = Source.Replace("%CALLS%", Calls("Gpu", "Two.GpuSession", "Tok.GpuSession", "Cls.GpuSession") + Calls("Cpu", "Two", "Tok", "Cls"), StringComparison.Ordinal);
                AdditionalText[] files =
                {
                    new MemoryText(GeneratorHarness.ModelsDir + "two.qmodel.json", MultiIoSpecs.Two),
                    GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "two.safetensors", TwoWeights()),
                    new MemoryText(GeneratorHarness.ModelsDir + "tok.qmodel.json", MultiIoSpecs.Tok),
                    GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "tok.safetensors", TokWeights()),
                    new MemoryText(GeneratorHarness.ModelsDir + "cls.qmodel.json", MultiInputClassifierApiTests.Spec),
                    GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "cls.safetensors", ClsWeights()),
                };
                GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(
                    GeneratorHarness.Compilation(source).AddReferences(MetadataReference.CreateFromFile(IlgpuPath)), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
                Assert.Empty(diagnostics);
                var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
                Assert.True(problems.Count == 0, string.Join("\n", problems));
                using var pe = new MemoryStream();
                Assert.True(output.Emit(pe).Success);
                pe.Position = 0;
                Runner = context.LoadFromStream(pe).GetType("Runner")!;
                Sessions = (object[])Call("NewSessions");
            }

            public Type Runner { get; }

            /// <summary>Two.GpuSession, Tok.GpuSession, Cls.GpuSession on one CPU accelerator.</summary>
            public object[] Sessions { get; }

            public object Call(string method, params object[] args) => Runner.GetMethod(method)!.Invoke(null, args)!;

            public void Dispose()
            {
                Call("Close", new object[] { Sessions });
                context.Unload();
            }
        }

        private sealed class IlgpuContext : AssemblyLoadContext
        {
            public IlgpuContext()
                : base("gpu-multi-session", isCollectible: true)
            {
            }

            protected override Assembly? Load(AssemblyName name) => name.Name == "ILGPU" ? LoadFromAssemblyPath(IlgpuPath) : null;
        }

        private readonly Loaded loaded;

        public GpuMultiSessionApiTests(Loaded loaded)
        {
            this.loaded = loaded;
        }

        /// <summary>Dequantized reference outputs: Scale * (q - ZeroPoint) with the output's descriptor from Info (the generated helper's formula).</summary>
        private static float[] Dequantized(int[] q, ModelTensorInfo t) => q.Select(v => (float)(t.Scale * (v - t.ZeroPoint))).ToArray();

        private static ReferenceInterpreter Reference(string spec, string name, byte[] weights) =>
            new ReferenceInterpreter(ModelLoader.Load(spec, name + ".qmodel.json", weights, name + ".safetensors").GetGraphOrThrow());

        [Fact]
        public void TwoInputsTwoOutputsFloatRunBatchedAndPackedEqualTheReferenceAndTheClass()
        {
            ReferenceInterpreter reference = Reference(MultiIoSpecs.Two, "two", TwoWeights());
            object session = loaded.Sessions[0];
            var model = (IQuantizedModel)session;
            var cpu = (IQuantizedModel)((object[])loaded.Call("NewClasses"))[0];
            Assert.Same(cpu.Info, model.Info);
            Assert.Equal((24, 32), (model.InputLength, model.OutputLength));

            // left_in: scale 0.01, zero point 0, all of int8; right-in: scale 0.02, zero point 3, [-22, 28]. Extremes first.
            var rng = new Random(16);
            var samples = new List<(int[] L, int[] R)>
            {
                (Enumerable.Repeat(127, 16).ToArray(), Enumerable.Repeat(28, 8).ToArray()),
                (Enumerable.Repeat(-128, 16).ToArray(), Enumerable.Repeat(-22, 8).ToArray()),
                (Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? 127 : -128).ToArray(), Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? -22 : 28).ToArray()),
            };
            for (int s = 0; s < 4; s++)
            {
                samples.Add((Enumerable.Range(0, 16).Select(_ => rng.Next(-128, 128)).ToArray(), Enumerable.Range(0, 8).Select(_ => rng.Next(-22, 29)).ToArray()));
            }

            float[] RealL(int[] q) => q.Select(v => v * 0.01f).ToArray();
            float[] RealR(int[] q) => q.Select(v => (v - 3) * 0.02f).ToArray();
            var singles = new List<float[][]>();
            foreach ((int[] l, int[] r) in samples)
            {
                int[][] expected = reference.RunMany(new[] { l, r });
                float[][] want = { Dequantized(expected[0], model.Outputs[0]), Dequantized(expected[1], model.Outputs[1]) };
                var gpu = (float[][])loaded.Call("TwoRunGpu", session, RealL(l), RealR(r), -1);
                Assert.Equal(want, gpu);
                Assert.Equal(gpu, (float[][])loaded.Call("TwoRunCpu", cpu, RealL(l), RealR(r), -1));
                float[] packed = RealL(l).Concat(RealR(r)).ToArray();
                Assert.Equal(want[0].Concat(want[1]), model.Run(packed));
                Assert.Equal(cpu.Run(packed), model.Run(packed));
                singles.Add(gpu);
            }

            // Batched = N single calls, at N = 7 (above the host capacity: it grows), then 2 (reused), then 0.
            foreach (int n in new[] { 7, 2, 0 })
            {
                var batched = (float[][])loaded.Call("TwoRunGpu", session, samples.Take(n).SelectMany(s => RealL(s.L)).ToArray(), samples.Take(n).SelectMany(s => RealR(s.R)).ToArray(), n);
                Assert.Equal(singles.Take(n).SelectMany(s => s[0]), batched[0].Take(n * 16));
                Assert.Equal(singles.Take(n).SelectMany(s => s[1]), batched[1].Take(n * 16));
                Assert.Equal((float[][])loaded.Call("TwoRunCpu", cpu, samples.Take(n).SelectMany(s => RealL(s.L)).ToArray(), samples.Take(n).SelectMany(s => RealR(s.R)).ToArray(), n), batched);
            }
        }

        [Fact]
        public void TokenIdsFloatRunBatchedAndPackedEqualTheReferenceAndTheClass()
        {
            ReferenceInterpreter reference = Reference(MultiIoSpecs.Tok, "tok", TokWeights());
            object session = loaded.Sessions[1];
            var model = (IQuantizedModel)session;
            var cpu = (IQuantizedModel)((object[])loaded.Call("NewClasses"))[1];
            Assert.Equal((6, 8), (model.InputLength, model.OutputLength));
            var rng = new Random(4);
            var samples = Enumerable.Range(0, 6).Select(s => (
                Ids: Enumerable.Range(0, 4).Select(i => s == 0 ? 0 : s == 1 ? 3 : rng.Next(0, 4)).ToArray(),
                Bias: Enumerable.Range(0, 2).Select(_ => s == 0 ? 10 : s == 1 ? -10 : rng.Next(-10, 11)).ToArray())).ToList();
            float[] Real(int[] q) => q.Select(v => v * 0.1f).ToArray();
            var singles = new List<float[]>();
            foreach ((int[] ids, int[] bias) in samples)
            {
                float[] want = Dequantized(reference.RunMany(new[] { ids, bias })[0], model.Outputs[0]);
                var gpu = (float[])loaded.Call("TokRunGpu", session, ids, Real(bias), -1);
                Assert.Equal(want, gpu);
                Assert.Equal(gpu, (float[])loaded.Call("TokRunCpu", cpu, ids, Real(bias), -1));
                float[] packed = ids.Select(v => (float)v).Concat(Real(bias)).ToArray();
                Assert.Equal(want, model.Run(packed));
                singles.Add(gpu);
            }

            int n = samples.Count;
            var batched = (float[])loaded.Call("TokRunGpu", session, samples.SelectMany(s => s.Ids).ToArray(), samples.SelectMany(s => Real(s.Bias)).ToArray(), n);
            Assert.Equal(singles.SelectMany(s => s), batched);
            Assert.Equal((float[])loaded.Call("TokRunCpu", cpu, samples.SelectMany(s => s.Ids).ToArray(), samples.SelectMany(s => Real(s.Bias)).ToArray(), n), batched);
        }

        [Fact]
        public void ClassifierPredictTopKAndTheInterfaceEqualTheClass()
        {
            ReferenceInterpreter reference = Reference(MultiInputClassifierApiTests.Spec, "cls", ClsWeights());
            object session = loaded.Sessions[2];
            var model = (IQuantizedClassifier)session;
            var cpu = (IQuantizedClassifier)((object[])loaded.Call("NewClasses"))[2];
            Assert.Equal((4, 3, 3, false), (model.InputLength, model.OutputLength, model.ClassCount, model.OutputsAreProbabilities));
            var rng = new Random(5);
            var samples = Enumerable.Range(0, 9).Select(s => (Ids: new[] { s < 4 ? s : rng.Next(0, 4) }, Bias: Enumerable.Range(0, 3).Select(_ => s == 0 ? 10 : s == 1 ? -10 : rng.Next(-10, 11)).ToArray())).ToList();
            float[] Real(int[] q) => q.Select(v => v * 0.1f).ToArray();
            foreach ((int[] ids, int[] bias) in samples)
            {
                int[] expected = reference.RunMany(new[] { ids, bias })[0];
                int argMax = Array.IndexOf(expected, expected.Max());
                Assert.Equal(argMax, (int)loaded.Call("ClsPredictGpu", session, ids, Real(bias)));
                Assert.Equal(argMax, (int)loaded.Call("ClsPredictCpu", cpu, ids, Real(bias)));
                float[] packed = new[] { (float)ids[0] }.Concat(Real(bias)).ToArray();
                Assert.Equal(Dequantized(expected, model.Outputs[0]), model.Run(packed));
                Assert.Equal(argMax, model.Predict(packed));

                // TopK: the order by hand (largest integer first, ties lowest index); labels and confidences as the class's.
                int[] order = Enumerable.Range(0, 3).OrderByDescending(c => expected[c]).ThenBy(c => c).ToArray();
                var top = (Prediction[])loaded.Call("ClsTopKGpu", session, ids, Real(bias), 2);
                Assert.Equal(order.Take(2), top.Select(p => p.Index));
                Assert.Equal(order.Take(2).Select(c => new[] { "neg", "neutral", "pos" }[c]), top.Select(p => p.Label));
                Assert.Equal((Prediction[])loaded.Call("ClsTopKCpu", cpu, ids, Real(bias), 2), top);
                Assert.Equal(cpu.TopK(packed, 5), model.TopK(packed, 5));
                Assert.Equal(3, model.TopK(packed, 5).Length);
            }

            // Batched Predict = N single calls, named and packed; 0 samples give an empty array.
            int[] singles = samples.Select(s => (int)loaded.Call("ClsPredictGpu", session, s.Ids, Real(s.Bias))).ToArray();
            Assert.Equal(singles, (int[])loaded.Call("ClsPredictBatchGpu", session, samples.SelectMany(s => s.Ids).ToArray(), samples.SelectMany(s => Real(s.Bias)).ToArray(), samples.Count));
            Assert.Equal(singles, (int[])loaded.Call("ClsPredictBatchCpu", cpu, samples.SelectMany(s => s.Ids).ToArray(), samples.SelectMany(s => Real(s.Bias)).ToArray(), samples.Count));
            float[] packedAll = samples.SelectMany(s => new[] { (float)s.Ids[0] }.Concat(Real(s.Bias))).ToArray();
            Assert.Equal(singles, model.Predict(packedAll, samples.Count));
            Assert.Empty(model.Predict(Array.Empty<float>(), 0));
        }

        [Fact]
        public void EveryDocumentedExceptionIsTheClassExceptionWordForWord()
        {
            object[] classes = (object[])loaded.Call("NewClasses");
            var gpu = (string[])loaded.Call("ErrorsGpu", loaded.Sessions[0], loaded.Sessions[1], loaded.Sessions[2]);
            var cpu = (string[])loaded.Call("ErrorsCpu", classes[0], classes[1], classes[2]);
            Assert.Equal(22, gpu.Length);
            for (int i = 0; i < gpu.Length; i++)
            {
                Assert.True(cpu[i] == gpu[i], $"case {i}: the class says \"{cpu[i]}\", the session \"{gpu[i]}\"");
            }

            string[] expected =
            {
                "ArgumentException leftIn: expected 16 elements of input left_in, got 15",
                "ArgumentException real: real[2] is NaN",
                "ArgumentException rightIn: rightIn[4] = 33 is outside the declared range [-22, 28] of input right-in",
                "ArgumentException pos: expected room for 2 x 16 elements of output pos, got 31",

                // In a batch the position counts within the bad sample (the class quantizes and checks sample by sample).
                "ArgumentException rightIn: rightIn[3] = 33 is outside the declared range [-22, 28] of input right-in",
                "ArgumentException input: expected 24 input elements (all inputs, packed), got 23",
                "ArgumentException output: expected room for 32 output elements (all outputs, packed), got 31",
                "ArgumentException rightIn: rightIn[1] = 33 is outside the declared range [-22, 28] of input right-in",
                "ArgumentOutOfRangeException inputIds: inputIds[2] = 4 is not a valid id of input input_ids (0 to 3)",
                "ArgumentOutOfRangeException inputIds: inputIds[1] = 7 is not a valid id of input input_ids (0 to 3)",
                "ArgumentException input: input_ids[0] = 1.5 is not a whole id",
                "ArgumentOutOfRangeException inputIds: inputIds[2] = 9 is not a valid id of input input_ids (0 to 3)",
                "ArgumentException real: real[1] is NaN",
                "ArgumentException bias: expected 3 elements of input bias, got 2",
                "ArgumentException bias: expected 3 x 3 elements of input bias, got 6",
                "ArgumentOutOfRangeException k: k must be at least 1",
                "ArgumentException bias: bias[1] = 15 is outside the declared range [-10, 10] of input bias",
                "ArgumentException input: expected 4 input elements (all inputs, packed), got 3",
                "ArgumentException inputs: expected 2 x 4 input elements (packed samples), got 7",
                "ArgumentOutOfRangeException k: k must be at least 1",
                "ArgumentOutOfRangeException inputIds: inputIds[0] = 9 is not a valid id of input input_ids (0 to 3)",
                "ArgumentOutOfRangeException inputIds: inputIds[0] = 5 is not a valid id of input input_ids (0 to 3)",
            };
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.StartsWith(expected[i], gpu[i], StringComparison.Ordinal);
            }

            // The session's own limit: the batch size must be in [0, MaxBatchSize] (the class only rejects negatives).
            foreach (string e in (string[])loaded.Call("GpuOnlyErrors", new object[] { loaded.Sessions }))
            {
                Assert.Matches(@"^ArgumentOutOfRangeException batchSize: the batch size must be in \[0, \d+\]", e);
            }
        }

        [Fact]
        public void EveryEntryPointTakesTheGuardAndThrowsAfterDispose()
        {
            object[] sessions = (object[])loaded.Call("NewSessions");
            var entryPoints = (Dictionary<string, Action>)loaded.Call("EntryPoints", new object[] { sessions });
            Assert.Equal(15, entryPoints.Count);
            foreach ((string name, Action call) in entryPoints)
            {
                object session = sessions[name.StartsWith("Two", StringComparison.Ordinal) ? 0 : name.StartsWith("Tok", StringComparison.Ordinal) ? 1 : 2];
                FieldInfo busy = session.GetType().GetField("_quantGenBusy", BindingFlags.NonPublic | BindingFlags.Instance)!;
                call();
                busy.SetValue(session, 1);
                var e = Assert.Throws<InvalidOperationException>(call);
                Assert.Contains(".GpuSession: this instance is already running a call on another thread", e.Message, StringComparison.Ordinal);
                busy.SetValue(session, 0);
                call();
                Assert.Equal(0, (int)busy.GetValue(session)!);
            }

            foreach (object session in sessions)
            {
                loaded.Call("Dispose", session);
            }

            foreach ((string name, Action call) in entryPoints)
            {
                var e = Assert.Throws<ObjectDisposedException>(call);
                Assert.Contains("the GPU session was disposed", e.Message, StringComparison.Ordinal);
            }
        }
    }
}
