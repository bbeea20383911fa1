using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Short runs for a 2-core shared machine: 3 launches are too many here, so 1 launch, 3 warm-up and 10 measured
    /// iterations (medians reported), memory diagnoser on (bytes allocated per call).
    /// </summary>
    public sealed class ShortConfig : ManualConfig
    {
        public ShortConfig()
        {
            AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("Short"));
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }
}
