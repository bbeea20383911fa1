using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Graph;
using QuantGen.Plan;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// One model with several named inputs/outputs (or token ids): its C# class and ILGPU session (kernels and float boundary)
    /// emitted, compiled in memory, and driven through the named APIs with int[][] (one array per tensor, spec order, the
    /// samples of a batch one after the other).
    /// </summary>
    public sealed class MultiInputRunner
    {
        private readonly Type driver;

        private MultiInputRunner(Type driver)
        {
            this.driver = driver;
        }

        public static MultiInputRunner Compile(ModelGraph g, RangeReport ranges, string key)
        {
            string ns = "Multi." + key;
            ModelPlan plan = ModelPlan.Create(g, ranges);
            var target = new CSharpTarget(ns, "Model", Array.Empty<string>(), g.Name + ".qmodel.json");
            CpuOutput cpu = CpuBackend.Emit(target, plan, string.Empty);
            if (cpu.Plan == null)
            {
                throw new InvalidOperationException("no CPU lowering for " + string.Join(", ", cpu.Missing.Select(m => m.Node.Layer.Op)));
            }

            var missing = new List<MissingLowering>();
            SourceFile gpu = GpuBackend.Emit(target, plan, string.Empty, missing) ?? throw new InvalidOperationException("no ILGPU lowering for " + string.Join(", ", missing.Select(m => m.Node.Layer.Op)));
            SourceFile boundary = GpuBackend.EmitBoundary(target, plan, string.Empty);
            var sources = cpu.Files.Select(f => (f.HintName, f.Text)).ToList();
            sources.Add((gpu.HintName, gpu.Text));
            sources.Add((boundary.HintName, boundary.Text));
            sources.AddRange(KernelLibrary.CpuSources(cpu.Plan.Library).Select(f => (f.HintName, f.Text)));
            sources.Add((GpuBackend.Kernels.HintName, GpuBackend.Kernels.Text));
            sources.Add(("Driver.cs", Driver(g, ns)));
            Assembly asm = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(QuantGen.Testing.Generated.GeneratedAssembly.Compile(sources, true, "Multi_", "/multi/")));
            return new MultiInputRunner(asm.GetType(ns + ".Driver")!);
        }

        private static string Driver(ModelGraph g, string ns)
        {
            IReadOnlyList<string> tins = g.Inputs.Select(t => CSharp.Type(t.Type)).ToList(), touts = g.Outputs.Select(t => CSharp.Type(t.Type)).ToList();
            string Convert(string prefix, string source, IReadOnlyList<string> types) => string.Concat(types.Select((t, k) =>
                $"var {prefix}{k} = new {t}[{source}[{k}].Length]; for (int i = 0; i < {prefix}{k}.Length; i++) {prefix}{k}[i] = checked(({t}){source}[{k}][i]);\n"));
            string Outputs(string count) => string.Concat(g.Outputs.Select((t, k) => $"var y{k} = new {touts[k]}[{t.ElementCount} * {count}];\n"));
            string Back() => $"var r = new int[{touts.Count}][];\n" + string.Concat(touts.Select((_, k) => $"r[{k}] = new int[y{k}.Length]; for (int i = 0; i < y{k}.Length; i++) r[{k}][i] = y{k}[i];\n")) + "return r;\n";
            string args = string.Join(", ", g.Inputs.Select((_, k) => "a" + k).Concat(g.Outputs.Select((_, k) => "y" + k)));
            string floatIn = string.Concat(g.Inputs.Select((t, k) => t.IsIndex
                ? $"var f{k} = new int[x[{k}].Length]; for (int i = 0; i < f{k}.Length; i++) f{k}[i] = (int)x[{k}][i];\n"
                : $"var f{k} = x[{k}];\n"));
            string floatOut = string.Concat(g.Outputs.Select((t, k) => $"var y{k} = new float[{t.ElementCount}];\n"));
            string floatArgs = string.Join(", ", g.Inputs.Select((_, k) => "f" + k).Concat(g.Outputs.Select((_, k) => "y" + k)));
            string floatBack = $"return new float[][] {{ {string.Join(", ", g.Outputs.Select((_, k) => "y" + k))} }};\n";
            return $$"""
                using System;
                namespace {{ns}}
                {
                    public static class Driver
                    {
                        public static int[][] RunCpu(int[][] x)
                        {
                            {{Convert("a", "x", tins)}}
                            {{Outputs("1")}}
                            new Model().Infer({{args}});
                            {{Back()}}
                        }

                        public static int[][] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[][] x, int batch)
                        {
                            {{Convert("a", "x", tins)}}
                            {{Outputs("batch")}}
                            using (var session = new Model.GpuSession(accelerator, Math.Max(1, batch)))
                            {
                                session.Infer({{args}}, batch);
                            }

                            {{Back()}}
                        }

                        public static float[][] RunFloatCpu(float[][] x)
                        {
                            {{floatIn}}
                            {{floatOut}}
                            new Model().Run({{floatArgs}});
                            {{floatBack}}
                        }

                        public static float[][] RunFloatGpu(ILGPU.Runtime.Accelerator accelerator, float[][] x)
                        {
                            {{floatIn}}
                            {{floatOut}}
                            using (var session = new Model.GpuSession(accelerator))
                            {
                                session.Run({{floatArgs}});
                            }

                            {{floatBack}}
                        }

                        /// <summary>The exception of a bad call: "Type ParamName: Message" (or "no exception").</summary>
                        public static string ErrorCpu(int[][] x)
                        {
                            try { RunCpu(x); return "no exception"; }
                            catch (ArgumentException e) { return e.GetType().Name + " " + e.ParamName + ": " + e.Message; }
                        }

                        public static string ErrorGpu(ILGPU.Runtime.Accelerator accelerator, int[][] x, int batch)
                        {
                            try { RunGpu(accelerator, x, batch); return "no exception"; }
                            catch (ArgumentException e) { return e.GetType().Name + " " + e.ParamName + ": " + e.Message; }
                        }
                    }
                }
                """;
        }

        private object? Call(string method, params object[] args) => driver.GetMethod(method)!.Invoke(null, args);

        /// <summary>One sample through the C# class's named Infer.</summary>
        public int[][] RunCpu(int[][] x) => (int[][])Call("RunCpu", new object[] { x })!;

        /// <summary><paramref name="batch"/> samples through the GPU session's named batched Infer.</summary>
        public int[][] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[][] x, int batch) => (int[][])Call("RunGpu", accelerator, x, batch)!;

        /// <summary>One sample through the class's float Run (index inputs given as whole floats).</summary>
        public float[][] RunFloatCpu(float[][] x) => (float[][])Call("RunFloatCpu", new object[] { x })!;

        /// <summary>One sample through the GPU session's float Run.</summary>
        public float[][] RunFloatGpu(ILGPU.Runtime.Accelerator accelerator, float[][] x) => (float[][])Call("RunFloatGpu", accelerator, x)!;

        public string ErrorCpu(int[][] x) => (string)Call("ErrorCpu", new object[] { x })!;

        public string ErrorGpu(ILGPU.Runtime.Accelerator accelerator, int[][] x, int batch) => (string)Call("ErrorGpu", accelerator, x, batch)!;
    }
}
