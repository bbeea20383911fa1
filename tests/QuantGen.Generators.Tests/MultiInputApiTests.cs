using System;
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
    /// A model with two named inputs and two named outputs through the C# backend: the span API takes one parameter per
    /// input and output in spec order, named by the plan (camelCase), bit-exact with the reference interpreter.
    /// </summary>
    public class MultiInputApiTests
    {
        private const string Spec = MultiIoSpecs.Two;

        private const string Source = """
            using System;
            using QuantGen;

            [QuantizedModel("models/two.qmodel.json")]
            public partial class Two { }

            public static class Runner
            {
                public static sbyte[][] Run(sbyte[] a, sbyte[] b)
                {
                    var sum = new sbyte[Two.SumLength];
                    var pos = new sbyte[Two.PosLength];
                    new Two().Infer(leftIn: a, rightIn: b, sum: sum, pos: pos);
                    return new[] { sum, pos };
                }

                public static float[] RunFloat(float[] a, float[] b)
                {
                    var sum = new float[Two.SumLength];
                    var pos = new float[Two.PosLength];
                    new Two().Run(a, b, sum, pos);
                    return pos;
                }

                public static string Check(sbyte[] b)
                {
                    try
                    {
                        new Two().Infer(new sbyte[Two.LeftInLength], b, new sbyte[Two.SumLength], new sbyte[Two.PosLength]);
                        return "no exception";
                    }
                    catch (ArgumentException e)
                    {
                        return e.ParamName + ": " + e.Message;
                    }
                }
            }
            """;

        private static AdditionalText[] Files() => new AdditionalText[]
        {
            new MemoryText(GeneratorHarness.ModelsDir + "two.qmodel.json", Spec),
            GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "two.safetensors", SafeTensors.Write(Array.Empty<RawTensor>())),
        };

        [Fact]
        public void NamedInputsAndOutputsRunBitExactOnTheCpu()
        {
            GeneratorHarness.Run run = GeneratorHarness.Generate(Source, Files());
            Assert.Empty(run.Diagnostics);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("multi", isCollectible: true);
            try
            {
                pe.Position = 0;
                Type runner = context.LoadFromStream(pe).GetType("Runner")!;
                var reference = new ReferenceInterpreter(ModelLoader.Load(Spec, "two.qmodel.json", SafeTensors.Write(Array.Empty<RawTensor>()), "two.safetensors").GetGraphOrThrow());
                var rng = new Random(11);
                for (int s = 0; s < 50; s++)
                {
                    int[] a = Enumerable.Range(0, 16).Select(i => s == 0 ? 127 : s == 1 ? -128 : rng.Next(-128, 128)).ToArray();
                    int[] b = Enumerable.Range(0, 8).Select(i => s == 0 ? 28 : s == 1 ? -22 : rng.Next(-22, 29)).ToArray();
                    var generated = (sbyte[][])runner.GetMethod("Run")!.Invoke(null, new object[] { a.Select(v => (sbyte)v).ToArray(), b.Select(v => (sbyte)v).ToArray() })!;
                    int[][] expected = reference.RunMany(new[] { a, b });
                    Assert.Equal(expected[0], generated[0].Select(v => (int)v));
                    Assert.Equal(expected[1], generated[1].Select(v => (int)v));
                }

                // Float Run: 0.5 at scale 0.01 is 50, 0.2 at scale 0.02 zero point 3 is 13; both through the reference.
                float[] fa = Enumerable.Repeat(0.5f, 16).ToArray(), fb = Enumerable.Repeat(0.2f, 8).ToArray();
                var pos = (float[])runner.GetMethod("RunFloat")!.Invoke(null, new object[] { fa, fb })!;
                int[] q = reference.RunMany(new[] { Enumerable.Repeat(50, 16).ToArray(), Enumerable.Repeat(13, 8).ToArray() })[1];
                Assert.Equal(q.Select(v => (float)(0.02 * (v + 2))), pos);

                // right-in's declared range [-0.5, 0.5] at scale 0.02, zero point 3 is [-22, 28]: 29 is rejected, by name.
                string message = (string)runner.GetMethod("Check")!.Invoke(null, new object[] { new sbyte[] { 0, 0, 0, 0, 0, 29, 0, 0 } })!;
                Assert.StartsWith("rightIn: rightIn[5] = 29 is outside the declared range [-22, 28] of input right-in", message, StringComparison.Ordinal);
            }
            finally
            {
                context.Unload();
            }
        }

        private const string EmbeddingSpec = MultiIoSpecs.Tok;

        private const string EmbeddingSource = """
            using System;
            using QuantGen;

            [QuantizedModel("models/tok.qmodel.json")]
            public partial class Tok { }

            public static class Runner
            {
                public static sbyte[] Run(int[] ids, sbyte[] bias)
                {
                    var sum = new sbyte[Tok.SumLength];
                    new Tok().Infer(inputIds: ids, bias: bias, sum: sum);
                    return sum;
                }

                public static string Bad(int[] ids)
                {
                    try
                    {
                        new Tok().Infer(ids, new sbyte[2], new sbyte[Tok.SumLength]);
                        return "no exception";
                    }
                    catch (ArgumentOutOfRangeException e)
                    {
                        return e.ParamName + ": " + e.Message;
                    }
                }
            }
            """;

        [Fact]
        public void TokenIdsRunBitExactAndBadIdsThrowNamingInputAndPosition()
        {
            RawTensor table = TensorCodec.EncodeInts("table", Numerics.ElementType.Int8, new[] { 4, 2 }, new[] { 1, 2, -3, -4, 50, 60, 127, -128 });
            byte[] weights = SafeTensors.Write(new[] { table });
            GeneratorHarness.Run run = GeneratorHarness.Generate(EmbeddingSource, new MemoryText(GeneratorHarness.ModelsDir + "tok.qmodel.json", EmbeddingSpec), GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "tok.safetensors", weights));
            Assert.Empty(run.Diagnostics);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            using var pe = new MemoryStream();
            Assert.True(run.Output.Emit(pe).Success);
            var context = new AssemblyLoadContext("tok", isCollectible: true);
            try
            {
                pe.Position = 0;
                Type runner = context.LoadFromStream(pe).GetType("Runner")!;
                var reference = new ReferenceInterpreter(ModelLoader.Load(EmbeddingSpec, "tok.qmodel.json", weights, "tok.safetensors").GetGraphOrThrow());
                var rng = new Random(3);
                for (int s = 0; s < 30; s++)
                {
                    int[] ids = Enumerable.Range(0, 4).Select(_ => rng.Next(0, 4)).ToArray();
                    int[] bias = Enumerable.Range(0, 2).Select(_ => rng.Next(-10, 11)).ToArray();
                    var generated = (sbyte[])runner.GetMethod("Run")!.Invoke(null, new object[] { ids, bias.Select(v => (sbyte)v).ToArray() })!;
                    Assert.Equal(reference.RunMany(new[] { ids, bias })[0], generated.Select(v => (int)v));
                }

                Assert.StartsWith("inputIds: inputIds[2] = 4 is not a valid id of input input_ids (0 to 3)", (string)runner.GetMethod("Bad")!.Invoke(null, new object[] { new[] { 0, 1, 4, 2 } })!, StringComparison.Ordinal);
                Assert.StartsWith("inputIds: inputIds[0] = -1 is not a valid id", (string)runner.GetMethod("Bad")!.Invoke(null, new object[] { new[] { -1, 1, 3, 2 } })!, StringComparison.Ordinal);
            }
            finally
            {
                context.Unload();
            }
        }
    }
}
