using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Cli
{
    /// <summary>
    /// quantgen bench for a model with several named inputs/outputs or token ids: random samples in each input's declared
    /// range (ids in [0, n - 1]), the generated class's named Infer checked against the reference interpreter on every
    /// sample, then both measured (single thread, one sample per call).
    /// </summary>
    internal static class BenchMulti
    {
        public const int Samples = 256;

        public static int Run(CommandContext ctx, ModelGraph g, FileInfo file, double seconds)
        {
            var reference = new ReferenceInterpreter(g);
            List<int[][]> samples = RandomSamples(g, Samples);
            BenchCommand.Step(ctx, $"compiling the generated C# of {g.Name} in memory (the C# compiler's first run takes a few seconds)");
            CpuOutput cpu = BenchCommand.EmitCpu(g, file);
            Assembly assembly = BenchCommand.CompileWith(cpu, Driver(g), out AssemblyLoadContext context);
            try
            {
                Type runner = assembly.GetType("BenchRunner")!;

                // x[k]: input k of every sample, one after the other (the driver converts them once to the typed arrays).
                int[][] flat = Enumerable.Range(0, g.Inputs.Count).Select(k => samples.SelectMany(s => s[k]).ToArray()).ToArray();
                BenchCommand.Step(ctx, $"checking the generated code against the reference interpreter on {samples.Count} inputs");
                var outputs = (int[][])runner.GetMethod("RunAll")!.Invoke(null, new object[] { flat, samples.Count })!;
                int exact = 0;
                for (int s = 0; s < samples.Count; s++)
                {
                    int[][] expected = reference.RunMany(samples[s]);
                    bool same = true;
                    for (int k = 0; k < expected.Length; k++)
                    {
                        int n = expected[k].Length;
                        same &= expected[k].AsSpan().SequenceEqual(outputs[k].AsSpan(s * n, n));
                    }

                    exact += same ? 1 : 0;
                }

                BenchCommand.Step(ctx, $"measuring the generated code ({seconds.ToString("0.###", CultureInfo.InvariantCulture)} s) and the reference interpreter ({Math.Min(seconds, 1.0).ToString("0.###", CultureInfo.InvariantCulture)} s)");
                double generatedUs = (double)runner.GetMethod("Measure")!.Invoke(null, new object[] { flat, samples.Count, seconds })!;
                double referenceUs = MeasureReference(reference, samples, Math.Min(seconds, 1.0));
                long macs = g.Nodes.Sum(n => n.Macs);
                string path = (string)runner.GetMethod("SimdPath")!.Invoke(null, null)!;
                ctx.Output.WriteLine($"{g.Name}: {macs.ToString("N0", CultureInfo.InvariantCulture)} MACs per inference, {samples.Count} inputs (random: {string.Join(", ", g.Inputs.Select((t, k) => Describe(t, g.Spec.Inputs[k])))})");
                ctx.Output.WriteLine($"  generated C# ({path}): {generatedUs.ToString("0.000", CultureInfo.InvariantCulture)} us/inference, {(macs / generatedUs / 1000).ToString("0.00", CultureInfo.InvariantCulture)} GMAC/s, bit-exact on {exact}/{samples.Count}");
                ctx.Output.WriteLine($"  reference interpreter: {referenceUs.ToString("0.000", CultureInfo.InvariantCulture)} us/inference ({(referenceUs / generatedUs).ToString("0.0", CultureInfo.InvariantCulture)}x slower)");
                if (exact != samples.Count)
                {
                    ctx.Fail(CliErrors.CheckFailed, $"the generated code differs from the reference interpreter on {samples.Count - exact} inputs; please report this with the model file", file.Name);
                    return 1;
                }

                return 0;
            }
            finally
            {
                context.Unload();
            }
        }

        private static string Describe(TensorInfo t, InputSpec spec)
        {
            (long lo, long hi) = Bounds(t, spec);
            return $"{t.Name} {(t.IsIndex ? "ids" : t.Type.ToString())} in [{lo}, {hi}]";
        }

        private static (long Lo, long Hi) Bounds(TensorInfo t, InputSpec spec) =>
            t.IsIndex ? (0, (long)spec.RangeMax) : (RangeAnalysis.QuantizeBound(spec.RangeMin, t.Quant!), RangeAnalysis.QuantizeBound(spec.RangeMax, t.Quant!));

        /// <summary>Seeded uniform samples, one int[] per input, inside each input's declared range.</summary>
        internal static List<int[][]> RandomSamples(ModelGraph g, int count)
        {
            var rng = new Random(1);
            var bounds = g.Inputs.Select((t, k) => Bounds(t, g.Spec.Inputs[k])).ToList();
            return Enumerable.Range(0, count).Select(_ => g.Inputs.Select((t, k) =>
                Enumerable.Range(0, t.ElementCount).Select(__ => (int)rng.NextInt64(bounds[k].Lo, bounds[k].Hi + 1)).ToArray()).ToArray()).ToList();
        }

        private static double MeasureReference(ReferenceInterpreter reference, List<int[][]> samples, double seconds)
        {
            var sw = Stopwatch.StartNew();
            long runs = 0;
            while (sw.Elapsed.TotalSeconds < seconds || runs < samples.Count)
            {
                reference.RunMany(samples[(int)(runs % samples.Count)]);
                runs++;
            }

            return sw.Elapsed.TotalMilliseconds * 1000 / runs;
        }

        /// <summary>The driver over the class's named Infer (positional arguments: inputs then outputs, spec order).</summary>
        private static string Driver(ModelGraph g)
        {
            var tins = g.Inputs.Select(t => CSharp.Type(t.Type)).ToList();
            var touts = g.Outputs.Select(t => CSharp.Type(t.Type)).ToList();
            string convert = string.Concat(tins.Select((t, k) =>
                $"var a{k} = new {t}[x[{k}].Length]; for (int i = 0; i < a{k}.Length; i++) a{k}[i] = checked(({t})x[{k}][i]);\n"));
            string slices = string.Join(", ", g.Inputs.Select((t, k) => $"new ReadOnlySpan<{tins[k]}>(a{k}, s * {t.ElementCount}, {t.ElementCount})"));
            string outSlices = string.Join(", ", g.Outputs.Select((t, k) => $"new Span<{touts[k]}>(y{k}, s * {t.ElementCount}, {t.ElementCount})"));
            string outOne = string.Join(", ", g.Outputs.Select((_, k) => "o" + k));
            return $$"""
                using System;
                using System.Diagnostics;
                public static class BenchRunner
                {
                    public static string SimdPath() => BenchModel.SimdPath;

                    public static int[][] RunAll(int[][] x, int count)
                    {
                        {{convert}}
                        {{string.Concat(g.Outputs.Select((t, k) => $"var y{k} = new {touts[k]}[count * {t.ElementCount}];\n"))}}
                        var m = new BenchModel();
                        for (int s = 0; s < count; s++) m.Infer({{slices}}, {{outSlices}});
                        var r = new int[{{touts.Count}}][];
                        {{string.Concat(touts.Select((_, k) => $"r[{k}] = new int[y{k}.Length]; for (int i = 0; i < y{k}.Length; i++) r[{k}][i] = y{k}[i];\n"))}}
                        return r;
                    }

                    public static double Measure(int[][] x, int count, double seconds)
                    {
                        {{convert}}
                        {{string.Concat(g.Outputs.Select((t, k) => $"var o{k} = new {touts[k]}[{t.ElementCount}];\n"))}}
                        var m = new BenchModel();
                        var sw = Stopwatch.StartNew();
                        int s = 0;
                        while (sw.Elapsed.TotalSeconds < 0.3) { m.Infer({{slices}}, {{outOne}}); s = (s + 1) % count; }
                        long runs = 0;
                        sw.Restart();
                        while (sw.Elapsed.TotalSeconds < seconds)
                        {
                            for (s = 0; s < count; s++) m.Infer({{slices}}, {{outOne}});
                            runs += count;
                        }

                        return sw.Elapsed.TotalMilliseconds * 1000 / runs;
                    }
                }
                """;
        }
    }
}
