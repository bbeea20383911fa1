using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Cli
{
    /// <summary>
    /// quantgen run: one sample through the reference interpreter (the semantics every generated backend equals bit for
    /// bit), inputs from text files: <c>--input name=file</c> once per model input (a one-input model also takes
    /// <c>--input file</c>). Prints every output, integers and real values.
    /// </summary>
    public static class RunCommand
    {
        /// <summary>Largest input file read (bytes).</summary>
        public const long MaxInputFileBytes = 256L << 20;

        public static Command Create(CommandContext ctx)
        {
            var model = new Argument<FileInfo>("model") { Description = "The quantized model spec (.qmodel.json)." };
            var inputs = new Option<string[]>("--input", "-i")
            {
                Description = "NAME=FILE, once per model input (spec names, any order); a one-input model also takes FILE alone. A file holds the input's values in row-major order, separated by white space or commas: real numbers (quantized with the input's scale and zero point), token ids for an index input.",
                AllowMultipleArgumentsPerToken = false,
                Arity = ArgumentArity.OneOrMore,
                Required = true,
            };
            var integers = new Option<bool>("--integers") { Description = "The files of quantized inputs hold the integers themselves (already quantized), not real values." };
            var json = new Option<bool>("--json") { Description = "Print the outputs as JSON instead of text." };
            var allowExternal = CommandContext.AllowExternalWeightsOption();
            var command = new Command("run", "Run one sample through the integer reference interpreter (every generated backend equals it bit for bit) and print each output's integers and real values. Models with several named inputs take one --input NAME=FILE per input.")
            {
                model, inputs, integers, json, allowExternal,
            };
            command.SetAction(p => ctx.Guard(() => Run(ctx, p.GetValue(model)!, p.GetValue(inputs) ?? Array.Empty<string>(), p.GetValue(integers), p.GetValue(json), p.GetValue(allowExternal))));
            return command;
        }

        private static int Run(CommandContext ctx, FileInfo file, string[] inputArgs, bool integers, bool json, bool allowExternal)
        {
            ModelGraph g = CommandContext.LoadModel(file, allowExternal);
            if (!g.IsQuantized)
            {
                ctx.Fail(CliErrors.WrongModelKind, "is a float model; run takes quantized models (quantgen quantize first)", file.Name);
                return 1;
            }

            Dictionary<string, string> files = MatchInputs(g, inputArgs);
            var values = new List<int[]>();
            for (int k = 0; k < g.Inputs.Count; k++)
            {
                values.Add(ReadInput(g, k, files[g.Inputs[k].Name], integers));
            }

            int[][] outputs = new ReferenceInterpreter(g).RunMany(values);
            if (json)
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteString("model", g.Name);
                    w.WriteStartArray("outputs");
                    for (int k = 0; k < g.Outputs.Count; k++)
                    {
                        TensorInfo t = g.Outputs[k];
                        w.WriteStartObject();
                        w.WriteString("name", t.Name);
                        w.WriteStartArray("shape");
                        foreach (int d in t.Shape)
                        {
                            w.WriteNumberValue(d);
                        }

                        w.WriteEndArray();
                        w.WriteString("type", t.Type.ToString());
                        w.WriteStartArray("values");
                        foreach (int v in outputs[k])
                        {
                            w.WriteNumberValue(v);
                        }

                        w.WriteEndArray();
                        if (t.Quant != null)
                        {
                            w.WriteStartArray("real");
                            foreach (int v in outputs[k])
                            {
                                w.WriteNumberValue(Real(t.Quant, v));
                            }

                            w.WriteEndArray();
                        }

                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                ctx.Output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
                return 0;
            }

            ctx.Output.WriteLine($"{g.Name}: reference interpreter, inputs {string.Join(", ", g.Inputs.Select(t => t.Name + " <- " + CommandContext.Display(files[t.Name])))}");
            for (int k = 0; k < g.Outputs.Count; k++)
            {
                TensorInfo t = g.Outputs[k];
                string q = t.Quant != null ? $" (scale {t.Quant.Scale.ToString("G6", CultureInfo.InvariantCulture)}, zero point {t.Quant.ZeroPoint})" : string.Empty;
                ctx.Output.WriteLine($"output {t.Name} {InspectCommand.Shape(t.Shape)} {t.Type}{q}");
                ctx.Output.WriteLine("  integers: " + string.Join(" ", outputs[k].Select(v => v.ToString(CultureInfo.InvariantCulture))));
                if (t.Quant != null)
                {
                    ctx.Output.WriteLine("  real:     " + string.Join(" ", outputs[k].Select(v => Real(t.Quant, v).ToString("G6", CultureInfo.InvariantCulture))));
                }
            }

            return 0;
        }

        private static double Real(TensorQuant q, int v) => q.Scale * (v - q.ZeroPoint);

        /// <summary>--input arguments -> input name -> file; every problem is QG5009 naming the inputs the model has.</summary>
        internal static Dictionary<string, string> MatchInputs(ModelGraph g, IReadOnlyList<string> args, string option = "--input")
        {
            string Names() => string.Join(", ", g.Inputs.Select(t => t.Name));
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string arg in args)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string? name = eq > 0 ? arg.Substring(0, eq) : null;
                string path = eq > 0 ? arg.Substring(eq + 1) : arg;
                if (name != null && !g.Inputs.Any(t => t.Name == name))
                {
                    // "a=b.txt" where a is no input: a file name that contains '=' is still accepted on a one-input model.
                    if (g.Inputs.Count == 1 && File.Exists(arg))
                    {
                        name = null;
                        path = arg;
                    }
                    else
                    {
                        throw new CliException(CliErrors.InputOptionMismatch, $"{option} {arg}: model \"{g.Name}\" has no input \"{name}\" (its inputs: {Names()})");
                    }
                }

                if (name == null)
                {
                    if (g.Inputs.Count != 1)
                    {
                        throw new CliException(CliErrors.InputOptionMismatch, $"{option} {arg}: model \"{g.Name}\" has {g.Inputs.Count} inputs ({Names()}); name each: {option} NAME=FILE");
                    }

                    name = g.Inputs[0].Name;
                }

                if (path.Length == 0)
                {
                    throw new CliException(CliErrors.InputOptionMismatch, $"{option} {arg}: no file after '='; give {option} {name}=FILE");
                }

                if (files.ContainsKey(name))
                {
                    throw new CliException(CliErrors.InputOptionMismatch, $"{option} {arg}: input \"{name}\" is given twice");
                }

                files[name] = Path.GetFullPath(path);
            }

            var missing = g.Inputs.Where(t => !files.ContainsKey(t.Name)).Select(t => t.Name).ToList();
            if (missing.Count > 0)
            {
                throw new CliException(CliErrors.InputOptionMismatch, $"model \"{g.Name}\" needs a file for input{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing)}; add {option} {missing[0]}=FILE");
            }

            return files;
        }

        /// <summary>
        /// Reads input <paramref name="k"/>'s values: exactly its element count of numbers, then quantized (real values) or
        /// taken as they are (ids, --integers), and checked against the input's range. Located errors: file(line,column).
        /// </summary>
        internal static int[] ReadInput(ModelGraph g, int k, string path, bool integers)
        {
            TensorInfo t = g.Inputs[k];
            string shown = CommandContext.Display(path);
            string text = ReadText(path, $"input \"{t.Name}\"");
            var parser = new InputValueParser(g, k, integers);
            var values = new List<int>();
            foreach (Token token in Tokens(text, 0, text.Length, 1))
            {
                string at = $"{shown}({token.Line},{token.Column})";
                if (values.Count == t.ElementCount)
                {
                    throw new CliException(CliErrors.InputFileMalformed, $"more than the {t.ElementCount} values of input \"{t.Name}\" {InspectCommand.Shape(t.Shape)}: \"{Clip(token.Text)}\" is value {t.ElementCount + 1}", at);
                }

                values.Add(parser.Parse(token.Text, values.Count, at).Integer);
            }

            if (values.Count != t.ElementCount)
            {
                throw new CliException(CliErrors.InputFileMalformed, $"has {values.Count} values; input \"{t.Name}\" {InspectCommand.Shape(t.Shape)} takes {t.ElementCount}", shown);
            }

            return values.ToArray();
        }

        /// <summary>A file's text, at most <see cref="MaxInputFileBytes"/>; an unreadable file is QG5006 naming <paramref name="what"/>.</summary>
        internal static string ReadText(string path, string what)
        {
            byte[] bytes = BoundedFile.TryRead(path, MaxInputFileBytes, out BoundedFileProblem _, out string problem)
                ?? throw new CliException(CliErrors.InputUnreadable, $"cannot read the file of {what}: {problem}", CommandContext.Display(path));
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>One value of an input file: its text and where it starts (1-based line and column).</summary>
        internal readonly struct Token
        {
            public Token(string text, int line, int column)
            {
                Text = text;
                Line = line;
                Column = column;
            }

            public string Text { get; }

            public int Line { get; }

            public int Column { get; }
        }

        /// <summary>The values of text[start, end) (line <paramref name="line"/> at start), separated by white space or commas.</summary>
        internal static IEnumerable<Token> Tokens(string text, int start, int end, int line)
        {
            int column = 1, i = start;
            while (i < end)
            {
                char c = text[i];
                if (c == ',' || char.IsWhiteSpace(c))
                {
                    if (c == '\n')
                    {
                        line++;
                        column = 1;
                    }
                    else
                    {
                        column++;
                    }

                    i++;
                    continue;
                }

                int from = i, startColumn = column;
                while (i < end && text[i] != ',' && !char.IsWhiteSpace(text[i]))
                {
                    i++;
                    column++;
                }

                yield return new Token(text.Substring(from, i - from), line, startColumn);
            }
        }

        /// <summary>
        /// Parses one value of input k: a token id (index input), a quantized integer (--integers), or a real number that is
        /// quantized with the input's scale and zero point; each is checked against the input's declared range.
        /// </summary>
        internal sealed class InputValueParser
        {
            private readonly TensorInfo t;
            private readonly InputSpec spec;
            private readonly bool integers;
            private readonly long lo;
            private readonly long hi;

            public InputValueParser(ModelGraph g, int k, bool integers)
            {
                t = g.Inputs[k];
                spec = g.Spec.Inputs[k];
                this.integers = integers;
                if (t.IsIndex)
                {
                    (lo, hi) = (0, (long)spec.RangeMax);
                }
                else
                {
                    (lo, hi) = (RangeAnalysis.QuantizeBound(spec.RangeMin, t.Quant!), RangeAnalysis.QuantizeBound(spec.RangeMax, t.Quant!));
                }
            }

            /// <summary>The integer the quantized model reads and the real value the float model reads (an id: the id itself).</summary>
            public (int Integer, float Real) Parse(string token, int position, string at)
            {
                long q;
                if (t.IsIndex || integers)
                {
                    if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out q))
                    {
                        throw new CliException(CliErrors.InputFileMalformed, $"\"{Clip(token)}\" is not an integer ({(t.IsIndex ? $"input \"{t.Name}\" holds token ids" : "--integers: the file holds quantized integers")})", at);
                    }

                    if (q < lo || q > hi)
                    {
                        throw new CliException(CliErrors.InputValueOutOfRange, t.IsIndex
                            ? $"{q} at position {position} is not a valid id of input \"{t.Name}\" (0 to {hi})"
                            : $"{q} at position {position} is outside the declared range [{lo}, {hi}] of input \"{t.Name}\"", at);
                    }

                    return ((int)q, t.IsIndex ? q : (float)t.Quant!.Dequantize(q));
                }

                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) || double.IsInfinity(real))
                {
                    throw new CliException(CliErrors.InputFileMalformed, $"\"{Clip(token)}\" is not a number (input \"{t.Name}\" takes real values; '.' as the decimal point)", at);
                }

                if (double.IsNaN(real))
                {
                    throw new CliException(CliErrors.InputValueOutOfRange, $"NaN at position {position} of input \"{t.Name}\"", at);
                }

                q = Numerics.Quantization.Quantize(real, t.Quant!.Scale, t.Quant.ZeroPoint, t.Type);
                if (q < lo || q > hi)
                {
                    throw new CliException(CliErrors.InputValueOutOfRange, $"{token} at position {position} quantizes to {q}, outside the declared range [{lo}, {hi}] of input \"{t.Name}\" (real [{spec.RangeMin.ToString(CultureInfo.InvariantCulture)}, {spec.RangeMax.ToString(CultureInfo.InvariantCulture)}])", at);
                }

                return ((int)q, (float)real);
            }
        }

        internal static string Clip(string token) => token.Length > 40 ? token.Substring(0, 40) + "..." : token;
    }
}
