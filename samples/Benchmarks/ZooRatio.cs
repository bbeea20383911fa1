using System;
using System.Globalization;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `zoo-ratio [rounds]`: the zoo CNNs' runners of <see cref="ZooBenchmarks"/> (same setup, same inputs, same check against
    /// the reference interpreter) timed interleaved in one process, generated / ORT float / ORT QDQ in turn, keeping each
    /// runner's best Stopwatch median over the rounds. On a machine shared with other builds the best-of-rounds median is
    /// far steadier than a mean, and the interleaving gives every runner the same load; a cross-check of the
    /// BenchmarkDotNet table, not a replacement for it.
    /// </summary>
    public static class ZooRatio
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            foreach (string model in new[] { "resnet8", "ds_cnn", "mobilenet_v1" })
            {
                var b = new ZooBenchmarks { Model = model };
                b.Setup();
                double g = double.MaxValue, f = double.MaxValue, q = double.MaxValue;
                for (int r = 0; r < rounds; r++)
                {
                    g = Math.Min(g, Check.Time(b.Generated));
                    f = Math.Min(f, Check.Time(b.OrtFloat));
                    q = Math.Min(q, Check.Time(b.OrtQdq));
                }

                b.Cleanup();
                long macs = model switch { "resnet8" => ResNet8.Info.Macs, "ds_cnn" => DsCnn.Info.Macs, _ => MobileNetV1.Info.Macs };
                Console.WriteLine($"{model,-13} generated {g,9:F1} us  ORT float {f,9:F1} us  ORT QDQ {q,9:F1} us  ratio vs ORT best {Math.Min(f, q) / g,5:F2}x  {macs / g / 1000,6:F1} GMAC/s ({100 * macs / g / 1000 / 217,4:F1} % of 217)");
            }

            return 0;
        }
    }
}
