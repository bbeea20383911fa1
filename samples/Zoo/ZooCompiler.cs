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
        public static byte[] Compile(IEnumerable<(string Key, QuantizedModel Model, bool Gpu)> models)
        {
            bool anyGpu = false;
            var sources = new List<(string Hint, string Text)>();
            var resources = new List<ResourceDescription>();
            KernelFiles library = KernelFiles.None;
            foreach ((string key, QuantizedModel q, bool gpu) in models)
            {
                anyGpu |= gpu;
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
                sources.Add((key + "/Driver.cs", Driver(ns, CSharp.Type(g.Input.Type), CSharp.Type(g.Output.Type), gpu)));
                if (gpu)
                {
                    var missing = new List<MissingLowering>();
                    string gpuResource = "zoo." + key + ".gpu.blob";
                    BlobInitializer gpuFromResource = (blob, _) =>
                    {
                        byte[] copy = blob;
                        resources.Add(new ResourceDescription(gpuResource, () => new MemoryStream(copy, writable: false), isPublic: true));
                        return $"global::{Namespace}.ZooBlobs.Read(\"{gpuResource}\", {blob.Length})";
                    };
                    SourceFile file = GpuBackend.Emit(target, plan, string.Empty, missing, GpuLowering.Registry, gpuFromResource, out _) ?? throw new InvalidOperationException(key + ": no ILGPU lowering for " + string.Join(", ", missing.Select(m => m.Node.Layer.Op)));
                    sources.Add((key + "/" + file.HintName, file.Text));
                }
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

        private static string Driver(string ns, string tin, string tout, bool gpu) => $$"""
            using System;
            namespace {{ns}}
            {
                public static class Driver
                {
                    private static readonly Model Instance = new Model();
                    public static string SimdPath() => Model.SimdPath;
                    public static int[] RunCpu(int[] x)
                    {
                        var a = new {{tin}}[x.Length];
                        for (int i = 0; i < x.Length; i++) a[i] = checked(({{tin}})x[i]);
                        var y = new {{tout}}[Model.OutputLength];
                        Instance.Infer(a, y);
                        var r = new int[y.Length];
                        for (int i = 0; i < y.Length; i++) r[i] = y[i];
                        return r;
                    }

                    /// <summary>Seconds per inference over <paramref name="reps"/> calls (after one warm-up call).</summary>
                    public static double Time(int[] x, int reps)
                    {
                        var a = new {{tin}}[x.Length];
                        for (int i = 0; i < x.Length; i++) a[i] = checked(({{tin}})x[i]);
                        var y = new {{tout}}[Model.OutputLength];
                        Instance.Infer(a, y);
                        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                        for (int r = 0; r < reps; r++) Instance.Infer(a, y);
                        return System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
                    }
                    {{(gpu ? GpuDriver(tin, tout) : string.Empty)}}
                }
            }
            """;

        private static string GpuDriver(string tin, string tout) => $$"""
            public static void LoadGpu(ILGPU.Runtime.Accelerator accelerator)
            {
                using (var session = new Model.GpuSession(accelerator, 1))
                {
                }
            }

            {{QuantGen.Testing.Generated.GeneratedAssembly.GpuRunDriver(tin, tout)}}
            """;
    }

    /// <summary>int[] -> int[] calls into one compiled model.</summary>
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

        public int[] RunCpu(int[] x) => (int[])runCpu.Invoke(null, new object[] { x })!;

        /// <summary>Seconds per inference of the generated code (the call itself, no conversion).</summary>
        public double Time(int[] x, int reps) => (double)time.Invoke(null, new object[] { x, reps })!;

        /// <summary>Creates and disposes the model's ILGPU session on an accelerator (uploads the weights, compiles every kernel).</summary>
        public void LoadGpu(ILGPU.Runtime.Accelerator accelerator) =>
            (loadGpu ?? throw new InvalidOperationException("compiled without the ILGPU backend")).Invoke(null, new object[] { accelerator });

        /// <summary>A batch on an ILGPU accelerator: inputs concatenated, outputs concatenated.</summary>
        public int[] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[] x, int batch) =>
            (int[])(runGpu ?? throw new InvalidOperationException("compiled without the ILGPU backend")).Invoke(null, new object[] { accelerator, x, batch })!;
    }
}
