using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Model;
using Xunit;
using GenEmitter = QuantGen.Generators.Emitter;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// RegistryTests swaps the generator's global registries (Emitter's test seam); its collection runs alone, after the
    /// parallel ones, so no other test's generator run sees a registry without Dense (a CI run at 20:52 UTC on 2026-12-06
    /// failed a snapshot test with QG2012 "patch_embed (Dense) has no C# CPU lowering" that way).
    /// </summary>
    [CollectionDefinition(nameof(GeneratorGlobals), DisableParallelization = true)]
    public sealed class GeneratorGlobals
    {
    }

    /// <summary>The C# backends' lowering registries: complete over the operators, and a missing lowering is QG2012, located, never a throw.</summary>
    [Collection(nameof(GeneratorGlobals))]
    public class RegistryTests
    {
        [Fact]
        public void EveryOperatorHasACpuAndAGpuLowering()
        {
            Assert.Empty(CpuLowering.Registry.Missing());
            Assert.Empty(GpuLowering.Registry.Missing());
        }

        [Fact]
        public void EveryCpuLoweringEndsWithAStrategyThatAlwaysApplies() =>
            Assert.All(CpuLowering.Registry.All, l => Assert.NotEmpty(l.Strategies));

        [Theory]
        [InlineData("cpu")]
        [InlineData("gpu")]
        public void MissingLoweringIsQG2012AtTheLayer(string backend)
        {
            GenEmitter.CpuRegistry = backend == "cpu" ? CpuLowering.Registry.Without(OpKind.Dense) : CpuLowering.Registry;
            GenEmitter.GpuRegistry = backend == "gpu" ? GpuLowering.Registry.Without(OpKind.Dense) : GpuLowering.Registry;
            try
            {
                var compilation = GeneratorHarness.Compilation(GeneratorHarness.FixtureSource)
                    .AddReferences(MetadataReference.CreateFromFile(System.IO.Path.Combine(AppContext.BaseDirectory, "ilgpu", "ILGPU.dll")));
                GeneratorHarness.Driver(GeneratorHarness.ModelFiles("digits_mlp")).RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);
                Diagnostic d = diagnostics.First(x => x.Id == "QG2012");
                Assert.Contains("\"fc1\" (Dense)", d.GetMessage(), StringComparison.Ordinal);
                Assert.Contains(backend == "cpu" ? "C# CPU" : "ILGPU", d.GetMessage(), StringComparison.Ordinal);
                Assert.EndsWith("digits_mlp.qmodel.json", d.Location.GetLineSpan().Path, StringComparison.Ordinal);
                Assert.DoesNotContain(diagnostics, x => x.Id == "QG2099");
            }
            finally
            {
                GenEmitter.CpuRegistry = CpuLowering.Registry;
                GenEmitter.GpuRegistry = GpuLowering.Registry;
            }
        }
    }
}
