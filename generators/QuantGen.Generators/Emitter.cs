using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using QuantGen.Graph;
using QuantGen.Cpu;
using QuantGen.Gpu;
using QuantGen.Model;
using QuantGen.Operators;
using QuantGen.Plan;

namespace QuantGen.Generators
{
    /// <summary>
    /// <see cref="EmitRequest"/> -> generated sources: loads and validates the model with the compiler core, runs the
    /// range analysis, checks the class's overrides, then hands the graph to <see cref="CpuEmitter"/>. Model-file
    /// problems become compiler diagnostics located in the spec file (line and column) or at the attribute.
    /// </summary>
    internal static class Emitter
    {
        /// <summary>Test seam: the registries the backends dispatch through (a test removes one lowering to see QG2012).</summary>
        internal static LoweringRegistry<CpuLowering> CpuRegistry { get; set; } = CpuLowering.Registry;

        internal static LoweringRegistry<GpuLowering> GpuRegistry { get; set; } = GpuLowering.Registry;

        /// <summary>Test seam: lets the driver tests prove that an unexpected exception becomes QG2099.</summary>
        internal static Action<EmitRequest>? FaultInjection { get; set; }

        public static EmitResult EmitSafely(EmitRequest request, CancellationToken ct, bool gpu = false, bool embedded = false)
        {
            try
            {
                FaultInjection?.Invoke(request);
                return Emit(request, ct, gpu, embedded);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                var d = new DiagnosticInfo(DiagnosticDescriptors.InternalError, request.Model.ModelPathLocation, request.Model.Name, e.GetType().Name + ": " + e.Message);
                return new EmitResult(EquatableArray<GeneratedFile>.Empty, new EquatableArray<DiagnosticInfo>(new[] { d }));
            }
        }

        private static EmitResult Emit(EmitRequest request, CancellationToken ct, bool gpu, bool embedded)
        {
            ClassModel model = request.Model;
            var diagnostics = new List<DiagnosticInfo>(model.Diagnostics);
            diagnostics.AddRange(request.Diagnostics);
            EmitResult Fail() => new EmitResult(Stub(model), new EquatableArray<DiagnosticInfo>(diagnostics));
            if (diagnostics.Count > 0 || (request.Spec == null && (model.Declared == null || request.Weights == null)))
            {
                return Fail();
            }

            ModelFile? spec = request.Spec;
            byte[] weights = Array.Empty<byte>();
            string weightsPath = request.WeightsPath ?? string.Empty;
            if (request.Weights != null)
            {
                if (request.Weights.Bytes == null)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.ForModelError(ModelErrors.MalformedWeights), model.ModelPathLocation, $"{request.Weights.Path}: the encoded weights are not valid base64; rebuild to re-encode {weightsPath}"));
                    return Fail();
                }

