using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The full generated API of a model with several inputs (token ids and a quantized vector) and one classifier output:
    /// float Run, batched Infer/Run, Predict (single and batched), TopK with confidences, the IQuantizedClassifier over a
    /// packed sample and its descriptors, the documented exceptions, the concurrent-use guard on every entry point and
    /// zero allocations. Expected values come from the reference interpreter and from arithmetic in this file.
    /// </summary>
    public class MultiInputClassifierApiTests
    {
        internal const string Spec = """
            {
              "format": "quantgen", "version": 1, "name": "cls", "kind": "quantized", "weights": "cls.safetensors",
              "inputs": [
                { "name": "input_ids", "shape": [1], "range": [0, 3], "type": "index" },
                { "name": "bias", "shape": [3], "range": [-1, 1], "type": "int8", "scale": 0.1, "zeroPoint": 0 }
              ],
              "outputs": ["logits"],
              "labels": ["neg", "neutral", "pos"],
              "initializers": { "table": { "type": "int8", "shape": [4, 3], "scale": 0.1 } },
              "activations": { "e": { "type": "int8", "scale": 0.1, "zeroPoint": 0 }, "logits": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
              "layers": [
                { "name": "emb", "op": "Embedding", "inputs": ["input_ids"], "output": "e", "table": "table" },
                { "name": "add", "op": "Add", "inputs": ["e", "bias"], "output": "logits", "multiplierA": 1, "shiftA": 0, "multiplierB": 1, "shiftB": 0 }
              ]
            }
            """;

        private const string Source = """
            using System;
            using System.Collections.Generic;
            using QuantGen;

            [QuantizedModel("models/cls.qmodel.json")]
            public partial class Cls { }

            public static class Runner
            {
                public static sbyte[] Infer(int[] ids, sbyte[] bias)
                {
                    var logits = new sbyte[Cls.LogitsLength];
                    new Cls().Infer(inputIds: ids, bias: bias, logits: logits);
                    return logits;
                }

                public static sbyte[] InferBatch(int[] ids, sbyte[] bias, int n)
                {
                    var logits = new sbyte[n * Cls.LogitsLength];
                    new Cls().Infer(ids, bias, logits, n);
                    return logits;
                }

                public static float[] Run(int[] ids, float[] bias)
                {
                    var logits = new float[Cls.LogitsLength];
                    new Cls().Run(inputIds: ids, bias: bias, logits: logits);
                    return logits;
                }

                public static float[] RunBatch(int[] ids, float[] bias, int n)
                {
                    var logits = new float[n * Cls.LogitsLength];
                    new Cls().Run(ids, bias, logits, n);
                    return logits;
                }

                public static int Predict(int[] ids, float[] bias) => new Cls().Predict(ids, bias);

                public static int[] PredictBatch(int[] ids, float[] bias, int n) => new Cls().Predict(ids, bias, n);

                public static Prediction[] TopK(int[] ids, float[] bias, int k) => new Cls().TopK(ids, bias, k);

                /// <summary>Every public entry point once, on preallocated buffers: for the guard and allocation checks.</summary>
                public static Dictionary<string, Action> EntryPoints(Cls m)
                {
                    int[] ids = { 2 }, ids3 = { 0, 1, 3 };
                    sbyte[] bias = new sbyte[3], bias3 = new sbyte[9], y = new sbyte[3], y3 = new sbyte[9];
                    float[] fbias = new float[3], fbias3 = new float[9], fy = new float[3], fy3 = new float[9], packed = new float[4], packedOut = new float[3];
                    int[] labels = new int[3];
                    var best = new Prediction[2];
                    IQuantizedClassifier c = m;
                    return new Dictionary<string, Action>
                    {
                        ["Infer"] = () => m.Infer(ids, bias, y),
                        ["Infer batch"] = () => m.Infer(ids3, bias3, y3, 3),
                        ["Run"] = () => m.Run(ids, fbias, fy),
                        ["Run batch"] = () => m.Run(ids3, fbias3, fy3, 3),
                        ["Predict"] = () => m.Predict(ids, fbias),
                        ["Predict batch"] = () => m.Predict(ids3, fbias3, labels),
                        ["TopK span"] = () => m.TopK(ids, fbias, best),
                        ["IQuantizedModel.Run"] = () => c.Run(packed, packedOut),
                        ["IQuantizedClassifier.Predict"] = () => c.Predict(packed),
                        ["IQuantizedClassifier.Predict batch"] = () => c.Predict(packed, labels.AsSpan(0, 1)),
                        ["IQuantizedClassifier.TopK span"] = () => c.TopK(packed, best),
                    };
                }

                public static string Error(Action a)
                {
                    try
                    {
                        a();
                        return "no exception";
                    }
                    catch (ArgumentOutOfRangeException e)
                    {
                        return "ArgumentOutOfRangeException " + e.ParamName + ": " + e.Message;
                    }
                    catch (ArgumentException e)
                    {
                        return "ArgumentException " + e.ParamName + ": " + e.Message;
                    }
                }

                public static string[] Errors() => new[]
                {
                    Error(() => new Cls().Infer(new[] { 4 }, new sbyte[3], new sbyte[3])),
                    Error(() => new Cls().Infer(new[] { 0 }, new sbyte[2], new sbyte[3])),
                    Error(() => new Cls().Infer(new[] { 0 }, new sbyte[] { 0, 11, 0 }, new sbyte[3])),
                    Error(() => new Cls().Infer(new[] { 0, 1 }, new sbyte[6], new sbyte[5], 2)),
                    Error(() => new Cls().Infer(new[] { 0, -1 }, new sbyte[6], new sbyte[6], 2)),
                    Error(() => new Cls().Run(new[] { 0 }, new float[] { 0f, float.NaN, 0f }, new float[3])),
                    Error(() => new Cls().Run(new[] { 0 }, new float[] { 0f, 1.5f, 0f }, new float[3])),
                    Error(() => new Cls().Predict(new[] { 0, 1, 2 }, new float[6], new int[3])),
                    Error(() => new Cls().TopK(new[] { 0 }, new float[3], 0)),
                    Error(() => ((IQuantizedModel)new Cls()).Run(new float[] { 1.5f, 0, 0, 0 }, new float[3])),
                    Error(() => ((IQuantizedModel)new Cls()).Run(new float[] { 9f, 0, 0, 0 }, new float[3])),
                    Error(() => ((IQuantizedModel)new Cls()).Run(new float[3], new float[3])),
                };
            }
            """;

        // Rows of the embedding table (scale 0.1): logits = table[id] + bias, saturated to int8.
        private static readonly int[] Table = { 1, 2, -3, -4, 50, 60, 127, -128, 0, 5, 5, 5 };

        internal static byte[] Weights() => SafeTensors.Write(new[] { TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 3 }, Table) });

        private sealed class Loaded : IDisposable
        {
            private readonly AssemblyLoadContext context;

            public Loaded()
            {
                GeneratorHarness.Run run = GeneratorHarness.Generate(Source, new MemoryText(GeneratorHarness.ModelsDir + "cls.qmodel.json", Spec), GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "cls.safetensors", Weights()));
                Assert.Empty(run.Diagnostics);
                var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
                Assert.True(problems.Count == 0, string.Join("\n", problems));
                using var pe = new MemoryStream();
                Assert.True(run.Output.Emit(pe).Success);
                pe.Position = 0;
                context = new AssemblyLoadContext("cls", isCollectible: true);
                Assembly assembly = context.LoadFromStream(pe);
                Runner = assembly.GetType("Runner")!;
                Model = assembly.GetType("Cls")!;
            }

            public Type Runner { get; }

            public Type Model { get; }

            public object Call(string method, params object[] args) => Runner.GetMethod(method)!.Invoke(null, args)!;

            public IQuantizedClassifier New() => (IQuantizedClassifier)Activator.CreateInstance(Model)!;

            public void Dispose() => context.Unload();
        }

        private static ReferenceInterpreter Reference() =>
            new ReferenceInterpreter(ModelLoader.Load(Spec, "cls.qmodel.json", Weights(), "cls.safetensors").GetGraphOrThrow());

        /// <summary>Samples: ids in [0, 3], bias steps in [-10, 10] (real = steps * 0.1, exact after quantization).</summary>
        private static (int[] Ids, int[] Bias)[] Samples(int count)
        {
            var rng = new Random(5);
            return Enumerable.Range(0, count).Select(s => (new[] { s < 4 ? s : rng.Next(0, 4) }, Enumerable.Range(0, 3).Select(_ => s == 0 ? 10 : s == 1 ? -10 : rng.Next(-10, 11)).ToArray())).ToArray();
        }

        private static float[] Real(int[] steps) => steps.Select(v => v * 0.1f).ToArray();

        [Fact]
        public void TypedCallsEqualTheReferenceAndBatchesEqualSingleCalls()
        {
            using var loaded = new Loaded();
            ReferenceInterpreter reference = Reference();
            (int[] Ids, int[] Bias)[] samples = Samples(12);
            foreach ((int[] ids, int[] bias) in samples)
            {
                int[] expected = reference.RunMany(new[] { ids, bias })[0];

                // Hand arithmetic for one row: table[id] + bias saturated to int8 (multipliers 1 / shifts 0).
                int[] byHand = Enumerable.Range(0, 3).Select(c => Math.Clamp(Table[ids[0] * 3 + c] + bias[c], -128, 127)).ToArray();
                Assert.Equal(byHand, expected);
                Assert.Equal(expected, ((sbyte[])loaded.Call("Infer", ids, bias.Select(v => (sbyte)v).ToArray())).Select(v => (int)v));
                float[] real = expected.Select(v => (float)(0.1 * v)).ToArray();
                Assert.Equal(real, (float[])loaded.Call("Run", ids, Real(bias)));
                int argMax = Array.IndexOf(expected, expected.Max());
                Assert.Equal(argMax, (int)loaded.Call("Predict", ids, Real(bias)));

                // TopK: best first, labels from the file, confidences the softmax of the dequantized logits.
                var top = (Prediction[])loaded.Call("TopK", ids, Real(bias), 2);
                double[] d = expected.Select(v => 0.1 * v).ToArray();
                double sum = d.Sum(v => Math.Exp(v - d.Max()));
                int[] order = Enumerable.Range(0, 3).OrderByDescending(c => expected[c]).ThenBy(c => c).Take(2).ToArray();
                Assert.Equal(order, top.Select(p => p.Index));
                Assert.Equal(order.Select(c => new[] { "neg", "neutral", "pos" }[c]), top.Select(p => p.Label));
                Assert.Equal(order.Select(c => (float)(Math.Exp(d[c] - d.Max()) / sum)), top.Select(p => p.Confidence));
            }

            // Batched forms: N rows of each tensor one after the other == N one-sample calls.
            int n = samples.Length;
            int[] allIds = samples.SelectMany(s => s.Ids).ToArray();
            int[] allBias = samples.SelectMany(s => s.Bias).ToArray();
            Assert.Equal(
                samples.SelectMany(s => (sbyte[])loaded.Call("Infer", s.Ids, s.Bias.Select(v => (sbyte)v).ToArray())),
                (sbyte[])loaded.Call("InferBatch", allIds, allBias.Select(v => (sbyte)v).ToArray(), n));
            Assert.Equal(samples.SelectMany(s => (float[])loaded.Call("Run", s.Ids, Real(s.Bias))), (float[])loaded.Call("RunBatch", allIds, Real(allBias), n));
            Assert.Equal(samples.Select(s => (int)loaded.Call("Predict", s.Ids, Real(s.Bias))), (int[])loaded.Call("PredictBatch", allIds, Real(allBias), n));
            Assert.Empty((int[])loaded.Call("PredictBatch", Array.Empty<int>(), Array.Empty<float>(), 0));
        }

        [Fact]
        public void TheInterfaceDescribesTheTensorsAndRunsAPackedSample()
        {
            using var loaded = new Loaded();
            ReferenceInterpreter reference = Reference();
            IQuantizedClassifier model = loaded.New();
            Assert.Equal(new[] { "input_ids", "bias" }, model.Inputs.Select(t => t.Name));
            Assert.Equal(new[] { ModelTensorKind.Index, ModelTensorKind.Quantized }, model.Inputs.Select(t => t.Kind));
            Assert.Equal(new[] { 1, 3 }, model.Inputs.Select(t => t.Length));
            Assert.Equal(new[] { "int32", "int8" }, model.Inputs.Select(t => t.ElementType));

            // ids: 0 to 3; bias: the declared range [-1, 1] at scale 0.1 -> [-10, 10]; the output: int8's limits.
            Assert.Equal(new long[] { 0, -10 }, model.Inputs.Select(t => t.Min));
            Assert.Equal(new long[] { 3, 10 }, model.Inputs.Select(t => t.Max));
            Assert.Equal(0.1, model.Inputs[1].Scale);
            ModelTensorInfo logits = Assert.Single(model.Outputs);
            Assert.Equal(("logits", ModelTensorKind.Quantized, -128L, 127L), (logits.Name, logits.Kind, logits.Min, logits.Max));
            Assert.Equal(new[] { 1, 3 }, logits.Shape);
            Assert.Equal((4, 3, 3, false), (model.InputLength, model.OutputLength, model.ClassCount, model.OutputsAreProbabilities));

            foreach ((int[] ids, int[] bias) in Samples(8))
            {
                float[] packed = new[] { (float)ids[0] }.Concat(Real(bias)).ToArray();
                int[] expected = reference.RunMany(new[] { ids, bias })[0];
                Assert.Equal(expected.Select(v => (float)(0.1 * v)), model.Run(packed));
                Assert.Equal(Array.IndexOf(expected, expected.Max()), model.Predict(packed));
                Assert.Equal((Prediction[])loaded.Call("TopK", ids, Real(bias), 3), model.TopK(packed, 5));
            }

            float[] two = new float[] { 3, 1, 0, 0, 1, -1, 0.2f, 0 };
            Assert.Equal(new[] { model.Predict(two.AsSpan(0, 4)), model.Predict(two.AsSpan(4, 4)) }, model.Predict(two, 2));
        }

        [Fact]
        public void WrongLengthsBadIdsAndOutOfRangeValuesThrowTheDocumentedExceptions()
        {
            using var loaded = new Loaded();
            var errors = (string[])loaded.Call("Errors");
            Assert.Equal(12, errors.Length);
            Assert.StartsWith("ArgumentOutOfRangeException inputIds: inputIds[0] = 4 is not a valid id of input input_ids (0 to 3)", errors[0], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException bias: expected 3 elements of input bias, got 2", errors[1], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException bias: bias[1] = 11 is outside the declared range [-10, 10] of input bias", errors[2], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException logits: expected room for 2 x 3 elements of output logits, got 5", errors[3], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentOutOfRangeException inputIds: inputIds[1] = -1 is not a valid id", errors[4], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException real: real[1] is NaN", errors[5], StringComparison.Ordinal);

            // 1.5 at scale 0.1 quantizes to 15, outside [-10, 10]: the check runs on the quantized values.
            Assert.StartsWith("ArgumentException bias: bias[1] = 15 is outside the declared range", errors[6], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException bias: expected 3 x 3 elements of input bias, got 6", errors[7], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentOutOfRangeException k: k must be at least 1", errors[8], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException input: input_ids[0] = 1.5 is not a whole id", errors[9], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentOutOfRangeException inputIds: inputIds[0] = 9 is not a valid id", errors[10], StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException input: expected 4 input elements (all inputs, packed), got 3", errors[11], StringComparison.Ordinal);
        }

        [Fact]
        public void EveryEntryPointTakesTheGuardAndAllocatesNothing()
        {
            using var loaded = new Loaded();
            object model = Activator.CreateInstance(loaded.Model)!;
            var entryPoints = (Dictionary<string, Action>)loaded.Runner.GetMethod("EntryPoints")!.Invoke(null, new[] { model })!;
            FieldInfo busy = loaded.Model.GetField("_quantGenBusy", BindingFlags.NonPublic | BindingFlags.Instance)!;
            foreach ((string name, Action call) in entryPoints)
            {
                // Another call "running": the entry point must refuse instead of sharing the scratch buffers.
                busy.SetValue(model, 1);
                var e = Assert.Throws<InvalidOperationException>(call);
                Assert.Contains("Cls: this instance is already running a call on another thread", e.Message, StringComparison.Ordinal);
                busy.SetValue(model, 0);
                Assert.True(QuantGen.Testing.Allocations.Fewest(call) == 0, name + " allocated");
                Assert.Equal(0, (int)busy.GetValue(model)!);
            }
        }
    }
}
