using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>The GpuSession contract: buffers reused and grown, clear exceptions for bad shapes and after Dispose.</summary>
    [Collection(CpuAcceleratorCollection.Name)]
    public class SessionTests
    {
        private readonly CpuAcceleratorFixture fixture;

        public SessionTests(CpuAcceleratorFixture fixture)
        {
            this.fixture = fixture;
        }

        [Fact]
        public void ConstantsDescribeTheModel()
        {
            Assert.Equal(64, DigitsMlp.GpuSession.InputLength);
            Assert.Equal(10, DigitsMlp.GpuSession.OutputLength);
            Assert.Equal(DigitsVit.InputLength, DigitsVit.GpuSession.InputLength);
            Assert.Equal(DigitsVit.OutputLength, DigitsVit.GpuSession.OutputLength);
            Assert.Equal(-128, DigitsMlp.GpuSession.InputMin);
            Assert.Equal(127, DigitsMlp.GpuSession.InputMax);
            Assert.True(DigitsVit.GpuSession.MaxBatchSize > 1_000_000);
        }

        [Fact]
        public void BuffersGrowForALargerBatchAndAreReusedForSmallerOnes()
        {
            ModelCase c = ModelCase.Mlp;
            using var session = new DigitsMlp.GpuSession(fixture.Accelerator);
            Assert.Same(fixture.Accelerator, session.Accelerator);
            Assert.Equal(1, session.Capacity);
            RunAndCheck(session, c, 0, 1);
            Assert.Equal(1, session.Capacity);
            RunAndCheck(session, c, 1, 3);
            Assert.Equal(3, session.Capacity);
            RunAndCheck(session, c, 4, 4);
            Assert.Equal(6, session.Capacity); // doubles when that covers the batch
            RunAndCheck(session, c, 8, 2);
            Assert.Equal(6, session.Capacity);
            RunAndCheck(session, c, 10, 40);
            Assert.Equal(40, session.Capacity);
            RunAndCheck(session, c, 50, 1);
        }

        /// <summary>The session is an IQuantizedModel too: its float Run gives the CPU class's numbers, bit for bit.</summary>
        [Fact]
        public void SessionImplementsTheFloatInterfaceLikeTheCpuClass()
        {
            using var session = new DigitsCnn.GpuSession(fixture.Accelerator);
            IQuantizedModel gpu = session;
            IQuantizedModel cpu = new DigitsCnn();
            Assert.Same(DigitsCnn.Info, gpu.Info);
            Assert.Equal((64, 10), (gpu.InputLength, gpu.OutputLength));
            Assert.Equal(DigitsCnn.Info.Inputs, gpu.Inputs);
            var rng = new Random(5);
            var into = new float[10];
            for (int i = 0; i < 20; i++)
            {
                float[] x = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 16)).ToArray();
                float[] expected = cpu.Run(x);
                Assert.Equal(expected, gpu.Run(x));
                session.Run(x, into);
                Assert.Equal(expected, into);
            }

            Assert.Throws<ArgumentException>(() => gpu.Run(new float[3]));
            session.Dispose();
            Assert.Throws<ObjectDisposedException>(() => gpu.Run(new float[64]));
        }

        [Fact]
        public void InitialBatchSizeSetsTheCapacity()
        {
            using var session = new DigitsMlp.GpuSession(fixture.Accelerator, 16);
            Assert.Equal(16, session.Capacity);
            Assert.Throws<ArgumentOutOfRangeException>(() => new DigitsMlp.GpuSession(fixture.Accelerator, 0));
            Assert.Throws<ArgumentNullException>(() => new DigitsMlp.GpuSession(null!));
        }

        [Fact]
        public void EmptyBatchIsANoOp()
        {
            using var session = new DigitsMlp.GpuSession(fixture.Accelerator);
            session.Infer(ReadOnlySpan<sbyte>.Empty, Span<sbyte>.Empty, 0);
            Assert.Equal(1, session.Capacity);
        }

        [Fact]
        public void WrongShapesAreRejectedWithClearMessages()
        {
            using var session = new DigitsMlp.GpuSession(fixture.Accelerator);
            var e = Assert.Throws<ArgumentException>(() => session.Infer(new sbyte[63], new sbyte[10], 1));
            Assert.Equal("inputs", e.ParamName);
            Assert.Contains("expected 1 x 64 input elements, got 63", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => session.Infer(new sbyte[128], new sbyte[10], 2));
            Assert.Equal("outputs", e.ParamName);
            Assert.Contains("expected room for 2 x 10 output elements, got 10", e.Message, StringComparison.Ordinal);
            e = Assert.Throws<ArgumentException>(() => session.Infer(new sbyte[128], new sbyte[20], 1));
            Assert.Equal("inputs", e.ParamName);
            var r = Assert.Throws<ArgumentOutOfRangeException>(() => session.Infer(new sbyte[64], new sbyte[10], -1));
            Assert.Equal("batchSize", r.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => session.Infer(ReadOnlySpan<sbyte>.Empty, Span<sbyte>.Empty, DigitsMlp.GpuSession.MaxBatchSize + 1));
        }

        [Fact]
        public void DisposedSessionThrowsObjectDisposedException()
        {
            var session = new DigitsVit.GpuSession(fixture.Accelerator);
            session.Infer(new sbyte[64], new sbyte[10]);
            session.Dispose();
            session.Dispose(); // idempotent
            Assert.Equal(0, session.Capacity);
            var e = Assert.Throws<ObjectDisposedException>(() => session.Infer(new sbyte[64], new sbyte[10]));
            Assert.Contains("GpuSession", e.ObjectName, StringComparison.Ordinal);
        }

        [Fact]
        public void DisposingAfterTheAcceleratorIsSafe()
        {
            using Context context = Context.Create(b => b.CPU(new CPUDevice(2, 1, 1)));
            Accelerator accelerator = context.CreateCPUAccelerator(0);
            var session = new DigitsMlp.GpuSession(accelerator);
            RunAndCheck(session, ModelCase.Mlp, 0, 1);
            accelerator.Dispose();
            session.Dispose();
            Assert.Throws<ObjectDisposedException>(() => session.Infer(new sbyte[64], new sbyte[10]));
        }

        [Fact]
        public void SessionsOnOneAcceleratorAreIndependent()
        {
            ModelCase c = ModelCase.Mlp;
            using var a = new DigitsMlp.GpuSession(fixture.Accelerator);
            using (var b = new DigitsMlp.GpuSession(fixture.Accelerator))
            {
                RunAndCheck(b, c, 0, 2);
            }

            RunAndCheck(a, c, 2, 2);
        }

        private static void RunAndCheck(DigitsMlp.GpuSession session, ModelCase c, int start, int count)
        {
            sbyte[] inputs = c.Inputs.Skip(start).Take(count).SelectMany(v => v).ToArray();
            var outputs = new sbyte[count * c.OutputLength];
            session.Infer(inputs, outputs, count);
            Assert.Equal(c.Expected.Skip(start).Take(count).SelectMany(v => v).ToArray(), outputs.Select(v => (int)v).ToArray());
        }
    }
}
