using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace QuantGen.Hls
{
    /// <summary>Result of compiling and running an emitted project's testbench with a host C++ compiler.</summary>
    public sealed class CsimResult
    {
        public CsimResult(bool ran, bool passed, string compiler, string output)
        {
            Ran = ran;
            Passed = passed;
            Compiler = compiler;
            Output = output;
        }

        /// <summary>False when no compiler was found (nothing was tried).</summary>
        public bool Ran { get; }

        public bool Passed { get; }

        public string Compiler { get; }

        /// <summary>Compiler and testbench output.</summary>
        public string Output { get; }
    }

    /// <summary>
    /// C simulation without the vendor tool: compiles firmware/&lt;model&gt;.cpp with &lt;model&gt;_test.cpp using g++ (or clang++)
    /// and the project's own ap_int headers, then runs the testbench, which compares every output with the golden
    /// vectors from the reference interpreter and exits non-zero on any mismatch.
    /// </summary>
    public static class HlsCsim
    {
        public static string? FindCompiler()
        {
            foreach (string name in new[] { "g++", "clang++" })
            {
                foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
                {
                    if (dir.Length > 0 && File.Exists(Path.Combine(dir, name)))
                    {
                        return Path.Combine(dir, name);
                    }
                }
            }

            return null;
        }

        public static CsimResult Run(string projectDirectory, string model, string? compiler = null)
        {
            compiler ??= FindCompiler();
            if (compiler == null)
            {
                return new CsimResult(false, false, string.Empty, "no g++ or clang++ on PATH");
            }

            string exe = Path.Combine(projectDirectory, model + "_csim");
            (int code, string output) = Exec(compiler, $"-std=c++14 -O1 -Wall -Wextra -Werror -Ifirmware firmware/{model}.cpp {model}_test.cpp -o \"{exe}\"", projectDirectory);
            if (code != 0)
            {
                return new CsimResult(true, false, compiler, output);
            }

            (int runCode, string runOutput) = Exec(exe, string.Empty, projectDirectory);
            return new CsimResult(true, runCode == 0, compiler, output + runOutput);
        }

        private static (int Code, string Output) Exec(string file, string arguments, string directory)
        {
            var psi = new ProcessStartInfo(file, arguments)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, string.Join("\n", new[] { stdout.Result, stderr }.Where(s => s.Length > 0)));
        }
    }
}
