using System;
using System.Linq;
using Xunit;

namespace QuantGen.Tests.Gpu
{
    /// <summary>
    /// The one-input GPU session's classifier API (Predict one / batched, TopK, IQuantizedClassifier) on ILGPU's CPU
    /// accelerator, against the C# class's answers on the same inputs (the class is checked against the reference
    /// interpreter elsewhere).
    /// </summary>
    [Collection(CpuAcceleratorCollection.Name)]
    public class SessionClassifierTests
    {
        private readonly CpuAcceleratorFixture fixture;

        public SessionClassifierTests(CpuAcceleratorFixture fixture)
        {
            this.fixture = fixture;
        }

        private static float[] Pixels(Random rng, int n) => Enumerable.Range(0, n * 64).Select(_ => (float)(rng.NextDouble() * 16)).ToArray();

        [Fact]
        public void PredictAndTopKEqualTheCpuClassOnEveryDigitsModel()
        {
            Check(new DigitsMlp.GpuSession(fixture.Accelerator), new DigitsMlp(), 11);
            Check(new DigitsCnn.GpuSession(fixture.Accelerator), new DigitsCnn(), 12);
            Check(new DigitsVit.GpuSession(fixture.Accelerator), new DigitsVit(), 13);
        }

        private static void Check(IQuantizedClassifier gpu, IQuantizedClassifier cpu, int seed)
        {
            using var dispose = (IDisposable)gpu;
            Assert.Equal((cpu.ClassCount, cpu.OutputsAreProbabilities), (gpu.ClassCount, gpu.OutputsAreProbabilities));
            var rng = new Random(seed);
            const int n = 9;
            float[] batch = Pixels(rng, n);
            int[] expected = cpu.Predict(batch, n);
            Assert.Equal(expected, gpu.Predict(batch, n));
            var labels = new int[n];
            gpu.Predict(batch, labels);
            Assert.Equal(expected, labels);
            var top = new Prediction[3];
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> x = batch.AsSpan(i * 64, 64);
                Assert.Equal(expected[i], gpu.Predict(x));
                Assert.Equal(cpu.TopK(x, 3), gpu.TopK(x, 3));
                Assert.Equal(cpu.TopK(x, 99), gpu.TopK(x, 99));
                Assert.Equal(3, gpu.TopK(x, top));
                Assert.Equal(cpu.TopK(x, 3), top);
                Assert.Equal(expected[i], top[0].Index);
            }

            // A smaller batch after a larger one reuses the host rows; an empty batch writes nothing.
            Assert.Equal(expected.Take(2), gpu.Predict(batch.AsSpan(0, 128), 2));
            Assert.Empty(gpu.Predict(ReadOnlySpan<float>.Empty, 0));
        }

        [Fact]
        public void BadCallsThrowTheDocumentedExceptionsAndWriteNoLabel()
        {
            var session = new DigitsMlp.GpuSession(fixture.Accelerator);
            float[] two = Pixels(new Random(3), 2);
            Assert.Contains("expected 64 input elements, got 3", Assert.Throws<ArgumentException>(() => session.Predict(new float[3])).Message);
            Assert.Contains("expected 3 x 64 input elements, got 128", Assert.Throws<ArgumentException>(() => session.Predict(two, new int[3])).Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => session.Predict(two, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => session.Predict(two, DigitsMlp.GpuSession.MaxBatchSize + 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => session.TopK(two.AsSpan(0, 64), 0));
            two[64 + 5] = float.NaN;
            var labels = new[] { -7, -7 };
            Assert.Contains("is NaN", Assert.Throws<ArgumentException>(() => session.Predict(two, labels)).Message);
            Assert.Equal(new[] { -7, -7 }, labels);
            session.Dispose();
            Assert.Throws<ObjectDisposedException>(() => session.Predict(two.AsSpan(0, 64)));
            Assert.Throws<ObjectDisposedException>(() => session.Predict(two, new int[2]));
            Assert.Throws<ObjectDisposedException>(() => session.TopK(two.AsSpan(0, 64), new Prediction[2]));
        }
    }
}
