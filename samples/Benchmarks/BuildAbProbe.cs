using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `build-ab &lt;other Benchmarks.dll&gt; [rounds] [models]`: whole-model Infer of this build against another build of this project (e.g. main,
    /// built beside it from `git archive`), loaded into its own AssemblyLoadContext, interleaved in one process: per round each
    /// model's Infer runs about 40 ms of process CPU time; medians of the rounds and of the per-round ratios, outputs compared.
    /// A whole-model A/B that separate processes cannot give on a shared, loaded machine.
    /// </summary>
    public static class BuildAbProbe
    {
        private delegate void InferFn(ReadOnlySpan<sbyte> input, Span<sbyte> output);

        private delegate void InferShortFn(ReadOnlySpan<sbyte> input, Span<short> output);

        public static int Run(string[] args)
        {
            string other = System.IO.Path.GetFullPath(args[0]);
            int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;
            var alc = new AssemblyLoadContext("other", isCollectible: false);
            string dir = System.IO.Path.GetDirectoryName(other)!;
            alc.Resolving += (ctx, name) =>
            {
                string p = System.IO.Path.Combine(dir, name.Name + ".dll");
                return System.IO.File.Exists(p) ? ctx.LoadFromAssemblyPath(p) : null;
            };
            Assembly asm = alc.LoadFromAssemblyPath(other);
            bool ok = true;
            // An optional third argument names the models to run (comma-separated type names, e.g. MobileNetV1,DsCnn).
            string[]? only = args.Length > 2 ? args[2].Split(',') : null;
            foreach ((string type, int inLen, int outLen) in new[] { ("MobileNetV1", 3 * 96 * 96, 2), ("DsCnn", 49 * 10, 12), ("ResNet8", 3 * 32 * 32, 10), ("AdAutoencoder", 640, 640), ("DeitTiny", 3 * 224 * 224, 1000), ("JetTagger", 16, 5) })
            {
                if (only != null && Array.IndexOf(only, type) < 0)
                {
                    continue;
                }

                object mine = Activator.CreateInstance(typeof(BuildAbProbe).Assembly.GetType("QuantGen.Benchmarks." + type)!)!;
                object theirs = Activator.CreateInstance(asm.GetType("QuantGen.Benchmarks." + type)!)!;
                InferFn Bind(object m)
                {
                    if (m.GetType().GetMethod("Infer", new[] { typeof(ReadOnlySpan<sbyte>), typeof(Span<sbyte>) }) is MethodInfo s8)
                    {
                        return (InferFn)s8.CreateDelegate(typeof(InferFn), m);
                    }

                    // An int16 output (the jet tagger's table softmax): the probe compares and times it through a scratch array.
                    var f = (InferShortFn)m.GetType().GetMethod("Infer", new[] { typeof(ReadOnlySpan<sbyte>), typeof(Span<short>) })!.CreateDelegate(typeof(InferShortFn), m);
                    var wide = new short[outLen];
                    return (i, o) =>
                    {
                        f(i, wide);
                        for (int k = 0; k < wide.Length; k++)
                        {
                            o[k] = (sbyte)(wide[k] ^ (wide[k] >> 8));
                        }
                    };
                }

                InferFn a = Bind(theirs), b = Bind(mine);
                var rng = new Random(42);
                sbyte[] x = Enumerable.Range(0, inLen).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                var ya = new sbyte[outLen];
                var yb = new sbyte[outLen];
                a(x, ya);
                b(x, yb);
                bool same = ya.AsSpan().SequenceEqual(yb);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                var r = new double[rounds];
                for (int i = 0; i < rounds; i++)
                {
                    ta[i] = PwProbe.CpuMicros(() => a(x, ya));
                    tb[i] = PwProbe.CpuMicros(() => b(x, yb));
                    r[i] = ta[i] / tb[i];
                }

                Console.WriteLine(FormattableString.Invariant($"{type,-12} weights at {WeightsMod64(theirs.GetType())} / {WeightsMod64(mine.GetType())} mod 64 (other / this build)"));
                Console.WriteLine(FormattableString.Invariant($"{type,-12} other build {PwProbe.Median(ta),7:F1} us  this build {PwProbe.Median(tb),7:F1} us  median of ratios {PwProbe.Median(r):F3}x (min {r.Min():F3}, max {r.Max():F3})  {(same ? "same output" : "DIFFERENT")}"));
            }

            return ok ? 0 : 1;
        }

        /// <summary>Where the model's weights start modulo 64 (s_blob's data, from s_blobAt where the build has it).</summary>
        private static long WeightsMod64(Type model)
        {
            const BindingFlags st = BindingFlags.NonPublic | BindingFlags.Static;
            var blob = (byte[])model.GetField("s_blob", st)!.GetValue(null)!;
            int at = model.GetField("s_blobAt", st)?.GetValue(null) is int a ? a : 0;
            System.Runtime.InteropServices.GCHandle h = System.Runtime.InteropServices.GCHandle.Alloc(blob, System.Runtime.InteropServices.GCHandleType.Pinned);
            long mod = (h.AddrOfPinnedObject().ToInt64() + at) & 63;
            h.Free();
            return mod;
        }
    }
}
