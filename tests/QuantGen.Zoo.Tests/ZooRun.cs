using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using ILGPU;
using ILGPU.Runtime.CPU;
using QuantGen.Graph;
using QuantGen.Hls;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Samples.Zoo;

namespace QuantGen.Tests.Zoo
{
    /// <summary>A distinct imported model: the first zoo file that imports to it, and the files that import to the same bytes.</summary>
    public sealed class ZooUnit
    {
        public ZooUnit(ZooImport import, List<ZooEntry> sameAs, ZooVectors vectors)
        {
            Import = import;
            SameAs = sameAs;
            Vectors = vectors;
        }

        public ZooImport Import { get; }

        public string Key => Import.Entry.Key;

        /// <summary>Other exports whose imported spec and weights are byte-identical (float13 and float17 of a model, ...).</summary>
        public List<ZooEntry> SameAs { get; }

        public ZooVectors Vectors { get; }
    }

    /// <summary>The ILGPU cell: inputs run and mismatches, an error, or why the model's ILGPU backend was not emitted (not a pass).</summary>
    public sealed record GpuOutcome(int Inputs, int Mismatches, string? Error, string? NotRun = null);

    public sealed record HlsOutcome(bool Emitted, bool Passed, int Vectors, string Detail);

    public sealed record OrtOutcome(int Inputs, int Top1Same, int Top1AmongOrtTies, bool Classifier, bool VersusFloat, bool SoftmaxOutput, double Within1Lsb, long P99Lsb, long MaxLsb, double MaxAbsDiff);

    /// <summary>
    /// The work every zoo test shares, each piece computed once per test run: the imports, the distinct models, the
    /// reference vectors, one Roslyn compilation of every model (C# CPU + ILGPU) written to a file for the child processes,
    /// and each stage's outcome (the tests assert on these; the docs table prints them).
    /// </summary>
    public static class ZooRun
    {
        /// <summary>Seeded random inputs per model on top of the 5 adversarial ones (20 in all).</summary>
        public const int RandomInputs = 15;

        /// <summary>
        /// Inputs per model, DeiT-Tiny included: 5 adversarial + <see cref="RandomInputs"/> seeded random. DeiT-Tiny ran 3
        /// until its reference interpreter took ~1.5 s of CPU per 224x224 image instead of ~3-4 s (optimized core, contiguous
        /// dot products; samples/Zoo --profile-reference).
        /// </summary>
        public const int InputsPerModel = 5 + RandomInputs;

        /// <summary>Inputs per file for the agreement with ONNX Runtime.</summary>
        public const int OrtInputs = 100;

        private static readonly Lazy<List<ZooImport>> LazyImports = new Lazy<List<ZooImport>>(() => ZooCatalog.Entries().Select(ZooCatalog.Import).ToList());

        private static readonly Lazy<List<ZooUnit>> LazyUnits = new Lazy<List<ZooUnit>>(BuildUnits);

        private static readonly Lazy<(string Assembly, string Vectors, Dictionary<string, ZooDriver> Drivers)> LazyCompiled = new(CompileAll);

        private static readonly ConcurrentDictionary<string, Lazy<Dictionary<string, string[]>>> CpuRows = new ConcurrentDictionary<string, Lazy<Dictionary<string, string[]>>>();

        private static readonly ConcurrentDictionary<string, Lazy<GpuOutcome>> GpuOutcomes = new ConcurrentDictionary<string, Lazy<GpuOutcome>>();

        private static readonly ConcurrentDictionary<string, Lazy<HlsOutcome>> HlsOutcomes = new ConcurrentDictionary<string, Lazy<HlsOutcome>>();

        private static readonly ConcurrentDictionary<string, Lazy<OrtOutcome>> OrtOutcomes = new ConcurrentDictionary<string, Lazy<OrtOutcome>>();

        /// <summary>Models compiled without their ILGPU backend (key -> why: a multi-input model before the multi-input GpuSession).</summary>
        private static readonly ConcurrentDictionary<string, string> GpuNotEmitted = new ConcurrentDictionary<string, string>();

