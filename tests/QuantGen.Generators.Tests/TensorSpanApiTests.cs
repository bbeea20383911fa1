using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// System.Numerics.Tensors interop: <c>RunTensors</c> (ReadOnlyTensorSpan in, TensorSpan out, the model's shapes) is
    /// emitted only when the compilation references a System.Numerics.Tensors whose TensorSpan is not experimental (10.0
    /// here, copied to tensors/ and kept out of this project's references), and gives the same floats as <c>Run</c>.
    /// </summary>
    public class TensorSpanApiTests
    {
        private static string TensorsDll => Path.Combine(AppContext.BaseDirectory, "tensors", "System.Numerics.Tensors.dll");

        private const string MlpSource = """
            using System;
            using System.Numerics.Tensors;
            using QuantGen;

            [QuantizedModel("models/digits_mlp.qmodel.json")]
            public partial class Mlp { }

            public static class Runner
            {
                public static float[] Run(float[] pixels) => new Mlp().Run(pixels);

                public static float[] RunTensors(float[] pixels)
                {
                    var logits = new float[Mlp.OutputLength];
                    new Mlp().RunTensors(new ReadOnlyTensorSpan<float>(pixels, new nint[] { 64 }), new TensorSpan<float>(logits, new nint[] { 10 }));
                    return logits;
                }

                /// <summary>The 8x8 image as the transpose of a dense [8, 8] tensor (strides 1, 8): not dense, flattened row-major.</summary>
                public static float[] RunTransposed(float[] transposed)
                {
                    var logits = new float[Mlp.OutputLength];
                    var image = new ReadOnlyTensorSpan<float>(transposed, new nint[] { 8, 8 }, new nint[] { 1, 8 });
                    new Mlp().RunTensors(image, new TensorSpan<float>(logits, new nint[] { 10 }));
                    return logits;
                }

                public static string WrongShape()
                {
                    try
                    {
                        new Mlp().RunTensors(new ReadOnlyTensorSpan<float>(new float[64], new nint[] { 8, 8 }), new TensorSpan<float>(new float[12], new nint[] { 2, 6 }));
                        return "no exception";
                    }
                    catch (ArgumentException e)
                    {
                        return e.ParamName + ": " + e.Message;
                    }
                }

                public static Action Control(Mlp m)
                {
                    var pixels = new float[64];
                    var logits = new float[10];
                    return () => m.Run(pixels, logits);
                }

                public static Action Calls(Mlp m)
                {
                    var pixels = new float[64];
                    var logits = new float[10];
                    nint[] image = { 8, 8 }, scores = { 1, 10 };
                    return () => m.RunTensors(new ReadOnlyTensorSpan<float>(pixels, image), new TensorSpan<float>(logits, scores));
                }
            }
            """;

        private sealed class Loaded : IDisposable
        {
            private readonly AssemblyLoadContext? context;

            public Loaded(string source, bool tensors, params AdditionalText[] files)
            {
                Assert.True(File.Exists(TensorsDll), "tensors/System.Numerics.Tensors.dll is not next to the tests");
                // Optimized like an app's Release build (a Debug build allocated 864 bytes per Run until the constant tables
                // became arrays; DebugAllocationTests now checks Debug builds).
                Compilation compilation = GeneratorHarness.Compilation(source);
                compilation = compilation.WithOptions(((Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions)compilation.Options).WithOptimizationLevel(OptimizationLevel.Release));
                if (tensors)
                {
                    compilation = compilation.AddReferences(MetadataReference.CreateFromFile(TensorsDll));
                }

                GeneratorHarness.Driver(files).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
                Output = output;
                Assert.Empty(diagnostics);
                if (!tensors)
                {
                    return;
                }

                var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
                Assert.True(problems.Count == 0, string.Join("\n", problems));
                using var pe = new MemoryStream();
                Assert.True(output.Emit(pe).Success);
                pe.Position = 0;
                context = new AssemblyLoadContext("tensors", isCollectible: true);
                context.LoadFromAssemblyPath(TensorsDll);
                Assembly = context.LoadFromStream(pe);
            }

            public Compilation Output { get; }

            public Assembly? Assembly { get; }

            public object Call(string method, params object[] args) => Assembly!.GetType("Runner")!.GetMethod(method)!.Invoke(null, args)!;

            public void Dispose() => context?.Unload();
        }

        private static string Generated(Compilation output) => string.Join("\n", output.SyntaxTrees.Select(t => t.ToString()));

        [Fact]
        public void WithoutTheReferenceNothingMentionsTensorSpans()
        {
            using var loaded = new Loaded("using QuantGen; [QuantizedModel(\"models/digits_mlp.qmodel.json\")] public partial class Mlp { }", false, GeneratorHarness.ModelFiles("digits_mlp"));
            Assert.DoesNotContain("TensorSpan", Generated(loaded.Output), StringComparison.Ordinal);
        }

        [Fact]
        public void WithTheExperimental90TensorSpanNothingIsEmittedAndNothingWarns()
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "tensors9", "System.Numerics.Tensors.dll");
            Assert.True(File.Exists(dll), "tensors9/System.Numerics.Tensors.dll (the 9.0 package, PackageDownload) is not next to the tests");
            Compilation compilation = GeneratorHarness.Compilation("using QuantGen; [QuantizedModel(\"models/digits_mlp.qmodel.json\")] public partial class Mlp { }")
                .AddReferences(MetadataReference.CreateFromFile(dll));
            INamedTypeSymbol span = compilation.GetTypeByMetadataName("System.Numerics.Tensors.TensorSpan`1")!;
            Assert.Contains(span.GetAttributes(), a => a.AttributeClass?.Name == "ExperimentalAttribute");
            GeneratorHarness.Driver(GeneratorHarness.ModelFiles("digits_mlp")).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            Assert.Empty(diagnostics);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
            Assert.DoesNotContain("TensorSpan", Generated(output), StringComparison.Ordinal);
        }

        [Fact]
        public void RunTensorsGivesTheFloatsOfRunForDenseAndStridedInputs()
        {
            using var loaded = new Loaded(MlpSource, true, GeneratorHarness.ModelFiles("digits_mlp"));
            Assert.Contains("public void RunTensors(in global::System.Numerics.Tensors.ReadOnlyTensorSpan<float> input, in global::System.Numerics.Tensors.TensorSpan<float> output)", Generated(loaded.Output), StringComparison.Ordinal);
            var rng = new Random(2);
            for (int s = 0; s < 20; s++)
            {
                float[] pixels = Enumerable.Range(0, 64).Select(_ => (float)rng.Next(0, 17)).ToArray();
                var expected = (float[])loaded.Call("Run", pixels);
                Assert.Equal(expected, (float[])loaded.Call("RunTensors", pixels));

                // transposed[c * 8 + r] = pixels[r * 8 + c]; with strides (1, 8) element [r, c] reads pixels[r * 8 + c].
                float[] transposed = Enumerable.Range(0, 64).Select(i => pixels[(i % 8) * 8 + i / 8]).ToArray();
                Assert.Equal(expected, (float[])loaded.Call("RunTransposed", transposed));
            }

            // Any shape with the right element count is taken row-major ([8, 8] for the [64] input); [2, 6] is 12, not 10.
            Assert.StartsWith("output: expected a tensor of 10 elements (the output's shape is [10]), got one of shape [2, 6]", (string)loaded.Call("WrongShape"), StringComparison.Ordinal);
            object model = Activator.CreateInstance(loaded.Assembly!.GetType("Mlp")!)!;
            // The control: the span Run of the same instance (an optimized compilation, as an app's Release build).
            Assert.Equal(0, QuantGen.Testing.Allocations.Fewest((Action)loaded.Call("Control", model)));
            var call = (Action)loaded.Call("Calls", model);
            Assert.Equal(0, QuantGen.Testing.Allocations.Fewest(call));
        }

        private const string ClsSource = """
            using System;
            using System.Numerics.Tensors;
            using QuantGen;

            [QuantizedModel("models/cls.qmodel.json")]
            public partial class Cls { }

            public static class Runner
            {
                public static float[] Run(int[] ids, float[] bias)
                {
                    var logits = new float[Cls.LogitsLength];
                    new Cls().Run(ids, bias, logits);
                    return logits;
                }

                public static float[] RunTensors(int[] ids, float[] bias)
                {
                    var logits = new float[Cls.LogitsLength];
                    new Cls().RunTensors(new ReadOnlyTensorSpan<int>(ids, new nint[] { 1, 1 }), new ReadOnlyTensorSpan<float>(bias, new nint[] { 3 }), new TensorSpan<float>(logits, new nint[] { 1, 3 }));
                    return logits;
                }

                public static string BadId() => Error(() => new Cls().RunTensors(new ReadOnlyTensorSpan<int>(new[] { 4 }), new ReadOnlyTensorSpan<float>(new float[3]), new TensorSpan<float>(new float[3])));

                public static string WrongCount() => Error(() => new Cls().RunTensors(new ReadOnlyTensorSpan<int>(new[] { 0 }), new ReadOnlyTensorSpan<float>(new float[4]), new TensorSpan<float>(new float[3])));

                private static string Error(Action a)
                {
                    try
                    {
                        a();
                        return "no exception";
                    }
                    catch (ArgumentException e)
                    {
                        return e.GetType().Name + " " + e.ParamName + ": " + e.Message;
                    }
                }

                public static Action Calls(Cls m)
                {
                    int[] ids = { 1 };
                    var bias = new float[3];
                    var logits = new float[3];
                    return () => m.RunTensors(new ReadOnlyTensorSpan<int>(ids), new ReadOnlyTensorSpan<float>(bias), new TensorSpan<float>(logits));
                }
            }
            """;

        [Fact]
        public void RunTensorsOfAMultiInputModelTakesIdTensorsAndEqualsRun()
        {
            using var loaded = new Loaded(ClsSource, true, new MemoryText(GeneratorHarness.ModelsDir + "cls.qmodel.json", MultiInputClassifierApiTests.Spec), GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "cls.safetensors", MultiInputClassifierApiTests.Weights()));
            for (int id = 0; id < 4; id++)
            {
                foreach (float[] bias in new[] { new[] { 0.1f, -0.3f, 1f }, new[] { -1f, 0f, 0.5f } })
                {
                    int[] ids = { id };
                    Assert.Equal((float[])loaded.Call("Run", ids, bias), (float[])loaded.Call("RunTensors", ids, bias));
                }
            }

            Assert.StartsWith("ArgumentOutOfRangeException inputIds: inputIds[0] = 4 is not a valid id of input input_ids (0 to 3)", (string)loaded.Call("BadId"), StringComparison.Ordinal);
            Assert.StartsWith("ArgumentException bias: expected a tensor of 3 elements (input bias's shape is [3]), got one of shape [4]", (string)loaded.Call("WrongCount"), StringComparison.Ordinal);
            object model = Activator.CreateInstance(loaded.Assembly!.GetType("Cls")!)!;
            Assert.Equal(0, QuantGen.Testing.Allocations.Fewest((Action)loaded.Call("Calls", model)));
        }
    }
}
