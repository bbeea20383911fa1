using System;
using System.Globalization;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `zoo-ratio [rounds] [cnn|mlp]`: the zoo CNNs' runners of <see cref="ZooBenchmarks"/>, then the jet tagger's and the
    /// autoencoder's and DeiT-Tiny's (fewer samples) of <see cref="TransformerZooBenchmarks"/> (`cnn`: the CNNs only; `mlp`: the
    /// jet tagger and the autoencoder only) (same setup, same inputs, same check against
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
            string set = args.Length > 1 ? args[1] : "all";
            foreach (string model in set == "mlp" ? Array.Empty<string>() : new[] { "resnet8", "ds_cnn", "mobilenet_v1" })
            {
                var b = new ZooBenchmarks { Model = model };
                b.Setup();
                (double g, double f, double q) = Best(rounds, b.Generated, b.OrtFloat, b.OrtQdq);
                b.Cleanup();
                long macs = model switch { "resnet8" => ResNet8.Info.Macs, "ds_cnn" => DsCnn.Info.Macs, _ => MobileNetV1.Info.Macs };
                Console.WriteLine($"{model,-13} generated {g,9:F1} us  ORT float {f,9:F1} us  ORT QDQ {q,9:F1} us  ratio vs ORT best {Math.Min(f, q) / g,5:F2}x  {macs / g / 1000,6:F1} GMAC/s");
            }

            foreach (string model in set == "cnn" ? Array.Empty<string>() : new[] { "jet_tagger", "ad_autoencoder" })
            {
                var t = new TransformerZooBenchmarks { Model = model };
                t.Setup();
                (double g, double f, double q) = Best(rounds, t.Generated, t.OrtFloat, t.OrtQdq);
                t.Cleanup();
                Console.WriteLine($"{model,-13} generated {g,9:F3} us  ORT float {f,9:F3} us  ORT QDQ {q,9:F3} us  ratio vs ORT best {Math.Min(f, q) / g,5:F2}x");
            }

            if (set == "all")
            {
                var t = new TransformerZooBenchmarks { Model = "deit_tiny" };
                t.Setup();
                (double g, double f, double q) = Best(rounds, t.Generated, t.OrtFloat, t.OrtQdq, warmup: 2, samples: 9);
                t.Cleanup();

                // The float export is opt-in for DeiT-Tiny (its OrtFloat is a no-op without the file): ORT QDQ is then the best.
                string fs = f < 1 ? "      (none)" : $"{f,9:F1} us";
                Console.WriteLine($"{"deit_tiny",-13} generated {g,9:F1} us  ORT float {fs}  ORT QDQ {q,9:F1} us  ratio vs ORT best {(f < 1 ? q : Math.Min(f, q)) / g,5:F2}x");
            }

            return 0;
        }

        /// <summary>The three runners timed in turn, `rounds` times: each one's best Stopwatch median.</summary>
        private static (double Generated, double OrtFloat, double OrtQdq) Best(int rounds, Action g, Action f, Action q, int warmup = 20, int samples = 31)
        {
            double bg = double.MaxValue, bf = double.MaxValue, bq = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                bg = Math.Min(bg, Check.Time(g, warmup, samples));
                bf = Math.Min(bf, Check.Time(f, warmup, samples));
                bq = Math.Min(bq, Check.Time(q, warmup, samples));
            }

            return (bg, bf, bq);
        }
    }
}
