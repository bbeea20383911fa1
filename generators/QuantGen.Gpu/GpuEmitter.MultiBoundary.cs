using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;

namespace QuantGen.Gpu
{
    /// <summary>
    /// The float boundary of the GPU session of a model with several inputs or outputs (or token ids): what the C# class
    /// offers for that model, on the device. The named <c>Run</c> (one sample and batched), <c>IQuantizedModel</c> over a
    /// packed sample, and for a classifier <c>Predict</c> (one, batched into labels, batched into a new array), <c>TopK</c>
    /// and <c>IQuantizedClassifier</c>. Quantization, dequantization, the whole-id check of the packed path, the arg-max and
    /// the top-k come from the class's own helpers (the session is nested in the class, so it calls them), and every check
    /// runs in the class's order with the class's messages; a batch is quantized on the host, then runs as one batch on the
    /// device.
    /// </summary>
    internal sealed partial class GpuEmitter
    {
        internal static SourceFile MultiBoundary(CSharpTarget model, Plan.ModelPlan plan, string weightsHash)
        {
            ModelGraph graph = plan.Graph;
            string P(TensorInfo t) => ParamName(plan, t);
            string C(TensorInfo t) => Constant(P(t));
            string Host(TensorInfo t) => "_host_" + P(t).TrimStart('@');
            string Row(TensorInfo t) => $"{Host(t)}.AsSpan(b * {C(t)}Length, {C(t)}Length)";
            string Rows(TensorInfo t, string rows) => $"{Host(t)}.AsSpan(0, {rows} * {C(t)}Length)";
            bool classifier = NamedTensorApi.IsClassifier(graph);
            string api = classifier ? "global::QuantGen.IQuantizedClassifier" : "global::QuantGen.IQuantizedModel";
            string floatIns = string.Join(", ", graph.Inputs.Select(t => $"ReadOnlySpan<{(t.IsIndex ? CType(t.Type) : "float")}> {P(t)}"));
            string floatOuts = string.Join(", ", graph.Outputs.Select(t => $"Span<float> {P(t)}"));
            string inArgs = string.Join(", ", graph.Inputs.Select(P));
            const string Disposed = "if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");";
            const string Packed = "QuantGenPackedInputLength";

            void SpanChecks(SourceWriter w, string? rows, bool outputs)
            {
                foreach (TensorInfo t in graph.Inputs.Concat(outputs ? graph.Outputs : Enumerable.Empty<TensorInfo>()))
                {
                    bool input = graph.Inputs.Contains(t);
                    string what = $"elements of {(input ? "input" : "output")} {Esc(t.Name)}", room = input ? string.Empty : "room for ";
                    w.Line(rows == null
                        ? $"if ({P(t)}.Length != {C(t)}Length) throw new ArgumentException($\"expected {room}{{{C(t)}Length}} {what}, got {{{P(t)}.Length}}\", nameof({P(t)}));"
                        : $"if ({P(t)}.Length != (long){rows} * {C(t)}Length) throw new ArgumentException($\"expected {room}{{{rows}}} x {{{C(t)}Length}} {what}, got {{{P(t)}.Length}}\", nameof({P(t)}));");
                }
            }

            void BatchSizeCheck(SourceWriter w, string name) =>
                w.Line($"if ({name} < 0 || {name} > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof({name}), {name}, $\"the batch size must be in [0, {{MaxBatchSize}}]\");");

            var w = new SourceWriter();
            w.Open($"public sealed partial class GpuSession : {api}");
            w.Line("// The float paths' quantized inputs (ids too, for the packed path) and integer outputs on the host, for _hostRows samples;");
            w.Line("// a larger float batch grows them like the device buffers.");
            w.Line("private int _hostRows = 1;");
            foreach (TensorInfo t in graph.Inputs.Concat(graph.Outputs))
            {
                w.Line($"private {CType(t.Type)}[] {Host(t)} = new {CType(t.Type)}[{C(t)}Length];");
            }

            w.Line();
            w.Open("private void QuantGenHostRows(int rows)");
            w.Open("if (rows <= _hostRows)");
            w.Line("return;");
            w.Close();
            w.Line("int grown = (int)Math.Max(rows, Math.Min(2L * _hostRows, MaxBatchSize));");
            foreach (TensorInfo t in graph.Inputs.Concat(graph.Outputs))
            {
                w.Line($"{Host(t)} = new {CType(t.Type)}[grown * {C(t)}Length];");
            }

