using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Samples.Zoo
{
    /// <summary>
    /// `dotnet run -c Release --project samples/Zoo [-- --inputs N] [--skip-deit] [--only TEXT] [--range M] [--percentile P] [--calibration N] [--bias-correction] [--activation-bits 8..16] [--attention-bits 8..16] [--softmax-bits 2..16] [--shiftmax-n N] [--agreement N] [--profile-reference]`:
    /// every committed zoo file (or those whose name contains TEXT) imported (float exports with the given calibration settings;
    /// activation widths: the entry's own, ZooEntry.ActivationBits, unless --activation-bits / --attention-bits say otherwise),
    /// compiled to C# (one in-memory compilation), then per file on the same N test inputs: the reference interpreter, the
    /// generated C# and ONNX Runtime on the ONNX file; time per inference and agreement.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            int inputs = 5;
            bool skipDeit = false;
            string? only = null;
            var quantization = new QuantGen.Quantization.QuantizationOptions();
            int? calibration = null;
            int? activationBits = null;
            int? attentionBits = null;
            int agreement = 0;
            bool profileReference = false;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--inputs" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
                {
                    inputs = n;
                    i++;
                }
                else if (args[i] == "--skip-deit")
                {
                    skipDeit = true;
                }
                else if (args[i] == "--only" && i + 1 < args.Length)
                {
                    only = args[++i];
                }
                else if (args[i] == "--range" && i + 1 < args.Length && Enum.TryParse(args[i + 1], true, out QuantGen.Quantization.RangeMethod method))
                {
                    quantization.RangeMethod = method;
                    i++;
                }
                else if (args[i] == "--calibration" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c > 0)
                {
                    calibration = c;
                    i++;
                }
                else if (args[i] == "--percentile" && i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double pc) && pc > 0 && pc <= 100)
                {
                    quantization.Percentile = pc;
                    i++;
                }
                else if (args[i] == "--activation-bits" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int ab) && ab >= 8 && ab <= 16)
                {
                    activationBits = ab;
                    i++;
                }
                else if (args[i] == "--attention-bits" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int tb) && tb >= 8 && tb <= 16)
                {
                    attentionBits = tb;
                    i++;
                }
                else if (args[i] == "--softmax-bits" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int sb) && sb >= 2 && sb <= 16)
                {
                    quantization.SoftmaxOutBits = sb;
                    i++;
                }
                else if (args[i] == "--shiftmax-n" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int sn) && sn >= 1 && sn <= 30)
                {
                    quantization.ShiftmaxN = sn;
                    i++;
                }
                else if (args[i] == "--agreement" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int ag) && ag > 0)
                {
                    agreement = ag;
                    i++;
                }
                else if (args[i] == "--profile-reference")
                {
                    profileReference = true;
                }
                else if (args[i] == "--bias-correction")
                {
                    quantization.BiasCorrection = true;
                }
                else
                {
                    Console.Error.WriteLine("usage: QuantGen.Samples.Zoo [--inputs N] [--skip-deit] [--only TEXT] [--range minmax|percentile|mse] [--percentile P] [--calibration N] [--bias-correction] [--activation-bits 8..16] [--attention-bits 8..16] [--softmax-bits 2..16] [--shiftmax-n N] [--agreement N] [--profile-reference]");
                    return 2;
                }
            }

            var total = Stopwatch.StartNew();
            Console.WriteLine($"QuantGen model zoo: {ZooCatalog.Directory}");
            var imports = new List<ZooImport>();
            foreach (ZooEntry e in ZooCatalog.Entries().Where(e => (!skipDeit || e.Model != ZooCatalog.DeitTiny) && (only == null || e.Key.Contains(only, StringComparison.Ordinal))))
            {
                var sw = Stopwatch.StartNew();
                ZooImport im = ZooCatalog.Import(e, quantization, calibration ?? ZooCatalog.CalibrationCount(e.Model), activationBits ?? e.ActivationBits, attentionBits ?? (activationBits == null ? e.AttentionBits : null));
                imports.Add(im);
                Console.WriteLine(im.Model != null
                    ? $"  import {e.File,-32} {im.Model.Graph.Nodes.Count,4} layers  {sw.Elapsed.TotalSeconds,6:F2} s"
                    : $"  import {e.File,-32} not importable: {string.Join("; ", im.Diagnostics.Take(3))}");
            }

            if (profileReference)
            {
                return ReferenceProfile.Run(imports, inputs);
            }

            if (agreement > 0)
            {
                // Only top-1 of the reference interpreter against ONNX Runtime on the first N test inputs (no code generation).
                foreach (ZooImport im in imports.Where(i => i.Model != null && i.Entry.Model.Classifier))
                {
                    var sw = Stopwatch.StartNew();
                    var reference = new ReferenceInterpreter(im.Model!.Graph);
                    using var ort = new ZooOrt(ZooCatalog.PathOf(im.Entry), im.Entry.Model);
                    int same = 0, n = 0;
                    foreach ((float[] x, _) in ZooCatalog.Data(im.Entry.Model, "test", agreement))
                    {
                        double[] q = reference.Dequantize(reference.RunMany(ZooCatalog.Quantize(im.Model.Graph, x)).SelectMany(y => y).ToArray());
                        same += ArgMax(q) == ArgMax(ort.Run(x).Select(v => (double)v).ToArray()) ? 1 : 0;
                        n++;
                    }

                    Console.WriteLine($"{im.Entry.File}: top-1 of the reference interpreter equal to ONNX Runtime's on {same}/{n} test inputs ({sw.Elapsed.TotalSeconds:F0} s)");
                }

                Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s; load average {LoadAverage()}");
                return 0;
            }

            var ok = imports.Where(i => i.Model != null).ToList();
            var compileTimer = Stopwatch.StartNew();
            Dictionary<string, ZooDriver> drivers = ZooCompiler.Load(ZooCompiler.Compile(ok.Select(i => (i.Entry.Key, i.Model!)), gpu: false), ok.Select(i => i.Entry.Key));
            Console.WriteLine($"generated C# for {ok.Count} models compiled in one compilation: {compileTimer.Elapsed.TotalSeconds:F1} s; SIMD path {drivers.Values.First().SimdPath}");
            Console.WriteLine();
            Console.WriteLine($"{inputs} test inputs per model (digits test split shaped per model; BERT-tiny: the pixels as tokens), batch 1, one thread:");
            Console.WriteLine();
            Console.WriteLine("| file | reference ms | generated C# ms | ORT ms | generated == reference | top-1 generated == ORT | max |LSB| vs ORT |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            bool allExact = true;
            foreach (ZooImport im in ok)
            {
                ZooEntry e = im.Entry;
                var reference = new ReferenceInterpreter(im.Model!.Graph);
                ZooDriver driver = drivers[e.Key];
                // DeiT-Tiny's reference interpreter takes seconds per input: it checks the first 2 (the zoo tests check 20 on every
                // SIMD path), while the generated code and ONNX Runtime run all the inputs for the agreement columns; the times
                // are measured on the checked inputs.
                int checkedCount = e.Model == ZooCatalog.DeitTiny ? Math.Min(inputs, 2) : inputs;
                List<(float[] Input, int Label)> data = ZooCatalog.Data(e.Model, "test", inputs);
                using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model);
                double tRef = 0, tGen = 0, tOrt = 0;
                int exact = 0, top1 = 0, index = 0;
                long maxLsb = 0;
                foreach ((float[] x, _) in data)
                {
                    int[][] q = ZooCatalog.Quantize(im.Model.Graph, x);
                    int[] g = driver.RunCpu(q);
                    float[] o = ort.Run(x);
                    if (index++ < checkedCount)
                    {
                        var sw = Stopwatch.StartNew();
                        int[] r = reference.RunMany(q).SelectMany(y => y).ToArray();
                        tRef += sw.Elapsed.TotalSeconds;
                        tGen += driver.Time(q, e.Model == ZooCatalog.DeitTiny ? 2 : 20);
                        tOrt += ort.Time(x, e.Model == ZooCatalog.DeitTiny ? 2 : 20);
                        exact += r.SequenceEqual(g) ? 1 : 0;
                    }

                    double[] d = reference.Dequantize(g);
                    top1 += ArgMax(d) == ArgMax(o.Select(v => (double)v).ToArray()) ? 1 : 0;
                    TensorQuant oq = reference.OutputQuant;
                    maxLsb = Math.Max(maxLsb, g.Select((v, i) => Math.Abs((long)Math.Round((o[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - v)).Max());
                }

                int count = Math.Min(checkedCount, data.Count);
                allExact &= exact == count;
                string t1 = e.Model.Classifier ? $"{top1}/{data.Count}" : "- (reconstruction)";
                string lsb = im.Model.Graph.Nodes[im.Model.Graph.Nodes.Count - 1].Layer.Op == OpKind.Softmax ? "- (Shiftmax int16 vs ORT)" : e.Export.StartsWith("float", StringComparison.Ordinal) ? $"{maxLsb} (vs float)" : maxLsb.ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"| {e.File} | {Ms(tRef / count)} | {Ms(tGen / count)} | {Ms(tOrt / count)} | {exact}/{count} | {t1} | {lsb} |");
            }

            Console.WriteLine();
            Console.WriteLine($"total {total.Elapsed.TotalSeconds:F0} s; load average {LoadAverage()}");
            return allExact ? 0 : 1;
        }

        private static string Ms(double seconds) => (seconds * 1000).ToString(seconds < 0.001 ? "G2" : seconds < 0.01 ? "F3" : "F1", CultureInfo.InvariantCulture);

        private static int ArgMax(double[] v)
        {
            int best = 0;
            for (int i = 1; i < v.Length; i++)
            {
                if (v[i] > v[best])
                {
                    best = i;
                }
            }

            return best;
        }

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
