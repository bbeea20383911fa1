using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>Small models declared with attributes alone: [ModelInput] + [Dense] layers + a weights file.</summary>
    public class DeclaredModelTests
    {
        private const double InputScale = 1.0 / 255, HiddenScale = 0.05, OutputScale = 0.1;

        private static readonly int[] W1 = { 12, -7, 33, 0, -127, 5, 64, 18, 1, 2, 3, 4 };   // [3, 4]
        private static readonly int[] B1 = { 100, -2500, 7 };
        private static readonly int[] W2 = { 90, -90, 45, -3, 14, 127 };                       // [2, 3]

        private const string Declaration = """
            using QuantGen;

            [QuantizedModel(Weights = "models/declared.safetensors")]
            [ModelInput("x", 4, Scale = 1.0 / 255, ZeroPoint = -128, Min = 0, Max = 1)]
            [Dense("fc1", Bias = "fc1.bias", Activation = "relu", WeightScales = new[] { 0.01, 0.02, 0.004 }, OutputScale = 0.05, OutputZeroPoint = -128)]
            [Dense("fc2", WeightScale = 0.03, OutputScale = 0.1)]
            public partial class Declared
            {
            }

            public static class Runner
            {
                public static sbyte[] Run(sbyte[] x)
                {
                    var y = new sbyte[Declared.OutputLength];
                    new Declared().Infer(x, y);
                    return y;
                }
            }
            """;

        private static byte[] Weights() => SafeTensors.Write(new[]
        {
            TensorCodec.EncodeInts("fc1.weight", ElementType.Int8, new[] { 3, 4 }, W1),
            TensorCodec.EncodeInts("fc1.bias", ElementType.Int32, new[] { 3 }, B1),
            TensorCodec.EncodeInts("fc2.weight", ElementType.Int8, new[] { 2, 3 }, W2),
        });

        /// <summary>The same model written as a spec by hand, multipliers from Dyadic.FromReal of the scale ratios.</summary>
        private static string HandWrittenSpec()
        {
            string Dy(params double[] m) => "\"multipliers\": [" + string.Join(", ", m.Select(v => Dyadic.FromReal(v).Multiplier)) + "], \"shifts\": [" + string.Join(", ", m.Select(v => Dyadic.FromReal(v).Shift)) + "]";
            return $$"""
            {
              "format": "quantgen", "version": 1, "name": "declared", "kind": "quantized", "weights": "w.safetensors",
              "inputs": [{ "name": "x", "shape": [4], "range": [0, 1], "type": "int8", "scale": {{InputScale:R}}, "zeroPoint": -128 }],
              "outputs": ["fc2"],
              "initializers": {
                "fc1.weight": { "type": "int8", "shape": [3, 4], "scales": [0.01, 0.02, 0.004] },
                "fc1.bias": { "type": "int32", "shape": [3], "scales": [1, 1, 1] },
                "fc2.weight": { "type": "int8", "shape": [2, 3], "scale": 0.03 }
              },
              "activations": { "fc1": { "type": "int8", "scale": 0.05, "zeroPoint": -128 }, "fc2": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
              "layers": [
                { "name": "fc1", "op": "Dense", "inputs": ["x"], "output": "fc1", "weight": "fc1.weight", "bias": "fc1.bias", "activation": "relu",
                  {{Dy(InputScale * 0.01 / HiddenScale, InputScale * 0.02 / HiddenScale, InputScale * 0.004 / HiddenScale)}}, "clamp": [-128, 127] },
                { "name": "fc2", "op": "Dense", "inputs": ["fc1"], "output": "fc2", "weight": "fc2.weight", "activation": "none",
                  {{Dy(HiddenScale * 0.03 / OutputScale, HiddenScale * 0.03 / OutputScale)}}, "clamp": [-128, 127] }
              ]
            }
            """;
        }

        [Fact]
        public void DeclaredModelCompilesAndMatchesTheEquivalentSpec()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(Declaration, GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "declared.safetensors", Weights()));
            Assert.Empty(run.Diagnostics);
            Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));

            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("declared", isCollectible: true);
            try
            {
                pe.Position = 0;
                MethodInfo runMethod = context.LoadFromStream(pe).GetType("Runner")!.GetMethod("Run")!;
                var reference = new ReferenceInterpreter(ModelLoader.Load(HandWrittenSpec(), "declared.qmodel.json", Weights(), "w.safetensors").GetGraphOrThrow());
                var rng = new Random(7);
                for (int s = 0; s < 200; s++)
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

        [Fact]
        public void MissingScaleIsReportedAtTheAttribute()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(
                Declaration.Replace("WeightScale = 0.03, ", string.Empty, StringComparison.Ordinal),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "declared.safetensors", Weights()));
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2009", d.Id);
            Assert.Contains("[Dense(\"fc2\")] needs a positive WeightScale", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void UnknownTensorIsReportedAtTheLayer()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(
                Declaration.Replace("Bias = \"fc1.bias\"", "Bias = \"fc1.b\"", StringComparison.Ordinal),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "declared.safetensors", Weights()));
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Contains("names tensor \"fc1.b\", which is not in models/declared.safetensors", d.GetMessage(), StringComparison.Ordinal);
        }

        [Fact]
        public void MissingWeightsFileIsQG2002() =>
            Assert.Equal("QG2002", Assert.Single(GeneratorHarness.Generate(Declaration).Diagnostics).Id);
    }
}
