using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Zero bytes per call in a consumer's Debug build too (OptimizationLevel.Debug: the assembly says "do not optimize", so
    /// the JIT runs every generated method unoptimized). The three digits models compiled at Debug; every span and float
    /// entry point of the class, on preallocated buffers, must allocate nothing. Before the fix each read of a per-channel
    /// constant table (<c>ReadOnlySpan&lt;long&gt; X => new long[] { ... }</c>) allocated a 72-byte field stub: 864 bytes per
    /// Infer of the MLP (3 Dense layers x 4 tables).
    /// </summary>
    public class DebugAllocationTests
    {
        private const string Source = """
            using System;
            using System.Collections.Generic;
            using QuantGen;

            [QuantizedModel("models/digits_mlp.qmodel.json")]
            public partial class Mlp { }

            [QuantizedModel("models/digits_vit.qmodel.json")]
            public partial class Vit { }

            [QuantizedModel("models/digits_cnn.qmodel.json")]
            public partial class Cnn { }

            public static class Runner
            {
                public static Dictionary<string, Action> EntryPoints()
                {
                    var calls = new Dictionary<string, Action>();
                    Add(calls, "Mlp", new Mlp());
                    Add(calls, "Vit", new Vit());
                    Add(calls, "Cnn", new Cnn());
                    var mlp = new Mlp();
                    sbyte[] xs = new sbyte[3 * Mlp.InputLength], ys = new sbyte[3 * Mlp.OutputLength];
                    float[] many = new float[3 * Mlp.InputLength];
                    int[] labels = new int[3];
                    calls["Mlp.Infer batch"] = () => mlp.Infer(xs, ys, 3);
                    calls["Mlp.Predict batch"] = () => mlp.Predict(many, labels);
                    return calls;
                }

                private static void Add(Dictionary<string, Action> calls, string name, IQuantizedClassifier model)
                {
                    var pixels = new float[model.InputLength];
                    var scores = new float[model.OutputLength];
                    var best = new Prediction[3];
                    calls[name + ".Run"] = () => model.Run(pixels, scores);
                    calls[name + ".Predict"] = () => model.Predict(pixels);
                    calls[name + ".TopK"] = () => model.TopK(pixels, best);
                }

                public static Action Infer(object model) => model switch
                {
                    Mlp m => Infer(m.Infer, Mlp.InputLength, Mlp.OutputLength),
                    Vit v => Infer(v.Infer, Vit.InputLength, Vit.OutputLength),
                    Cnn c => Infer(c.Infer, Cnn.InputLength, Cnn.OutputLength),
                    _ => throw new ArgumentException("unknown model"),
                };

                private delegate void SpanInfer(ReadOnlySpan<sbyte> x, Span<sbyte> y);

                private static Action Infer(SpanInfer infer, int inputs, int outputs)
                {
                    var x = new sbyte[inputs];
                    var y = new sbyte[outputs];
                    return () => infer(x, y);
                }

                public static object[] Models() => new object[] { new Mlp(), new Vit(), new Cnn() };
            }
            """;

        [Fact]
        public void EveryEntryPointOfTheDigitsModelsAllocatesNothingInADebugBuild()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation(Source);
            compilation = compilation.WithOptions(compilation.Options.WithOptimizationLevel(OptimizationLevel.Debug));
            AdditionalText[] files = GeneratorHarness.ModelFiles("digits_mlp").Concat(GeneratorHarness.ModelFiles("digits_vit")).Concat(GeneratorHarness.ModelFiles("digits_cnn")).ToArray();
            GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            Assert.Empty(diagnostics);
            using var pe = new MemoryStream();
            Assert.True(output.Emit(pe).Success);
            pe.Position = 0;
            var context = new AssemblyLoadContext("debug-allocations", isCollectible: true);
            try
            {
                Assembly assembly = context.LoadFromStream(pe);

                // The assembly is what a Debug build makes: the JIT is told not to optimize it.
                var debuggable = assembly.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>();
                Assert.True(debuggable != null && debuggable.IsJITOptimizerDisabled, "the compilation should be unoptimized");
                Type runner = assembly.GetType("Runner")!;
                var calls = (Dictionary<string, Action>)runner.GetMethod("EntryPoints")!.Invoke(null, null)!;
                foreach (object model in (object[])runner.GetMethod("Models")!.Invoke(null, null)!)
                {
                    calls[model.GetType().Name + ".Infer"] = (Action)runner.GetMethod("Infer")!.Invoke(null, new[] { model })!;
                }

                Assert.Equal(14, calls.Count);
                var allocated = calls.Select(c => (c.Key, Bytes: QuantGen.Testing.Allocations.Fewest(c.Value))).Where(c => c.Bytes != 0).ToList();
                Assert.True(allocated.Count == 0, string.Join(", ", allocated.Select(c => $"{c.Key}: {c.Bytes} B")));
            }
            finally
            {
                context.Unload();
            }
        }
    }
}
