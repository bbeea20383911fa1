using System.Collections.Generic;
using System.IO;

namespace QuantGen.Model
{
    /// <summary>How <see cref="ModelLoader.Load(string, ModelLoadOptions)"/> treats the file a spec's "weights" names.</summary>
    public sealed class ModelLoadOptions
    {
        public static readonly ModelLoadOptions Default = new ModelLoadOptions();

        /// <summary>
        /// Lets "weights" name a file outside the spec's folder (an absolute path or one with "..") . Off by default: a
        /// model file is data from elsewhere, and "weights": "../../../../etc/passwd" must not read what it names. The
        /// CLI's <c>--allow-external-weights</c> and the <c>QuantModel</c> item metadata <c>AllowExternalWeights</c> set it.
        /// </summary>
        public bool AllowWeightsOutsideSpecFolder { get; set; }

        /// <summary>Hard cap on the weights file (bytes); the reader never reads more than this plus one byte.</summary>
        public long MaxWeightsBytes { get; set; } = TensorLimits.MaxWeightsBytes;
    }

    /// <summary>The file-system half of the loader (not compiled into the Roslyn generator, which must not do IO).</summary>
    public static partial class ModelLoader
    {
        public static ModelLoadResult Load(string specPath) => Load(specPath, ModelLoadOptions.Default);

        public static ModelLoadResult Load(string specPath, ModelLoadOptions options)
        {
            var diagnostics = new List<ModelDiagnostic>();
            string? text = ReadText(specPath, diagnostics);
            if (text == null)
            {
                return new ModelLoadResult(null, diagnostics);
            }

            ModelSpec? spec = SpecParser.Parse(text, specPath, diagnostics);
            if (spec == null)
            {
                return new ModelLoadResult(null, diagnostics);
            }

            byte[]? weights = ReadWeights(specPath, spec, options, diagnostics, out string weightsPath);
            if (weights == null)
            {
                return new ModelLoadResult(null, diagnostics);
            }

            return Bind(spec, weights, weightsPath, diagnostics);
        }

        public static string ResolveWeightsPath(string specPath, string weights)
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(specPath));
            return Path.GetFullPath(Path.Combine(dir ?? ".", weights));
        }

        /// <summary>
        /// The weights file a spec names, read under the rules of docs/model-format.md: a regular file (not a folder,
        /// FIFO or device), in the spec's folder or below unless <paramref name="options"/> allows otherwise, at most
        /// <see cref="ModelLoadOptions.MaxWeightsBytes"/>. Violations are diagnostics at <c>$.weights</c>.
        /// </summary>
        public static byte[]? ReadWeights(string specPath, ModelSpec spec, ModelLoadOptions options, List<ModelDiagnostic> diagnostics, out string weightsPath)
        {
            SourcePlace at = spec.WeightsPlace;
            string specFile = specPath;
            try
            {
                weightsPath = ResolveWeightsPath(specPath, spec.Weights);
            }
            catch (System.Exception e) when (e is System.ArgumentException || e is System.NotSupportedException || e is PathTooLongException || e is System.Security.SecurityException)
            {
                weightsPath = spec.Weights;
                diagnostics.Add(new ModelDiagnostic(ModelErrors.WeightsPathRejected, $"\"weights\" is not a usable path ({e.Message})", specFile, at.Path, at.Line, at.Column));
                return null;
            }

            string specDir = Path.GetDirectoryName(Path.GetFullPath(specPath)) ?? ".";
            if (!options.AllowWeightsOutsideSpecFolder && !BoundedFile.IsInside(weightsPath, specDir))
            {
                diagnostics.Add(new ModelDiagnostic(
                    ModelErrors.WeightsPathRejected,
                    $"\"weights\" names {weightsPath}, outside the model's folder {specDir}; put the weights next to the spec (or in a folder below it), or allow it explicitly (quantgen --allow-external-weights, QuantModel metadata AllowExternalWeights=\"true\")",
                    specFile, at.Path, at.Line, at.Column));
                return null;
            }

            byte[]? bytes = BoundedFile.TryRead(weightsPath, options.MaxWeightsBytes, out BoundedFileProblem problem, out string message);
            if (bytes != null)
            {
                return bytes;
            }

            switch (problem)
            {
                case BoundedFileProblem.NotRegularFile:
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.WeightsPathRejected, $"the weights file named by \"weights\" must be a regular file: {message}", specFile, at.Path, at.Line, at.Column));
                    break;
                case BoundedFileProblem.TooLarge:
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.LimitExceeded, $"the weights file named by \"weights\" is too large: {message}", specFile, at.Path, at.Line, at.Column));
                    break;
                default:
                    diagnostics.Add(new ModelDiagnostic(
                        ModelErrors.FileUnreadable,
                        File.Exists(weightsPath) ? $"cannot read the weights file named by \"weights\": {message}" : $"the weights file {weightsPath} named by \"weights\" does not exist",
                        specFile, at.Path, at.Line, at.Column));
                    break;
            }

            return null;
        }

        private static string? ReadText(string path, List<ModelDiagnostic> diagnostics)
        {
            byte[]? bytes = BoundedFile.TryRead(path, SpecParser.MaxSpecLength, out BoundedFileProblem problem, out string message);
            if (bytes == null)
            {
                string id = problem == BoundedFileProblem.TooLarge ? ModelErrors.LimitExceeded : ModelErrors.FileUnreadable;
                string text = problem == BoundedFileProblem.Unreadable && !File.Exists(path) && !Directory.Exists(path)
                    ? "the model spec file does not exist"
                    : "cannot read the model spec: " + message;
                diagnostics.Add(new ModelDiagnostic(id, text, path, null, 0, 0));
                return null;
            }

            // File.ReadAllText semantics: UTF-8 with or without BOM (invalid bytes become U+FFFD and fail the JSON parse).
            return new StreamReader(new MemoryStream(bytes), new System.Text.UTF8Encoding(false), detectEncodingFromByteOrderMarks: true).ReadToEnd();
        }
    }
}