            w.Line("_hostRows = grown;");
            w.Close();
            w.Line();

            // The named float path: row by row, each input in spec order (the class's QuantGenForward order, so the first bad
            // value found is the one the class reports, with its position inside its sample), then one batch on the device.
            w.Line("/// <summary>Quantizes and checks <paramref name=\"rows\"/> samples with the class's helpers (row by row, inputs in spec order), then runs them as one batch into the host output buffers.</summary>");
            w.Open($"private void QuantGenForward({floatIns}, int rows)");
            w.Line("QuantGenHostRows(rows);");
            w.Open("for (int b = 0; b < rows; b++)");
            foreach (TensorInfo t in graph.Inputs)
            {
                if (t.IsIndex)
                {
                    w.Line($"Check{C(t)}({P(t)}.Slice(b * {C(t)}Length, {C(t)}Length));");
                }
                else
                {
                    w.Line($"Quantize{C(t)}({P(t)}.Slice(b * {C(t)}Length, {C(t)}Length), {Row(t)});");
                    w.Line($"Check{C(t)}({Row(t)});");
                }
            }

            w.Close();
            w.Line($"InferCore({string.Join(", ", graph.Inputs.Select(t => t.IsIndex ? P(t) : Rows(t, "rows")).Concat(graph.Outputs.Select(t => Rows(t, "rows"))))}, rows);");
            w.Close();
            w.Line();

            // The packed path (IQuantizedModel): per sample, first the whole-id check of every index input (the class's
            // QuantGenForwardPacked), then each input in spec order.
            var packedOffsets = new List<string>();
            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                packedOffsets.Add(I(graph.Inputs.Take(i).Sum(t => (long)t.ElementCount)));
            }

