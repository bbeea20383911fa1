using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Concat (requantized), Slice (negative step) and Split (three outputs) through the C# CPU backend, bit-exact with the
    /// reference interpreter on this machine's SIMD path; the ILGPU backend's code compiles warning-free.
    /// </summary>
    public class DataMovementTests
    {
        private const string Spec = """
            {
              "format": "quantgen", "version": 1, "name": "dm", "kind": "quantized", "weights": "dm.safetensors",
              "inputs": [{ "name": "x", "shape": [4, 6], "range": [-1.28, 1.27], "type": "int8", "scale": 0.01, "zeroPoint": 0 }],
              "outputs": ["y"],
              "initializers": {},
              "activations": { "y": { "type": "int8", "scale": 0.015, "zeroPoint": 3 } },
              "layers": [
                { "name": "sp", "op": "Split", "inputs": ["x"], "outputs": ["a", "b", "c"], "axis": -1, "sizes": [1, 3, 2] },
                { "name": "sl", "op": "Slice", "inputs": ["b"], "output": "s", "starts": [-1, 0], "ends": [-9223372036854775808, 4], "axes": [1, 0], "steps": [-1, 1] },
                { "name": "sl2", "op": "Slice", "inputs": ["c"], "output": "s2", "starts": [0], "ends": [5], "axes": [1] },
                { "name": "cat", "op": "Concat", "inputs": ["s", "a", "s2"], "output": "y", "axis": 1, "multipliers": [1431655765, 1431655765, 1431655765], "shifts": [31, 31, 31] }
              ]
            }
            """;

        private const string Source = """
            using QuantGen;

            [QuantizedModel("models/dm.qmodel.json")]
            public partial class Dm { }

            public static class Runner
            {
                public static sbyte[] Run(sbyte[] x)
                {
                    var y = new sbyte[Dm.OutputLength];
                    new Dm().Infer(x, y);
                    return y;
                }
            }
            """;

        private static AdditionalText[] Files() => new AdditionalText[]
        {
            new MemoryText(GeneratorHarness.ModelsDir + "dm.qmodel.json", Spec),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "dm.safetensors", SafeTensors.Write(Array.Empty<RawTensor>())),
        };

        [Fact]
        public void ConcatSliceSplitRunBitExactOnTheCpu()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, Files());
            Assert.Empty(run.Diagnostics);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("dm", isCollectible: true);
            try
            {
                pe.Position = 0;
                MethodInfo runMethod = context.LoadFromStream(pe).GetType("Runner")!.GetMethod("Run")!;
                var reference = new ReferenceInterpreter(ModelLoader.Load(Spec, "dm.qmodel.json", SafeTensors.Write(Array.Empty<RawTensor>()), "dm.safetensors").GetGraphOrThrow());
                var rng = new Random(5);
                for (int s = 0; s < 200; s++)
                {
                    int[] x = s switch
                    {
                        0 => Enumerable.Repeat(127, 24).ToArray(),
                        1 => Enumerable.Repeat(-128, 24).ToArray(),
                        2 => Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? 127 : -128).ToArray(),
                        _ => Enumerable.Range(0, 24).Select(_ => rng.Next(-128, 128)).ToArray(),
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

        [Fact]
        public void ConcatSliceSplitCompileOnTheGpuBackend()
        {
            CSharpCompilation compilation = GeneratorHarness.Compilation(Source)
                .AddReferences(MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll")));
            GeneratorHarness.Driver(Files()).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);
            Assert.Empty(diagnostics);
            var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
    }
}
