using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace QuantGen.Benchmarks
{
    /// <summary>Single generated layers of the encoder block (Dense and MatMul), for GMAC/s per layer against the kernel peak.</summary>
    public class LayerBenchmarks
    {
        private LayerRunner? runner;

        public static IEnumerable<string> Layers => new[] { "q", "proj", "fc1", "fc2", "scores", "ctx", "attn", "ln1", "gelu", "res1" };

        [ParamsSource(nameof(Layers))]
        public string Layer { get; set; } = "fc1";

        [GlobalSetup]
        public void Setup() => runner = LayerRunner.ForEncoder(new EncoderBlock()).First(l => l.Name == Layer);

        [Benchmark]
        public void Run() => runner!.Run();
    }
}
