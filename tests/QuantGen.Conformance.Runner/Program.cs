using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Quantization;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// `cpu [case ...]`: for each corpus case (all when none is named), the generated CPU code on this process's SIMD path
    /// against the reference interpreter; one line per case: "case&lt;TAB&gt;path&lt;TAB&gt;inputs&lt;TAB&gt;mismatches", or
    /// "case&lt;TAB&gt;error&lt;TAB&gt;message". Exit code 0 when every case ran and matched, 1 otherwise.
    /// </summary>
    public static class Program
    {
        public const int RandomInputs = 20;

        public static int Main(string[] args)
        {
            if (args.Length == 0 || args[0] != "cpu")
            {
                Console.Error.WriteLine("usage: QuantGen.Conformance.Runner cpu [case ...]");
                return 2;
            }

            var names = args.Skip(1).ToList();
            bool ok = true;
            foreach (string line in CheckCpu(Corpus.Cases.Where(c => names.Count == 0 || names.Contains(c.Name)).ToList()))
            {
                Console.WriteLine(line);
                ok &= line.EndsWith("\t0", StringComparison.Ordinal) && !line.Contains("\terror\t", StringComparison.Ordinal);
            }

            return ok ? 0 : 1;
        }

        /// <summary>One row per case; the cases that quantize are compiled together.</summary>
        public static List<string> CheckCpu(IReadOnlyList<CorpusCase> cases)
        {
            var rows = new Dictionary<string, string>();
            var models = new List<(string Key, QuantizedModel Model)>();
            foreach (CorpusCase c in cases)
            {
                try
                {
                    models.Add((c.Name, Corpus.Quantize(c)));
                }
                catch (Exception e)
                {
                    rows[c.Name] = Error(c.Name, e);
                }
            }

            Dictionary<string, CSharpRunner>? runners = null;
            try
            {
                runners = CSharpRunner.CompileAll(models, gpu: false);
            }
            catch (Exception e)
            {
                foreach ((string key, _) in models)
                {
                    rows[key] = Error(key, e);
                }
            }

            foreach ((string key, QuantizedModel q) in models)
            {
                if (runners == null)
                {
                    continue;
                }

                try
                {
                    var reference = new ReferenceInterpreter(q.Graph);
                    CSharpRunner runner = runners[key];
                    List<int[]> inputs = Inputs.For(q.Graph, RandomInputs);
                    int mismatches = inputs.Count(x => !reference.Run(x).SequenceEqual(runner.RunCpu(x)));
                    rows[key] = $"{key}\t{runner.SimdPath}\t{inputs.Count}\t{mismatches}";
                }
                catch (Exception e)
                {
                    rows[key] = Error(key, e);
                }
            }

            return cases.Select(c => rows[c.Name]).ToList();
        }

        private static string Error(string name, Exception e)
        {
            Exception inner = e is System.Reflection.TargetInvocationException t && t.InnerException != null ? t.InnerException : e;
            return $"{name}\terror\t{inner.GetType().Name}: {inner.Message.Replace('\n', ' ')}";
        }
    }
}
