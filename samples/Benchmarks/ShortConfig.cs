using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// Short runs for a 2-core shared machine: in-process (no per-benchmark project rebuild), 1 launch, 3 warm-up and
    /// 15 measured iterations (medians reported), memory diagnoser on (bytes allocated per call), GitHub markdown export.
    /// </summary>
    public sealed class ShortConfig : ManualConfig
    {
        public ShortConfig()
        {
            Add(DefaultConfig.Instance);
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithId("Short"));
            AddDiagnoser(MemoryDiagnoser.Default);
            AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
            AddExporter(MarkdownExporter.GitHub);
            WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        }
    }
}
