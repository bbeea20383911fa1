using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>
    /// The source generator's GPU session for a model with several named inputs and outputs (models/multi_tok): the named
    /// API of the C# class on the device (weights from the embedded resource as in a user's build), bit-exact with the
    /// reference interpreter, and the C# class's id check word for word.
    /// </summary>
    [Collection(CpuAcceleratorCollection.Name)]
    public class MultiInputSessionTests
    {
        private readonly CpuAcceleratorFixture fixture;

        public MultiInputSessionTests(CpuAcceleratorFixture fixture)
        {
            this.fixture = fixture;
        }

        [Fact]
        public void ConstantsAreTheClassConstants()
        {
            Assert.Equal((4, 2, 8, 8), (MultiTok.GpuSession.InputIdsLength, MultiTok.GpuSession.BiasLength, MultiTok.GpuSession.SumLength, MultiTok.GpuSession.PosLength));
            Assert.Equal((MultiTok.InputIdsMin, MultiTok.InputIdsMax), (MultiTok.GpuSession.InputIdsMin, MultiTok.GpuSession.InputIdsMax));
            Assert.Equal((0, 3), (MultiTok.GpuSession.InputIdsMin, MultiTok.GpuSession.InputIdsMax));
            Assert.Equal((-10, 10), (MultiTok.GpuSession.BiasMin, MultiTok.GpuSession.BiasMax));
        }

        [Fact]
        public void NamedBatchedInferIsBitExactWithTheReference()
        {
            ModelGraph g = ModelLoader.Load(ModelCase.SpecPath("multi_tok")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(g);
            var rng = new Random(8);
            const int n = 9;
            int[] ids = Enumerable.Range(0, 4 * n).Select(_ => rng.Next(0, 4)).ToArray();
            sbyte[] bias = Enumerable.Range(0, 2 * n).Select(_ => (sbyte)rng.Next(-10, 11)).ToArray();
            var sum = new sbyte[8 * n];
            var pos = new sbyte[8 * n];
            using var session = new MultiTok.GpuSession(fixture.Accelerator);
            session.Infer(inputIds: ids, bias: bias, sum: sum, pos: pos, batchSize: n);
            var cpu = new MultiTok();
            for (int s = 0; s < n; s++)
            {
                int[][] expected = reference.RunMany(new[] { ids.Skip(4 * s).Take(4).ToArray(), bias.Skip(2 * s).Take(2).Select(v => (int)v).ToArray() });
                Assert.Equal(expected[0], sum.Skip(8 * s).Take(8).Select(v => (int)v));
                Assert.Equal(expected[1], pos.Skip(8 * s).Take(8).Select(v => (int)v));
                var one = new sbyte[8];
                var onePos = new sbyte[8];
                session.Infer(ids.AsSpan(4 * s, 4), bias.AsSpan(2 * s, 2), one, onePos);
                Assert.Equal(expected[1], onePos.Select(v => (int)v));
                var cpuSum = new sbyte[8];
                var cpuPos = new sbyte[8];
                cpu.Infer(ids.AsSpan(4 * s, 4), bias.AsSpan(2 * s, 2), cpuSum, cpuPos);
                Assert.Equal(cpuSum, one);
            }

            // Float Run on the device: ids stay ids, the bias is quantized by the class's helper; the class's floats.
            var gpuOut = new float[8];
            var cpuOut = new float[8];
            session.Run(new[] { 3, 2, 1, 0 }, new[] { 0.25f, -0.5f }, new float[8], gpuOut);
            cpu.Run(new[] { 3, 2, 1, 0 }, new[] { 0.25f, -0.5f }, new float[8], cpuOut);
            Assert.Equal(cpuOut, gpuOut);
        }

        [Fact]
        public void AnOutOfRangeIdThrowsTheCSharpClassException()
        {
            using var session = new MultiTok.GpuSession(fixture.Accelerator);
            int[] ids = { 0, 1, 4, 2 };
            var gpu = Assert.Throws<ArgumentOutOfRangeException>(() => session.Infer(ids, new sbyte[2], new sbyte[8], new sbyte[8]));
            var cpu = Assert.Throws<ArgumentOutOfRangeException>(() => new MultiTok().Infer(ids, new sbyte[2], new sbyte[8], new sbyte[8]));
            Assert.Equal("inputIds", gpu.ParamName);
            Assert.Equal(4, gpu.ActualValue);
            Assert.StartsWith("inputIds[2] = 4 is not a valid id of input input_ids (0 to 3)", gpu.Message, StringComparison.Ordinal);
            Assert.Equal(cpu.Message, gpu.Message);
            var range = Assert.Throws<ArgumentException>(() => session.Infer(new int[4], new sbyte[] { 0, 11 }, new sbyte[8], new sbyte[8]));
            Assert.Equal("bias", range.ParamName);
            Assert.StartsWith("bias[1] = 11 is outside the declared range [-10, 10] of input bias", range.Message, StringComparison.Ordinal);
            session.Dispose();
            Assert.Throws<ObjectDisposedException>(() => session.Infer(new int[4], new sbyte[2], new sbyte[8], new sbyte[8]));
        }
    }
}
