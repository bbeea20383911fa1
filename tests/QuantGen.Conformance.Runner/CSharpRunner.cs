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
using QuantGen.Model;
using QuantGen.Plan;
using QuantGen.Quantization;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Emits a quantized model with the C# CPU backend (and the ILGPU backend), compiles the text in memory exactly as the
    /// source generator's output would be compiled, and exposes int[] -> int[] runners over the generated Infer methods.
    /// </summary>
    public sealed class CSharpRunner
    {
        private readonly MethodInfo runCpu;
        private readonly MethodInfo simdPath;
        private readonly MethodInfo? runGpu;

        private CSharpRunner(Type driverType)
        {
            runCpu = driverType.GetMethod("RunCpu")!;
            simdPath = driverType.GetMethod("SimdPath")!;
            runGpu = driverType.GetMethod("RunGpu");
        }

        /// <summary>
        /// Emits every model into its own namespace and compiles them all in ONE compilation (one kernel library: the union
        /// of what the models need), so a run over the corpus pays Roslyn's start-up once.
        /// </summary>
        public static Dictionary<string, CSharpRunner> CompileAll(IEnumerable<(string Key, QuantizedModel Model)> models, bool gpu)
        {
            var sources = new List<(string Hint, string Text)>();
            KernelFiles library = KernelFiles.None;
            var keys = new List<string>();
            foreach ((string key, QuantizedModel q) in models)
            {
                string ns = "Conformance." + key;
                ModelGraph g = q.Graph;
                ModelPlan plan = ModelPlan.Create(g, q.Ranges);
                var target = new CSharpTarget(ns, "Model", Array.Empty<string>(), g.Name + ".qmodel.json");
                CpuOutput cpu = CpuBackend.Emit(target, plan, string.Empty);
                if (cpu.Plan == null)
                {
                    throw new InvalidOperationException("no CPU lowering for " + string.Join(", ", cpu.Missing.Select(m => m.Node.Layer.Op)));
                }

                library |= cpu.Plan.Library;
                sources.AddRange(cpu.Files.Select(f => (key + "/" + f.HintName, f.Text)));
                string tin = CSharp.Type(g.Input.Type), tout = CSharp.Type(g.Output.Type);
                sources.Add((key + "/Driver.cs", $$"""
                    using System;
                    namespace {{ns}}
                    {
                        public static class Driver
                        {
                            public static string SimdPath() => Model.SimdPath;
                            public static global::QuantGen.ModelInfo Info() => Model.Info;
                            public static int[] RunCpu(int[] x)
                            {
                                var a = new {{tin}}[x.Length];
                                for (int i = 0; i < x.Length; i++) a[i] = checked(({{tin}})x[i]);
                                var y = new {{tout}}[Model.OutputLength];
                                new Model().Infer(a, y);
                                var r = new int[y.Length];
                                for (int i = 0; i < y.Length; i++) r[i] = y[i];
                                return r;
                            }
                            {{(gpu ? QuantGen.Testing.Generated.GeneratedAssembly.GpuRunDriver(tin, tout) : string.Empty)}}
                        }
                    }
                    """));
                if (gpu)
                {
                    var missing = new List<MissingLowering>();
                    SourceFile file = GpuBackend.Emit(target, plan, string.Empty, missing) ?? throw new InvalidOperationException("no ILGPU lowering for " + string.Join(", ", missing.Select(m => m.Node.Layer.Op)));
                    sources.Add((key + "/" + file.HintName, file.Text));
                }

                keys.Add(key);
            }

            sources.AddRange(KernelLibrary.CpuSources(library).Select(f => (f.HintName, f.Text)));
            if (gpu)
            {
                sources.Add((GpuBackend.Kernels.HintName, GpuBackend.Kernels.Text));
            }

            Assembly asm = Compile(sources, gpu);
            return keys.ToDictionary(k => k, k => new CSharpRunner(asm.GetType("Conformance." + k + ".Driver")!));
        }

        public string SimdPath => (string)simdPath.Invoke(null, null)!;

        /// <summary>The generated class's static Info.</summary>
        public ModelInfo Info => (ModelInfo)runCpu.DeclaringType!.GetMethod("Info")!.Invoke(null, null)!;

        public int[] RunCpu(int[] x) => (int[])runCpu.Invoke(null, new object[] { x })!;

        /// <summary>Runs a batch on the ILGPU accelerator: inputs concatenated, outputs concatenated.</summary>
        public int[] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[] x, int batch) =>
            (int[])(runGpu ?? throw new InvalidOperationException("compiled without the ILGPU backend")).Invoke(null, new object[] { accelerator, x, batch })!;

        private static Assembly Compile(List<(string Hint, string Text)> sources, bool gpu) =>
            AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(QuantGen.Testing.Generated.GeneratedAssembly.Compile(sources, gpu, "Conformance_", "/conformance/")));
    }
}
