using System;

namespace QuantGen.Cli
{
    /// <summary>Diagnostic ids of the quantgen command line (docs/diagnostics.md, QG5xxx). Model, HLS and import problems keep their own ids.</summary>
    public static class CliErrors
    {
        /// <summary>A command-line argument is missing, unknown or out of range (exit code 2).</summary>
        public const string InvalidArgument = "QG5001";

        /// <summary>A data file (CSV of samples) is unreadable, malformed, lacks the split or does not fit the model.</summary>
        public const string InvalidData = "QG5002";

        /// <summary>An output file or folder could not be written.</summary>
        public const string WriteFailed = "QG5003";

        /// <summary>The command needs the other kind of model (a quantized one for bench/verify/emit-hls, a float one to quantize).</summary>
        public const string WrongModelKind = "QG5004";

        /// <summary>A check the user asked for failed: verify's --max-accuracy-drop, bench's bit-exactness, emit-hls --csim.</summary>
        public const string CheckFailed = "QG5005";

        /// <summary>A file named on the command line cannot be read (missing, a folder, a device).</summary>
        public const string InputUnreadable = "QG5006";

        /// <summary>An ONNX model was given where a QuantGen spec (.qmodel.json) is expected: the message says to run quantgen import.</summary>
        public const string OnnxModelGiven = "QG5007";

        /// <summary>bench and verify run models with one input and one output; a model with several (or token ids, for verify) is refused by name.</summary>
        public const string SeveralInputs = "QG5008";

        /// <summary>Anything unexpected, reported with its type instead of a stack trace: a QuantGen bug, please report it.</summary>
        public const string InternalError = "QG5099";
    }

    /// <summary>A command's located error: the id, the file (or null) and a message that says what to change.</summary>
    public sealed class CliException : Exception
    {
        public CliException(string id, string message, string? file = null)
            : base(message)
        {
            Id = id;
            File = file;
        }

        public string Id { get; }

        public string? File { get; }

        public override string ToString() => (File != null ? File + ": " : string.Empty) + "error " + Id + ": " + Message;
    }
}
