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
        public ModelCase(string name, int inputLength, int outputLength, List<sbyte[]> inputs, List<int[]> expected)
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

        public List<int[]> Expected { get; }

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

        private static readonly Dictionary<string, Lazy<ModelCase>> Cases = new[] { "digits_mlp", "digits_vit", "digits_cnn", "conv_synthetic", "ops_vit_ibert", "ops_mlp", "ops_mlp_argmax" }
            .ToDictionary(n => n, n => new Lazy<ModelCase>(() => Load(n)), StringComparer.Ordinal);

        public static ModelCase Mlp => Get("digits_mlp");

        public static ModelCase Vit => Get("digits_vit");

        public static ModelCase Get(string name) => Cases.TryGetValue(name, out Lazy<ModelCase>? c) ? c.Value : throw new ArgumentException("unknown model " + name, nameof(name));

        /// <summary>
        /// The fixtures live in samples/models, the synthetic convolution model in tests/QuantGen.CpuCheck/models, the
        /// operator-coverage models in this project's models folder.
        /// </summary>
        public static string SpecPath(string name) =>
            name.StartsWith("digits_", StringComparison.Ordinal) ? Path.Combine(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "models")), name + ".qmodel.json")
            : name == "conv_synthetic" ? LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("tests", "QuantGen.CpuCheck", "models", name + ".qmodel.json"))
            : Path.Combine(AppContext.BaseDirectory, "models", name + ".qmodel.json");

        private static ModelCase Load(string name)
        {
            ModelGraph graph = ModelLoader.Load(SpecPath(name)).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int n = graph.Input.ElementCount;
            List<int[]> ints;
            if (name == "conv_synthetic")
            {
                // No data set fits it: 60 uniform random int8 inputs (fixed seed), then the adversarial ones.
                var rng = new Random(20261124);
                ints = Enumerable.Range(0, 60).Select(_ => Enumerable.Range(0, n).Select(_ => rng.Next(-128, 128)).ToArray()).Concat(Adversarial(n)).ToList();
            }
            else
            {
                ints = Data.Value.Split("test").Select(s => reference.Quantize(s.Features)).Concat(Adversarial(n)).ToList();
                Assert.True(ints.Count > 400, "the digits test split is missing");
            }

            return new ModelCase(
                name,
                n,
                graph.Output.ElementCount,
                ints.Select(v => v.Select(b => checked((sbyte)b)).ToArray()).ToList(),
                ints.Select(v => reference.Run(v)).ToList());
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
