using QuantGen.Cpu;
using QuantGen.Graph;

namespace QuantGen.Gpu
{
    /// <summary>The GPU session's float boundary: <c>IQuantizedModel</c> with <c>Run</c> on the device, and for a classifier the class's Predict/TopK and <c>IQuantizedClassifier</c> (a file apart from the integer kernels).</summary>
    internal sealed partial class GpuEmitter
    {
        internal static SourceFile Boundary(CSharpTarget model, ModelGraph graph, string weightsHash)
        {
            string tin = CType(graph.Input.Type), tout = CType(graph.Output.Type);
            bool classifier = NamedTensorApi.IsClassifier(graph);
            var w = new SourceWriter();
            w.Open($"public sealed partial class GpuSession : global::QuantGen.{(classifier ? "IQuantizedClassifier" : "IQuantizedModel")}");
            w.Line($"private readonly {tin}[] _hostIn = new {tin}[InputLength];");
            w.Line($"private readonly {tout}[] _hostOut = new {tout}[OutputLength];");
            w.Line();
            w.Line($"global::QuantGen.ModelInfo global::QuantGen.IQuantizedModel.Info => {model.Name}.Info;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.InputLength => InputLength;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedModel.OutputLength => OutputLength;");
            w.Line();
            w.Line("/// <summary>Float in, float out on the device: the class's QuantizeInput, one inference, DequantizeOutput; a new array of OutputLength floats.</summary>");
            w.Open("public float[] Run(ReadOnlySpan<float> input)");
            w.Line("var output = new float[OutputLength];");
            w.Line("Run(input, output);");
            w.Line("return output;");
            w.Close();
            w.Line();
            w.Line("/// <summary>Float in, float out on the device into <paramref name=\"output\"/> (OutputLength floats); the same numbers as the CPU class's Run.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Open("public void Run(ReadOnlySpan<float> input, Span<float> output)");
            w.Line("if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");");
            w.Line("if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));");
            w.Line("if (output.Length != OutputLength) throw new ArgumentException($\"expected room for {OutputLength} output elements, got {output.Length}\", nameof(output));");
            Guarded(model, w, "QuantizeInput(input, _hostIn);", "CheckInput(_hostIn);", "InferCore(_hostIn, _hostOut, 1);", "DequantizeOutput(_hostOut, output);");
            w.Close();
            if (classifier)
            {
                EmitSingleClassifier(model, w, tin, tout);
            }

            w.Close();
            return new SourceFile(model.HintBase + ".QuantGen.Gpu.Boundary.g.cs", SourceWriter.ClassFile(model, $"the GPU session's float boundary for model \"{graph.Name}\"", weightsHash, new[] { "System" }, w.ToString()));
        }
        /// <summary>
        /// The class's classifier members for a one-input model (ClassCount, Predict one / batched, TopK, IQuantizedClassifier),
        /// with the class's arg-max and top-k helpers: a batch is quantized and checked on the host, then runs once on the device.
        /// </summary>
        private static void EmitSingleClassifier(CSharpTarget model, SourceWriter w, string tin, string tout)
        {
            const string Disposed = "if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");";
            const string Length = "if (input.Length != InputLength) throw new ArgumentException($\"expected {InputLength} input elements, got {input.Length}\", nameof(input));";
            const string One = "QuantizeInput(input, _hostIn);";
            w.Line();
            w.Line("/// <summary>Classes in the output (the class's ClassCount).</summary>");
            w.Line($"public const int ClassCount = {model.Name}.ClassCount;");
            w.Line();
            w.Line("/// <summary>Whether TopK's confidences are the dequantized outputs (the last layer is a Softmax) or the softmax of the dequantized logits; the class's constant.</summary>");
            w.Line($"public const bool OutputsAreProbabilities = {model.Name}.OutputsAreProbabilities;");
            w.Line();
            w.Line("int global::QuantGen.IQuantizedClassifier.ClassCount => ClassCount;");
            w.Line();
            w.Line("bool global::QuantGen.IQuantizedClassifier.OutputsAreProbabilities => OutputsAreProbabilities;");
            w.Line();
            w.Line("// Host rows of the batched Predict, grown on demand (doubling, at most MaxBatchSize rows).");
            w.Line($"private {tin}[] _hostRowsIn = Array.Empty<{tin}>();");
            w.Line($"private {tout}[] _hostRowsOut = Array.Empty<{tout}>();");
            w.Line();
            w.Line("/// <summary>Classifies one real input on the device: the class's Predict (index of the largest output, ties: lowest index).</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Open("public int Predict(ReadOnlySpan<float> input)");
            w.Line(Disposed);
            w.Line(Length);
            Guarded(model, w, One, "CheckInput(_hostIn);", "InferCore(_hostIn, _hostOut, 1);", "return QuantGenArgMax(_hostOut);");
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies labels.Length real inputs laid out one after the other, as one batch on the device; same answers as the one-input Predict. Allocates only when the batch is larger than any before.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax] (then no label is written).</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">More than MaxBatchSize labels.</exception>");
            w.Open("public void Predict(ReadOnlySpan<float> inputs, Span<int> labels)");
            w.Line(Disposed);
            w.Line("if (inputs.Length != (long)labels.Length * InputLength) throw new ArgumentException($\"expected {labels.Length} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            w.Line("if (labels.Length > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(labels), labels.Length, $\"at most {MaxBatchSize} samples per call\");");
            w.Line("int rows = labels.Length;");
            Guarded(model, w,
                "if (_hostRowsIn.Length < rows * InputLength) { int grown = (int)Math.Max(rows, Math.Min(2L * (_hostRowsIn.Length / InputLength), MaxBatchSize)); _hostRowsIn = new " + tin + "[grown * InputLength]; _hostRowsOut = new " + tout + "[grown * OutputLength]; }",
                "QuantizeInput(inputs, _hostRowsIn);",
                "CheckInput(_hostRowsIn.AsSpan(0, rows * InputLength));",
                "if (rows > 0) InferCore(_hostRowsIn.AsSpan(0, rows * InputLength), _hostRowsOut.AsSpan(0, rows * OutputLength), rows);",
                "for (int b = 0; b < rows; b++) labels[b] = QuantGenArgMax(_hostRowsOut.AsSpan(b * OutputLength, OutputLength));");
            w.Close();
            w.Line();
            w.Line("/// <summary>Classifies batchSize real inputs laid out one after the other into a new array of labels.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"batchSize\"/> is negative or above MaxBatchSize.</exception>");
            w.Open("public int[] Predict(ReadOnlySpan<float> inputs, int batchSize)");
            w.Line("if (batchSize < 0 || batchSize > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $\"the batch size must be in [0, {MaxBatchSize}]\");");
            w.Line("var labels = new int[batchSize];");
            w.Line("Predict(inputs, labels);");
            w.Line("return labels;");
            w.Close();
            w.Line();
            w.Line("/// <summary>The k most likely classes, best first, with the class's labels and confidences (the class's TopK); k above ClassCount gives all classes.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"k\"/> is below 1.</exception>");
            w.Open("public global::QuantGen.Prediction[] TopK(ReadOnlySpan<float> input, int k)");
            w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k must be at least 1\");");
            w.Line("var best = new global::QuantGen.Prediction[k < ClassCount ? k : ClassCount];");
            w.Line("TopK(input, best);");
            w.Line("return best;");
            w.Close();
            w.Line();
            w.Line("/// <summary>The most likely classes into <paramref name=\"destination\"/> (min(destination.Length, ClassCount) of them, best first); returns how many were written. Allocates nothing.</summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside [InputMin, InputMax].</exception>");
            w.Open("public int TopK(ReadOnlySpan<float> input, Span<global::QuantGen.Prediction> destination)");
            w.Line(Disposed);
            w.Line(Length);
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(model, w, One, "CheckInput(_hostIn);", "InferCore(_hostIn, _hostOut, 1);", "return QuantGenTopK(_hostOut, best);");
            w.Close();
        }
    }
}
