using System.Collections.Generic;
using QuantGen.Graph;

namespace QuantGen.Model
{
    public sealed class ModelLoadResult
    {
        public ModelLoadResult(ModelGraph? graph, IReadOnlyList<ModelDiagnostic> diagnostics)
        {
            Graph = graph;
            Diagnostics = diagnostics;
        }

        /// <summary>The validated graph; null when <see cref="Diagnostics"/> holds errors.</summary>
        public ModelGraph? Graph { get; }

        public IReadOnlyList<ModelDiagnostic> Diagnostics { get; }

        public bool Success => Graph != null;

        /// <summary>The graph, or a <see cref="ModelException"/> listing every diagnostic.</summary>
        public ModelGraph GetGraphOrThrow() => Graph ?? throw new ModelException(Diagnostics);
    }

    /// <summary>Reads a model (spec + safetensors weights) from memory or from disk (ModelLoader.Files.cs); never throws on bad input.</summary>
    public static partial class ModelLoader
    {
        /// <summary>For hosts that already hold the bytes (the source generator, the MSBuild task).</summary>
        public static ModelLoadResult Load(string specText, string specFile, byte[] weights, string weightsFile)
        {
            var diagnostics = new List<ModelDiagnostic>();
            ModelSpec? spec = SpecParser.Parse(specText, specFile, diagnostics);
            return spec == null ? new ModelLoadResult(null, diagnostics) : Bind(spec, weights, weightsFile, diagnostics);
        }

        internal static ModelLoadResult Bind(ModelSpec spec, byte[] weights, string weightsFile, List<ModelDiagnostic> diagnostics)
        {
            List<RawTensor>? raw = SafeTensors.Read(weights, weightsFile, diagnostics);
            if (raw == null)
            {
                return new ModelLoadResult(null, diagnostics);
            }

            ModelGraph? graph = GraphBuilder.Build(spec, raw, weightsFile, diagnostics);
            return new ModelLoadResult(graph, diagnostics);
        }

    }
}
