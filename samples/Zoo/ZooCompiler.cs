using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Graph;
using QuantGen.Plan;
using QuantGen.Quantization;

namespace QuantGen.Samples.Zoo
{
    /// <summary>
    /// Emits every model with the C# CPU backend (and optionally the ILGPU backend) and compiles them all in ONE Roslyn
    /// compilation (one kernel library: the union of what the models need). The CPU weight blobs travel as manifest
    /// resources of the compiled assembly, as the source generator's embedded weights do, so DeiT-Tiny's 5.7 MB do not
    /// meet the 16 MiB string-literal heap. The assembly can be written to a file so child processes with forced SIMD
    /// paths load the same code without compiling again.
    /// </summary>
    public static class ZooCompiler
    {
        public const string Namespace = "QuantGen.Zoo.Generated";

        /// <summary>The compiled image (a driver type per key); <paramref name="gpu"/>: emit the ILGPU backend for every model.</summary>
        public static byte[] Compile(IEnumerable<(string Key, QuantizedModel Model)> models, bool gpu) =>
            Compile(models.Select(m => (m.Key, m.Model, gpu)));

        /// <summary>
        /// The compiled image, the ILGPU backend emitted for the models that ask for it. Both backends read their weights
        /// from manifest resources (the generator's embedded-resource path), so no model's constants meet the 16 MiB
        /// user-string heap of the assembly (CS8103: DeiT-Tiny's 5.7 MB of weights as base64 literals did).
        /// </summary>
        public static byte[] Compile(IEnumerable<(string Key, QuantizedModel Model, bool Gpu)> models) => Compile(models, null);

        /// <summary>
        /// As above; a model with several inputs or outputs gets its ILGPU backend only when the emitted GpuSession has the
        /// multi-input form <c>Infer(in_1, ..., in_n, out_1, ..., out_m, batchSize)</c>; otherwise it is compiled for the CPU
        /// only and <paramref name="gpuNotEmitted"/> receives key -> why (the one place that decides it: <see cref="MultiGpuInfer"/>).
        /// </summary>
        public static byte[] Compile(IEnumerable<(string Key, QuantizedModel Model, bool Gpu)> models, IDictionary<string, string>? gpuNotEmitted)
        {
            bool anyGpu = false;
            var sources = new List<(string Hint, string Text)>();
            var resources = new List<ResourceDescription>();
            KernelFiles library = KernelFiles.None;
            foreach ((string key, QuantizedModel q, bool wantGpu) in models)
            {
                bool gpu = wantGpu;
                string ns = Namespace + "." + key;
                ModelGraph g = q.Graph;
                ModelPlan plan = ModelPlan.Create(g, q.Ranges);
                var target = new CSharpTarget(ns, "Model", Array.Empty<string>(), g.Name + ".qmodel.json");
                string resource = "zoo." + key + ".blob";
                BlobInitializer fromResource = (blob, _) =>
                {
                    byte[] copy = blob;
                    resources.Add(new ResourceDescription(resource, () => new MemoryStream(copy, writable: false), isPublic: true));
                    return $"global::{Namespace}.ZooBlobs.Read(\"{resource}\", {blob.Length})";
                };
                CpuOutput cpu = CpuBackend.Emit(target, plan, string.Empty, CpuLowering.Registry, fromResource);
                if (cpu.Plan == null)
                {
                    throw new InvalidOperationException(key + ": no CPU lowering for " + string.Join(", ", cpu.Missing.Select(m => m.Node.Layer.Op)));
                }

                library |= cpu.Plan.Library;
                sources.AddRange(cpu.Files.Select(f => (key + "/" + f.HintName, f.Text)));
                bool single = g.IsSingleInputOutput && !g.Input.IsIndex;
                if (gpu)
                {
                    var missing = new List<MissingLowering>();
                    string gpuResource = "zoo." + key + ".gpu.blob";
                    var gpuResources = new List<ResourceDescription>();
                    BlobInitializer gpuFromResource = (blob, _) =>
                    {
                        byte[] copy = blob;
                        gpuResources.Add(new ResourceDescription(gpuResource, () => new MemoryStream(copy, writable: false), isPublic: true));
                        return $"global::{Namespace}.ZooBlobs.Read(\"{gpuResource}\", {blob.Length})";
                    };
                    SourceFile? file;
                    string? why = null;
                    try
                    {
                        file = GpuBackend.Emit(target, plan, string.Empty, missing, GpuLowering.Registry, gpuFromResource, out _);
                    }
                    catch (Exception e) when (!single)
                    {
                        file = null;
                        why = $"the ILGPU backend emits one-input models; on {g.Inputs.Count} inputs it stops ({e.GetType().Name}: {e.Message.TrimEnd('.')})";
                    }

                    if (file == null && single)
                    {
                        throw new InvalidOperationException(key + ": no ILGPU lowering for " + string.Join(", ", missing.Select(m => m.Node.Layer.Op)));
                    }

                    why ??= file == null ? "no ILGPU lowering for " + string.Join(", ", missing.Select(m => m.Node.Layer.Op).Distinct())
                        : single || MultiGpuInfer(file.Text, g.Inputs.Count + g.Outputs.Count + 1) ? null
                        : $"the ILGPU backend's GpuSession has no Infer for {g.Inputs.Count} inputs and {g.Outputs.Count} output(s) plus a batch size yet (one-input API only)";
                    if (why == null)
                    {
                        sources.Add((key + "/" + file!.HintName, file.Text));
                        resources.AddRange(gpuResources);
                    }
                    else
                    {
                        gpu = false;
                        gpuNotEmitted?.Add(key, why);
                    }
                }

                anyGpu |= gpu;
                sources.Add((key + "/Driver.cs", Driver(ns, g, gpu)));
            }

            sources.AddRange(KernelLibrary.CpuSources(library).Select(f => (f.HintName, f.Text)));
            if (anyGpu)
            {
                sources.Add((GpuBackend.Kernels.HintName, GpuBackend.Kernels.Text));
            }

            sources.Add(("ZooBlobs.cs", $$"""
                namespace {{Namespace}}
                {
                    internal static class ZooBlobs
                    {
                        public static byte[] Read(string name, int length)
                        {
                            using var s = typeof(ZooBlobs).Assembly.GetManifestResourceStream(name) ?? throw new global::System.InvalidOperationException("missing resource " + name);
                            var b = new byte[length];
                            s.ReadExactly(b);
                            return b;
                        }
                    }
                }
                """));
            return QuantGen.Testing.Generated.GeneratedAssembly.Compile(sources, anyGpu, "QuantGenZoo_", "/zoo/", resources);
        }

