using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Hls;

namespace QuantGen.Cli
{
    /// <summary>quantgen emit-hls: writes the HLS C++ project of a quantized model (what the MSBuild task writes on build).</summary>
    public static class EmitHlsCommand
    {
        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The quantized model spec (.qmodel.json)." };
            var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Folder to write <model>/ into.", Required = true };
            var ioMode = new Option<string>("--io-mode") { Description = "io_parallel (arrays, PIPELINE) or io_stream (hls::stream, DATAFLOW).", DefaultValueFactory = _ => "io_parallel" };
            var reuse = new Option<string>("--reuse-factor") { Description = "Times each multiplier is reused (trades multipliers for cycles), 1 to each layer's inner dimension; auto: chosen per layer to fit the part.", DefaultValueFactory = _ => "1" };
            var layerReuse = new Option<string?>("--layer-reuse") { Description = "Per-layer reuse factors, e.g. \"fc1=4;fc2=2\"." };
            var part = new Option<string>("--part") { Description = "Target FPGA part.", DefaultValueFactory = _ => HlsOptions.DefaultPart };
            var clock = new Option<string>("--clock") { Description = "Clock period in ns.", DefaultValueFactory = _ => HlsOptions.DefaultClockPeriod };
            var uncertainty = new Option<string>("--clock-uncertainty") { Description = "set_clock_uncertainty: ns (0.5) or a percentage of the period (12.5%).", DefaultValueFactory = _ => HlsOptions.DefaultClockUncertainty };
            var testData = new Option<FileInfo?>("--test-data") { Description = "Labelled CSV whose first inputs become the testbench's golden vectors (default: seeded random inputs)." };
            var testInput = new Option<string[]>("--test-input")
            {
                Description = "NAME=FILE, once per model input: one golden sample from text files, as quantgen run reads them (real values, token ids); instead of --test-data, for models with several inputs too. The adversarial vectors are still added.",
                AllowMultipleArgumentsPerToken = false,
            };
            var vectors = new Option<string>("--test-vectors") { Description = "How many golden inputs (plus the adversarial ones).", DefaultValueFactory = _ => "50" };
            var csim = new Option<bool>("--csim") { Description = "Compile the project with g++ (or clang++) and run its testbench." };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("emit-hls", "Write an FPGA-ready HLS C++ project for a quantized model: firmware with one function per layer and exact-width types, weights headers, a self-checking testbench with golden vectors from the reference interpreter, build_prj.tcl, README and resource/latency estimates.")
            {
                model, output, ioMode, reuse, layerReuse, part, clock, uncertainty, testData, testInput, vectors, csim, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() =>
            {
                var errors = new List<(string Code, string Message)>();
                HlsOptions options = HlsOptions.Parse(p.GetValue(ioMode), p.GetValue(reuse), p.GetValue(layerReuse), p.GetValue(part), p.GetValue(clock), p.GetValue(vectors), errors);
                if (!options.TrySetClockUncertainty(p.GetValue(uncertainty)))
                {
                    errors.Add((HlsErrors.InvalidClock, $"--clock-uncertainty \"{p.GetValue(uncertainty)}\" is not valid; give it in ns (0.5) or as a percentage of the period (12.5%)"));
                }

                if (errors.Count > 0)
                {
                    errors.ForEach(e => ctx.Fail(e.Code, e.Message));
                    return 1;
                }

                options.TestData = p.GetValue(testData)?.FullName;
                options.AllowExternalWeights = p.GetValue(allowExternal);
                string[] given = p.GetValue(testInput) ?? Array.Empty<string>();
                if (given.Length > 0)
                {
                    if (options.TestData != null)
                    {
                        throw new CliException(CliErrors.InputOptionMismatch, "--test-input and --test-data both give golden inputs; use one");
                    }

                    // One sample from the files, read and checked like quantgen run's (QG5009-QG5011, located).
                    Graph.ModelGraph g = CommandContext.LoadModel(p.GetValue(model)!, options.AllowExternalWeights);
                    Dictionary<string, string> files = RunCommand.MatchInputs(g, given, "--test-input");
                    options.GoldenInputs = new[] { (IReadOnlyList<int[]>)Enumerable.Range(0, g.Inputs.Count).Select(k => RunCommand.ReadInput(g, k, files[g.Inputs[k].Name], false)).ToArray() };
                }

                HlsGenerationResult result = HlsGenerator.Generate(p.GetValue(model)!.FullName, options);
                if (result.Project == null)
                {
                    throw new ModelException(result.Diagnostics);
                }

                string dir = Path.Combine(p.GetValue(output)!.FullName, result.Project.Name);
                try
                {
                    HlsOutputWriter.Write(dir, result.Project);
                }
                catch (IOException e)
                {
                    ctx.Fail(HlsErrors.WriteFailed, e.Message);
                    return 1;
                }

                ctx.Output.WriteLine($"wrote {result.Project.Files.Count} files to {CommandContext.Display(dir)} ({options.IoModeName}, reuse {(options.AutoReuse ? "auto" : options.ReuseFactor.ToString(System.Globalization.CultureInfo.InvariantCulture))}{(options.LayerReuse.Count > 0 ? " (" + string.Join(";", options.LayerReuse.Select(kv => kv.Key + "=" + kv.Value)) + ")" : string.Empty)}, {options.Part} at {options.ClockPeriod} ns)");
                if (p.GetValue(csim))
                {
                    CsimResult sim = HlsCsim.Run(dir, result.Project.Name);
                    ctx.Output.WriteLine(sim.Ran ? $"csim with {Path.GetFileName(sim.Compiler)}: {sim.Output.Trim().Split('\n').LastOrDefault()}" : "csim skipped: " + sim.Output);
                    if (sim.Ran && !sim.Passed)
                    {
                        ctx.Fail(CliErrors.CheckFailed, "the C simulation failed: " + sim.Output.Trim().Split('\n').LastOrDefault(), dir);
                        return 1;
                    }

                    return 0;
                }

                return 0;
            }));
            return command;
        }
    }
}
