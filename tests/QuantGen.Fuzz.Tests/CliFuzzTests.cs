using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Cli;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// Fuzzing of the command line: random commands, options and values (paths that are folders, FIFOs, devices or
    /// missing; numbers that are negative, NaN or huge; values with newlines). Every exit must be 0, or 1/2 with a
    /// "error QGnnnn" line on stderr and no stack trace. bench is only fuzzed with invalid --seconds (a valid one
    /// compiles the model, seconds per case); the regression tests run it for real.
    /// </summary>
    public sealed class CliFuzzTests : IDisposable
    {
        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("cli");
        private readonly string[] modelPaths;
        private readonly string[] dataPaths;
        private readonly string[] outPaths;

        public CliFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
            Native.MakeFifo(Path.Combine(dir, "fifo"));
            File.WriteAllText(Path.Combine(dir, "bad.csv"), "split,label,a\ntrain,x,1\n");
            File.WriteAllText(Path.Combine(dir, "empty.qmodel.json"), string.Empty);
            File.WriteAllText(Path.Combine(dir, "notafile"), "x");
            string m = TestFiles.Models;
            modelPaths = new[]
            {
                Path.Combine(m, "digits_mlp.qmodel.json"), Path.Combine(m, "digits_mlp.float.qmodel.json"), Path.Combine(m, "digits_cnn.qmodel.json"),
                Path.Combine(dir, "fifo"), "/dev/zero", dir, Path.Combine(dir, "missing.qmodel.json"), Path.Combine(dir, "empty.qmodel.json"),
                Path.Combine(TestFiles.OnnxModels, "mlp_qdq.onnx"), Path.Combine(TestFiles.OnnxModels, "mlp_float.onnx"), Path.Combine(TestFiles.OnnxModels, "cnn_qdq.onnx"),
            };
            dataPaths = new[] { TestFiles.DigitsCsv, Path.Combine(dir, "fifo"), "/dev/zero", dir, Path.Combine(dir, "missing.csv"), Path.Combine(dir, "bad.csv") };
            outPaths = new[] { Path.Combine(dir, "out", "x.qmodel.json"), Path.Combine(dir, "out"), "/proc/quantgen-fuzz/x.qmodel.json", Path.Combine(dir, "notafile", "x.qmodel.json"), Path.Combine(dir, "notafile") };
        }

        public void Dispose() => Directory.Delete(dir, true);

        [Fact]
        public void Arguments()
        {
            string[] splits = { "train", "test", "nope", string.Empty, "test\n" };
            string[] numbers = { "-1", "0", "1", "5", "NaN", "Infinity", "-Infinity", "1e400", "abc", "2147483648", "0.1", "5\n" };
            FuzzRunner.Run(output, "cli", rng =>
            {
                var args = new List<string>();
                string command = rng.Pick(new[] { "inspect", "quantize", "verify", "emit-hls", "import", "bench", "nope", string.Empty });
                if (command.Length > 0)
                {
                    args.Add(command);
                }

                if (rng.Next(8) != 0)
                {
                    args.Add(rng.Pick(modelPaths));
                }

                int options = rng.Next(0, 5);
                for (int i = 0; i < options; i++)
                {
                    switch (rng.Next(12))
                    {
                        case 0:
                            args.AddRange(new[] { command == "verify" || command == "bench" ? "--data" : "--calibration", rng.Pick(dataPaths) });
                            break;
                        case 1:
                            args.AddRange(new[] { "--split", rng.Pick(splits) });
                            break;
                        case 2:
                            args.AddRange(new[] { "--output", rng.Pick(outPaths) });
                            break;
                        case 3:
                            args.AddRange(new[] { "--clock", rng.Pick(numbers) });
                            break;
                        case 4:
                            args.AddRange(new[] { "--part", rng.Pick(new[] { "xc7z020clg400-1", "x\n", "a b", string.Empty }) });
                            break;
                        case 5:
                            args.AddRange(new[] { "--reuse-factor", rng.Pick(numbers) });
                            break;
                        case 6:
                            args.AddRange(new[] { "--float", rng.Pick(modelPaths) });
                            break;
                        case 7:
                            args.AddRange(new[] { "--softmax-bits", rng.Pick(numbers) });
                            break;
                        case 8:
                            args.AddRange(new[] { "--test-vectors", rng.Pick(numbers) });
                            break;
                        case 9:
                            args.Add(rng.Pick(new[] { "--allow-external-weights", "--json", "--bias-correction", "--help", "--nope" }));
                            break;
                        case 10:
                            args.AddRange(new[] { "--max-accuracy-drop", rng.Pick(numbers) });
                            break;
                        default:
                            args.AddRange(new[] { "--io-mode", rng.Pick(new[] { "io_stream", "io_parallel", "x" }) });
                            break;
                    }
                }

                if (command == "quantize" || command == "verify")
                {
                    args.AddRange(new[] { "--limit", "5" });
                }

                if (command == "bench")
                {
                    args.AddRange(new[] { "--seconds", rng.Pick(new[] { "-1", "0", "NaN", "Infinity", "-Infinity", "1e9", "abc" }) });
                }

                if (command == "emit-hls" && !args.Contains("--output"))
                {
                    args.AddRange(new[] { "--output", Path.Combine(dir, "hls") });
                }

                return RunCli(args.ToArray());
            }, minCases: 20);
        }

        /// <summary>The CLI oracle: exit 0, or 1/2 with a located id and no stack trace.</summary>
        public static CaseOutcome RunCli(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CliApp.Run(args, stdout, stderr);
            string err = stderr.ToString();
            if (code == 0)
            {
                return CaseOutcome.Ok();
            }

            if (code != 1 && code != 2)
            {
                throw new InvalidOperationException($"exit code {code}: {err}");
            }

            return CaseOutcome.Rejected("[" + string.Join(" ", args.Select(a => "'" + a + "'")) + "] " + err);
        }
    }
}
