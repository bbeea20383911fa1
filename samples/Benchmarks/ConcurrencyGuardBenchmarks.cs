using System;
using System.Linq;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// What the concurrent-use guard (issue 17 item 9) costs per call: the same model generated twice, once with the guard
    /// (the default) and once with [QuantizedModel(..., ConcurrencyCheck = false)], batch 1, int8 in, one thread, same
    /// inputs, same run. The jet tagger (16-64-32-32-5 + Softmax, ~0.14 us on a quiet core) is the smallest call there
    /// is, so the guard's share is largest there. The setup checks both classes give the same output.
    /// </summary>
    [MinColumn]
    public class ConcurrencyGuardBenchmarks
    {
        private int busy;

        private readonly JetTagger jet = new JetTagger();
        private readonly JetTaggerUnchecked jetUnchecked = new JetTaggerUnchecked();
        private readonly DigitsMlp mlp = new DigitsMlp();
        private readonly DigitsMlpUnchecked mlpUnchecked = new DigitsMlpUnchecked();
        private readonly sbyte[] jetIn = new sbyte[JetTagger.InputLength];
        private readonly short[] jetOut = new short[JetTagger.OutputLength];
        private readonly sbyte[] mlpIn = new sbyte[DigitsMlp.InputLength];
        private readonly sbyte[] mlpOut = new sbyte[DigitsMlp.OutputLength];

        [GlobalSetup]
        public void Setup()
        {
            var rng = new Random(42);
            for (int i = 0; i < jetIn.Length; i++)
            {
                jetIn[i] = (sbyte)rng.Next(JetTagger.InputMin, JetTagger.InputMax + 1);
            }

            for (int i = 0; i < mlpIn.Length; i++)
            {
                mlpIn[i] = (sbyte)rng.Next(DigitsMlp.InputMin, DigitsMlp.InputMax + 1);
            }

            var a = new short[jetOut.Length];
            jet.Infer(jetIn, a);
            jetUnchecked.Infer(jetIn, jetOut);
            var b = new sbyte[mlpOut.Length];
            mlp.Infer(mlpIn, b);
            mlpUnchecked.Infer(mlpIn, mlpOut);
            if (!a.SequenceEqual(jetOut) || !b.SequenceEqual(mlpOut))
            {
                throw new InvalidOperationException("the guarded and unguarded classes disagree");
            }
        }

        [Benchmark(Baseline = true)]
        public void JetTaggerUnguarded() => jetUnchecked.Infer(jetIn, jetOut);

        [Benchmark]
        public void JetTaggerGuarded() => jet.Infer(jetIn, jetOut);

        [Benchmark]
        public void DigitsMlpUnguarded() => mlpUnchecked.Infer(mlpIn, mlpOut);

        [Benchmark]
        public void DigitsMlpGuarded() => mlp.Infer(mlpIn, mlpOut);

        /// <summary>The guard alone, as the generated code takes and releases it (BenchmarkDotNet subtracts the call overhead).</summary>
        [Benchmark]
        public void GuardAlone()
        {
            if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
            {
                QuantGen.Generation.ConcurrentUse.Throw(nameof(GuardAlone));
            }

            Volatile.Write(ref busy, 0);
        }
    }
}