        /// <summary>Loads a compiled image; key -> driver.</summary>
        public static Dictionary<string, ZooDriver> Load(byte[] image, IEnumerable<string> keys)
        {
            Assembly asm = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image));
            return keys.ToDictionary(k => k, k => new ZooDriver(asm.GetType(Namespace + "." + k + ".Driver") ?? throw new InvalidOperationException("no driver for " + k)));
        }

        /// <summary>
        /// True when the emitted ILGPU source's GpuSession has an <c>Infer</c> taking <paramref name="parameters"/> parameters
        /// (every input span, every output span, the batch size): the multi-input session the zoo drives.
        /// </summary>
        public static bool MultiGpuInfer(string gpuSource, int parameters) =>
            CSharpSyntaxTree.ParseText(gpuSource).GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
                .Where(c => c.Identifier.Text == "GpuSession")
                .SelectMany(c => c.Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
                .Any(m => m.Identifier.Text == "Infer" && m.Modifiers.Any(t => t.Text == "public") && m.ParameterList.Parameters.Count == parameters);

        /// <summary>
        /// The driver of one model: int[][] (one array per input, spec order) -> int[] (the outputs one after the other),
        /// through the generated <c>Infer</c> (the single-tensor <c>Infer(input, output)</c> or the multi-input
        /// <c>Infer(in_1, ..., in_n, out_1, ..., out_m)</c>, both positional in spec order).
        /// </summary>
        private static string Driver(string ns, ModelGraph g, bool gpu)
        {
            var convert = new System.Text.StringBuilder();
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                string t = CSharp.Type(g.Inputs[k].Type);
                convert.Append($"var a{k} = new {t}[x[{k}].Length]; for (int i = 0; i < a{k}.Length; i++) a{k}[i] = checked(({t})x[{k}][i]);\n");
            }

            var outputs = new System.Text.StringBuilder();
            for (int k = 0; k < g.Outputs.Count; k++)
            {
                outputs.Append($"var y{k} = new {CSharp.Type(g.Outputs[k].Type)}[{g.Outputs[k].ElementCount}];\n");
            }

            string args = string.Join(", ", g.Inputs.Select((_, k) => "a" + k).Concat(g.Outputs.Select((_, k) => "y" + k)));
            string gather = string.Join(" ", g.Outputs.Select((_, k) => $"foreach (var v in y{k}) r.Add(v);"));
            string inputCount = g.Inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return $$"""
            using System;
            namespace {{ns}}
            {
                public static class Driver
                {
                    private static readonly Model Instance = new Model();
                    public static string SimdPath() => Model.SimdPath;

                    /// <summary>One sample: one int[] per input (spec order) -> the outputs one after the other.</summary>
                    public static int[] RunCpu(int[][] x)
                    {
                        if (x.Length != {{inputCount}}) throw new ArgumentException("expected {{inputCount}} input tensor(s)", nameof(x));
                        {{convert}}
                        {{outputs}}
                        Instance.Infer({{args}});
                        var r = new System.Collections.Generic.List<int>();
                        {{gather}}
                        return r.ToArray();
                    }

                    /// <summary>Seconds per inference over <paramref name="reps"/> calls (after one warm-up call).</summary>
                    public static double Time(int[][] x, int reps)
                    {
                        {{convert}}
                        {{outputs}}
                        Instance.Infer({{args}});
                        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                        for (int rep = 0; rep < reps; rep++) Instance.Infer({{args}});
                        return System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
                    }
                    {{(gpu ? GpuDriver(g) : string.Empty)}}
                }
            }
            """;
        }

        private static string GpuDriver(ModelGraph g)
        {
            string load = """
                public static void LoadGpu(ILGPU.Runtime.Accelerator accelerator)
                {
                    using (var session = new Model.GpuSession(accelerator, 1))
                    {
                    }
                }

                """;
            if (g.IsSingleInputOutput && !g.Input.IsIndex)
            {
                return load + QuantGen.Testing.Generated.GeneratedAssembly.GpuRunDriver(CSharp.Type(g.Input.Type), CSharp.Type(g.Output.Type));
            }

            // Multi-input session (helper "gpumulti"'s API, matched by MultiGpuInfer): each input and output batched on its
            // own, positional in spec order, then the batch size. x: every sample's inputs one after the other (the driver's
            // int[][] flattened per sample); result: every sample's outputs one after the other.
            var sb = new System.Text.StringBuilder();
            int inPer = g.Inputs.Sum(t => t.ElementCount), outPer = g.Outputs.Sum(t => t.ElementCount);
            sb.Append("public static int[] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[] x, int batch)\n{\n");
            int off = 0;
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                TensorInfo t = g.Inputs[k];
                string ty = CSharp.Type(t.Type);
                sb.Append($"    var a{k} = new {ty}[{t.ElementCount} * batch];\n");
                sb.Append($"    for (int b = 0; b < batch; b++) for (int i = 0; i < {t.ElementCount}; i++) a{k}[(b * {t.ElementCount}) + i] = checked(({ty})x[(b * {inPer}) + {off} + i]);\n");
                off += t.ElementCount;
            }

            for (int k = 0; k < g.Outputs.Count; k++)
            {
                sb.Append($"    var y{k} = new {CSharp.Type(g.Outputs[k].Type)}[{g.Outputs[k].ElementCount} * batch];\n");
            }

            string args = string.Join(", ", g.Inputs.Select((_, k) => "a" + k).Concat(g.Outputs.Select((_, k) => "y" + k)));
            sb.Append($"    using (var session = new Model.GpuSession(accelerator, batch))\n    {{\n        session.Infer({args}, batch);\n    }}\n");
            sb.Append($"    var r = new int[{outPer} * batch];\n");
            off = 0;
            for (int k = 0; k < g.Outputs.Count; k++)
            {
                int n = g.Outputs[k].ElementCount;
                sb.Append($"    for (int b = 0; b < batch; b++) for (int i = 0; i < {n}; i++) r[(b * {outPer}) + {off} + i] = y{k}[(b * {n}) + i];\n");
                off += n;
            }

            sb.Append("    return r;\n}\n");
            return load + sb;
        }
    }

    /// <summary>int[][] -> int[] calls into one compiled model.</summary>
    public sealed class ZooDriver
    {
        private readonly MethodInfo runCpu;
        private readonly MethodInfo time;
        private readonly MethodInfo simdPath;
        private readonly MethodInfo? runGpu;
        private readonly MethodInfo? loadGpu;

        public ZooDriver(Type driver)
        {
            runCpu = driver.GetMethod("RunCpu")!;
            time = driver.GetMethod("Time")!;
            simdPath = driver.GetMethod("SimdPath")!;
            runGpu = driver.GetMethod("RunGpu");
            loadGpu = driver.GetMethod("LoadGpu");
        }

        public string SimdPath => (string)simdPath.Invoke(null, null)!;

        /// <summary>A single-input model on one sample.</summary>
        public int[] RunCpu(int[] x) => RunCpu(new[] { x });

        /// <summary>One sample: one int[] per input (spec order) -> the outputs one after the other.</summary>
        public int[] RunCpu(int[][] x) => (int[])runCpu.Invoke(null, new object[] { x })!;

        /// <summary>Seconds per inference of the generated code (the call itself, no conversion).</summary>
        public double Time(int[] x, int reps) => Time(new[] { x }, reps);

        /// <summary>Seconds per inference of the generated code on one sample of several inputs.</summary>
        public double Time(int[][] x, int reps) => (double)time.Invoke(null, new object[] { x, reps })!;

        /// <summary>True when the model was compiled with its ILGPU backend.</summary>
        public bool HasGpu => runGpu != null;

        /// <summary>Creates and disposes the model's ILGPU session on an accelerator (uploads the weights, compiles every kernel).</summary>
        public void LoadGpu(ILGPU.Runtime.Accelerator accelerator) =>
            (loadGpu ?? throw new InvalidOperationException("compiled without the ILGPU backend")).Invoke(null, new object[] { accelerator });

        /// <summary>A batch on an ILGPU accelerator: inputs concatenated, outputs concatenated.</summary>
        public int[] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[] x, int batch) =>
            (int[])(runGpu ?? throw new InvalidOperationException("compiled without the ILGPU backend")).Invoke(null, new object[] { accelerator, x, batch })!;
    }
}
