using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using QuantGen.CpuCheck;
using QuantGen.Data;
using QuantGen.Interpreters;
using QuantGen.Model;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// Issue 17 item 9: one generated instance shared by several threads used to return wrong numbers silently. Every
    /// public entry point now takes a busy flag; an overlapping call throws InvalidOperationException, a call that does
    /// not throw ran alone (so its result is exact), and one instance per thread is exact and never throws.
    /// </summary>
    public class ConcurrencyGuardTests
    {
        private static readonly ReferenceInterpreter CnnReference =
            new ReferenceInterpreter(ModelLoader.Load(Path.Combine(GeneratorHarness.RepoModels, "digits_cnn.qmodel.json")).GetGraphOrThrow());

        private static readonly List<Sample> Samples =
            LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv"))).Split("test").Take(64).ToList();

        /// <summary>Memory whose first GetSpan after <see cref="Arm"/> blocks until released: holds an InferParallel call inside the guard.</summary>
        private sealed class BlockingMemory : MemoryManager<sbyte>
        {
            private readonly sbyte[] data;
            private int calls = int.MinValue;

            public BlockingMemory(sbyte[] data) => this.data = data;

            public ManualResetEventSlim Entered { get; } = new ManualResetEventSlim();

            public ManualResetEventSlim Release { get; } = new ManualResetEventSlim();

            /// <summary>From now on the first GetSpan blocks (creating <see cref="MemoryManager{T}.Memory"/> calls GetSpan too).</summary>
            public void Arm() => Volatile.Write(ref calls, 0);

            public override Span<sbyte> GetSpan()
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    Entered.Set();
                    Release.Wait();
                }

                return data;
            }

            public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

            public override void Unpin()
            {
            }

            protected override void Dispose(bool disposing)
            {
            }
        }

        private static sbyte[] Quantized(Sample s) => CnnReference.Quantize(s.Features).Select(v => (sbyte)v).ToArray();

        private static int[] Expected(Sample s) => CnnReference.Run(CnnReference.Quantize(s.Features));

        [Fact]
        public void ACallFromAnotherThreadWhileOneRunsThrowsAndTheFirstCallStaysExact()
        {
            var model = new Cnn();
            sbyte[] x = Quantized(Samples[0]);
            var blocking = new BlockingMemory(x);
            var first = new sbyte[Cnn.OutputLength];
            ReadOnlyMemory<sbyte> memory = blocking.Memory;
            blocking.Arm();
            Exception? firstError = null;
            var running = new Thread(() =>
            {
                try
                {
                    model.InferParallel(memory, first, 1);
                }
                catch (Exception e)
                {
                    firstError = e;
                }
            });
            running.Start();
            Assert.True(blocking.Entered.Wait(TimeSpan.FromMinutes(2)), "the first call never reached its input");

            // Four threads, each through a different entry point, while the first call is inside.
            var intruders = new Action[]
            {
                () => model.Infer(x, new sbyte[Cnn.OutputLength]),
                () => model.Infer(x, new sbyte[Cnn.OutputLength], 1),
                () => model.Run(Samples[1].Features),
                () => model.Predict(Samples[1].Features),
                () => model.Predict(Samples[1].Features, new int[1]),
                () => model.TopK(Samples[1].Features, 3),
                () => model.InferParallel(x, new sbyte[Cnn.OutputLength], 1),
            };
            var caught = new Exception?[intruders.Length];
            var threads = intruders.Select((a, i) => new Thread(() =>
            {
                try
                {
                    a();
                }
                catch (Exception e)
                {
                    caught[i] = e;
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            blocking.Release.Set();
            running.Join();
            Assert.Null(firstError);

            Assert.All(caught, e =>
            {
                var ioe = Assert.IsType<InvalidOperationException>(e);
                Assert.Contains("Cnn: this instance is already running a call on another thread", ioe.Message, StringComparison.Ordinal);
                Assert.Contains("create one instance per thread", ioe.Message, StringComparison.Ordinal);
                Assert.Contains("InferParallel", ioe.Message, StringComparison.Ordinal);
            });
            Assert.Equal(Generation.ConcurrentUse.Message("Cnn"), caught[0]!.Message);
            Assert.Equal(Expected(Samples[0]), first.Select(v => (int)v));

            // The flag was released: the instance works again, exactly.
            var again = new sbyte[Cnn.OutputLength];
            model.Infer(Quantized(Samples[2]), again);
            Assert.Equal(Expected(Samples[2]), again.Select(v => (int)v));
        }

        /// <summary>Four threads hammering one instance: the misuse is reported (bounded loop), and no call returns a wrong result.</summary>
        [Fact]
        public void FourThreadsOnOneInstanceGetTheExceptionAndNeverAWrongResult()
        {
            var model = new Cnn();
            sbyte[][] inputs = Samples.Select(Quantized).ToArray();
            int[][] expected = Samples.Select(Expected).ToArray();
            const int MaxCallsPerThread = 200_000;
            int detected = 0, wrong = 0, exact = 0;
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                var y = new sbyte[Cnn.OutputLength];
                for (int i = 0; i < MaxCallsPerThread && Volatile.Read(ref detected) < 20; i++)
                {
                    int s = (t * 17 + i) % inputs.Length;
                    try
                    {
                        model.Infer(inputs[s], y);
                    }
                    catch (InvalidOperationException)
                    {
                        Interlocked.Increment(ref detected);
                        continue;
                    }

                    bool same = true;
                    for (int k = 0; k < y.Length; k++)
                    {
                        same &= y[k] == expected[s][k];
                    }

                    Interlocked.Increment(ref same ? ref exact : ref wrong);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.True(detected > 0, $"no concurrent use detected in {4 * MaxCallsPerThread} calls");
            Assert.Equal(0, wrong);
            Assert.True(exact > 0);
        }

        [Fact]
        public void OneInstancePerThreadIsBitExactAndNeverThrows()
        {
            sbyte[][] inputs = Samples.Select(Quantized).ToArray();
            int[][] expected = Samples.Select(Expected).ToArray();
            int wrong = 0, calls = 0;
            var errors = new List<Exception>();
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                try
                {
                    var model = new Cnn();
                    var y = new sbyte[Cnn.OutputLength];
                    for (int i = 0; i < 3000; i++)
                    {
                        int s = (t * 17 + i) % inputs.Length;
                        model.Infer(inputs[s], y);
                        if (!y.Select(v => (int)v).SequenceEqual(expected[s]))
                        {
                            Interlocked.Increment(ref wrong);
                        }

                        Interlocked.Increment(ref calls);
                    }
                }
                catch (Exception e)
                {
                    lock (errors)
                    {
                        errors.Add(e);
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
            Assert.Equal(4 * 3000, calls);
            Assert.Equal(0, wrong);
        }
    }
}
