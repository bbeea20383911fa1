using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>One fixture model: its inputs (digits test split + adversarial) and the reference interpreter's outputs.</summary>
    public sealed class ModelCase
    {
        public ModelCase(string name, int inputLength, int outputLength, List<sbyte[]> inputs, List<sbyte[]> expected)
        {
            Name = name;
            InputLength = inputLength;
            OutputLength = outputLength;
            Inputs = inputs;
            Expected = expected;
        }

        public string Name { get; }

        public int InputLength { get; }

        public int OutputLength { get; }

        public List<sbyte[]> Inputs { get; }

        public List<sbyte[]> Expected { get; }

        /// <summary>The adversarial inputs: all max, all min, both alternations, zeros.</summary>
        public static IEnumerable<int[]> Adversarial(int n)
        {
            yield return Enumerable.Repeat(127, n).ToArray();
            yield return Enumerable.Repeat(-128, n).ToArray();
            yield return Enumerable.Range(0, n).Select(i => i % 2 == 0 ? 127 : -128).ToArray();
            yield return Enumerable.Range(0, n).Select(i => i % 2 == 0 ? -128 : 127).ToArray();
            yield return new int[n];
        }

        private static readonly Lazy<LabeledDataset> Data = new Lazy<LabeledDataset>(() =>
            LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"))));

        private static readonly Lazy<ModelCase> MlpCase = new Lazy<ModelCase>(() => Load("digits_mlp"));

        private static readonly Lazy<ModelCase> VitCase = new Lazy<ModelCase>(() => Load("digits_vit"));

        public static ModelCase Mlp => MlpCase.Value;

        public static ModelCase Vit => VitCase.Value;

        public static ModelCase Get(string name) => name == "digits_mlp" ? Mlp : name == "digits_vit" ? Vit : throw new ArgumentException("unknown model " + name, nameof(name));

        private static ModelCase Load(string name)
        {
            string models = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(models, name + ".qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int n = graph.Input.ElementCount;
            var ints = Data.Value.Split("test").Select(s => reference.Quantize(s.Features)).Concat(Adversarial(n)).ToList();
            Assert.True(ints.Count > 400, "the digits test split is missing");
            return new ModelCase(
                name,
                n,
                graph.Output.ElementCount,
                ints.Select(v => v.Select(b => checked((sbyte)b)).ToArray()).ToList(),
                ints.Select(v => reference.Run(v).Select(b => checked((sbyte)b)).ToArray()).ToList());
        }
    }

    /// <summary>One ILGPU context with a CPU accelerator, shared by the tests of a collection (kernels compile once per accelerator).</summary>
    public sealed class CpuAcceleratorFixture : IDisposable
    {
        public CpuAcceleratorFixture()
        {
            // A small simulated GPU (2 threads per warp, 1 warp, 2 multiprocessors): every simulated thread is an OS thread,
            // and on a 2-core machine this ran the ViT split about twice as fast as CPUDevice.Default (4 x 4 x 1).
            var device = new CPUDevice(2, 1, 2);
            Context = Context.Create(b => b.CPU(device).Optimize(OptimizationLevel.O1));
            Accelerator = device.CreateCPUAccelerator(Context);
        }

        public Context Context { get; }

        public Accelerator Accelerator { get; }

        public void Dispose()
        {
            Accelerator.Dispose();
            Context.Dispose();
        }
    }

    [CollectionDefinition(Name)]
    public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>
    {
        public const string Name = "ILGPU CPU accelerator";
    }
}
