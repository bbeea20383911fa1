using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Tensor and layer names that sanitize to the same C# identifier ("h.1" and "h_1", "hé" and "hü") get unique names
    /// from the model plan: the generated CPU and ILGPU code compiles without warnings and the CPU code is bit-exact with the
    /// reference interpreter (before the plan, these models failed with CS0102 / CS0229 / CS0103).
    /// </summary>
    public class UniqueNamesTests
    {
        private static readonly int[] W1 = { 12, -7, 33, 0, -127, 5, 64, 18, 1, 2, 3, 4 };   // [3, 4]
        private static readonly int[] W2 = { 90, -90, 45, -3, 14, 127, 8, 9, -10 };         // [3, 3]

        private static byte[] Weights() => SafeTensors.Write(new[]
        {
            TensorCodec.EncodeInts("w.1", ElementType.Int8, new[] { 3, 4 }, W1),
            TensorCodec.EncodeInts("w_1", ElementType.Int8, new[] { 3, 3 }, W2),
        });

        /// <summary>x -> Dense fa -> a, Dense fb -> b, Add(a, b): tensor names may hold '.', '-', ':' and Unicode letters (layer names are identifiers).</summary>
        private static string Spec(string a, string b)
        {
            string Dy(double m) => $"\"multipliers\": [{string.Join(", ", Enumerable.Repeat(Dyadic.FromReal(m).Multiplier, 3))}], \"shifts\": [{string.Join(", ", Enumerable.Repeat(Dyadic.FromReal(m).Shift, 3))}]";
            return $$"""
            {
              "format": "quantgen", "version": 1, "name": "names", "kind": "quantized", "weights": "names.safetensors",
              "inputs": [{ "name": "x", "shape": [4], "range": [-2.56, 2.54], "type": "int8", "scale": 0.02, "zeroPoint": 0 }],
              "outputs": ["sum"],
              "initializers": {
                "w.1": { "type": "int8", "shape": [3, 4], "scale": 0.01 },
                "w_1": { "type": "int8", "shape": [3, 3], "scale": 0.02 }
              },
              "activations": {
                "{{a}}": { "type": "int8", "scale": 0.05, "zeroPoint": 3 },
                "{{b}}": { "type": "int8", "scale": 0.1, "zeroPoint": -2 },
                "sum": { "type": "int8", "scale": 0.12, "zeroPoint": 1 }
              },
              "layers": [
                { "name": "fa", "op": "Dense", "inputs": ["x"], "output": "{{a}}", "weight": "w.1", "activation": "none", {{Dy(0.02 * 0.01 / 0.05)}}, "clamp": [-128, 127] },
                { "name": "fb", "op": "Dense", "inputs": ["{{a}}"], "output": "{{b}}", "weight": "w_1", "activation": "none", {{Dy(0.05 * 0.02 / 0.1)}}, "clamp": [-128, 127] },
                { "name": "sum", "op": "Add", "inputs": ["{{a}}", "{{b}}"], "output": "sum",
                  "multiplierA": {{Dyadic.FromReal(0.05 / 0.12).Multiplier}}, "shiftA": {{Dyadic.FromReal(0.05 / 0.12).Shift}},
                  "multiplierB": {{Dyadic.FromReal(0.1 / 0.12).Multiplier}}, "shiftB": {{Dyadic.FromReal(0.1 / 0.12).Shift}} }
              ]
            }
            """;
        }

        private const string Source = """
            using QuantGen;

            [QuantizedModel("models/names.qmodel.json")]
            public partial class Names { }

            public static class Runner
            {
                public static sbyte[] Run(sbyte[] x)
                {
                    var y = new sbyte[Names.OutputLength];
                    new Names().Infer(x, y);
                    return y;
                }
            }
            """;

        private static AdditionalText[] Files(string a, string b) => new AdditionalText[]
        {
            new MemoryText(GeneratorHarness.ModelsDir + "names.qmodel.json", Spec(a, b)),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "names.safetensors", Weights()),
        };

        [Theory]
        [InlineData("h.1", "h_1")]
        [InlineData("hé", "hü")]
        [InlineData("h-1", "h:1")]
        public void CollidingNamesCompileAndRunBitExact(string a, string b)
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, Files(a, b));
            Assert.Empty(run.Diagnostics);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));

            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("names", isCollectible: true);
            try
            {
                pe.Position = 0;
                MethodInfo runMethod = context.LoadFromStream(pe).GetType("Runner")!.GetMethod("Run")!;
                var reference = new ReferenceInterpreter(ModelLoader.Load(Spec(a, b), "names.qmodel.json", Weights(), "names.safetensors").GetGraphOrThrow());
                var rng = new Random(3);
                for (int s = 0; s < 300; s++)
                {
                    int[] x = s switch
                    {
                        0 => new[] { 127, 127, 127, 127 },
                        1 => new[] { -128, -128, -128, -128 },
                        2 => new[] { 127, -128, 127, -128 },
                        _ => Enumerable.Range(0, 4).Select(_ => rng.Next(-128, 128)).ToArray(),
                    };
                    var generated = (sbyte[])runMethod.Invoke(null, new object[] { x.Select(v => (sbyte)v).ToArray() })!;
                    Assert.Equal(reference.Run(x), generated.Select(v => (int)v));
                }
            }
            finally
            {
                context.Unload();
            }
        }

        [Theory]
        [InlineData("h.1", "h_1")]
        [InlineData("hé", "hü")]
        public void CollidingNamesCompileOnTheGpuBackend(string a, string b)
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation(Source)
                .AddReferences(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll")));
            GeneratorHarness.Driver(Files(a, b)).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);
            Assert.Empty(diagnostics);
            Assert.Contains(output.SyntaxTrees, t => t.FilePath.EndsWith("Names.QuantGen.Gpu.g.cs", StringComparison.Ordinal));
            var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }
}
