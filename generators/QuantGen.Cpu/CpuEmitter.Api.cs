using System;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The public API around the integer path: <c>Info</c>, the float boundary (quantize, dequantize, <c>Run</c>), the
    /// classifier members (single and batched <c>Predict</c>, <c>TopK</c>), the <c>IQuantizedModel</c> /
    /// <c>IQuantizedClassifier</c> implementation, and the concurrent-use guard every public entry point takes.
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        /// <summary>The output is one vector of class scores: shape [C] or [1, ..., 1, C] with C &gt; 1.</summary>
        internal bool IsClassifier
        {
            get
            {
                int[] shape = graph.Output.Shape;
                return shape.Length >= 1 && shape[shape.Length - 1] > 1 && shape.Take(shape.Length - 1).All(d => d == 1);
            }
        }

        /// <summary>The model's last layer is a Softmax: its dequantized outputs are the confidences.</summary>
        internal bool OutputsAreProbabilities => graph.Nodes.Any(n => n.Layer.Op == OpKind.Softmax && n.Outputs.Any(o => o.Name == graph.Output.Name));

        /// <summary>The interface the boundary file declares on the class.</summary>
        private string ApiInterface => IsClassifier ? "global::QuantGen.IQuantizedClassifier" : "global::QuantGen.IQuantizedModel";

        /// <summary>Samples the float batch paths quantize at once: a Dense chain's GEMM rows, else one.</summary>
        private int BoundaryChunk => plan.RowChain != null ? CpuPlan.BatchRows : 1;

        /// <summary>Wraps <paramref name="body"/> in the instance's busy flag (nothing when the class opted out).</summary>
        private void Guarded(SourceWriter w, Action body)
        {
            if (!model.ConcurrencyCheck)
            {
                body();
                return;
            }

            w.Line("QuantGenEnter();");
            w.Open("try");
            body();
            w.Close();
            w.Open("finally");
            w.Line("QuantGenExit();");
            w.Close();
        }

        private void EmitGuardMembers(SourceWriter w)
        {
            if (!model.ConcurrencyCheck)
            {
                w.Line("// [QuantizedModel(ConcurrencyCheck = false)]: no concurrent-use guard; one instance per thread is the caller's duty.");
                w.Line();
                return;
            }

            w.Line("/// <summary>1 while a public call runs on this instance: a second, overlapping call throws instead of sharing the scratch buffers.</summary>");
            w.Line("private int _quantGenBusy;");
            w.Line();
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Open("private void QuantGenEnter()");
            w.Open("if (global::System.Threading.Interlocked.CompareExchange(ref _quantGenBusy, 1, 0) != 0)");
            w.Line($"global::QuantGen.Generation.ConcurrentUse.Throw({Quote(model.Name)});");
            w.Close();
            w.Close();
            w.Line();
            w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
            w.Line("private void QuantGenExit() => global::System.Threading.Volatile.Write(ref _quantGenBusy, 0);");
            w.Line();
        }

        /// <summary>The static <c>Info</c> property: the tensors given as C# expressions, then every layer's kernel from the plan, then the labels.</summary>
        private void EmitInfo(SourceWriter w, string inputs, string outputs)
        {
            w.Line("/// <summary>Static description: tensors (names, shapes, types, scales), layers, MACs, weight bytes, the kernel of each layer, labels.</summary>");
            w.Line("public static global::QuantGen.ModelInfo Info { get; } = new global::QuantGen.ModelInfo(");
            w.Line($"    {Quote(graph.Name)}, {Quote(model.ModelPath)}, {Quote(weightsHash)},");
            w.Line($"    new[] {{ {inputs} }},");
            w.Line($"    new[] {{ {outputs} }},");
            w.Line("    new global::QuantGen.LayerInfo[]");
            w.Line("    {");
            foreach (CpuLayerPlan l in plan.Layers)
            {
                GraphNode n = l.Node;
                (long macs, long bytes) = Cost(n);
                int accBits = l.Layer.Ranges.Find("acc")?.Bits ?? 0;
                w.Line($"        new global::QuantGen.LayerInfo({Quote(n.Layer.Name)}, \"{n.Layer.Op}\", new[] {{ {string.Join(", ", n.Output.Shape.DefaultIfEmpty(1))} }}, \"{n.Output.Type}\", {I(macs)}, {I(bytes)}, {accBits}, \"{l.Kernel.Kernel}\"),");
            }

            w.Line("    },");
            w.Line($"    new string[] {{ {string.Join(", ", graph.Spec.Labels.Select(Quote))} }});");
        }

        private string BoundaryMembers()
        {
            TensorInfo input = graph.Input, output = graph.Output;
            TensorQuant inQ = input.Quant!, outQ = output.Quant!;
            string tin = CType(input.Type), tout = CType(output.Type);
            int chunk = BoundaryChunk;
            var w = new SourceWriter();
            EmitInfo(
                w,
                $"new global::QuantGen.ModelTensorInfo({Quote(input.Name)}, new[] {{ {string.Join(", ", input.Shape)} }}, \"{input.Type}\", {D(inQ.Scale)}, {I(inQ.ZeroPoint)})",
                $"new global::QuantGen.ModelTensorInfo({Quote(output.Name)}, new[] {{ {string.Join(", ", output.Shape.DefaultIfEmpty(1))} }}, \"{output.Type}\", {D(outQ.Scale)}, {I(outQ.ZeroPoint)})");
            w.Line();
            w.Line("global::QuantGen.ModelInfo global::QuantGen.IQuantizedModel.Info => Info;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.InputLength => InputLength;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.OutputLength => OutputLength;");
            w.Line();
            string rows = chunk == 1 ? string.Empty : $"{chunk} * ";
            w.Line(chunk == 1 ? "// The float API's quantized input and integer output." : $"// The float API's quantized inputs and integer outputs, {chunk} samples (the Dense chain's GEMM rows) for the batched Predict.");
            w.Line($"private readonly {tin}[] _boundaryIn = new {tin}[{rows}InputLength];");
            w.Line($"private readonly {tout}[] _boundaryOut = new {tout}[{rows}OutputLength];");
            w.Line();
            w.Line($"/// <summary>Quantizes real inputs: saturate(round(x / {D(inQ.Scale)}) + {I(inQ.ZeroPoint)}), rounding half toward +infinity (the reference rule).</summary>");
            w.Open($"public static void QuantizeInput(ReadOnlySpan<float> input, Span<{tin}> quantized)");
            w.Line("if (quantized.Length < input.Length) throw new ArgumentException(\"the destination is shorter than the input\", nameof(quantized));");
            w.Open("for (int i = 0; i < input.Length; i++)");
            w.Line($"double v = input[i] / {D(inQ.Scale)};");
            w.Line("if (double.IsNaN(v)) throw new ArgumentException($\"input[{i}] is NaN\", nameof(input));");
            w.Line("double f = Math.Floor(v);");
            w.Line("long r = v >= 4611686018427387904.0 ? 4611686018427387904L : v <= -4611686018427387904.0 ? -4611686018427387904L : (long)f + (v - f >= 0.5 ? 1 : 0);");
            w.Line($"r += {I(inQ.ZeroPoint)};");
            w.Line($"quantized[i] = ({tin})(r < {I(input.Type.MinValue)} ? {I(input.Type.MinValue)} : r > {I(input.Type.MaxValue)} ? {I(input.Type.MaxValue)} : r);");
            w.Close();
            w.Close();
            w.Line();
            w.Line($"/// <summary>Dequantizes outputs: {D(outQ.Scale)} * (q - {I(outQ.ZeroPoint)}).</summary>");
            w.Open($"public static void DequantizeOutput(ReadOnlySpan<{tout}> output, Span<float> real)");
            w.Line("if (real.Length < output.Length) throw new ArgumentException(\"the destination is shorter than the output\", nameof(real));");
            w.Open("for (int i = 0; i < output.Length; i++)");
            w.Line($"real[i] = (float)({D(outQ.Scale)} * (output[i] - {I(outQ.ZeroPoint)}));");
            w.Close();
            w.Close();
            w.Line();
            string threads = model.ConcurrencyCheck ? " Not thread-safe (instance scratch); an overlapping call on the same instance throws InvalidOperationException." : " Not thread-safe (instance scratch).";
            w.Line($"/// <summary>Float in, float out: <see cref=\"QuantizeInput\"/>, integer inference, <see cref=\"DequantizeOutput\"/>; returns a new array of OutputLength floats.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Open("public float[] Run(ReadOnlySpan<float> input)");
            w.Line("var output = new float[OutputLength];");
            w.Line("Run(input, output);");
            w.Line("return output;");
            w.Close();
            w.Line();
            w.Line($"/// <summary>Float in, float out into <paramref name=\"output\"/> (OutputLength floats). Allocates nothing.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Open("public void Run(ReadOnlySpan<float> input, Span<float> output)");
            w.Line("if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));");
            w.Line("if (output.Length != OutputLength) throw new ArgumentException($\"expected room for {OutputLength} output elements, got {output.Length}\", nameof(output));");
            Guarded(w, () =>
            {
                w.Line($"Span<{tin}> q = _boundaryIn.AsSpan(0, InputLength);");
                w.Line($"Span<{tout}> y = _boundaryOut.AsSpan(0, OutputLength);");
                w.Line("QuantizeInput(input, q);");
                w.Line("CheckInput(q);");
                w.Line("InferCore(q, y);");
                w.Line("DequantizeOutput(y, output);");
            });
            w.Close();
            if (IsClassifier)
            {
                EmitClassifier(w, tin, tout, outQ, threads);
            }

            return w.ToString();
        }

        private void EmitClassifier(SourceWriter w, string tin, string tout, TensorQuant outQ, string threads)
        {
            TensorInfo output = graph.Output;
            int classes = output.ElementCount;
            bool probabilities = OutputsAreProbabilities;
            string confidence = probabilities
                ? "the model's own probabilities (its last layer is a Softmax): the dequantized outputs"
                : "the softmax of the dequantized logits (computed in double at the float boundary)";
            bool labels = graph.Spec.Labels.Count == classes;
            w.Line();
            w.Line($"/// <summary>Classes in the output ({Shape(output.Shape)}).</summary>");
            w.Line($"public const int ClassCount = {classes};");
            w.Line();
            w.Line($"/// <summary>{(probabilities ? "True: the last layer is a Softmax, TopK's confidences are the dequantized outputs." : "False: TopK's confidences are the softmax of the dequantized logits.")}</summary>");
            w.Line($"public const bool OutputsAreProbabilities = {(probabilities ? "true" : "false")};");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedClassifier.ClassCount => ClassCount;");
            w.Line();
            w.Line("bool global::QuantGen.IQuantizedClassifier.OutputsAreProbabilities => OutputsAreProbabilities;");
            w.Line();
            w.Line($"/// <summary>Classifies one real input: quantize, integer inference, index of the largest output (ties: lowest index). Allocates nothing.{threads}</summary>");
            w.Open("public int Predict(ReadOnlySpan<float> input)");
            w.Line("if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));");
            Guarded(w, () =>
            {
                w.Line($"Span<{tin}> q = _boundaryIn.AsSpan(0, InputLength);");
                w.Line($"Span<{tout}> y = _boundaryOut.AsSpan(0, OutputLength);");
                w.Line("QuantizeInput(input, q);");
                w.Line("CheckInput(q);");
                w.Line("InferCore(q, y);");
                w.Line("return QuantGenArgMax(y);");
            });
            w.Close();
            w.Line();
            string how = BoundaryChunk == 1 ? "one sample at a time" : $"up to {BoundaryChunk} samples per call of the batched integer path";
            w.Line($"/// <summary>Classifies labels.Length real inputs laid out one after the other ({how}); same answers as the single-input Predict. Allocates nothing.{threads}</summary>");
            w.Open("public void Predict(ReadOnlySpan<float> inputs, Span<int> labels)");
            w.Line("if (inputs.Length != (long)labels.Length * InputLength) throw new ArgumentException($\"expected {labels.Length} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            Guarded(w, () =>
            {
                w.Open($"for (int b = 0; b < labels.Length; b += {BoundaryChunk})");
                w.Line($"int count = labels.Length - b < {BoundaryChunk} ? labels.Length - b : {BoundaryChunk};");
                w.Line($"Span<{tin}> q = _boundaryIn.AsSpan(0, count * InputLength);");
                w.Line($"Span<{tout}> y = _boundaryOut.AsSpan(0, count * OutputLength);");
                w.Line("QuantizeInput(inputs.Slice(b * InputLength, count * InputLength), q);");
                w.Line("CheckInput(q);");
                w.Line("InferBatchCore(q, y, count);");
                w.Open("for (int i = 0; i < count; i++)");
                w.Line("labels[b + i] = QuantGenArgMax(y.Slice(i * OutputLength, OutputLength));");
                w.Close();
                w.Close();
            });
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies batchSize real inputs laid out one after the other; returns a new array of class indices.</summary>");
            w.Open("public int[] Predict(ReadOnlySpan<float> inputs, int batchSize)");
            w.Line("if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"the batch size must not be negative\");");
            w.Line("var labels = new int[batchSize];");
            w.Line("Predict(inputs, labels);");
            w.Line("return labels;");
            w.Close();
            w.Line();
            w.Line($"/// <summary>The k most likely classes, best first (ties: lowest index), with labels{(labels ? " from the model file" : " (null: the model file has none)")} and confidences:");
            w.Line($"/// {confidence}. k above ClassCount gives all classes.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"k\"/> is below 1.</exception>");
            w.Open("public global::QuantGen.Prediction[] TopK(ReadOnlySpan<float> input, int k)");
            w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k must be at least 1\");");
            w.Line("var best = new global::QuantGen.Prediction[k < ClassCount ? k : ClassCount];");
            w.Line("TopK(input, best);");
            w.Line("return best;");
            w.Close();
            w.Line();
            w.Line($"/// <summary>Fills <paramref name=\"destination\"/> with the min(destination.Length, ClassCount) most likely classes, best first; returns how many. Confidences: {confidence}. Allocates nothing.</summary>");
            w.Open("public int TopK(ReadOnlySpan<float> input, Span<global::QuantGen.Prediction> destination)");
            w.Line("if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));");
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(w, () =>
            {
                w.Line($"Span<{tin}> q = _boundaryIn.AsSpan(0, InputLength);");
                w.Line($"Span<{tout}> y = _boundaryOut.AsSpan(0, OutputLength);");
                w.Line("QuantizeInput(input, q);");
                w.Line("CheckInput(q);");
                w.Line("InferCore(q, y);");
                w.Line("return QuantGenTopK(y, best);");
            });
            w.Close();
            w.Line();
            w.Open($"private static int QuantGenArgMax(ReadOnlySpan<{tout}> y)");
            w.Line("int best = 0;");
            w.Open("for (int i = 1; i < y.Length; i++)");
            w.Line("if (y[i] > y[best]) best = i;");
            w.Close();
            w.Line("return best;");
            w.Close();
            w.Line();
            w.Line("/// <summary>Insertion into the best list, compared on the integers (dequantization is increasing), then the confidences.</summary>");
            w.Open($"private static int QuantGenTopK(ReadOnlySpan<{tout}> y, Span<global::QuantGen.Prediction> best)");
            w.Open("if (best.Length == 0)");
            w.Line("return 0;");
            w.Close();
            w.Line("int count = 0;");
            w.Open("for (int i = 0; i < y.Length; i++)");
            w.Open("if (count == best.Length && y[i] <= y[best[count - 1].Index])");
            w.Line("continue;");
            w.Close();
            w.Line("int j = count < best.Length ? count++ : count - 1;");
            w.Open("while (j > 0 && y[i] > y[best[j - 1].Index])");
            w.Line("best[j] = best[j - 1];");
            w.Line("j--;");
            w.Close();
            w.Line("best[j] = new global::QuantGen.Prediction(i, null, 0f);");
            w.Close();
            string dq = $"{D(outQ.Scale)} * (y[{{0}}] - {I(outQ.ZeroPoint)})";
            if (!probabilities)
            {
                w.Line($"double max = {string.Format(System.Globalization.CultureInfo.InvariantCulture, dq, "best[0].Index")}, sum = 0;");
                w.Open("for (int i = 0; i < y.Length; i++)");
                w.Line($"sum += Math.Exp({string.Format(System.Globalization.CultureInfo.InvariantCulture, dq, "i")} - max);");
                w.Close();
            }

            w.Open("for (int j = 0; j < count; j++)");
            w.Line("int c = best[j].Index;");
            string value = probabilities ? string.Format(System.Globalization.CultureInfo.InvariantCulture, dq, "c") : $"Math.Exp({string.Format(System.Globalization.CultureInfo.InvariantCulture, dq, "c")} - max) / sum";
            w.Line($"best[j] = new global::QuantGen.Prediction(c, {(labels ? "Info.Labels[c]" : "null")}, (float)({value}));");
            w.Close();
            w.Line("return count;");
            w.Close();
        }
    }
}
