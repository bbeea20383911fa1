using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace QuantGen.Tests.Conformance
{
    /// <summary>Runs the conformance runner in a child process and reads its per-case rows.</summary>
    public static class ConformanceMatrix
    {
        private static readonly Lazy<string> Native = new Lazy<string>(() => RunCpu(Array.Empty<string>(), "dense_int8").Values.First()[0]);

        /// <summary>The path a forced child reports on this machine: a machine without a feature can only go lower.</summary>
        public static string ExpectedPath(string wanted)
        {
            string here = Native.Value;
            if (!here.EndsWith("+vnni", StringComparison.Ordinal))
            {
                wanted = wanted.Replace("+vnni", string.Empty, StringComparison.Ordinal);
            }

            string[] order = { "avx512", "avx2", "vector128", "scalar" };
            return Array.IndexOf(order, wanted.Split('+')[0]) < Array.IndexOf(order, here.Split('+')[0]) ? here.Split('+')[0] : wanted;
        }

        /// <summary>case -> [path, inputs, mismatches] (or ["error", message]).</summary>
        public static Dictionary<string, string[]> RunCpu(string[] switches, params string[] cases)
        {
            var psi = new ProcessStartInfo("dotnet", "exec \"" + typeof(Program).Assembly.Location + "\" cpu " + string.Join(" ", cases))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string s in switches)
            {
                psi.Environment[s.Split('=')[0]] = s.Split('=')[1];
            }

            using Process p = Process.Start(psi)!;
            System.Threading.Tasks.Task<string> err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(600_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("the conformance runner did not finish in 10 minutes");
            }

            if (p.ExitCode > 1)
            {
                throw new InvalidOperationException("the conformance runner failed: " + output + err.Result);
            }

            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.TrimEnd('\r').Split('\t'))
                .ToDictionary(f => f[0], f => f.Skip(1).ToArray());
        }
    }
}
