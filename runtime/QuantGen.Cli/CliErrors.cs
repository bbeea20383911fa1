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

        /// <summary>verify --data (a CSV of one feature vector and one label per row) needs a one-input model without token ids and with one output (else --input per input and --labels OUTPUT=FILE).</summary>
        public const string SeveralInputs = "QG5008";

        /// <summary>run's --input options do not match the model's inputs: an unknown name, one given twice, one missing, or no name on a model with several.</summary>
        public const string InputOptionMismatch = "QG5009";

        /// <summary>An input file of run (or verify --input: one sample per line; verify --labels: one class per line) is not a list of numbers of the input's element count (the place of the first bad token is given).</summary>
        public const string InputFileMalformed = "QG5010";

        /// <summary>A value of run's input files lies outside its input's range: a token id outside [0, n - 1], an integer outside the declared range, NaN.</summary>
        public const string InputValueOutOfRange = "QG5011";

        /// <summary>bench --data (a CSV of one feature vector per row) was given for a model with several inputs or token ids; bench uses random inputs for those.</summary>
        public const string DataNeedsOneInput = "QG5012";

        /// <summary>verify --input / --labels: a file holds a different number of samples (lines) than the first input's file.</summary>
        public const string RowCountMismatch = "QG5013";

        /// <summary>verify --input: the float model takes other inputs (names, sizes, order) or gives another output size than the quantized one.</summary>
        public const string FloatModelMismatch = "QG5014";

        /// <summary>verify --labels: names an output the model lacks, names one twice, or gives a bare FILE for a model with several outputs (--labels OUTPUT=FILE).</summary>
        public const string LabelsOutputMismatch = "QG5015";

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