                weights = request.Weights.Bytes;
            }

            ct.ThrowIfCancellationRequested();
            if (spec == null)
            {
                // Attribute-declared: the declaration becomes a spec in the model format, validated like a file.
                var rawDiagnostics = new List<ModelDiagnostic>();
                List<RawTensor>? raw = SafeTensors.Read(weights, weightsPath, rawDiagnostics);
                ModelSpec? declaredSpec = raw == null ? null : model.Declared!.ToSpec(model.Name, raw, model.ModelPathLocation, diagnostics);
                diagnostics.AddRange(rawDiagnostics.Select(d => new DiagnosticInfo(DiagnosticDescriptors.ForModelError(d.Id), model.ModelPathLocation, d.ToString())));
                if (declaredSpec == null)
                {
                    return Fail();
                }

                spec = new ModelFile(model.SourceFile + "#" + model.Name + ".declared.qmodel.json", SpecWriter.ToJson(declaredSpec), string.Empty);
            }

            ModelLoadResult loaded = ModelLoader.Load(spec.Text, spec.Path, weights, weightsPath);
            foreach (ModelDiagnostic d in loaded.Diagnostics)
            {
                diagnostics.Add(FromModel(d, spec, model));
            }

            if (loaded.Graph == null)
            {
                return Fail();
            }

            ModelGraph graph = loaded.Graph;
            if (!graph.IsQuantized)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.NotQuantized, model.ModelPathLocation, graph.Name));
                return Fail();
            }

            var rangeDiagnostics = new List<ModelDiagnostic>();
            RangeReport? ranges = RangeAnalysis.Analyze(graph, rangeDiagnostics);
            diagnostics.AddRange(rangeDiagnostics.Select(d => FromModel(d, spec, model)));
            CheckOverrides(model, graph, diagnostics);
            if (ranges == null || diagnostics.Count > 0)
            {
                return Fail();
            }

            ct.ThrowIfCancellationRequested();
            ModelPlan plan = ModelPlan.Create(graph, ranges);
            string hash = request.Weights?.Sha256 ?? string.Empty;
            var missing = new List<MissingLowering>();
            var placement = new WeightsPlacement(model.Name, graph, weights, hash, embedded);
            CpuOutput cpu = CpuBackend.Emit(model.Target, plan, hash, CpuRegistry, placement.Initializer);
            missing.AddRange(cpu.Missing);
            SourceFile? gpuFile = null, gpuBoundary = null;
            long gpuLiterals = 0;
            if (gpu)
            {
                // GPU backend: only when the compilation references ILGPU (see QuantizedModelGenerator). Its int8 weights
                // come from the same placement, so CPU and GPU code read the one embedded resource of the weights file.
                gpuFile = GpuBackend.Emit(model.Target, plan, hash, missing, GpuRegistry, placement.Initializer, out gpuLiterals);
                gpuBoundary = GpuBackend.EmitBoundary(model.Target, plan, hash);
            }

            long literalBytes = placement.LiteralBytes + (placement.Placed ? gpuLiterals : 0);
            if (literalBytes > WeightsPlacement.MaxLiteralBytes)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.WeightsTooLarge, model.ModelPathLocation, model.Name, literalBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), WeightsPlacement.MaxLiteralBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return Fail();
            }

            if (missing.Count > 0 || cpu.Plan == null)
            {
                diagnostics.AddRange(missing.Select(m => NoLowering(m, spec, model)));
                return Fail();
            }

            var files = cpu.Files.Select(f => new GeneratedFile(f.HintName, f.Text)).ToList();
            if (gpuFile != null && gpuBoundary != null)
            {
                files.Add(new GeneratedFile(gpuFile.HintName, gpuFile.Text));
                files.Add(new GeneratedFile(gpuBoundary.HintName, gpuBoundary.Text));
            }

            // No diagnostic reaches this point: every error returned Fail above.
            return new EmitResult(new EquatableArray<GeneratedFile>(files), diagnostics.Count == 0 ? EquatableArray<DiagnosticInfo>.Empty : new EquatableArray<DiagnosticInfo>(diagnostics), cpu.Plan.Library);
        }

        /// <summary>
        /// After a QG error in the model (not in the class itself): the usual API surface with members that throw, so the
        /// error is the only one and the user's calls do not cascade into CS1061/CS0117.
        /// </summary>
        private static EquatableArray<GeneratedFile> Stub(ClassModel model)
        {
            if (model.ModelPath.Length == 0 || model.Diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
            {
                return EquatableArray<GeneratedFile>.Empty;
            }

            const string Throw = "throw new global::System.InvalidOperationException(\"QuantGen could not compile this model; see the QG error of the build.\")";
            string members = string.Join("\n", new[]
            {
                "/// <summary>Not generated: the model has a QG error (see the build output).</summary>",
                "public static global::QuantGen.ModelInfo Info => " + Throw + ";",
                "public const int InputLength = 0, OutputLength = 0, InputMin = 0, InputMax = 0;",
                "public static string SimdPath => " + Throw + ";",
                "public void Infer(ReadOnlySpan<sbyte> input, Span<sbyte> output) => " + Throw + ";",
                "public void Infer(ReadOnlySpan<sbyte> inputs, Span<sbyte> outputs, int batchSize) => " + Throw + ";",
                "public void InferParallel(ReadOnlyMemory<sbyte> inputs, Memory<sbyte> outputs, int batchSize, int maxDegreeOfParallelism = 0) => " + Throw + ";",
                "public static void QuantizeInput(ReadOnlySpan<float> input, Span<sbyte> quantized) => " + Throw + ";",
                "public static void DequantizeOutput(ReadOnlySpan<sbyte> output, Span<float> real) => " + Throw + ";",
                "public int Predict(ReadOnlySpan<float> input) => " + Throw + ";",
                "public void Predict(ReadOnlySpan<float> inputs, Span<int> labels) => " + Throw + ";",
                "public int[] Predict(ReadOnlySpan<float> inputs, int batchSize) => " + Throw + ";",
                "public float[] Run(ReadOnlySpan<float> input) => " + Throw + ";",
                "public void Run(ReadOnlySpan<float> input, Span<float> output) => " + Throw + ";",
                "public global::QuantGen.Prediction[] TopK(ReadOnlySpan<float> input, int k) => " + Throw + ";",
                "public int TopK(ReadOnlySpan<float> input, Span<global::QuantGen.Prediction> destination) => " + Throw + ";",
                "public const int ClassCount = 0;",
                "public const bool OutputsAreProbabilities = false;",
                "global::QuantGen.ModelInfo global::QuantGen.IQuantizedModel.Info => Info;",
                "int global::QuantGen.IQuantizedModel.InputLength => InputLength;",
                "int global::QuantGen.IQuantizedModel.OutputLength => OutputLength;",
                "int global::QuantGen.IQuantizedClassifier.ClassCount => ClassCount;",
                "bool global::QuantGen.IQuantizedClassifier.OutputsAreProbabilities => OutputsAreProbabilities;",
            });
            string text = SourceWriter.ClassFile(model.Target, "API surface only: the model could not be compiled", string.Empty, new[] { "System" }, members, "global::QuantGen.IQuantizedClassifier");
            return new EquatableArray<GeneratedFile>(new[] { new GeneratedFile(model.Target.HintBase + ".QuantGen.Stub.g.cs", text) });
        }

        private static void CheckOverrides(ClassModel model, ModelGraph graph, List<DiagnosticInfo> diagnostics)
        {
            foreach (OverrideModel o in model.Overrides)
            {
                GraphNode? node = graph.Nodes.FirstOrDefault(n => n.Layer.Name == o.Layer);
                if (node == null)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.UnknownLayer, o.Location, o.Layer, graph.Name, string.Join(", ", graph.Nodes.Select(n => n.Layer.Name))));
                    continue;
                }

                void Contradiction(string expected, string actual) =>
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.OverrideContradicts, o.Location, o.Layer, expected, actual));

                if (o.WeightBits != 0)
                {
                    if (node.Weight == null || (node.Layer.Op != OpKind.Dense && node.Layer.Op != OpKind.Conv2d))
                    {
                        Contradiction($"{o.WeightBits}-bit weights", $"a {node.Layer.Op} layer without weights");
                    }
                    else if (node.Weight.Type.Bits != o.WeightBits)
                    {
                        Contradiction($"{o.WeightBits}-bit weights", $"{node.Weight.Type} weights");
                    }
                }

                if (o.ActivationBits != 0 && node.Output.Type.Bits != o.ActivationBits)
                {
                    Contradiction($"a {o.ActivationBits}-bit output", $"{node.Output.Type} output \"{node.Output.Name}\"");
                }

                if (o.PerChannel.HasValue)
                {
                    bool actual = node.Weight?.ChannelScales != null;
                    if (node.Weight == null || (node.Layer.Op != OpKind.Dense && node.Layer.Op != OpKind.Conv2d))
                    {
                        Contradiction(o.PerChannel.Value ? "per-channel weights" : "per-tensor weights", $"a {node.Layer.Op} layer without weights");
                    }
                    else if (actual != o.PerChannel.Value)
                    {
                        Contradiction(o.PerChannel.Value ? "per-channel weight scales" : "one per-tensor weight scale", actual ? "per-channel weight scales" : "one per-tensor weight scale");
                    }
                }

                if (o.Method != null)
                {
                    string? actual = node.Layer switch
                    {
                        SoftmaxLayer s => QuantGen.Operators.SoftmaxOperator.MethodName(s.Method),
                        GeluLayer g => QuantGen.Operators.GeluOperator.MethodName(g.Method),
                        _ => null,
                    };
                    if (actual != o.Method)
                    {
                        Contradiction($"method \"{o.Method}\"", actual == null ? $"a {node.Layer.Op} layer, which has no method" : $"method \"{actual}\"");
                    }
                }
            }
        }

        /// <summary>QG2012 at the layer's place in the spec file (the attribute when the model is declared in C#).</summary>
        private static DiagnosticInfo NoLowering(MissingLowering m, ModelFile spec, ClassModel model)
        {
            SourcePlace place = m.Node.Layer.Place;
            var d = new ModelDiagnostic("QG2012", string.Empty, spec.Path, null, place.Line, place.Column);
            DiagnosticInfo located = FromModel(d, spec, model);
            return new DiagnosticInfo(DiagnosticDescriptors.NoLowering, located.Location ?? model.ModelPathLocation, m.Node.Layer.Name, m.Node.Layer.Op.ToString(), m.Stage);
        }

        /// <summary>A model-file diagnostic at its place in the spec (line/column), else at the attribute argument.</summary>
        private static DiagnosticInfo FromModel(ModelDiagnostic d, ModelFile spec, ClassModel model)
        {
            string message = d.Message + (d.Place != null ? " [at " + d.Place + "]" : string.Empty);
            DiagnosticDescriptor descriptor = DiagnosticDescriptors.ForModelError(d.Id);
            if (d.Line > 0 && d.File == spec.Path && spec.Sha256.Length > 0)
            {
                int offset = OffsetOf(spec.Text, d.Line, d.Column);
                var start = new LinePosition(d.Line - 1, d.Column - 1);
                var span = new TextSpan(offset, offset < spec.Text.Length ? 1 : 0);
                return new DiagnosticInfo(descriptor, new LocationInfo(spec.Path, span, new LinePositionSpan(start, new LinePosition(d.Line - 1, d.Column - 1 + span.Length))), message);
            }

            return new DiagnosticInfo(descriptor, model.ModelPathLocation, d.File + ": " + message);
        }

        private static int OffsetOf(string text, int line, int column)
        {
            int offset = 0;
            for (int l = 1; l < line && offset < text.Length; l++)
            {
                int nl = text.IndexOf('\n', offset);
                if (nl < 0)
                {
                    return text.Length;
                }

                offset = nl + 1;
            }

            return Math.Min(offset + column - 1, text.Length);
        }

        internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
    }
}
