using System;
using System.Collections.Generic;
using System.Globalization;

namespace QuantGen.Model
{
    /// <summary>
    /// One problem found in a model file: an id from <see cref="ModelErrors"/>, a message that says what to
    /// change, the file, and the place (JSON path with line/column, or the tensor name in a weights file).
    /// </summary>
    public sealed class ModelDiagnostic : IEquatable<ModelDiagnostic>
    {
        public ModelDiagnostic(string id, string message, string file, string? place, int line, int column)
        {
            Id = id;
            Message = message;
            File = file;
            Place = place;
            Line = line;
            Column = column;
        }

        public string Id { get; }

        public string Message { get; }

        public string File { get; }

        /// <summary>JSON path (<c>$.layers[2].weight</c>) or <c>tensor 'fc1.weight'</c>; null when the whole file is meant.</summary>
        public string? Place { get; }

        /// <summary>1-based line, 0 when unknown (binary files).</summary>
        public int Line { get; }

        public int Column { get; }

        /// <summary>MSBuild/compiler style: <c>file(line,col): error QG1005: message [at $.path]</c>.</summary>
        public override string ToString()
        {
            string where = Line > 0
                ? File + "(" + Line.ToString(CultureInfo.InvariantCulture) + "," + Column.ToString(CultureInfo.InvariantCulture) + ")"
                : File;
            return where + ": error " + Id + ": " + Message + (Place != null ? " [at " + Place + "]" : string.Empty);
        }

        public bool Equals(ModelDiagnostic? other) =>
            other != null && Id == other.Id && Message == other.Message && File == other.File && Place == other.Place &&
            Line == other.Line && Column == other.Column;

        public override bool Equals(object? obj) => Equals(obj as ModelDiagnostic);

        public override int GetHashCode() => (Id, Message, File, Place, Line, Column).GetHashCode();
    }

    /// <summary>Thrown by the convenience loaders when a model has errors; carries all of them.</summary>
    public sealed class ModelException : Exception
    {
        public ModelException(IReadOnlyList<ModelDiagnostic> diagnostics)
            : base(Format(diagnostics))
        {
            Diagnostics = diagnostics;
        }

        public IReadOnlyList<ModelDiagnostic> Diagnostics { get; }

        private static string Format(IReadOnlyList<ModelDiagnostic> diagnostics) =>
            string.Join("\n", System.Linq.Enumerable.Select(diagnostics, d => d.ToString()));
    }

    /// <summary>The catalogue of model-file diagnostic ids (docs/diagnostics.md lists them with examples).</summary>
    public static class ModelErrors
    {
        public const string FileUnreadable = "QG1001";
        public const string InvalidJson = "QG1002";
        public const string UnsupportedFormat = "QG1003";
        public const string MissingField = "QG1004";
        public const string InvalidValue = "QG1005";
        public const string UnknownOperator = "QG1006";
        public const string UndefinedTensor = "QG1007";
        public const string DuplicateName = "QG1008";
        public const string OrderOrCycle = "QG1009";
        public const string ShapeMismatch = "QG1010";
        public const string MalformedWeights = "QG1011";
        public const string MissingTensor = "QG1012";
        public const string ExtraTensor = "QG1013";
        public const string WrongDtype = "QG1014";
        public const string WrongByteLength = "QG1015";
        public const string LimitExceeded = "QG1016";
        public const string ValueOutOfRange = "QG1017";
        public const string InvalidQuantization = "QG1018";
        public const string PossibleOverflow = "QG1019";
        public const string UnknownField = "QG1020";
        public const string UnsupportedModel = "QG1021";

        /// <summary>"weights" names a file outside the spec's folder (without the opt-in), or not a regular file.</summary>
        public const string WeightsPathRejected = "QG1022";

        /// <summary>
        /// A layer of the wrong phase, only from a spec built in memory: a quantized model's layer without its integer
        /// parameters, or a float model's layer with some (the JSON parser reports missing or extra fields itself).
        /// </summary>
        public const string LayerPhase = "QG1023";

        /// <summary>Two model inputs with one name, or a model output listed twice.</summary>
        public const string DuplicateInputOrOutput = "QG1040";

        /// <summary>A model input whose type does not fit its role (an index input with a scale, a non-integral id range...).</summary>
        public const string BadInputType = "QG1041";

        /// <summary>A model input that no layer reads.</summary>
        public const string UnusedInput = "QG1042";

        /// <summary>An index input's declared ids reach past the rows of the embedding table it reads.</summary>
        public const string IndexRangeExceedsTable = "QG1043";
    }
}
