using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// `check &lt;assembly&gt; &lt;vectors&gt;`: for each model in the vectors file, the compiled generated C# on this process's SIMD
    /// path against the reference outputs; one line per model: "key&lt;TAB&gt;path&lt;TAB&gt;inputs&lt;TAB&gt;mismatches" or
    /// "key&lt;TAB&gt;error&lt;TAB&gt;message". Exit code 0 when every model ran and matched, 1 otherwise, 2 for bad usage.
    /// </summary>
    public static class Program
    {
        /// <summary>The namespace the zoo compiler puts each model's Driver in (samples/Zoo/ZooCompiler.cs).</summary>
        public const string Namespace = "QuantGen.Zoo.Generated";

        public static int Main(string[] args)
        {
            if (args.Length != 3 || args[0] != "check" || !File.Exists(args[1]) || !File.Exists(args[2]))
            {
                Console.Error.WriteLine("usage: QuantGen.Zoo.Runner check <compiled zoo assembly> <vectors file>");
                return 2;
            }

            Assembly asm = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(args[1]));
            bool ok = true;
            foreach (ZooVectors v in ZooVectors.Read(args[2]))
            {
                string line;
                try
                {
                    Type driver = asm.GetType(Namespace + "." + v.Key + ".Driver") ?? throw new InvalidOperationException("no driver type");
                    MethodInfo run = driver.GetMethod("RunCpu")!;
                    string path = (string)driver.GetMethod("SimdPath")!.Invoke(null, null)!;
                    int mismatches = v.Inputs.Select((x, i) => ((int[])run.Invoke(null, new object[] { x })!).SequenceEqual(v.Expected[i]) ? 0 : 1).Sum();
                    line = string.Join("\t", v.Key, path, v.Inputs.Count.ToString(CultureInfo.InvariantCulture), mismatches.ToString(CultureInfo.InvariantCulture));
                    ok &= mismatches == 0;
                }
                catch (Exception e)
                {
                    Exception inner = e is TargetInvocationException t && t.InnerException != null ? t.InnerException : e;
                    line = $"{v.Key}\terror\t{inner.GetType().Name}: {inner.Message.Replace('\n', ' ')}";
                    ok = false;
                }

                Console.WriteLine(line);
            }

            return ok ? 0 : 1;
        }
    }
}
