using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `tfm-layers [deit_tiny|jet_tagger|ad_autoencoder]`: where the time of the zoo's transformer and MLPs goes. Every
    /// generated layer method is timed on its own (random operands, <see cref="LayerRunner"/>, Stopwatch medians), then the
    /// layers are summed by operator and, for DeiT-Tiny, by the role of the layer in its block (the name after
    /// `blocks_blocks_N_`), beside the whole `Infer` call, its bytes per call and a check against the reference
    /// interpreter. A profiling aid for choosing what to optimize; the BenchmarkDotNet numbers are the ones to report.
    /// </summary>
    public static class TransformerProfile
    {
        public static int Run(string[] models)
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            bool ok = true;
            foreach (string name in models.Length > 0 ? models : new[] { "deit_tiny", "jet_tagger", "ad_autoencoder" })
            {
                ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, name + ".qmodel.json")).GetGraphOrThrow();
                var rng = new Random(42);
                sbyte[] input = Enumerable.Range(0, graph.Input.ElementCount).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                (object model, global::QuantGen.ModelInfo info, Action infer, Func<int[]> output) = name switch
                {
                    "deit_tiny" => Bind(new DeitTiny(), DeitTiny.Info, input, new sbyte[graph.Output.ElementCount], (m, i, o) => m.Infer(i, o)),
                    "jet_tagger" => Bind(new JetTagger(), JetTagger.Info, input, new short[graph.Output.ElementCount], (m, i, o) => m.Infer(i, o)),
                    _ => Bind(new AdAutoencoder(), AdAutoencoder.Info, input, new sbyte[graph.Output.ElementCount], (m, i, o) => m.Infer(i, o)),
                };
                if (Environment.GetEnvironmentVariable("QUANTGEN_ZOO_LOOP") is string loop)
                {
                    // For `perf record`: only Infer, for the given number of seconds. Prints the process CPU time per call, less
                    // disturbed by the load of other processes than wall time (as `zoo-layers` does).
                    for (int i = 0; i < 5; i++)
                    {
                        infer();
                    }

                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    TimeSpan cpu0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                    long calls = 0;
                    while (sw.Elapsed.TotalSeconds < double.Parse(loop, CultureInfo.InvariantCulture))
                    {
                        infer();
                        calls++;
                    }

                    double cpuUs = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / calls;
                    Console.WriteLine($"{name}: {calls} calls, {cpuUs:F1} us of process CPU time per call (wall {sw.Elapsed.TotalMilliseconds * 1000 / calls:F1} us); load average {Load()}");
                    continue;
                }

                infer();
                int[] expected = new ReferenceInterpreter(graph).Run(input.Select(v => (int)v).ToArray());
                int mismatches = expected.Where((v, i) => v != output()[i]).Count();
                Console.WriteLine($"{name}: generated vs reference interpreter: {mismatches} mismatches of {expected.Length}");
                ok &= mismatches == 0;
                double whole = Median(infer);
                Console.WriteLine($"{name}: Infer {whole:F1} us, {Check.Bytes(infer)} B/call, {info.Macs / whole / 1000:F1} GMAC/s ({info.Macs:N0} MACs); load average {Load()}");
                var rows = new List<(string Name, string Op, string Kernel, long Macs, double Us)>();
                var timed = new List<LayerRunner>();
                foreach (GraphNode n in graph.Nodes)
                {
                    global::QuantGen.LayerInfo li = info.Layers.First(i => i.Name == n.Layer.Name);
                    double us;
                    try
                    {
                        var runner = new LayerRunner(model, n);
                        us = Median(runner.Run);
                        timed.Add(runner);
                    }
                    catch (Exception e) when (e is InvalidOperationException || e is ArgumentException || e is InvalidCastException)
                    {
                        us = double.NaN;
                    }

                    rows.Add((n.Layer.Name, n.Layer.Op.ToString(), li.Kernel, li.Macs, us));
                }

                double total = rows.Where(r => !double.IsNaN(r.Us)).Sum(r => r.Us);
                if (graph.Nodes.Count <= 40)
                {
                    foreach (var r in rows)
                    {
                        Console.WriteLine($"  {r.Name,-40} {r.Op,-10} {r.Us,9:F2} us {100 * r.Us / total,5:F1} % {Rate(r.Macs, r.Us),-14} {r.Kernel}");
                    }
                }

                Console.WriteLine($"  sum of layers {total:F1} us ({rows.Count(r => double.IsNaN(r.Us))} layers not timed on their own)");

                // The timed layers back to back (each on its own operands, in graph order: every weight matrix passes through the
                // caches once per round, as in Infer) against Infer, interleaved, best of 3: chained minus the sum above is what
                // running the layers one after the other costs over timing each alone; Infer minus chained is the work outside
                // the layer methods plus the layers that cannot run alone (Split).
                void Chained()
                {
                    foreach (LayerRunner l in timed)
                    {
                        l.Run();
                    }
                }

                double inferBest = double.MaxValue, chainBest = double.MaxValue;
                for (int round = 0; round < 3; round++)
                {
                    inferBest = Math.Min(inferBest, Median(infer));
                    chainBest = Math.Min(chainBest, Median(Chained));
                }

                Console.WriteLine($"  interleaved best of 3: Infer {inferBest:F1} us, timed layers back to back {chainBest:F1} us (outside them {inferBest - chainBest:F1} us)");
                Console.WriteLine("  by operator:");
                foreach (var g in rows.GroupBy(r => r.Op).OrderByDescending(g => g.Sum(r => r.Us)))
                {
                    double us = g.Sum(r => r.Us);
                    Console.WriteLine($"    {g.Key,-12} {g.Count(),4} layers {us,10:F1} us {100 * us / total,5:F1} % {Rate(g.Sum(r => r.Macs), us)}");
                }

                if (name == "deit_tiny")
                {
                    Console.WriteLine("  by role in the 12 blocks (the rest: outside the blocks):");
                    foreach (var g in rows.GroupBy(r => Role(r.Name)).OrderByDescending(g => g.Sum(r => r.Us)))
                    {
                        double us = g.Sum(r => r.Us);
                        var first = g.First();
                        Console.WriteLine($"    {g.Key,-28} {first.Op,-10} {g.Count(),3} x {us / g.Count(),9:F1} us = {us,9:F1} us {100 * us / total,5:F1} % {Rate(g.Sum(r => r.Macs), us),-14} {first.Kernel}");
                    }
                }
            }

            return ok ? 0 : 1;
        }

        /// <summary>Median of 15 timed calls after 3 warm-up calls (a few ms per layer, unlike Check.Time's default thousands of repetitions).</summary>
        private static double Median(Action a) => Check.Time(a, warmup: 3, samples: 15, batchBelowMs: 0.05, batchReps: 20);

        private static string Role(string layer)
        {
            const string prefix = "blocks_blocks_";
            if (!layer.StartsWith(prefix, StringComparison.Ordinal))
            {
                return layer;
            }

            int end = layer.IndexOf('_', prefix.Length);
            return end < 0 ? layer : layer.Substring(end + 1);
        }

        private static string Rate(long macs, double us) => macs > 0 && us > 0 ? (macs / us / 1000).ToString("F1", CultureInfo.InvariantCulture) + " GMAC/s" : string.Empty;

        private static string Load()
        {
            try
            {
                return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
            }
            catch (IOException)
            {
                return "n/a";
            }
        }

        private static (object, global::QuantGen.ModelInfo, Action, Func<int[]>) Bind<T, TOut>(T model, global::QuantGen.ModelInfo info, sbyte[] input, TOut[] output, Action<T, sbyte[], TOut[]> infer)
            where T : class
            where TOut : struct, IConvertible
        {
            return (model, info, () => infer(model, input, output), () => output.Select(v => v.ToInt32(CultureInfo.InvariantCulture)).ToArray());
        }
    }
}
