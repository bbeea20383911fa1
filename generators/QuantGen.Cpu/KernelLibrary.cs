using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The kernel library of the generated code: the ordinary C# files under Kernels/ (compiled and unit-tested by
    /// tests/QuantGen.Kernels.Tests), embedded in this assembly as resources and emitted only when a model uses them. The
    /// integer-numerics twins (QuantGenKernels.Numerics.cs) are one source for both backends: part of QuantGenKernels on the
    /// CPU and, under the class name QuantGenGpuKernels, the whole helper class of the ILGPU kernels.
    /// </summary>
    public static class KernelLibrary
    {
        public const string KernelsHintName = "QuantGen.Kernels.g.cs";
        public const string ConvKernelsHintName = "QuantGen.ConvKernels.g.cs";
        public const string DepthwiseKernelsHintName = "QuantGen.DepthwiseKernels.g.cs";
        public const string PointwiseKernelsHintName = "QuantGen.PointwiseKernels.g.cs";
        public const string TransformerKernelsHintName = "QuantGen.TransformerKernels.g.cs";
        public const string AttentionKernelsHintName = "QuantGen.AttentionKernels.g.cs";
        public const string StemKernelsHintName = "QuantGen.StemKernels.g.cs";
        public const string GpuKernelsHintName = "QuantGen.GpuKernels.g.cs";

        private static readonly Dictionary<string, string> Texts = new Dictionary<string, string>(StringComparer.Ordinal);
        private static readonly Dictionary<string, string[]> Parameters = new Dictionary<string, string[]>(StringComparer.Ordinal);

        /// <summary>A kernel file as written in Kernels/ ("QuantGenKernels.cs", ...), "\n" newlines.</summary>
        public static string Text(string file)
        {
            lock (Texts)
            {
                if (!Texts.TryGetValue(file, out string? text))
                {
                    using Stream? s = typeof(KernelLibrary).Assembly.GetManifestResourceStream("QuantGen.Kernels." + file);
                    if (s == null)
                    {
                        throw new InvalidOperationException("the kernel library resource " + file + " is missing from " + typeof(KernelLibrary).Assembly.GetName().Name);
                    }

                    using var reader = new StreamReader(s, Encoding.UTF8);
                    Texts[file] = text = reader.ReadToEnd().Replace("\r\n", "\n");
                }

                return text;
            }
        }

        /// <summary>The CPU library files <paramref name="files"/> asks for, as generated sources.</summary>
        public static IEnumerable<SourceFile> CpuSources(KernelFiles files)
        {
            if ((files & KernelFiles.Kernels) != 0)
            {
                string twins = Text("QuantGenKernels.Numerics.cs");
                yield return new SourceFile(KernelsHintName, Text("QuantGenKernels.cs") + "\n" + twins.Substring(twins.IndexOf("namespace ", StringComparison.Ordinal)));
            }

            if ((files & KernelFiles.ConvKernels) != 0)
            {
                yield return new SourceFile(ConvKernelsHintName, Text("QuantGenConvKernels.cs"));
            }

            if ((files & KernelFiles.DepthwiseKernels) != 0)
            {
                yield return new SourceFile(DepthwiseKernelsHintName, Text("QuantGenDepthwiseKernels.cs"));
            }

            if ((files & KernelFiles.PointwiseKernels) != 0)
            {
                yield return new SourceFile(PointwiseKernelsHintName, Text("QuantGenPointwiseKernels.cs"));
            }

            if ((files & KernelFiles.TransformerKernels) != 0)
            {
                yield return new SourceFile(TransformerKernelsHintName, Text("QuantGenTransformerKernels.cs"));
            }

            if ((files & KernelFiles.AttentionKernels) != 0)
            {
                yield return new SourceFile(AttentionKernelsHintName, Text("QuantGenAttentionKernels.cs"));
            }

            if ((files & KernelFiles.StemKernels) != 0)
            {
                yield return new SourceFile(StemKernelsHintName, Text("QuantGenStemKernels.cs"));
            }
        }

        /// <summary>The ILGPU kernels' helpers: the twins file under the class name QuantGenGpuKernels.</summary>
        public static SourceFile GpuSource() =>
            new SourceFile(GpuKernelsHintName, Text("QuantGenKernels.Numerics.cs")
                .Replace("// QuantGen integer numerics twins,", "// QuantGen integer helpers of the ILGPU kernels (the integer numerics twins),")
                .Replace("internal static partial class QuantGenKernels", "internal static class QuantGenGpuKernels"));

        /// <summary>
        /// A call of <paramref name="cls"/>.<paramref name="method"/> with named arguments, the names read from the kernel
        /// file's own signature (so a renamed parameter cannot silently shift a positional argument).
        /// </summary>
        public static string Call(string cls, string method, params string[] args)
        {
            string[] names = ParameterNames(cls, method);
            if (names.Length != args.Length)
            {
                throw new InvalidOperationException($"{cls}.{method} takes {names.Length} arguments, the emitter passed {args.Length}");
            }

            return cls + "." + method + "(" + string.Join(", ", names.Select((n, i) => n + ": " + args[i])) + ")";
        }

        private static string[] ParameterNames(string cls, string method)
        {
            string key = cls + "." + method;
            lock (Parameters)
            {
                if (Parameters.TryGetValue(key, out string[]? names))
                {
                    return names;
                }

                string file = cls == "QuantGenConvKernels" ? "QuantGenConvKernels.cs" : cls == "QuantGenDepthwiseKernels" ? "QuantGenDepthwiseKernels.cs"
                    : cls == "QuantGenPointwiseKernels" ? "QuantGenPointwiseKernels.cs" : cls == "QuantGenTransformerKernels" ? "QuantGenTransformerKernels.cs"
                    : cls == "QuantGenAttentionKernels" ? "QuantGenAttentionKernels.cs" : cls == "QuantGenStemKernels" ? "QuantGenStemKernels.cs" : "QuantGenKernels.cs";
                string text = Text(file) + Text("QuantGenKernels.Numerics.cs");
                Match m = Regex.Match(text, @"public static [\w\[\]<>]+ " + Regex.Escape(method) + @"(<\w+>)?\(([^)]*)\)");
                if (!m.Success)
                {
                    throw new InvalidOperationException($"no kernel {key} in the library");
                }

                names = m.Groups[2].Value.Split(',').Select(p => p.Trim().Split(' ', '\n').Last()).ToArray();
                Parameters[key] = names;
                return names;
            }
        }
    }
}
