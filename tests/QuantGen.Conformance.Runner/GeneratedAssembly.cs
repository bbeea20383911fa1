using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace QuantGen.Testing.Generated
{
    /// <summary>
    /// Compiles generated C# in memory as the source generator's output would be compiled (C# 12, nullable, unsafe, Release),
    /// against the runtime's assemblies, QuantGen.Runtime and, for the ILGPU backend, ILGPU. Shared by the conformance runner
    /// and the zoo (samples/Zoo links this file), so both compile generated code the same way.
    /// </summary>
    internal static class GeneratedAssembly
    {
        /// <summary>The PE image; <paramref name="pathPrefix"/> names the syntax trees in error messages ("/zoo/", ...).</summary>
        public static byte[] Compile(IEnumerable<(string Hint, string Text)> sources, bool ilgpu, string assemblyPrefix, string pathPrefix, IEnumerable<ResourceDescription>? resources = null)
        {
            var parse = new CSharpParseOptions(LanguageVersion.CSharp12);
            IEnumerable<string> paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Append(typeof(QuantizedModelAttribute).Assembly.Location);
            if (ilgpu)
            {
                paths = paths.Append(typeof(ILGPU.Context).Assembly.Location);
            }

            var references = paths.Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
            var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, path: pathPrefix + s.Hint));
            CSharpCompilation compilation = CSharpCompilation.Create(
                assemblyPrefix + Guid.NewGuid().ToString("N"),
                trees,
                references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
            using var pe = new MemoryStream();
            Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(pe, manifestResources: resources);
            if (!result.Success)
            {
                throw new InvalidOperationException("the emitted code did not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
            }

            return pe.ToArray();
        }

        /// <summary>A driver's RunGpu(accelerator, int[] x, batch): one GpuSession of the model class "Model", int[] in and out.</summary>
        public static string GpuRunDriver(string tin, string tout) => $$"""
            public static int[] RunGpu(ILGPU.Runtime.Accelerator accelerator, int[] x, int batch)
            {
                var a = new {{tin}}[x.Length];
                for (int i = 0; i < x.Length; i++) a[i] = checked(({{tin}})x[i]);
                var y = new {{tout}}[Model.OutputLength * batch];
                using (var session = new Model.GpuSession(accelerator, batch))
                {
                    session.Infer(a, y, batch);
                }

                var r = new int[y.Length];
                for (int i = 0; i < y.Length; i++) r[i] = y[i];
                return r;
            }
            """;

        /// <summary>
        /// A driver's RunGpuMany(accelerator, int[][] x, batch): one GpuSession of the model class "Model" with several
        /// inputs/outputs (or token ids). x[k] holds input k of every sample one after the other (spec order); the result
        /// holds output k of every sample the same way. <paramref name="tins"/> and <paramref name="touts"/> are the C#
        /// element types of the inputs and outputs in spec order, <paramref name="outLengths"/> the outputs' per-sample lengths.
        /// </summary>
        public static string GpuRunManyDriver(IReadOnlyList<string> tins, IReadOnlyList<string> touts, IReadOnlyList<int> outLengths)
        {
            var b = new System.Text.StringBuilder();
            b.Append("public static int[][] RunGpuMany(ILGPU.Runtime.Accelerator accelerator, int[][] x, int batch)\n{\n");
            for (int k = 0; k < tins.Count; k++)
            {
                b.Append($"    var a{k} = new {tins[k]}[x[{k}].Length];\n    for (int i = 0; i < a{k}.Length; i++) a{k}[i] = checked(({tins[k]})x[{k}][i]);\n");
            }

            for (int k = 0; k < touts.Count; k++)
            {
                b.Append($"    var y{k} = new {touts[k]}[{outLengths[k]} * batch];\n");
            }

            string args = string.Join(", ", Enumerable.Range(0, tins.Count).Select(k => "a" + k).Concat(Enumerable.Range(0, touts.Count).Select(k => "y" + k)));
            b.Append($"    using (var session = new Model.GpuSession(accelerator, System.Math.Max(1, batch)))\n    {{\n        session.Infer({args}, batch);\n    }}\n");
            b.Append($"    var r = new int[{touts.Count}][];\n");
            for (int k = 0; k < touts.Count; k++)
            {
                b.Append($"    r[{k}] = new int[y{k}.Length];\n    for (int i = 0; i < y{k}.Length; i++) r[{k}][i] = y{k}[i];\n");
            }

            b.Append("    return r;\n}\n");
            return b.ToString();
        }
    }
}