        public static IReadOnlyList<ZooImport> Imports => LazyImports.Value;

        public static IReadOnlyList<ZooUnit> Units => LazyUnits.Value;

        public static ZooUnit Unit(string key) => Units.First(u => u.Key == key);

        /// <summary>The unit a file's import is tested as (itself, or the earlier export it is byte-identical to).</summary>
        public static ZooUnit? UnitOf(ZooEntry e) => Units.FirstOrDefault(u => u.Key == e.Key || u.SameAs.Any(s => s.Key == e.Key));

        public static Dictionary<string, ZooDriver> Drivers => LazyCompiled.Value.Drivers;

        /// <summary>The forced SIMD paths, as the conformance tests force them (runtime ISA switches in a child process).</summary>
        public static IReadOnlyList<(string Path, string[] Switches)> Paths { get; } = new[]
        {
            ("avx512+vnni", Array.Empty<string>()),
            ("avx512", new[] { "DOTNET_EnableAVXVNNI=0" }),
            ("avx2+vnni", new[] { "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0" }),
            ("avx2", new[] { "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0", "DOTNET_EnableAVXVNNI=0" }),
            ("vector128", new[] { "DOTNET_EnableAVX2=0" }),
            ("scalar", new[] { "DOTNET_EnableHWIntrinsic=0" }),
        };

        /// <summary>Integer inputs over the declared input range: the adversarial extremes first, then seeded random.</summary>
        public static List<int[]> IntegerInputs(ModelGraph g)
        {
            TensorInfo x = g.Input;
            int n = x.ElementCount;
            int lo = (int)RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMin, x.Quant!), hi = (int)RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMax, x.Quant!);
            int zp = (int)Math.Max(lo, Math.Min(hi, x.Quant!.ZeroPoint));
            var rng = new Random(20261205);
            int[] Fill(Func<int, int> f) => Enumerable.Range(0, n).Select(f).ToArray();
            var list = new List<int[]>
            {
                Fill(_ => lo),
                Fill(_ => hi),
                Fill(i => i % 2 == 0 ? lo : hi),
                Fill(i => i % 2 == 0 ? hi : lo),
                Fill(_ => zp),
            };
            for (int s = 0; s < RandomInputs; s++)
            {
                list.Add(Fill(_ => rng.Next(lo, hi + 1)));
            }