            w.Line("/// <summary>The packed path: <paramref name=\"rows\"/> packed samples (all inputs of a sample one after the other, ids as whole floats) quantized and checked like the class's, then one batch on the device.</summary>");
            w.Open("private void QuantGenForwardPacked(ReadOnlySpan<float> inputs, int rows)");
            w.Line("QuantGenHostRows(rows);");
            w.Open("for (int b = 0; b < rows; b++)");
            w.Line($"ReadOnlySpan<float> sample = inputs.Slice(b * {Packed}, {Packed});");
            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                TensorInfo t = graph.Inputs[i];
                if (t.IsIndex)
                {
                    w.Line($"QuantGenIds(sample.Slice({packedOffsets[i]}, {C(t)}Length), {Row(t)}, {Naming.CSharpLiteral.Quote(t.Name)});");
                }
            }

            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                TensorInfo t = graph.Inputs[i];
                if (!t.IsIndex)
                {
                    w.Line($"Quantize{C(t)}(sample.Slice({packedOffsets[i]}, {C(t)}Length), {Row(t)});");
                }

                w.Line($"Check{C(t)}({Row(t)});");
            }

            w.Close();
            w.Line($"InferCore({string.Join(", ", graph.Inputs.Concat(graph.Outputs).Select(t => Rows(t, "rows")))}, rows);");
            w.Close();
            w.Line();

            w.Line("/// <summary>Float in (index inputs stay ids), float out on the device: the class's Quantize and Dequantize helpers around one inference; the same numbers as the class's Run.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">An index input holds an id outside [0, Max].</exception>");
            w.Open($"public void Run({floatIns}, {floatOuts})");
            w.Line(Disposed);
            SpanChecks(w, null, true);
            Guarded(model, w, new[] { $"QuantGenForward({inArgs}, 1);" }.Concat(graph.Outputs.Select(t => $"Dequantize{C(t)}({Rows(t, "1")}, {P(t)});")).ToArray());
            w.Close();
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Float Run over <paramref name=\"batchSize\"/> samples: each span holds batchSize rows of its tensor, one after the other; the");
            w.Line("/// same values as batchSize one-sample calls (and as the class's batched Run), quantized on the host, run as one batch.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"batchSize\"/> is negative or above MaxBatchSize, or an index input holds an id outside [0, Max] (the position counts within its sample, as in the class).</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range; nothing is written then.</exception>");
            w.Open($"public void Run({floatIns}, {floatOuts}, int batchSize)");
            w.Line(Disposed);
            BatchSizeCheck(w, "batchSize");
            SpanChecks(w, "batchSize", true);
            Guarded(model, w, new[] { $"QuantGenForward({inArgs}, batchSize);" }.Concat(graph.Outputs.Select(t => $"Dequantize{C(t)}({Rows(t, "batchSize")}, {P(t)});")).ToArray());
            w.Close();
            EmitPackedModel(model, graph, w, C, Rows, OutputOffsets(graph));
            if (classifier)
            {
                EmitMultiClassifier(model, graph, w, floatIns, inArgs, (ww, rows) => SpanChecks(ww, rows, false), BatchSizeCheck, Rows(graph.Output, "1"), Host(graph.Output), C(graph.Output));
            }

            w.Close();
            return new SourceFile(model.HintBase + ".QuantGen.Gpu.Boundary.g.cs", SourceWriter.ClassFile(model, $"the GPU session's float boundary for model \"{graph.Name}\"", weightsHash, new[] { "System" }, w.ToString()));
        }

        private static List<string> OutputOffsets(ModelGraph graph) =>
            Enumerable.Range(0, graph.Outputs.Count).Select(i => I(graph.Outputs.Take(i).Sum(t => (long)t.ElementCount))).ToList();

        /// <summary>IQuantizedModel over one packed sample: the class's lengths and messages (QuantGenPackedInputLength/OutputLength are the class's).</summary>
        private static void EmitPackedModel(CSharpTarget model, ModelGraph graph, SourceWriter w, System.Func<TensorInfo, string> c, System.Func<TensorInfo, string, string> rows, List<string> outOffsets)
        {
            const string Disposed = "if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");";
            w.Line();
            w.Line("// IQuantizedModel over a packed sample, as the class: the inputs in spec order, each row-major, one after the other (ids as whole floats); the outputs likewise.");
            w.Line($"global::QuantGen.ModelInfo global::QuantGen.IQuantizedModel.Info => {model.Name}.Info;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.InputLength => QuantGenPackedInputLength;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.OutputLength => QuantGenPackedOutputLength;");
            w.Line();
            w.Open("float[] global::QuantGen.IQuantizedModel.Run(ReadOnlySpan<float> input)");
            w.Line("var output = new float[QuantGenPackedOutputLength];");
            w.Line("((global::QuantGen.IQuantizedModel)this).Run(input, output);");
            w.Line("return output;");
            w.Close();
            w.Line();
            w.Open("void global::QuantGen.IQuantizedModel.Run(ReadOnlySpan<float> input, Span<float> output)");
            w.Line(Disposed);
            w.Line("if (input.Length != QuantGenPackedInputLength) throw new ArgumentException($\"expected {QuantGenPackedInputLength} input elements (all inputs, packed), got {input.Length}\", nameof(input));");
            w.Line("if (output.Length != QuantGenPackedOutputLength) throw new ArgumentException($\"expected room for {QuantGenPackedOutputLength} output elements (all outputs, packed), got {output.Length}\", nameof(output));");
            Guarded(model, w, new[] { "QuantGenForwardPacked(input, 1);" }
                .Concat(graph.Outputs.Select((t, i) => $"Dequantize{c(t)}({rows(t, "1")}, output.Slice({outOffsets[i]}, {c(t)}Length));")).ToArray());
            w.Close();
        }

        /// <summary>The class's classifier members for a multi-input model (Predict, TopK, IQuantizedClassifier), with its arg-max and top-k helpers.</summary>
        private static void EmitMultiClassifier(CSharpTarget model, ModelGraph graph, SourceWriter w, string floatIns, string inArgs, System.Action<SourceWriter, string?> checks, System.Action<SourceWriter, string> batchSizeCheck, string y, string host, string c)
        {
            const string Disposed = "if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");";
            const string Packed = "QuantGenPackedInputLength";
            string TooMany(string what) => $"if ({what}.Length > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof({what}), {what}.Length, $\"at most {{MaxBatchSize}} samples per call\");";
            w.Line();
            w.Line($"/// <summary>Classes in the output (the class's ClassCount).</summary>");
            w.Line($"public const int ClassCount = {model.Name}.ClassCount;");
            w.Line();
            w.Line("/// <summary>Whether TopK's confidences are the dequantized outputs (the last layer is a Softmax) or the softmax of the dequantized logits; the class's constant.</summary>");
            w.Line($"public const bool OutputsAreProbabilities = {model.Name}.OutputsAreProbabilities;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedClassifier.ClassCount => ClassCount;");
            w.Line();
            w.Line("bool global::QuantGen.IQuantizedClassifier.OutputsAreProbabilities => OutputsAreProbabilities;");
            w.Line();
            w.Open("private void QuantGenLabels(Span<int> labels)");
            w.Open("for (int b = 0; b < labels.Length; b++)");
            w.Line($"labels[b] = QuantGenArgMax({host}.AsSpan(b * {c}Length, {c}Length));");
            w.Close();
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies one real sample on the device: the class's Predict (index of the largest output, ties: lowest index).</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range.</exception>");
            w.Open($"public int Predict({floatIns})");
            w.Line(Disposed);
            checks(w, null);
            Guarded(model, w, $"QuantGenForward({inArgs}, 1);", $"return QuantGenArgMax({y});");
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies labels.Length samples as one batch on the device: each span holds labels.Length rows of its input, one after the other; same answers as the one-sample Predict.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">More than MaxBatchSize labels.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range.</exception>");
            w.Open($"public void Predict({floatIns}, Span<int> labels)");
            w.Line(Disposed);
            w.Line(TooMany("labels"));
            checks(w, "labels.Length");
            Guarded(model, w, $"QuantGenForward({inArgs}, labels.Length);", "QuantGenLabels(labels);");
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies batchSize real samples, each input's rows one after the other; returns a new array of class indices.</summary>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"batchSize\"/> is negative or above MaxBatchSize.</exception>");
            w.Open($"public int[] Predict({floatIns}, int batchSize)");
            batchSizeCheck(w, "batchSize");
            w.Line("var labels = new int[batchSize];");
            w.Line($"Predict({inArgs}, labels);");
            w.Line("return labels;");
            w.Close();
            w.Line();
            w.Line("/// <summary>The k most likely classes, best first, with the class's labels and confidences (the class's TopK); k above ClassCount gives all classes.</summary>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"k\"/> is below 1.</exception>");
            w.Open($"public global::QuantGen.Prediction[] TopK({floatIns}, int k)");
            w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k must be at least 1\");");
            w.Line("var best = new global::QuantGen.Prediction[k < ClassCount ? k : ClassCount];");
            w.Line($"TopK({inArgs}, best);");
            w.Line("return best;");
            w.Close();
            w.Line();
            w.Line("/// <summary>Fills <paramref name=\"destination\"/> with the min(destination.Length, ClassCount) most likely classes, best first; returns how many.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Open($"public int TopK({floatIns}, Span<global::QuantGen.Prediction> destination)");
            w.Line(Disposed);
            checks(w, null);
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(model, w, $"QuantGenForward({inArgs}, 1);", $"return QuantGenTopK({y}, best);");
            w.Close();
            w.Line();
            w.Open("int global::QuantGen.IQuantizedClassifier.Predict(ReadOnlySpan<float> input)");
            w.Line(Disposed);
            w.Line($"if (input.Length != {Packed}) throw new ArgumentException($\"expected {{{Packed}}} input elements (all inputs, packed), got {{input.Length}}\", nameof(input));");
            Guarded(model, w, "QuantGenForwardPacked(input, 1);", $"return QuantGenArgMax({y});");
            w.Close();
            w.Line();
            w.Open("void global::QuantGen.IQuantizedClassifier.Predict(ReadOnlySpan<float> inputs, Span<int> labels)");
            w.Line(Disposed);
            w.Line(TooMany("labels"));
            w.Line($"if (inputs.Length != (long)labels.Length * {Packed}) throw new ArgumentException($\"expected {{labels.Length}} x {{{Packed}}} input elements (packed samples), got {{inputs.Length}}\", nameof(inputs));");
            Guarded(model, w, "QuantGenForwardPacked(inputs, labels.Length);", "QuantGenLabels(labels);");
            w.Close();
            w.Line();
            NamedTensorApi.EmitPackedClassifierWrappers(w, () => batchSizeCheck(w, "batchSize"));
            w.Line();
            w.Open("int global::QuantGen.IQuantizedClassifier.TopK(ReadOnlySpan<float> input, Span<global::QuantGen.Prediction> destination)");
            w.Line(Disposed);
            w.Line($"if (input.Length != {Packed}) throw new ArgumentException($\"expected {{{Packed}}} input elements (all inputs, packed), got {{input.Length}}\", nameof(input));");
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(model, w, "QuantGenForwardPacked(input, 1);", $"return QuantGenTopK({y}, best);");
            w.Close();
        }
    }
}
