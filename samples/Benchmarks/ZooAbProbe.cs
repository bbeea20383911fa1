using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `zoo-ab &lt;other Benchmarks.dll&gt; [rounds] [models]`: this build's generated zoo models against another build's (e.g. main
    /// built beside from `git archive`), loaded into its own AssemblyLoadContext, in one process: rounds of one batch of each
    /// `Infer` (A B, B A, ...), the median of the per-round ratios other / this and the fastest batch of each; outputs compared.
    /// </summary>
    public static class ZooAbProbe
    {
        private delegate void InferFn(ReadOnlySpan<sbyte> input, Span<sbyte> output);

        public static int Run(string[] args)
        {
            string otherPath = Path.GetFullPath(args[1]);
            int rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 21;
            string[] models = args.Length > 3 ? args.Skip(3).ToArray() : new[] { "resnet8", "ds_cnn" };
            var alc = new OtherBuild(otherPath);
            Assembly other = alc.LoadFromAssemblyPath(otherPath);
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            bool same = true;
            foreach (string name in models)
            {
                ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, name + ".qmodel.json")).GetGraphOrThrow();
                var rng = new Random(42);
                sbyte[] input = Enumerable.Range(0, graph.Input.ElementCount).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                var yThis = new sbyte[graph.Output.ElementCount];
                var yOther = new sbyte[graph.Output.ElementCount];
                string type = name switch { "resnet8" => "QuantGen.Benchmarks.ResNet8", "ds_cnn" => "QuantGen.Benchmarks.DsCnn", _ => "QuantGen.Benchmarks.MobileNetV1" };
                InferFn mine = Bind(typeof(ZooAbProbe).Assembly.GetType(type, true)!);
                InferFn theirs = Bind(other.GetType(type, true)!);
                mine(input, yThis);
                theirs(input, yOther);
                bool eq = yThis.AsSpan().SequenceEqual(yOther);
                same &= eq;
                (double ratio, double tOther, double tThis) = Ab(() => theirs(input, yOther), () => mine(input, yThis), rounds);
                Console.WriteLine($"{name,-14} other {tOther,8:F2} us   this {tThis,8:F2} us   other/this median {ratio:F3}x   same output: {eq}");
            }

            return same ? 0 : 1;
        }

        /// <summary>Rounds of one batch of a then one of b (about 2 ms each): the median per-round ratio a / b and the fastest per-call time of each.</summary>
        private static (double Ratio, double A, double B) Ab(Action a, Action b, int rounds)
        {
            for (int i = 0; i < 50; i++)
            {
                a();
                b();
            }

            var sw = Stopwatch.StartNew();
            int reps = 0;
            while (sw.Elapsed.TotalMilliseconds < 2)
            {
                a();
                reps++;
            }

            double Batch(Action f)
            {
                var s = Stopwatch.StartNew();
                for (int i = 0; i < reps; i++)
                {
                    f();
                }

                return s.Elapsed.TotalMilliseconds * 1000 / reps;
            }

            var ratios = new double[rounds];
            double ba = double.MaxValue, bb = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                double ta, tb;
                if ((r & 1) == 0)
                {
                    ta = Batch(a);
                    tb = Batch(b);
                }
                else
                {
                    tb = Batch(b);
                    ta = Batch(a);
                }

                ratios[r] = ta / tb;
                ba = Math.Min(ba, ta);
                bb = Math.Min(bb, tb);
            }

            Array.Sort(ratios);
            return (ratios[rounds / 2], ba, bb);
        }

        private static InferFn Bind(Type t)
        {
            object model = Activator.CreateInstance(t)!;
            MethodInfo infer = t.GetMethod("Infer", new[] { typeof(ReadOnlySpan<sbyte>), typeof(Span<sbyte>) })!;
            return (InferFn)Delegate.CreateDelegate(typeof(InferFn), model, infer);
        }

        private sealed class OtherBuild : AssemblyLoadContext
        {
            private readonly AssemblyDependencyResolver resolver;

            public OtherBuild(string path)
                : base("other-build", isCollectible: false)
            {
                resolver = new AssemblyDependencyResolver(path);
            }

            protected override Assembly? Load(AssemblyName name)
            {
                string? path = resolver.ResolveAssemblyToPath(name);
                return path is null ? null : LoadFromAssemblyPath(path);
            }
        }
    }
}
