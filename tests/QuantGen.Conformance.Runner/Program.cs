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
            foreach (CorpusCase c in Corpus.Cases.Where(c => names.Count == 0 || names.Contains(c.Name)))
            {
                (string line, bool pass) = CheckCpu(c);
                Console.WriteLine(line);
                ok &= pass;
            }

            return ok ? 0 : 1;
        }

        public static (string Line, bool Pass) CheckCpu(CorpusCase c)
        {
            try
            {
                QuantizedModel q = Corpus.Quantize(c);
                var reference = new ReferenceInterpreter(q.Graph);
                var runner = new CSharpRunner(q, gpu: false);
                List<int[]> inputs = Inputs.For(q.Graph, RandomInputs);
                int mismatches = inputs.Count(x => !reference.Run(x).SequenceEqual(runner.RunCpu(x)));
                return ($"{c.Name}\t{runner.SimdPath}\t{inputs.Count}\t{mismatches}", mismatches == 0);
            }
            catch (Exception e)
            {
                Exception inner = e is System.Reflection.TargetInvocationException t && t.InnerException != null ? t.InnerException : e;
                return ($"{c.Name}\terror\t{inner.GetType().Name}: {inner.Message.Replace('\n', ' ')}", false);
            }
        }
    }
}
