using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Hls;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Repository files the fuzzers start from, temp folders, and the oracle every model-file case goes through.</summary>
    public static class TestFiles
    {
        public static string Repo { get; } = Path.GetDirectoryName(LabeledDataset.FindUpwards(AppContext.BaseDirectory, "Gen.sln"))!;

        public static string Models => Path.Combine(Repo, "samples", "models");

        public static string DigitsCsv => Path.Combine(Repo, "samples", "data", "digits", "digits.csv");

        public static string OnnxModels => Path.Combine(Repo, "tests", "QuantGen.Onnx.Tests", "Models");

        public static string CompilerCorpus => Path.Combine(Repo, "tests", "QuantGen.Compiler.Tests", "Corpus");

        public static string Corpus => Path.Combine(AppContext.BaseDirectory, "Corpus");

        /// <summary>(spec text, weights bytes) of the models the spec and weights fuzzers mutate.</summary>
        public static IReadOnlyList<(string Name, string Spec, byte[] Weights)> BaseModels { get; } = new[]
        {
            ("tiny", File.ReadAllText(Path.Combine(CompilerCorpus, "valid-quantized", "model.qmodel.json")), File.ReadAllBytes(Path.Combine(CompilerCorpus, "valid-quantized", "weights.safetensors"))),
            ("tinyfloat", File.ReadAllText(Path.Combine(CompilerCorpus, "valid-float", "model.qmodel.json")), File.ReadAllBytes(Path.Combine(CompilerCorpus, "valid-float", "weights.safetensors"))),
            ("mlp", File.ReadAllText(Path.Combine(Models, "digits_mlp.qmodel.json")).Replace("\"digits_mlp.safetensors\"", "\"weights.safetensors\""), File.ReadAllBytes(Path.Combine(Models, "digits_mlp.safetensors"))),
            ("cnn", File.ReadAllText(Path.Combine(Models, "digits_cnn.qmodel.json")).Replace("\"digits_cnn.safetensors\"", "\"weights.safetensors\""), File.ReadAllBytes(Path.Combine(Models, "digits_cnn.safetensors"))),
        };

        public static string NewTempFolder(string what)
        {
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-fuzz-" + what + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            return dir;
        }

        /// <summary>
        /// The model-file oracle: a loaded model must go through range analysis and (quantized) the reference interpreter
        /// and the HLS backend without an exception; a rejected one must list located QG diagnostics.
        /// </summary>
        public static CaseOutcome Check(ModelLoadResult result, bool runBackends)
        {
            if (result.Graph == null)
            {
                return Rejection(result.Diagnostics);
            }

            if (result.Diagnostics.Count > 0)
            {
                throw new InvalidOperationException("a model loaded with diagnostics: " + string.Join("\n", result.Diagnostics));
            }

            ModelGraph g = result.Graph;
            if (!g.IsQuantized || !runBackends)
            {
                return CaseOutcome.Ok();
            }

            var diagnostics = new List<ModelDiagnostic>();
            if (RangeAnalysis.Analyze(g, diagnostics) == null)
            {
                return Rejection(diagnostics);
            }

            var reference = new ReferenceInterpreter(g);
            long lo = RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMin, g.Input.Quant!), hi = RangeAnalysis.QuantizeBound(g.Spec.Input.RangeMax, g.Input.Quant!);
            reference.Run(Enumerable.Repeat((int)lo, g.Input.ElementCount).ToArray());
            reference.Run(Enumerable.Repeat((int)hi, g.Input.ElementCount).ToArray());

            HlsGenerationResult hls = HlsGenerator.Generate(g, new HlsOptions { TestVectors = 2 });
            return hls.Project != null ? CaseOutcome.Ok() : Rejection(hls.Diagnostics);
        }

        public static CaseOutcome Rejection(IReadOnlyList<ModelDiagnostic> diagnostics)
        {
            if (diagnostics.Count == 0)
            {
                throw new InvalidOperationException("rejected without any diagnostic");
            }

            foreach (ModelDiagnostic d in diagnostics)
            {
                if (string.IsNullOrEmpty(d.File))
                {
                    throw new InvalidOperationException("a diagnostic without a file: " + d);
                }
            }

            return CaseOutcome.Rejected(string.Join("\n", diagnostics));
        }
    }
}
