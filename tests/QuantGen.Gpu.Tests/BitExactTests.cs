using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU.Runtime;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>
    /// The generated ILGPU kernels on ILGPU's CPU accelerator (which runs the kernels' .NET IL: it checks the algorithm,
    /// not ILGPU's PTX/OpenCL code generation) against the reference interpreter, over the digits test split and the
    /// adversarial inputs, for batch sizes 1, 7 and 64 (the last batch of a pass is partial).
    /// </summary>
    [Collection(CpuAcceleratorCollection.Name)]
    public class BitExactTests
    {
        private readonly CpuAcceleratorFixture fixture;

        public BitExactTests(CpuAcceleratorFixture fixture)
        {
            this.fixture = fixture;
        }

        public static IEnumerable<object[]> Cases() =>
            from model in new[] { "digits_mlp", "digits_vit", "digits_cnn" }
            from batch in new[] { 1, 7, 64 }
            select new object[] { model, batch };

        [Theory]
        [MemberData(nameof(Cases))]
        public void GpuKernelsEqualTheReferenceInterpreter(string model, int batch)
        {
            ModelCase c = ModelCase.Get(model);
            using IGpuRunner runner = GpuRunner.Create(model, fixture.Accelerator);
            GpuCheck.AssertBitExact(c, runner, batch);
        }

        /// <summary>
        /// The operators and operator variants the fixtures do not use (I-BERT softmax/GELU, Relu, Clip, ArgMax: split +
        /// adversarial; Conv2d with stride 2, asymmetric pads, group 2, a 2x3 kernel, int16/int4 activations and int16 weights,
        /// MaxPool2d with pads and stride != kernel: 60 random + adversarial inputs of the synthetic model, two images each).
        /// </summary>
        [Theory]
        [InlineData("ops_vit_ibert", 64)]
        [InlineData("ops_mlp", 64)]
        [InlineData("ops_mlp", 7)]
        [InlineData("ops_mlp_argmax", 64)]
        [InlineData("ops_mlp_argmax", 1)]
        [InlineData("conv_synthetic", 1)]
        [InlineData("conv_synthetic", 7)]
        public void RemainingOperatorsEqualTheReferenceInterpreter(string model, int batch)
        {
            ModelCase c = ModelCase.Get(model);
            using IGpuRunner runner = GpuRunner.Create(model, fixture.Accelerator);
            GpuCheck.AssertBitExact(c, runner, batch);
        }

        [Theory]
        [InlineData("digits_mlp")]
        [InlineData("digits_vit")]
        [InlineData("digits_cnn")]
        [InlineData("conv_synthetic")]
        [InlineData("ops_vit_ibert")]
        [InlineData("ops_mlp")]
        [InlineData("ops_mlp_argmax")]
        public void AdversarialInputsAloneAtEveryBatchSize(string model)
        {
            ModelCase c = ModelCase.Get(model);
            using IGpuRunner runner = GpuRunner.Create(model, fixture.Accelerator);
            int adversarial = ModelCase.Adversarial(c.InputLength).Count();
            var subset = new ModelCase(c.Name, c.InputLength, c.OutputLength, c.Inputs.Skip(c.Inputs.Count - adversarial).ToList(), c.Expected.Skip(c.Expected.Count - adversarial).ToList());
            foreach (int batch in new[] { 1, 2, 3, 5 })
            {
                GpuCheck.AssertBitExact(subset, runner, batch);
            }
        }

        [Fact]
        public void GpuEqualsTheGeneratedCpuPath()
        {
            // One batch of 128 (first test images, then the adversarial inputs), through both generated paths.
            ModelCase c = ModelCase.Vit;
            var inputs = c.Inputs.Take(123).Concat(c.Inputs.Skip(c.Inputs.Count - 5)).ToList();
            var cpu = new DigitsVit();
            using var gpu = new DigitsVit.GpuSession(fixture.Accelerator);
            sbyte[] all = inputs.SelectMany(v => v).ToArray();
            var cpuOut = new sbyte[inputs.Count * c.OutputLength];
            var gpuOut = new sbyte[cpuOut.Length];
            cpu.Infer(all, cpuOut, inputs.Count);
            gpu.Infer(all, gpuOut, inputs.Count);
            Assert.Equal(cpuOut, gpuOut);
        }

        [Fact]
        public void CnnGpuEqualsTheGeneratedCpuPath()
        {
            ModelCase c = ModelCase.Get("digits_cnn");
            var inputs = c.Inputs.Take(123).Concat(c.Inputs.Skip(c.Inputs.Count - 5)).ToList();
            var cpu = new DigitsCnn();
            using var gpu = new DigitsCnn.GpuSession(fixture.Accelerator);
            sbyte[] all = inputs.SelectMany(v => v).ToArray();
            var cpuOut = new sbyte[inputs.Count * c.OutputLength];
            var gpuOut = new sbyte[cpuOut.Length];
            cpu.Infer(all, cpuOut, inputs.Count);
            gpu.Infer(all, gpuOut, inputs.Count);
            Assert.Equal(cpuOut, gpuOut);
            Assert.Equal(c.Expected.Take(123).Concat(c.Expected.Skip(c.Expected.Count - 5)).SelectMany(v => v), gpuOut.Select(v => (int)v));
        }
    }

    /// <summary>Runs batches through a runner and compares every output with the reference.</summary>
    public static class GpuCheck
    {
        public static void AssertBitExact(ModelCase c, IGpuRunner runner, int batch)
        {
            int mismatches = 0;
            string first = string.Empty;
            for (int start = 0; start < c.Inputs.Count; start += batch)
            {
                int count = Math.Min(batch, c.Inputs.Count - start);
                sbyte[] inputs = c.Inputs.Skip(start).Take(count).SelectMany(v => v).ToArray();
                int[] outputs = runner.Run(inputs, count);
                Assert.Equal(count * c.OutputLength, outputs.Length);
                for (int s = 0; s < count; s++)
                {
                    int[] expected = c.Expected[start + s];
                    for (int i = 0; i < c.OutputLength; i++)
                    {
                        if (outputs[s * c.OutputLength + i] != expected[i])
                        {
                            if (mismatches++ == 0)
                            {
                                first = $"input {start + s} element {i}: reference {expected[i]}, GPU {outputs[s * c.OutputLength + i]}";
                            }

                            break;
                        }
                    }
                }
            }

            Assert.True(mismatches == 0, $"{c.Name}, batch {batch}: {mismatches} of {c.Inputs.Count} inputs differ from the reference (first: {first})");
        }
    }

    /// <summary>The GPU session of any test model behind one interface; outputs widened to int.</summary>
    public interface IGpuRunner : IDisposable
    {
        int[] Run(sbyte[] inputs, int batchSize);
    }

    public static class GpuRunner
    {
        public static IGpuRunner Create(string model, Accelerator accelerator) => model switch
        {
            "digits_mlp" => new Runner<sbyte>(new DigitsMlp.GpuSession(accelerator), (s, x, y, n) => ((DigitsMlp.GpuSession)s).Infer(x, y, n)),
            "digits_vit" => new Runner<sbyte>(new DigitsVit.GpuSession(accelerator), (s, x, y, n) => ((DigitsVit.GpuSession)s).Infer(x, y, n)),
            "digits_cnn" => new Runner<sbyte>(new DigitsCnn.GpuSession(accelerator), (s, x, y, n) => ((DigitsCnn.GpuSession)s).Infer(x, y, n)),
            "conv_synthetic" => new Runner<sbyte>(new ConvSynthetic.GpuSession(accelerator), (s, x, y, n) => ((ConvSynthetic.GpuSession)s).Infer(x, y, n)),
            "ops_vit_ibert" => new Runner<sbyte>(new OpsVitIBert.GpuSession(accelerator), (s, x, y, n) => ((OpsVitIBert.GpuSession)s).Infer(x, y, n)),
            "ops_mlp" => new Runner<sbyte>(new OpsMlp.GpuSession(accelerator), (s, x, y, n) => ((OpsMlp.GpuSession)s).Infer(x, y, n)),
            "ops_mlp_argmax" => new Runner<int>(new OpsMlpArgMax.GpuSession(accelerator), (s, x, y, n) => ((OpsMlpArgMax.GpuSession)s).Infer(x, y, n)),
            _ => throw new ArgumentException("unknown model " + model, nameof(model)),
        };

        private delegate void Infer<T>(IDisposable session, ReadOnlySpan<sbyte> inputs, Span<T> outputs, int batchSize);

        private sealed class Runner<T> : IGpuRunner
            where T : struct
        {
            private readonly IDisposable session;
            private readonly Infer<T> infer;

            public Runner(IDisposable session, Infer<T> infer)
            {
                this.session = session;
                this.infer = infer;
            }

            public int[] Run(sbyte[] inputs, int batchSize)
            {
                var outputs = new T[batchSize == 0 ? 0 : OutputLength(batchSize)];
                infer(session, inputs, outputs, batchSize);
                return outputs.Select(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            }

            public void Dispose() => session.Dispose();

            private int OutputLength(int batchSize) => batchSize * (session switch
            {
                DigitsMlp.GpuSession => DigitsMlp.GpuSession.OutputLength,
                DigitsVit.GpuSession => DigitsVit.GpuSession.OutputLength,
                DigitsCnn.GpuSession => DigitsCnn.GpuSession.OutputLength,
                ConvSynthetic.GpuSession => ConvSynthetic.GpuSession.OutputLength,
                OpsVitIBert.GpuSession => OpsVitIBert.GpuSession.OutputLength,
                OpsMlp.GpuSession => OpsMlp.GpuSession.OutputLength,
                _ => OpsMlpArgMax.GpuSession.OutputLength,
            });
        }
    }
}
