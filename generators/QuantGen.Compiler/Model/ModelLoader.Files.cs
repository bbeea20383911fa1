using System;
using System.Collections.Generic;
using System.IO;

namespace QuantGen.Model
{
    /// <summary>The file-system half of the loader (not compiled into the Roslyn generator, which must not do IO).</summary>
    public static partial class ModelLoader
    {
        public static ModelLoadResult Load(string specPath)
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

            string weightsPath = ResolveWeightsPath(specPath, spec.Weights);
            byte[]? weights = ReadBytes(weightsPath, specPath, spec.WeightsPlace, diagnostics);
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

        private static string? ReadText(string path, List<ModelDiagnostic> diagnostics)
        {
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists)
                {
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.FileUnreadable, "the model spec file does not exist", path, null, 0, 0));
                    return null;
                }

                if (info.Length > SpecParser.MaxSpecLength)
                {
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.LimitExceeded, $"the spec file is {info.Length} bytes; the limit is {SpecParser.MaxSpecLength}", path, null, 0, 0));
                    return null;
                }

                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                diagnostics.Add(new ModelDiagnostic(ModelErrors.FileUnreadable, "cannot read the model spec: " + e.Message, path, null, 0, 0));
                return null;
            }
        }

        private static byte[]? ReadBytes(string path, string specPath, SourcePlace weightsPlace, List<ModelDiagnostic> diagnostics)
        {
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists)
                {
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.FileUnreadable, $"the weights file {path} named by \"weights\" does not exist", specPath, weightsPlace.Path, weightsPlace.Line, weightsPlace.Column));
                    return null;
                }

                if (info.Length > TensorLimits.MaxWeightsBytes)
                {
                    diagnostics.Add(new ModelDiagnostic(ModelErrors.LimitExceeded, $"the weights file is {info.Length} bytes; the limit is {TensorLimits.MaxWeightsBytes}", path, null, 0, 0));
                    return null;
                }

                return File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                diagnostics.Add(new ModelDiagnostic(ModelErrors.FileUnreadable, "cannot read the weights file: " + e.Message, path, null, 0, 0));
                return null;
            }
        }
    }
}
