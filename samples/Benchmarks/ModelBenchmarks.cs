using BenchmarkDotNet.Attributes;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Generated code vs ONNX Runtime (float and QDQ int8 models), same inputs, one thread, batch 1 (latency) and
    /// 32 / 64 (throughput: one call runs the whole batch). GeneratedParallel is the opt-in multi-threaded path.
    /// </summary>
    public class ModelBenchmarks
    {
        private Workload? workload;

        [Params("digits_mlp", "encoder_block")]
        public string Model { get; set; } = "digits_mlp";

        [Params(1, 32, 64)]
        public int Batch { get; set; }

        [GlobalSetup]
        public void Setup() => workload = new Workload(Model, Batch);

        [GlobalCleanup]
        public void Cleanup() => workload?.Dispose();

        [Benchmark(Baseline = true)]
        public void OrtFloat() => workload!.OrtFloat();

        [Benchmark]
        public void OrtQdq() => workload!.OrtQdq();

        [Benchmark]
        public void Generated() => workload!.Generated();

        [Benchmark]
        public void GeneratedParallel() => workload!.GeneratedParallel();
    }

    /// <summary>The reference interpreter (the oracle, scalar, allocating), batch 1 only: it is slow on the encoder block.</summary>
    public class ReferenceBenchmarks
    {
        private Workload? workload;

        [Params("digits_mlp", "encoder_block")]
        public string Model { get; set; } = "digits_mlp";

        [GlobalSetup]
        public void Setup() => workload = new Workload(Model, 1);

        [GlobalCleanup]
        public void Cleanup() => workload?.Dispose();

        [Benchmark]
        public int[] Reference() => workload!.Reference(0);
    }
}
