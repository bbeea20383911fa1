
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Cpu;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Cli
{
    /// <summary>
    /// quantgen bench: compiles the model with the QuantGen source generator in memory (exactly the code a
    /// [QuantizedModel] class gets), checks it against the reference interpreter and measures both.
    /// </summary>
    public static class BenchCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The quantized model spec (.qmodel.json)." };
            var data = new Option<FileInfo?>("--data", "-d") { Description = "Inputs from a CSV (split,label,f0,...); default: 256 random inputs in the declared range." };
            var split = new Option<string>("--split") { Description = "Which split of the CSV.", DefaultValueFactory = _ => "test" };
            var seconds = new Option<double>("--seconds") { Description = "Measuring time per engine, in seconds.", DefaultValueFactory = _ => 1.0 };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("bench", "Compile the model with the source generator in memory, check the generated code is bit-exact with the reference interpreter, and measure the latency and GMAC/s of both (single thread, batch 1).")
            {
                model, data, split, seconds, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() => Run(ctx, p.GetValue(model)!, p.GetValue(data), p.GetValue(split)!, p.GetValue(seconds), p.GetValue(allowExternal))));
            return command;
        }

        /// <summary>Longest measuring time per engine accepted (seconds).</summary>
        public const double MaxSeconds = 3600;

        private static int Run(CommandContext ctx, FileInfo file, FileInfo? csv, string split, double seconds, bool allowExternal)
        {
            if (!(seconds > 0 && seconds <= MaxSeconds))
            {
                throw new CliException(CliErrors.InvalidArgument, $"--seconds {seconds.ToString("R", CultureInfo.InvariantCulture)} is not valid; give a measuring time in (0, {MaxSeconds.ToString(CultureInfo.InvariantCulture)}] seconds");
            }

            // Progress goes to stderr at once and before each slow step (loading Roslyn and compiling take seconds on a cold
            // start), so the user sees what the tool is doing; the results go to stdout.
            ctx.Error.WriteLine($"bench: loading {file.Name}");
            ctx.Error.Flush();
            ModelGraph g = CommandContext.LoadModel(file, allowExternal);
            if (!g.IsQuantized)
            {
                ctx.Fail(CliErrors.WrongModelKind, "is a float model; bench runs quantized models (quantgen quantize first)", file.Name);
                return 1;
            }

            if (!g.IsSingleInputOutput || g.Input.IsIndex)
            {
                if (csv != null)
                {
                    ctx.Fail(CliErrors.DataNeedsOneInput, $"--data {csv.Name}: a CSV row is one feature vector, but model \"{g.Name}\" has {g.Inputs.Count} input(s) ({string.Join(", ", g.Inputs.Select(t => t.Name + (t.IsIndex ? " (token ids)" : string.Empty)))}); omit --data to bench it on random inputs in each input's declared range", file.Name);
                    return 1;
                }

                return BenchMulti.Run(ctx, g, file, seconds);
            }

            var reference = new ReferenceInterpreter(g);
            List<int[]> inputs = csv != null
                ? QuantizeCommand.Samples(csv, split, 0, g).Select(reference.Quantize).ToList()
                : RandomInputs(g, 256);
            string tin = TypeOf(g.Input), tout = TypeOf(g.Output);
            Step(ctx, $"compiling the generated C# of {g.Name} in memory (the C# compiler's first run takes a few seconds)");
            Assembly assembly = Compile(g, file, tin, tout, out AssemblyLoadContext context);
            try
            {
                Type runner = assembly.GetType("BenchRunner")!;
                Array flat = Array.CreateInstance(ElementType(tin), inputs.Count * g.Input.ElementCount);
                for (int s = 0; s < inputs.Count; s++)
                {
                    for (int i = 0; i < g.Input.ElementCount; i++)
                    {
                        flat.SetValue(Convert.ChangeType(inputs[s][i], ElementType(tin), CultureInfo.InvariantCulture), (s * g.Input.ElementCount) + i);
                    }
                }

                Step(ctx, $"checking the generated code against the reference interpreter on {inputs.Count} inputs");
                var outputs = (Array)runner.GetMethod("RunAll")!.Invoke(null, new object[] { flat, inputs.Count })!;
                int exact = 0;
                for (int s = 0; s < inputs.Count; s++)
                {
                    int[] expected = reference.Run(inputs[s]);
                    exact += expected.Select((v, i) => Convert.ToInt32(outputs.GetValue((s * expected.Length) + i), CultureInfo.InvariantCulture) == v).All(b => b) ? 1 : 0;
                }

                Step(ctx, $"measuring the generated code ({seconds.ToString("0.###", CultureInfo.InvariantCulture)} s) and the reference interpreter ({Math.Min(seconds, 1.0).ToString("0.###", CultureInfo.InvariantCulture)} s)");
                double generatedUs = (double)runner.GetMethod("Measure")!.Invoke(null, new object[] { flat, inputs.Count, seconds })!;
                double referenceUs = MeasureReference(reference, inputs, Math.Min(seconds, 1.0));
                long macs = g.Nodes.Sum(n => n.Macs);
                string path = (string)runner.GetMethod("SimdPath")!.Invoke(null, null)!;
                ctx.Output.WriteLine($"{g.Name}: {macs.ToString("N0", CultureInfo.InvariantCulture)} MACs per inference, {inputs.Count} inputs{(csv != null ? " from " + csv.Name + ":" + split : " (random)")}");
                ctx.Output.WriteLine($"  generated C# ({path}): {generatedUs.ToString("0.000", CultureInfo.InvariantCulture)} us/inference, {(macs / generatedUs / 1000).ToString("0.00", CultureInfo.InvariantCulture)} GMAC/s, bit-exact on {exact}/{inputs.Count}");
                ctx.Output.WriteLine($"  reference interpreter: {referenceUs.ToString("0.000", CultureInfo.InvariantCulture)} us/inference ({(referenceUs / generatedUs).ToString("0.0", CultureInfo.InvariantCulture)}x slower)");
                if (exact != inputs.Count)
                {
                    ctx.Fail(CliErrors.CheckFailed, $"the generated code differs from the reference interpreter on {inputs.Count - exact} inputs; please report this with the model file", file.Name);
                    return 1;
                }

                return 0;
            }
            finally
            {
                context.Unload();
            }
        }

        internal static void Step(CommandContext ctx, string what)
        {
            ctx.Error.WriteLine("bench: " + what);
            ctx.Error.Flush();
        }

        internal static double MeasureReference(ReferenceInterpreter reference, List<int[]> inputs, double seconds)
        {
            var sw = Stopwatch.StartNew();
            long runs = 0;
            while (sw.Elapsed.TotalSeconds < seconds || runs < inputs.Count)
            {
                reference.Run(inputs[(int)(runs % inputs.Count)]);
                runs++;
            }

            return sw.Elapsed.TotalMilliseconds * 1000 / runs;
        }

        private static List<int[]> RandomInputs(ModelGraph g, int count)
        {
            var rng = new Random(1);
            long lo = RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMin, g.Input.Quant!), hi = RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMax, g.Input.Quant!);
            return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, g.Input.ElementCount).Select(_ => (int)rng.NextInt64(lo, hi + 1)).ToArray()).ToList();
        }

        private static string TypeOf(TensorInfo t) =>
            t.Type.IsSigned ? (t.Type.Bits <= 8 ? "sbyte" : t.Type.Bits <= 16 ? "short" : "int") : (t.Type.Bits <= 8 ? "byte" : "ushort");

        private static Type ElementType(string cs) => cs switch
        {
            "sbyte" => typeof(sbyte),
            "short" => typeof(short),
            "byte" => typeof(byte),
            "ushort" => typeof(ushort),
            _ => typeof(int),
        };

        private static Assembly Compile(ModelGraph g, FileInfo file, string tin, string tout, out AssemblyLoadContext context)
        {
            CpuOutput cpu = EmitCpu(g, file);
            string source = $$"""
                using System;
                using System.Diagnostics;
                public static class BenchRunner
                {
                    public static string SimdPath() => BenchModel.SimdPath;
                    public static {{tout}}[] RunAll({{tin}}[] inputs, int count)
                    {
                        var y = new {{tout}}[count * BenchModel.OutputLength];
                        new BenchModel().Infer(inputs, y, count);
                        return y;
                    }
                    public static double Measure({{tin}}[] inputs, int count, double seconds)
                    {
                        var m = new BenchModel();
                        var y = new {{tout}}[BenchModel.OutputLength];
                        var sw = Stopwatch.StartNew();
                        while (sw.Elapsed.TotalSeconds < 0.3) Run(m, inputs, count, y);
                        long runs = 0;
                        sw.Restart();
                        while (sw.Elapsed.TotalSeconds < seconds) { Run(m, inputs, count, y); runs += count; }
                        return sw.Elapsed.TotalMilliseconds * 1000 / runs;
                    }
                    private static void Run(BenchModel m, {{tin}}[] inputs, int count, {{tout}}[] y)
                    {
                        for (int s = 0; s < count; s++) m.Infer(new ReadOnlySpan<{{tin}}>(inputs, s * BenchModel.InputLength, BenchModel.InputLength), y);
                    }
                }
                """;
            return CompileWith(cpu, source, out context);
        }

        /// <summary>The CPU backend directly (no Roslyn generator): plan and emit the class "BenchModel".</summary>
        internal static CpuOutput EmitCpu(ModelGraph g, FileInfo file)
        {
            var rangeDiagnostics = new List<ModelDiagnostic>();
            RangeReport ranges = RangeAnalysis.Analyze(g, rangeDiagnostics) ?? throw new InvalidDataException("range analysis failed: " + string.Join("; ", rangeDiagnostics));
            CpuOutput cpu = CpuBackend.Emit(new CSharpTarget(null, "BenchModel", Array.Empty<string>(), file.Name), ModelPlan.Create(g, ranges), string.Empty);
            if (cpu.Plan == null)
            {
                throw new InvalidDataException("no CPU lowering for " + string.Join(", ", cpu.Missing.Select(m => $"{m.Node.Layer.Name} ({m.Node.Layer.Op})")));
            }

            return cpu;
        }

        /// <summary>Compiles the emitted class with a driver <paramref name="source"/> in memory and loads it into a collectible context.</summary>
        internal static Assembly CompileWith(CpuOutput cpu, string source, out AssemblyLoadContext context)
        {
            var parse = new CSharpParseOptions(LanguageVersion.CSharp12);
            var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Append(typeof(QuantizedModelAttribute).Assembly.Location)
                .Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).Distinct()
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
            var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(source, parse, path: "/bench/Bench.cs") };
            trees.AddRange(cpu.Files.Concat(KernelLibrary.CpuSources(cpu.Plan!.Library)).Select(f => CSharpSyntaxTree.ParseText(f.Text, parse, path: "/bench/" + f.HintName)));
            CSharpCompilation output = CSharpCompilation.Create(
                "QuantGenBench",
                trees,
                references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));
            var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                throw new CliException(CliErrors.InternalError, "the generated code did not compile (a QuantGen bug: please report it with the model file):\n" + string.Join("\n", errors));
            }

            using var pe = new MemoryStream();
            EmitResultCheck(output.Emit(pe));
            pe.Position = 0;
            context = new AssemblyLoadContext("quantgen-bench", isCollectible: true);
            return context.LoadFromStream(pe);
        }

        private static void EmitResultCheck(Microsoft.CodeAnalysis.Emit.EmitResult result)
        {
            if (!result.Success)
            {
                throw new CliException(CliErrors.InternalError, "the generated code did not compile (a QuantGen bug: please report it with the model file):\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
            }
        }
    }
}
