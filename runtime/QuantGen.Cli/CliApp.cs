using System;
using System.CommandLine;
using System.IO;
using QuantGen.Model;

namespace QuantGen.Cli
{
    /// <summary>
    /// The quantgen command line. Every command returns 0 on success, 1 when the input is bad (a message says what
    /// and where), 2 on a usage error.
    /// </summary>
    public static class CliApp
    {
        public static int Run(string[] args, TextWriter output, TextWriter error, bool interactive = false)
        {
            var root = new RootCommand(
                "QuantGen: integer-only neural network inference, compiled at build time.\n" +
                "Model files are a .qmodel.json spec plus the .safetensors weights it names (docs/model-format.md).");
            var context = new CommandContext(output, error, interactive);
            root.Subcommands.Add(InspectCommand.Create(context));
            root.Subcommands.Add(QuantizeCommand.Create(context));
            root.Subcommands.Add(VerifyCommand.Create(context));
            root.Subcommands.Add(RunCommand.Create(context));
            root.Subcommands.Add(BenchCommand.Create(context));
            root.Subcommands.Add(EmitHlsCommand.Create(context));
            root.Subcommands.Add(ImportCommand.Create(context));
            ParseResult parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                foreach (var e in parsed.Errors)
                {
                    error.WriteLine("error " + CliErrors.InvalidArgument + ": " + e.Message);
                }

                error.WriteLine("Run 'quantgen --help' (or 'quantgen <command> --help') for usage.");
                return 2;
            }

            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
        }
    }

    /// <summary>Writers and the shared error handling of the commands.</summary>
    public sealed class CommandContext
    {
        public CommandContext(TextWriter output, TextWriter error, bool interactive)
        {
            Output = output;
            Error = error;
            Interactive = interactive;
        }

        public TextWriter Output { get; }

        public TextWriter Error { get; }

        public bool Interactive { get; }

        /// <summary>A path as the user is likely to have typed it: relative to the current folder when inside it.</summary>
        public static string Display(string path)
        {
            string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
            return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
        }

        public ConsoleProgressBar Progress(string label, int total = 0) => new ConsoleProgressBar(label, Error, Interactive, total);

        /// <summary>The <c>--allow-external-weights</c> flag of every command that reads a model file.</summary>
        public static Option<bool> AllowExternalWeightsOption() => new Option<bool>("--allow-external-weights")
        {
            Description = "Let the model's \"weights\" name a file outside the spec's folder (off by default: a model file must not read arbitrary files).",
        };

        /// <summary>Loads a model (or throws the located diagnostics); the weights path follows the loader's rules.</summary>
        public static Graph.ModelGraph LoadModel(FileInfo file, bool allowExternalWeights)
        {
            if (IsOnnx(file))
            {
                // x.onnx -> x.qmodel.json; an ONNX file under a spec's name must not be overwritten by its own import
                string stem = file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase)
                    ? Path.GetFileNameWithoutExtension(file.Name)
                    : file.Name.Replace(".qmodel.json", string.Empty, StringComparison.OrdinalIgnoreCase).Replace(".json", string.Empty, StringComparison.OrdinalIgnoreCase) + ".imported";
                throw new CliException(
                    CliErrors.OnnxModelGiven,
                    $"is an ONNX model, not a QuantGen model spec (.qmodel.json); import it first: quantgen import {file.Name} -o {stem}.qmodel.json (a float model also needs -c <calibration data>), then run this command on {stem}.qmodel.json",
                    Display(file.FullName));
            }

            return ModelLoader.Load(file.FullName, new ModelLoadOptions { AllowWeightsOutsideSpecFolder = allowExternalWeights }).GetGraphOrThrow();
        }

        /// <summary>
        /// An ONNX file given where a spec is expected: by its extension, or by its first byte (an ONNX ModelProto starts
        /// with field 1, ir_version, as a varint: 0x08; a JSON spec starts with '{' or white space).
        /// </summary>
        internal static bool IsOnnx(FileInfo file)
        {
            if (file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            // Through the bounded reader: a FIFO, a device or a folder is never opened for a blocking read here (the
            // loader reports those with its own id); a spec is small, so the cap only skips the sniff for huge files.
            byte[]? head = BoundedFile.TryRead(file.FullName, 64L << 20, out _, out _);
            return head != null && head.Length > 0 && head[0] == 0x08;
        }

        /// <summary>Runs a write; a file-system failure becomes QG5003 naming <paramref name="target"/>.</summary>
        public static void Writing(string target, Action write)
        {
            try
            {
                write();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new CliException(CliErrors.WriteFailed, "cannot write " + target + ": " + e.Message, target);
            }
        }

        /// <summary>Prints one located error line: <c>[file: ]error QGnnnn: message</c>.</summary>
        public void Fail(string id, string message, string? file = null) =>
            Error.WriteLine((file != null ? file + ": " : string.Empty) + "error " + id + ": " + message);

        /// <summary>
        /// Runs a command body; bad input becomes a located error with an id on stderr and exit code 1 (2 for an argument
        /// error). Nothing escapes as a stack trace: an unexpected exception is QG5099.
        /// </summary>
        public int Guard(Func<int> body)
        {
            try
            {
                return body();
            }
            catch (QuantGen.Onnx.OnnxImportException e)
            {
                Error.WriteLine(e.Message);
                return 1;
            }
            catch (ModelException e)
            {
                Error.WriteLine(e.Message);
                return 1;
            }
            catch (CliException e)
            {
                Error.WriteLine(e.ToString());
                return e.Id == CliErrors.InvalidArgument || e.Id == CliErrors.InputOptionMismatch ? 2 : 1;
            }
            catch (Exception e) when (e is FormatException || e is InvalidDataException)
            {
                Fail(CliErrors.InvalidData, e.Message);
                return 1;
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                Fail(CliErrors.InputUnreadable, e.Message);
                return 1;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Fail(CliErrors.WriteFailed, e.Message);
                return 1;
            }
            catch (ArgumentException e)
            {
                Fail(CliErrors.InvalidArgument, e.Message);
                return 2;
            }
            catch (Exception e)
            {
                Fail(CliErrors.InternalError, $"unexpected {e.GetType().Name}: {e.Message} (a QuantGen bug: please report it with the command line and files)");
                return 1;
            }
        }
    }
}
