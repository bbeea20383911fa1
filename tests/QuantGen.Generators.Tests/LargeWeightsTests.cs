using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Weights above the ~6 MB that string literals allow (the 16 MiB user-string heap; CS8103 beyond): with the build's
    /// embedded-resource placement (build_property.QuantGenWeightsEmbedded, set by QuantGen.Generators.targets) an 8.5 MB
    /// model compiles, the CPU code and the ILGPU session (CPU accelerator) both read the one resource
    /// QuantGen.Weights.&lt;sha256&gt;.safetensors and are bit-exact with the reference interpreter. A model whose weights
    /// cannot come from the resource gets QG2014, not CS8103. The models are written at test time (fixed seeds).
    /// </summary>
    public sealed class LargeWeightsTests
    {
        private const string Source = """
            using QuantGen;

            [QuantizedModel("models/large.qmodel.json")]
            public partial class Large { }

            public static class Runner
            {
                public static string Sha256 => Large.Info.WeightsSha256;

                public static sbyte[] Cpu(sbyte[] x)
                {
                    var y = new sbyte[Large.OutputLength];
                    new Large().Infer(x, y);
                    return y;
                }
            }
            """;

        /// <summary>Compiled only with ILGPU referenced (which switches the GPU backend on).</summary>
        private const string GpuSource = """
            using ILGPU;
            using ILGPU.Runtime;
            using ILGPU.Runtime.CPU;

            public static class GpuRunner
            {
                public static sbyte[] Gpu(sbyte[] xs, int batch)
                {
                    using Context context = Context.Create(b => b.CPU());
                    using Accelerator accelerator = context.CreateCPUAccelerator(0);
                    using var session = new Large.GpuSession(accelerator, batch);
                    var ys = new sbyte[batch * Large.GpuSession.OutputLength];
                    session.Infer(xs, ys, batch);
                    return ys;
                }
            }
            """;

        private static string IlgpuPath => Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll");

        /// <summary>x[64] -> Dense layers of the given widths; int8 activations; weights of <paramref name="weightType"/>.</summary>
        internal static (string Spec, byte[] Weights) Mlp(int[] widths, ElementType weightType, int weightMax, int seed)
        {
            var rng = new Random(seed);
            const double sIn = 0.0627451, sW = 0.002, sH = 0.08;
            var tensors = new List<byte[]>();
            var inits = new StringBuilder();
            var acts = new StringBuilder();
            var layers = new StringBuilder();
            var encoded = new List<(string, ElementType, int[], int[])>();
            string prev = "x";
            for (int l = 0; l + 1 < widths.Length; l++)
            {
                int k = widths[l], n = widths[l + 1];
                string name = "fc" + l.ToString(CultureInfo.InvariantCulture), output = l + 2 == widths.Length ? "y" : "h" + l.ToString(CultureInfo.InvariantCulture);
                int[] w = new int[n * k];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = rng.Next(-weightMax, weightMax + 1);
                }

                int[] b = Enumerable.Range(0, n).Select(_ => rng.Next(-1000, 1000)).ToArray();
                encoded.Add((name + ".weight", weightType, new[] { n, k }, w));
                encoded.Add((name + ".bias", ElementType.Int32, new[] { n }, b));
                double inScale = l == 0 ? sIn : sH;
                Dyadic m = Dyadic.FromReal(inScale * sW / sH);
                string type = weightType == ElementType.Int8 ? "int8" : "int16";
                inits.Append(inits.Length > 0 ? ",\n" : string.Empty)
                    .Append(CultureInfo.InvariantCulture, $"\"{name}.weight\": {{ \"type\": \"{type}\", \"shape\": [{n}, {k}], \"scale\": {sW:R} }},\n")
                    .Append(CultureInfo.InvariantCulture, $"\"{name}.bias\": {{ \"type\": \"int32\", \"shape\": [{n}], \"scale\": {inScale * sW:R} }}");
                acts.Append(acts.Length > 0 ? ",\n" : string.Empty).Append(CultureInfo.InvariantCulture, $"\"{output}\": {{ \"type\": \"int8\", \"scale\": {sH:R}, \"zeroPoint\": {(output == "y" ? 0 : -128)} }}");
                layers.Append(layers.Length > 0 ? ",\n" : string.Empty).Append(CultureInfo.InvariantCulture,
                    $"{{ \"name\": \"{name}\", \"op\": \"Dense\", \"inputs\": [\"{prev}\"], \"output\": \"{output}\", \"weight\": \"{name}.weight\", \"bias\": \"{name}.bias\", \"activation\": \"{(output == "y" ? "none" : "relu")}\", \"multipliers\": [{Repeat(m.Multiplier, n)}], \"shifts\": [{Repeat(m.Shift, n)}], \"clamp\": [-128, 127] }}");
                prev = output;
            }

            byte[] weights = SafeTensors.Write(encoded.Select(e => TensorCodec.EncodeInts(e.Item1, e.Item2, e.Item3, e.Item4)).ToArray());
            string spec = $$"""
                {
                  "format": "quantgen", "version": 1, "name": "large", "kind": "quantized", "weights": "large.safetensors",
                  "inputs": [ { "name": "x", "shape": [{{widths[0]}}], "range": [0.0, 16.0], "type": "int8", "scale": {{sIn.ToString("R", CultureInfo.InvariantCulture)}}, "zeroPoint": -128 } ],
                  "outputs": ["y"],
                  "initializers": {
                {{inits}}
                  },
                  "activations": {
                {{acts}}
                  },
                  "layers": [
                {{layers}}
                  ]
                }
                """;
            return (spec, weights);
        }

        private static string Repeat(long v, int n) => string.Join(", ", Enumerable.Repeat(v.ToString(CultureInfo.InvariantCulture), n));

        private static GeneratorHarness.Run Generate(string spec, byte[] weights, bool ilgpu)
        {
            CSharpCompilation compilation = ilgpu
                ? GeneratorHarness.Compilation(Source, GpuSource).AddReferences(MetadataReference.CreateFromFile(IlgpuPath))
                : GeneratorHarness.Compilation(Source);
            AdditionalText[] files =
            {
                new MemoryText(GeneratorHarness.ModelsDir + "large.qmodel.json", spec),
                GeneratorHarness.Encoded(GeneratorHarness.ModelsDir + "large.safetensors", weights),
            };
            GeneratorDriver driver = CSharpGeneratorDriver.Create(
                new[] { new QuantGen.Generators.QuantizedModelGenerator().AsSourceGenerator() },
                files,
                GeneratorHarness.ParseOptions,
                new EmbeddedWeightsOptions());
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
            return new GeneratorHarness.Run(driver, output, diagnostics);
        }

        [Fact]
        public void AnEightMegabyteModelCompilesAndRunsBitExactOnCpuAndGpuFromOneResource()
        {
            (string spec, byte[] weights) = Mlp(new[] { 64, 2048, 2048, 2048, 10 }, ElementType.Int8, 127, 20261205);
            Assert.True(weights.Length > 8_000_000, $"{weights.Length} bytes");
            string sha = Convert.ToHexString(SHA256.HashData(weights)).ToLowerInvariant();

            GeneratorHarness.Run run = Generate(spec, weights, ilgpu: true);
            Assert.Empty(run.Diagnostics);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems));

            // No weights in literals: the CPU blob and the GPU int8 buffer both come from the resource of the one file.
            string cpu = run.Source("Large.QuantGen.g.cs"), gpu = run.Source("Large.QuantGen.Gpu.g.cs");
            Assert.True(cpu.Length + gpu.Length < 1_000_000, $"generated {cpu.Length} + {gpu.Length} chars: weights went into literals");
            Assert.Contains($"WeightResources.BuildBlob(typeof(Large).Assembly, \"{sha}\"", cpu, StringComparison.Ordinal);
            Assert.Contains($"WeightResources.BuildBlob(typeof(Large).Assembly, \"{sha}\"", gpu, StringComparison.Ordinal);
            Assert.DoesNotContain("s_w8 =", gpu, StringComparison.Ordinal);

            using var pe = new MemoryStream();
            string resource = "QuantGen.Weights." + sha + ".safetensors";
            Microsoft.CodeAnalysis.Emit.EmitResult emitted = run.Output.Emit(pe, manifestResources: new[] { new ResourceDescription(resource, () => new MemoryStream(weights), isPublic: true) });
            Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

            var reference = new ReferenceInterpreter(ModelLoader.Load(spec, "large.qmodel.json", weights, "large.safetensors").GetGraphOrThrow());
            var rng = new Random(11);
            var inputs = new List<int[]>
            {
                Enumerable.Repeat(127, 64).ToArray(),
                Enumerable.Repeat(-128, 64).ToArray(),
                Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? 127 : -128).ToArray(),
                Enumerable.Range(0, 64).Select(_ => rng.Next(-128, 128)).ToArray(),
            };
            List<int[]> expected = inputs.Select(reference.Run).ToList();
            Assert.True(expected.Select(e => string.Join(",", e)).Distinct().Count() > 1, "the inputs should not all give the same output");

            var context = new IlgpuContext();
            try
            {
                pe.Position = 0;
                Type runner = context.LoadFromStream(pe).GetType("Runner")!;
                Assert.Equal(sha, (string)runner.GetProperty("Sha256")!.GetValue(null)!);
                MethodInfo cpuRun = runner.GetMethod("Cpu")!, gpuRun = runner.Assembly.GetType("GpuRunner")!.GetMethod("Gpu")!;
                foreach ((int[] x, int[] want) in inputs.Zip(expected))
                {
                    var got = (sbyte[])cpuRun.Invoke(null, new object[] { x.Select(v => (sbyte)v).ToArray() })!;
                    Assert.Equal(want, got.Select(v => (int)v));
                }

                // The ILGPU CPU accelerator interprets the kernels' IL (slow): a batch of two, all-max and random.
                int[] pick = { 0, 3 };
                var batch = (sbyte[])gpuRun.Invoke(null, new object[] { pick.SelectMany(i => inputs[i].Select(v => (sbyte)v)).ToArray(), pick.Length })!;
                Assert.Equal(pick.SelectMany(i => expected[i]), batch.Select(v => (int)v));
            }
            finally
            {
                context.Unload();
            }
        }

        [Fact]
        public void WeightsThatCannotComeFromTheResourceAreQG2014NotCS8103()
        {
            // int16 Dense weights run on the scalar kernel as int32 in the blob: not stored as they are in the file, so
            // 1024 x 1100 of them (4.5 MB as int32) would have to be a string literal.
            (string spec, byte[] weights) = Mlp(new[] { 64, 1024, 1100, 10 }, ElementType.Int16, 300, 5);
            GeneratorHarness.Run run = Generate(spec, weights, ilgpu: false);
            Diagnostic d = Assert.Single(run.Diagnostics);
            Assert.Equal("QG2014", d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.True(d.Location.IsInSource, "QG2014 points at the attribute argument");
            Assert.Equal("\"models/large.qmodel.json\"", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
            Assert.DoesNotContain(run.Output.GetDiagnostics(), e => e.Id == "CS8103");
        }

        /// <summary>The global option the build's targets set when they embed every weights file as a resource.</summary>
        private sealed class EmbeddedWeightsOptions : AnalyzerConfigOptionsProvider
        {
            private static readonly Options Empty = new Options(new Dictionary<string, string>());

            public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(new Dictionary<string, string> { ["build_property.QuantGenWeightsEmbedded"] = "true" });

            public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty;

            public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty;

            private sealed class Options : AnalyzerConfigOptions
            {
                private readonly Dictionary<string, string> values;

                public Options(Dictionary<string, string> values) => this.values = values;

                public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
            }
        }

        /// <summary>Loads the generated assembly with ILGPU from the test's ilgpu/ folder (the project does not reference it).</summary>
        private sealed class IlgpuContext : AssemblyLoadContext
        {
            public IlgpuContext()
                : base("large-weights", isCollectible: true)
            {
            }

            protected override Assembly? Load(AssemblyName name) => name.Name == "ILGPU" ? LoadFromAssemblyPath(IlgpuPath) : null;
        }
    }
}
