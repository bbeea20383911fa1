using System;
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
    /// `zoo-layers`: where the time of each zoo model goes. Every generated layer method is called on its own (random
    /// operands, <see cref="LayerRunner"/>) and timed with Stopwatch medians; the whole `Infer` call and its bytes per call
    /// are printed beside the sum. A profiling aid for choosing what to optimize, not a benchmark: the BenchmarkDotNet
    /// numbers are the ones to report.
    /// </summary>
    public static class ZooProfile
    {
        public static int Run(string[] models)
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            bool ok = true;
            foreach (string name in models.Length > 0 ? models : new[] { "resnet8", "ds_cnn", "mobilenet_v1" })
            {
                ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, name + ".qmodel.json")).GetGraphOrThrow();
                var rng = new Random(42);
                sbyte[] input = Enumerable.Range(0, graph.Input.ElementCount).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                sbyte[] output = new sbyte[graph.Output.ElementCount];
                (object model, global::QuantGen.ModelInfo info, Action infer) = name switch
                {
                    "resnet8" => Bind(new ResNet8(), ResNet8.Info, (m, i, o) => m.Infer(i, o), input, output),
                    "ds_cnn" => Bind(new DsCnn(), DsCnn.Info, (m, i, o) => m.Infer(i, o), input, output),
                    "mobilenet_v1" => Bind(new MobileNetV1(), MobileNetV1.Info, (m, i, o) => m.Infer(i, o), input, output),
                    _ => throw new ArgumentException($"zoo-layers: unknown model '{name}' (resnet8, ds_cnn, mobilenet_v1; the MLPs and DeiT-Tiny: tfm-layers)"),
                };
                if (Environment.GetEnvironmentVariable("QUANTGEN_ZOO_LOOP") is string loop)
                {
                    // For `perf record`: only Infer, for the given number of seconds.
                    // CPU time per call: less disturbed by the load of other processes than wall time.
                    // QUANTGEN_ZOO_LAYER=<layer name> loops that layer alone (random operands, as the profile below).
                    if (Environment.GetEnvironmentVariable("QUANTGEN_ZOO_LAYER") is string only)
                    {
                        infer = new LayerRunner(model, graph.Nodes.First(n => n.Layer.Name == only)).Run;
                    }

                    for (int i = 0; i < 200; i++)
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
                    Console.WriteLine($"{name}: {calls} calls, {cpuUs:F2} us of process CPU time per call (wall {sw.Elapsed.TotalMilliseconds * 1000 / calls:F2} us)");
                    continue;
                }

                infer();
                int[] expected = new ReferenceInterpreter(graph).Run(input.Select(v => (int)v).ToArray());
                int mismatches = expected.Where((v, i) => v != output[i]).Count();
                Console.WriteLine($"{name}: generated vs reference interpreter: {mismatches} mismatches of {expected.Length}");
                ok &= mismatches == 0;
                double whole = Check.Time(infer);
                Console.WriteLine($"{name}: Infer {whole:F1} us, {Check.Bytes(infer)} B/call, {info.Macs / whole / 1000:F1} GMAC/s");
                double total = 0;
                var rows = graph.Nodes.Select(n => new LayerRunner(model, n)).Select(l => (l, us: Check.Time(l.Run))).ToList();
                total = rows.Sum(r => r.us);
                foreach ((LayerRunner l, double us) in rows)
                {
                    global::QuantGen.LayerInfo li = info.Layers.First(i => i.Name == l.Name);
                    string rate = li.Macs > 0 ? (li.Macs / us / 1000).ToString("F1", CultureInfo.InvariantCulture) + " GMAC/s" : string.Empty;
                    Console.WriteLine($"  {l.Name,-28} {l.Op,-8} {string.Join("x", li.OutputShape),-12} {us,8:F1} us {100 * us / total,5:F1} % {rate,-14} {li.Kernel}");
                }

                Console.WriteLine($"  sum of layers {total:F1} us");

                // The layers back to back (each on its own operands, in graph order) against Infer, interleaved: Infer minus
                // that is the work outside the layer methods (argument checks, guard, copies); chained minus the sum above is
                // what running them one after the other costs (caches) over timing each alone.
                LayerRunner[] runners = rows.Select(r => r.l).ToArray();
                void Chained()
                {
                    foreach (LayerRunner l in runners)
                    {
                        l.Run();
                    }
                }

                double inferBest = double.MaxValue, chainBest = double.MaxValue;
                for (int round = 0; round < 5; round++)
                {
                    inferBest = Math.Min(inferBest, Check.Time(infer));
                    chainBest = Math.Min(chainBest, Check.Time(Chained));
                }

                Console.WriteLine($"  interleaved best of 5: Infer {inferBest:F1} us, layers back to back {chainBest:F1} us (outside the layers {inferBest - chainBest:F1} us)");
            }

            return ok ? 0 : 1;
        }

        private static (object, global::QuantGen.ModelInfo, Action) Bind<T>(T model, global::QuantGen.ModelInfo info, Action<T, sbyte[], sbyte[]> infer, sbyte[] input, sbyte[] output)
            where T : class
        {
            return (model, info, () => infer(model, input, output));
        }
    }
}
