using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Operators;

namespace QuantGen.Samples.Zoo
{
    /// <summary>
    /// `--profile-reference [--only TEXT] [--inputs N]`: the reference interpreter's time per operator on the imported zoo
    /// files, one layer at a time through each operator's <see cref="Operator.Reference"/> (the loop of
    /// <see cref="ReferenceInterpreter"/>, timed), on N test inputs after one warm-up input; the whole interpreter's time
    /// per input too, and its outputs checked equal to the layer-by-layer run. Process CPU time (the machine is shared). A
    /// measuring tool, not a test.
    /// </summary>
    public static class ReferenceProfile
    {
        public static int Run(IEnumerable<ZooImport> imports, int inputs)
        {
            bool same = true;
            foreach (ZooImport im in imports.Where(i => i.Model != null))
            {
                ModelGraph g = im.Model!.Graph;
                List<(float[] Input, int Label)> data = ZooCatalog.Data(im.Entry.Model, "test", inputs + 1);
                var perOp = new Dictionary<OpKind, (double Seconds, long Macs, int Layers)>();
                var perNode = new double[g.Nodes.Count];
                var reference = new ReferenceInterpreter(g);
                double whole = 0, wholeWall = 0;
                for (int s = 0; s < data.Count; s++)
                {
                    int[][] q = ZooCatalog.Quantize(g, data[s].Input);
                    var values = new Dictionary<string, int[]>(StringComparer.Ordinal);
                    for (int k = 0; k < q.Length; k++)
                    {
                        values[g.Inputs[k].Name] = q[k];
                    }

                    for (int n = 0; n < g.Nodes.Count; n++)
                    {
                        GraphNode node = g.Nodes[n];
                        int[][] ins = node.Inputs.Select(t => t.Kind == TensorKind.Initializer ? t.IntData! : values[t.Name]).ToArray();
                        int[][] outs = node.Outputs.Select(t => new int[t.ElementCount]).ToArray();
                        TimeSpan cpu0 = Cpu();
                        OperatorRegistry.Core.Find(node.Layer.Op)!.Reference(node, ins, outs);
                        double t = (Cpu() - cpu0).TotalSeconds;
                        for (int j = 0; j < outs.Length; j++)
                        {
                            values[node.Outputs[j].Name] = outs[j];
                        }

                        if (s == 0)
                        {
                            continue;   // warm-up: the first call of each operator pays its JIT compilation
                        }

                        perNode[n] += t;
                        (double sec, long macs, int layers) = perOp.TryGetValue(node.Layer.Op, out var v) ? v : (0, 0, 0);
                        perOp[node.Layer.Op] = (sec + t, macs + node.Macs, layers + 1);
                    }

                    var wall = Stopwatch.StartNew();
                    TimeSpan cpu1 = Cpu();
                    int[][] r = reference.RunMany(q);
                    if (s > 0)
                    {
                        whole += (Cpu() - cpu1).TotalSeconds;
                        wholeWall += wall.Elapsed.TotalSeconds;
                    }

                    for (int j = 0; j < r.Length; j++)
                    {
                        same &= r[j].SequenceEqual(values[g.Outputs[j].Name]);
                    }
                }

                double total = perOp.Values.Sum(v => v.Seconds) / inputs;
                Console.WriteLine($"{im.Entry.File}: reference interpreter {whole / inputs * 1000:F1} ms CPU time per input ({wholeWall / inputs * 1000:F1} ms wall; {inputs} inputs after a warm-up; layer by layer {total * 1000:F1} ms CPU), load average {LoadAverage()}, {g.Nodes.Count} layers, {g.Nodes.Sum(x => x.Macs) / 1e6:F1} MMAC");
                Console.WriteLine("| operator | layers | CPU ms per input | share | MMAC | GMAC/s |");
                Console.WriteLine("|---|---|---|---|---|---|");
                foreach (KeyValuePair<OpKind, (double Seconds, long Macs, int Layers)> kv in perOp.OrderByDescending(x => x.Value.Seconds))
                {
                    double sec = kv.Value.Seconds / inputs;
                    long macs = kv.Value.Macs / inputs;
                    string rate = macs > 0 ? (macs / sec / 1e9).ToString("F2", CultureInfo.InvariantCulture) : "-";
                    Console.WriteLine($"| {kv.Key} | {kv.Value.Layers / inputs} | {sec * 1000:F1} | {sec / total * 100:F1} % | {macs / 1e6:F1} | {rate} |");
                }

                Console.WriteLine("slowest layers:");
                foreach (int n in Enumerable.Range(0, g.Nodes.Count).OrderByDescending(i => perNode[i]).Take(8))
                {
                    Console.WriteLine($"  {g.Nodes[n].Layer.Name,-40} {g.Nodes[n].Layer.Op,-12} {perNode[n] / inputs * 1000,8:F2} ms");
                }

                Console.WriteLine();
            }

            Console.WriteLine($"{(Debugger.IsAttached ? "debugger attached; " : string.Empty)}QuantGen.Compiler built {(IsOptimized(typeof(Operator).Assembly) ? "optimized" : "without optimizations (Debug)")}");
            Console.WriteLine(same ? "the interpreter's outputs equal the layer-by-layer run" : "MISMATCH between the interpreter and the layer-by-layer run");
            return same ? 0 : 1;
        }

        /// <summary>The process's CPU time: on a loaded machine the wall clock measures the other processes too.</summary>
        private static TimeSpan Cpu()
        {
            using Process p = Process.GetCurrentProcess();
            return p.TotalProcessorTime;
        }

        private static bool IsOptimized(System.Reflection.Assembly a) =>
            a.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().All(d => d.IsJITOptimizerDisabled == false);

        private static string LoadAverage()
        {
            try
            {
                return System.IO.File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
            }
            catch (System.IO.IOException)
            {
                return "n/a";
            }
        }
    }
}
