using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    public sealed class OnnxImportOptions
    {
        /// <summary>Model name (an identifier); default: the file name, sanitized.</summary>
        public string? Name { get; set; }

        /// <summary>Quantizer settings (range method, bias correction, softmax/GELU methods).</summary>
        public QuantizationOptions Quantization { get; set; } = new QuantizationOptions();

        /// <summary>Float import: the input's declared real range; default: the calibration data's min and max.</summary>
        public (double Min, double Max)? InputRange { get; set; }

        /// <summary>Optional class names written into the spec.</summary>
        public IReadOnlyList<string>? Labels { get; set; }

        /// <summary>Per-layer precision overrides by QuantGen layer name (float import and mixed precision).</summary>
        public IReadOnlyDictionary<string, Precision>? Precisions { get; set; }

        /// <summary>
        /// QDQ import: an Add's float constant operand (not a DequantizeLinear: DeiT's position embedding, the bias a
        /// MatMul's Add carries) whose other operand and output the file quantizes is kept as int32 at a scale 2^-s of the
        /// output's (<see cref="QuantGen.Numerics.ResidualAdd.WideConstant"/>), so the Add rounds the sum ONNX Runtime rounds.
        /// Default true; false quantizes it to 8 bits per tensor like a float import (the behaviour before 2026-12-06).
        /// </summary>
        public bool WideConstantOperands { get; set; } = true;

        /// <summary>
        /// A QDQ model imported with calibration data: true keeps every activation quantization the file's QDQ pairs give
        /// and calibrates only the tensors it leaves in float (an op type left out of quantize_static's
        /// op_types_to_quantize, e.g. a residual Add); default false re-calibrates every activation (integer weights kept).
        /// </summary>
        public bool KeepFileActivations { get; set; }

        /// <summary>
        /// Values for symbolic input dimensions by their name (dim_param), as ONNX Runtime's
        /// AddFreeDimensionOverrideByName: e.g. { "sequence": 128 } for a BERT exported with
        /// dynamic_axes={'input_ids': {0: 'batch', 1: 'sequence'}}. A leading symbolic dimension not named here becomes 1;
        /// any other is QG4004.
        /// </summary>
        public IReadOnlyDictionary<string, int>? FreeDimensions { get; set; }
    }

    /// <summary>An imported model: the quantized model plus the float model it came from.</summary>
    public sealed class OnnxImportResult
    {
        internal OnnxImportResult(QuantizedModel model, LoweredModel lowered, ModelGraph floatGraph)
        {
            Model = model;
            Lowered = lowered;
            FloatGraph = floatGraph;
        }

        public QuantizedModel Model { get; }

        public LoweredModel Lowered { get; }

        /// <summary>The float graph (dequantized weights for a QDQ model): the reference for fidelity reports.</summary>
        public ModelGraph FloatGraph { get; }

        public IReadOnlyList<string> Notes => Lowered.Notes;
    }

    /// <summary>
    /// Imports ONNX models into QuantGen's model format. A QDQ model keeps its own scales, zero points and integer
    /// weights; a float model is quantized by <see cref="PostTrainingQuantizer"/> from calibration inputs. Every
    /// problem with the input is an <see cref="OnnxImportException"/> carrying QG4xxx diagnostics that name the
    /// node, the operator and what to do; no other exception escapes for bad input.
    /// </summary>
    public static class OnnxImporter
    {
        /// <summary>Reads and lowers an ONNX file to a float QuantGen spec (with QDQ annotations when present).</summary>
        public static LoweredModel Lower(string onnxPath, OnnxImportOptions? options = null)
        {
            options ??= new OnnxImportOptions();
            OnnxModel model = OnnxReader.ReadFile(onnxPath);
            OnnxAttributeChecks.Check(model, onnxPath);
            string name = options.Name ?? SanitizeName(Path.GetFileNameWithoutExtension(onnxPath));
            return Guard(onnxPath, () => OnnxLowering.Lower(model, onnxPath, name, options.WideConstantOperands, options.FreeDimensions, options.Quantization?.SoftmaxMethod));
        }

        /// <summary>
        /// Imports a QDQ model when the file holds QuantizeLinear/DequantizeLinear nodes, else a float model
        /// quantized with <paramref name="calibration"/> (then required: QG4011 when missing).
        /// </summary>
        public static OnnxImportResult Import(string onnxPath, IReadOnlyList<float[]>? calibration = null, OnnxImportOptions? options = null, IProgress<CalibrationProgress>? progress = null)
        {
            options ??= new OnnxImportOptions();
            LoweredModel lowered = Lower(onnxPath, options);
            return Guard(onnxPath, () => lowered.IsQdq && (calibration == null || calibration.Count == 0)
                ? FinishQdq(onnxPath, lowered, options)
                : FinishFloat(onnxPath, lowered, calibration, options, progress));
        }

        /// <summary>Imports a QDQ model with the scales it carries (calibration optional: fills tensors left unquantized).</summary>
        public static OnnxImportResult ImportQdq(string onnxPath, OnnxImportOptions? options = null)
        {
            options ??= new OnnxImportOptions();
            LoweredModel lowered = Lower(onnxPath, options);
            if (!lowered.IsQdq)
            {
                throw OnnxImportException.At(OnnxErrors.Calibration, onnxPath, "graph", "the model has no QuantizeLinear/DequantizeLinear nodes: it is a float model; import it with calibration data (OnnxImporter.ImportFloat)");
            }

            return Guard(onnxPath, () => FinishQdq(onnxPath, lowered, options));
        }

        /// <summary>Imports a float model and quantizes it from <paramref name="calibration"/> (one float[] per sample).</summary>
        public static OnnxImportResult ImportFloat(string onnxPath, IReadOnlyList<float[]>? calibration, OnnxImportOptions? options = null, IProgress<CalibrationProgress>? progress = null)
        {
            options ??= new OnnxImportOptions();
            LoweredModel lowered = Lower(onnxPath, options);
            return Guard(onnxPath, () => FinishFloat(onnxPath, lowered, calibration, options, progress));
        }

        /// <summary>Builds the validated float graph of a lowered model (QG4012 when QuantGen's validation rejects it).</summary>
        public static ModelGraph BuildFloatGraph(LoweredModel lowered, string onnxPath, OnnxImportOptions? options = null)
        {
            ModelSpec spec = lowered.Spec;
            if (options?.Labels != null && spec.Labels.Count == 0)
            {
                spec.Labels.AddRange(options.Labels);
            }

            if (options?.Precisions != null)
            {
                foreach (LayerSpec l in spec.Layers)
                {
                    if (options.Precisions.TryGetValue(l.Name, out Precision? p))
                    {
                        l.Precision = p.Clone();
                    }
                }
            }

            var diagnostics = new List<ModelDiagnostic>();
            ModelGraph? g = GraphBuilder.Build(spec, lowered.Weights, spec.Weights, diagnostics);
            if (g == null)
            {
                throw Rejected(onnxPath, "the lowered float model", diagnostics);
            }

            return g;
        }

        private static OnnxImportResult FinishQdq(string path, LoweredModel lowered, OnnxImportOptions options)
        {
            foreach (InputSpec input in lowered.Spec.Inputs)
            {
                if (!input.IsIndex && !lowered.FixedActivations.ContainsKey(input.Name))
                {
                    throw OnnxImportException.At(OnnxErrors.InvalidQuantization, path, "input '" + input.Name + "'", "the graph input is not quantized by a QuantizeLinear -> DequantizeLinear pair; add one, or import with calibration data");
                }
            }

            ModelGraph floatGraph = BuildFloatGraph(lowered, path, options);
            QuantizationOptions q = Clone(options.Quantization, lowered.Spec.Name);
            q.FixedActivations = lowered.FixedActivations;
            q.FixedWeights = lowered.FixedWeights;
            q.QuantizedBy = "QuantGen.Onnx QDQ import (scales, zero points and integer weights from " + Path.GetFileName(path) + ")";
            try
            {
                QuantizedModel m = PostTrainingQuantizer.FromStatistics(floatGraph, CalibrationStatistics.None, q);
                return new OnnxImportResult(m, lowered, floatGraph);
            }
            catch (ModelException e)
            {
                throw Rejected(path, "the imported quantized model", e.Diagnostics);
            }
            catch (InvalidOperationException e)
            {
                // A tensor the file leaves in float (an op outside the quantizer's op_types_to_quantize, e.g. a residual Add
                // without its QDQ pair): located at the ONNX node that writes it, with the two ways out.
                string place = "graph";
                string message = e.Message;
                System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(e.Message, "^layer \"([^\"]+)\": its output \"([^\"]+)\" has neither");
                if (m.Success && lowered.LayerPlaces.TryGetValue(m.Groups[1].Value, out string? p))
                {
                    place = p;
                    message = $"the output '{m.Groups[2].Value}' is not quantized in the file (no QuantizeLinear -> DequantizeLinear pair after it) and QuantGen needs its range: quantize this operator too (add its type to op_types_to_quantize), or import with calibration data and OnnxImportOptions.KeepFileActivations, which keeps the file's quantization and calibrates only what it leaves in float";
                }

                throw OnnxImportException.At(OnnxErrors.InvalidQuantization, path, place, message);
            }
        }

        private static OnnxImportResult FinishFloat(string path, LoweredModel lowered, IReadOnlyList<float[]>? calibration, OnnxImportOptions options, IProgress<CalibrationProgress>? progress)
        {
            IReadOnlyList<InputSpec> inputs = lowered.Spec.Inputs;
            int count = inputs.Sum(i => i.Shape.Aggregate(1, (p, d) => p * d));
            string what = inputs.Count == 1
                ? $"the input '{inputs[0].Name}' [{string.Join(", ", inputs[0].Shape)}]"
                : $"the {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => "'" + i.Name + "' [" + string.Join(", ", i.Shape) + "]"))}, one after the other)";
            if (calibration == null || calibration.Count == 0)
            {
                throw OnnxImportException.At(OnnxErrors.Calibration, path, "input '" + inputs[0].Name + "'", $"a float model needs calibration inputs to be quantized (a .npy file, a folder of .npy tensors or a CSV of {count} features per row); none were given");
            }

            for (int i = 0; i < calibration.Count; i++)
            {
                if (calibration[i].Length != count)
                {
                    throw OnnxImportException.At(OnnxErrors.Calibration, path, "calibration sample " + i, $"calibration sample {i} has {calibration[i].Length} values; {what} needs {count}");
                }

                foreach (float v in calibration[i])
                {
                    if (float.IsNaN(v) || float.IsInfinity(v))
                    {
                        throw OnnxImportException.At(OnnxErrors.Calibration, path, "calibration sample " + i, $"calibration sample {i} holds {v}; calibration data must be finite");
                    }
                }
            }

            // Index inputs keep the range the lowering proved from the table, masks their [0, 1]; each float input takes
            // the calibration range of its own slice of the samples (or the option's range).
            int offset = 0;
            foreach (InputSpec input in inputs)
            {
                int n = input.Shape.Aggregate(1, (p, d) => p * d);
                if (!input.IsIndex && !lowered.MaskInputs.Contains(input.Name))
                {
                    int o = offset;
                    (double lo, double hi) = options.InputRange ?? (calibration.Min(s => s.Skip(o).Take(n).Min()), calibration.Max(s => s.Skip(o).Take(n).Max()));
                    input.RangeMin = lo;
                    input.RangeMax = hi;
                }

                offset += n;
            }

            ModelGraph floatGraph = BuildFloatGraph(lowered, path, options);
            QuantizationOptions q = Clone(options.Quantization, lowered.Spec.Name);
            if (lowered.IsQdq)
            {
                // A QDQ model re-calibrated: keep its integer weights, recompute activations (or only those the file
                // leaves in float: KeepFileActivations).
                q.FixedWeights = lowered.FixedWeights;
                if (options.KeepFileActivations)
                {
                    q.FixedActivations = lowered.FixedActivations;
                }
            }

            try
            {
                QuantizedModel m = PostTrainingQuantizer.Quantize(floatGraph, calibration, q, progress);
                return new OnnxImportResult(m, lowered, floatGraph);
            }
            catch (ModelException e)
            {
                throw Rejected(path, "the quantized model", e.Diagnostics);
            }
        }

        /// <summary>
        /// Writes an imported model (spec + weights next to it) only after reading the exact bytes back through
        /// <see cref="ModelLoader"/> and the range analysis, the rules every consumer applies: a model the loader would
        /// reject is QG4012 (with the inner QG1xxx id) and nothing is written.
        /// </summary>
        public static void Save(QuantizedModel model, string specPath)
        {
            string json = SpecWriter.ToJson(model.Spec);
            byte[] weights = SafeTensors.Write(model.Weights, new[] { new KeyValuePair<string, string>("format", "quantgen"), new KeyValuePair<string, string>("model", model.Spec.Name) });
            string weightsPath = ModelLoader.ResolveWeightsPath(specPath, model.Spec.Weights);
            ModelLoadResult reread = ModelLoader.Load(json, specPath, weights, weightsPath);
            var diagnostics = new List<ModelDiagnostic>(reread.Diagnostics);
            if (reread.Graph != null && reread.Graph.IsQuantized)
            {
                RangeAnalysis.Analyze(reread.Graph, diagnostics);
            }

            if (reread.Graph == null || diagnostics.Count > 0)
            {
                throw Rejected(specPath, "the model file the import would write", diagnostics);
            }

            string? folder = Path.GetDirectoryName(Path.GetFullPath(specPath));
            if (folder != null)
            {
                Directory.CreateDirectory(folder);
            }

            model.Save(specPath);
        }

        private static QuantizationOptions Clone(QuantizationOptions o, string name) => new QuantizationOptions
        {
            Name = o.Name ?? name,
            WeightsFileName = o.WeightsFileName,
            SoftmaxMethod = o.SoftmaxMethod,
            GeluMethod = o.GeluMethod,
            SoftmaxOutBits = o.SoftmaxOutBits,
            ShiftmaxN = o.ShiftmaxN,
            ShiftGeluN = o.ShiftGeluN,
            RangeMethod = o.RangeMethod,
            Percentile = o.Percentile,
            BiasCorrection = o.BiasCorrection,
            FixedActivations = o.FixedActivations,
            FixedWeights = o.FixedWeights,
            QuantizedBy = o.QuantizedBy,
        };

        private static OnnxImportException Rejected(string path, string what, IReadOnlyList<ModelDiagnostic> inner)
        {
            var list = new List<ModelDiagnostic>();
            foreach (ModelDiagnostic d in inner)
            {
                list.Add(new ModelDiagnostic(OnnxErrors.Rejected, $"{what} fails QuantGen's validation: {d.Id}: {d.Message}", path, d.Place, 0, 0));
            }

            return new OnnxImportException(list);
        }

        private static T Guard<T>(string path, Func<T> f)
        {
            try
            {
                return f();
            }
            catch (OnnxImportException)
            {
                throw;
            }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is IndexOutOfRangeException || e is ArithmeticException || e is NotSupportedException || e is KeyNotFoundException || e is NullReferenceException)
            {
                throw OnnxImportException.At(OnnxErrors.Rejected, path, "graph", "the importer could not map this model: " + e.Message);
            }
        }

        internal static string SanitizeName(string s)
        {
            var sb = new System.Text.StringBuilder();
            foreach (char c in s)
            {
                sb.Append(c < 128 && char.IsLetterOrDigit(c) ? c : '_');
            }

            string r = sb.ToString();
            return r.Length == 0 || !char.IsLetter(r[0]) ? "m_" + r : r;
        }
    }
}