            return list;
        }

        /// <summary>
        /// The integer inputs of a model, one int[] per input (spec order). One quantized input: <see cref="IntegerInputs"/>.
        /// Several inputs or an index input: index inputs (token ids) take ids in [0, vocabulary - 1], attention-mask inputs
        /// (the lowering's <paramref name="masks"/>) a 1 on a prefix of each row and 0 on the tail, any other input values over
        /// its range; 5 adversarial vectors (ids all 0 / all the last id / alternating, with full-length and length-1 masks,
        /// activations at their extremes) and <see cref="RandomInputs"/> seeded random ones (random mask lengths 1..row).
        /// </summary>
        public static List<int[][]> IntegerInputs(ModelGraph g, IReadOnlyCollection<string> masks)
        {
            if (g.Inputs.Count == 1 && !g.Input.IsIndex)
            {
                return IntegerInputs(g).Select(x => new[] { x }).ToList();
            }

            var bounds = g.Inputs.Select(t =>
            {
                InputSpec spec = g.Spec.Inputs.First(i => i.Name == t.Name);
                return t.IsIndex ? ((int)spec.RangeMin, (int)spec.RangeMax)
                    : ((int)RangeAnalysis.QuantizeBound(spec.RangeMin, t.Quant!), (int)RangeAnalysis.QuantizeBound(spec.RangeMax, t.Quant!));
            }).ToArray();
            var rng = new Random(20261205);

            // kind: 0 all low, 1 all high, 2 alternating low/high, 3 alternating high/low, 4 random; mask: row length kept (-1 random).
            int[][] Vector(int kind, int keep)
            {
                var v = new int[g.Inputs.Count][];
                int rowKeep = keep;
                for (int k = 0; k < g.Inputs.Count; k++)
                {
                    TensorInfo t = g.Inputs[k];
                    (int lo, int hi) = bounds[k];
                    if (masks.Contains(t.Name))
                    {
                        int row = t.Shape[t.Shape.Length - 1];
                        rowKeep = keep > 0 ? Math.Min(keep, row) : 1 + rng.Next(row);
                        v[k] = Enumerable.Range(0, t.ElementCount).Select(i => i % row < rowKeep ? hi : lo).ToArray();
                        continue;
                    }

                    v[k] = Enumerable.Range(0, t.ElementCount).Select(i => kind switch
                    {
                        0 => lo,
                        1 => hi,
                        2 => i % 2 == 0 ? lo : hi,
                        3 => i % 2 == 0 ? hi : lo,
                        _ => rng.Next(lo, hi + 1),
                    }).ToArray();
                }

                return v;
            }

            var list = new List<int[][]>
            {
                Vector(0, int.MaxValue),
                Vector(1, 1),
                Vector(2, int.MaxValue),
                Vector(3, 1),
                Vector(1, int.MaxValue),
            };
            for (int s = 0; s < RandomInputs; s++)
            {
                list.Add(Vector(4, -1));
            }

            return list;
        }

        private static List<ZooUnit> BuildUnits()
        {
            var units = new List<ZooUnit>();
            foreach (ZooImport im in Imports.Where(i => i.Model != null))
            {
                ZooUnit? same = units.FirstOrDefault(u => u.Import.Hash == im.Hash);
                if (same != null)
                {
                    same.SameAs.Add(im.Entry);
                    continue;
                }

                ModelGraph g = im.Model!.Graph;
                var reference = new ReferenceInterpreter(g);
                List<int[][]> inputs = IntegerInputs(g, im.Result!.Lowered.MaskInputs);
                units.Add(new ZooUnit(im, new List<ZooEntry>(), new ZooVectors(im.Entry.Key, inputs, inputs.Select(x => reference.RunMany(x).SelectMany(y => y).ToArray()).ToList())));
            }

            return units;
        }

        /// <summary>
        /// One compilation of every model (C# CPU and ILGPU, both reading their weights from manifest resources as the
        /// generator's embedded-resource path does) written to a file for the child processes.
        /// </summary>
        private static (string, string, Dictionary<string, ZooDriver>) CompileAll()
        {
            byte[] image = ZooCompiler.Compile(Units.Select(u => (u.Key, u.Import.Model!, true)), GpuNotEmitted);
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-zoo-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
            };
            string asm = Path.Combine(dir, "QuantGenZoo.dll"), vectors = Path.Combine(dir, "zoo.vectors");
            File.WriteAllBytes(asm, image);
            ZooVectors.Write(vectors, Units.Select(u => u.Vectors).ToList());
            return (asm, vectors, ZooCompiler.Load(image, Units.Select(u => u.Key)));
        }

        /// <summary>key -> [path, inputs, mismatches] (or ["error", message]) from a child process on the forced path.</summary>
        public static Dictionary<string, string[]> Cpu(string path) => CpuRows.GetOrAdd(path, p => new Lazy<Dictionary<string, string[]>>(() => RunChild(Paths.First(x => x.Path == p).Switches))).Value;

        private static Dictionary<string, string[]> RunChild(string[] switches)
        {
            (string asm, string vectors, _) = LazyCompiled.Value;
            var psi = new ProcessStartInfo("dotnet", $"exec \"{typeof(Program).Assembly.Location}\" check \"{asm}\" \"{vectors}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string s in switches)
            {
                psi.Environment[s.Split('=')[0]] = s.Split('=')[1];
            }

            using Process p = Process.Start(psi)!;
            System.Threading.Tasks.Task<string> err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(600_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("the zoo runner did not finish in 10 minutes");
            }

            if (p.ExitCode > 1)
            {
                throw new InvalidOperationException("the zoo runner failed: " + output + err.Result);
            }

            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split('\t')).ToDictionary(f => f[0], f => f.Skip(1).ToArray());
        }

        /// <summary>The path a forced child reports on this machine: a machine without a feature can only go lower.</summary>
        public static string ExpectedPath(string wanted)
        {
            string here = Drivers.Values.First().SimdPath;
            if (!here.EndsWith("+vnni", StringComparison.Ordinal))
            {
                wanted = wanted.Replace("+vnni", string.Empty, StringComparison.Ordinal);
            }

            string[] order = { "avx512", "avx2", "vector128", "scalar" };
            return Array.IndexOf(order, wanted.Split('+')[0]) < Array.IndexOf(order, here.Split('+')[0]) ? here.Split('+')[0] : wanted;
        }

        /// <summary>
        /// Inputs per model on ILGPU's CPU accelerator: it emulates every GPU thread in .NET (MobileNet took 5 minutes for 20
        /// inputs on the loaded CI machine), so 3 of the model's vectors: all-max, alternating min/max and the first random.
        /// </summary>
        public const int GpuInputs = 3;

        /// <summary>DeiT-Tiny on ILGPU's CPU accelerator: one input (its first seeded random vector), 1.25 GMAC through emulated threads.</summary>
        public const int DeitGpuInput = 5;

        /// <summary>
        /// DeiT-Tiny's ILGPU session runs one input on the CPU accelerator (measured 2 min 13 s at load average ~25: ILGPU
        /// emulates every GPU thread in .NET); set to 0 to only compile and load it (weights uploaded, kernels compiled).
        /// </summary>
        public const string DeitGpuVariable = "QUANTGEN_ZOO_DEIT_ILGPU";

        /// <summary>The emitted ILGPU kernels on ILGPU's CPU accelerator, <see cref="GpuInputs"/> vectors in one batch (DeiT-Tiny: one).</summary>
        public static GpuOutcome Gpu(string key) => GpuOutcomes.GetOrAdd(key, k => new Lazy<GpuOutcome>(() =>
        {
            ZooUnit u = Unit(k);
            try
            {
                ZooDriver driver = Drivers[k];
                if (GpuNotEmitted.TryGetValue(k, out string? why))
                {
                    return new GpuOutcome(0, 0, null, why);
                }

                bool deit = u.Import.Entry.Model == ZooCatalog.DeitTiny;
                using Context context = Context.Create(b => b.CPU());
                using CPUAccelerator accelerator = context.CreateCPUAccelerator(0);
                if (deit && Environment.GetEnvironmentVariable(DeitGpuVariable) == "0")
                {
                    driver.LoadGpu(accelerator);   // compiled and loaded (weights uploaded, every kernel compiled), not run
                    return new GpuOutcome(0, 0, null);
                }

                List<int> picks = deit ? new List<int> { DeitGpuInput } : new[] { 1, 2, 5 }.Where(i => i < u.Vectors.Inputs.Count).ToList();
                int n = u.Vectors.Expected[0].Length;
                int[] batched = driver.RunGpu(accelerator, picks.SelectMany(i => u.Vectors.Inputs[i].SelectMany(x => x)).ToArray(), picks.Count);
                int mismatches = picks.Where((i, s) => !u.Vectors.Expected[i].SequenceEqual(batched.Skip(s * n).Take(n))).Count();
                return new GpuOutcome(picks.Count, mismatches, null);
            }
            catch (Exception e)
            {
                Exception inner = e is System.Reflection.TargetInvocationException t && t.InnerException != null ? t.InnerException : e;
                return new GpuOutcome(0, -1, inner.GetType().Name + ": " + inner.Message.Split('\n').Take(2).Aggregate((a, b) => a + " " + b));
            }
        })).Value;

        /// <summary>
        /// The HLS project in io_stream with automatic folding (reuse factors chosen to fit the default part), golden vectors
        /// from the reference interpreter (15 seeded random + the adversarial ones), compiled with g++ and run (C simulation).
        /// </summary>
        public static HlsOutcome Hls(string key) => HlsOutcomes.GetOrAdd(key, k => new Lazy<HlsOutcome>(() =>
        {
            ZooUnit u = Unit(k);
            var errors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse("io_stream", "auto", null, null, null, RandomInputs.ToString(System.Globalization.CultureInfo.InvariantCulture), errors);
            var diagnostics = new List<ModelDiagnostic>();
            HlsGenerationResult result = HlsGenerator.Generate(u.Import.Model!.Graph, options, diagnostics);
            if (!result.Success)
            {
                return new HlsOutcome(false, false, 0, string.Join("; ", diagnostics.Select(d => d.Id + ": " + d.Message)));
            }

            // One folder per run: two test processes (two checkouts on one machine) must not delete each other's project.
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-zoo-hls", k + "-" + Guid.NewGuid().ToString("N"));

            HlsOutputWriter.Write(dir, result.Project!);
            CsimResult csim = HlsCsim.Run(dir, result.Project!.Name);
            int vectors = result.Project!.GoldenVectors;   // a model with several inputs has one golden file per tensor
            if (csim.Passed)
            {
                Directory.Delete(dir, recursive: true);
            }

            string[] lines = csim.Output.Trim().Split('\n');
            string detail = csim.Passed
                ? lines.LastOrDefault() ?? string.Empty
                : (lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault() ?? string.Empty) + " (project kept in " + dir + ")";
            return new HlsOutcome(true, csim.Ran && csim.Passed, vectors, detail);
        })).Value;

        /// <summary>
        /// The same zoo file in ONNX Runtime (graph optimizations off) and in QuantGen on <see cref="OrtInputs"/> digits of the
        /// test split shaped for the model (DeiT too: bilinear to 224x224x3). QuantGen's side is the generated C# on this
        /// process's SIMD path (bit-exact with the reference interpreter, checked above), which keeps DeiT affordable.
        /// Float exports: QuantGen's W8A8 model (ZooEntry.ActivationBits) against ORT's float model; QDQ exports: the integers of both.
        /// </summary>
        public static OrtOutcome Ort(string file) => OrtOutcomes.GetOrAdd(file, f => new Lazy<OrtOutcome>(() =>
        {
            ZooImport im = Imports.First(i => i.Entry.File == f);
            ZooEntry e = im.Entry;
            ZooUnit u = UnitOf(e)!;
            ZooDriver driver = Drivers[u.Key];
            var reference = new ReferenceInterpreter(im.Model!.Graph);
            TensorQuant oq = reference.OutputQuant;
            bool versusFloat = e.Export.StartsWith("float", StringComparison.Ordinal);
            // Shiftmax / i-softmax write their own fixed output grid, not the file's; the table softmax writes the file's
            // QuantizeLinear (or the importer's 16-bit grid for a float softmax), so its LSB compare.
            bool softmax = im.Model.Graph.Nodes[im.Model.Graph.Nodes.Count - 1].Layer is SoftmaxLayer { Method: not SoftmaxMethod.Table };
            using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model);
            int same = 0, tied = 0, count = 0;
            var lsb = new List<long>();
            double maxAbs = 0;
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", OrtInputs))
            {
                int[] q = driver.RunCpu(ZooCatalog.Quantize(im.Model.Graph, x));
                float[] o = ort.Run(x);
                double[] d = reference.Dequantize(q);
                count++;
                int ours = ArgMax(d);
                same += ours == ArgMax(o.Select(v => (double)v).ToArray()) ? 1 : 0;
                tied += o[ours] == o.Max() ? 1 : 0;   // ORT's own (quantized) output can tie several classes at its maximum
                for (int i = 0; i < q.Length; i++)
                {
                    lsb.Add(Math.Abs((long)Math.Round((o[i] / oq.Scale) + oq.ZeroPoint, MidpointRounding.ToEven) - q[i]));
                    maxAbs = Math.Max(maxAbs, Math.Abs(d[i] - o[i]));
                }
            }

            lsb.Sort();
            return new OrtOutcome(count, same, tied, e.Model.Classifier, versusFloat, softmax, lsb.Count(v => v <= 1) / (double)lsb.Count, lsb[(int)Math.Ceiling(0.99 * lsb.Count) - 1], lsb[lsb.Count - 1], maxAbs);
        })).Value;

        public static int ArgMax(double[] v)
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
    }
}
