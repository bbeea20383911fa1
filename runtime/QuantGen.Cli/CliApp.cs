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
            root.Subcommands.Add(BenchCommand.Create(context));
            root.Subcommands.Add(EmitHlsCommand.Create(context));
            root.Subcommands.Add(ImportCommand.Create(context));
            ParseResult parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                foreach (var e in parsed.Errors)
                {
                    error.WriteLine("error: " + e.Message);
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

        /// <summary>Runs a command body; bad input becomes a message on stderr and exit code 1.</summary>
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
            catch (Exception e) when (e is IOException || e is FormatException || e is ArgumentException || e is UnauthorizedAccessException || e is InvalidDataException)
            {
                Error.WriteLine("error: " + e.Message);
                return 1;
            }
        }
    }
}
