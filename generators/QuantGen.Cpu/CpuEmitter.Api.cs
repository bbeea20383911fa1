using System;
using System.Collections.Generic;
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
        /// <summary>The one output is a vector of class scores: shape [C] or [1, ..., 1, C] with C &gt; 1.</summary>
        internal bool IsClassifier => NamedTensorApi.IsClassifier(graph);

        /// <summary>The model's last layer is a Softmax: its dequantized outputs are the confidences.</summary>
        internal bool OutputsAreProbabilities => NamedTensorApi.OutputsAreProbabilities(graph);

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

        /// <summary>The descriptor of one tensor in <c>Info</c>: kind, shape, type, quantization and the integers it accepts (inputs) or can hold (outputs).</summary>
        private string Descriptor(TensorInfo t, bool isInput)
        {
            TensorQuant q = t.Quant!;
            IntRange r = isInput ? ranges.Tensors[t.Name] : new IntRange(t.Type.MinValue, t.Type.MaxValue);
            string kind = t.IsIndex ? "Index" : "Quantized";
            return $"new global::QuantGen.ModelTensorInfo({Quote(t.Name)}, global::QuantGen.ModelTensorKind.{kind}, new[] {{ {string.Join(", ", t.Shape.DefaultIfEmpty(1))} }}, \"{t.Type}\", {D(q.Scale)}, {I(q.ZeroPoint)}, {I(r.Min)}, {I(r.Max)})";
        }

        // The float boundary's names, one scheme for both APIs: the single-tensor API keeps its historical names
        // (input, QuantizeInput, CheckInput, _boundaryIn), a model with several tensors takes the plan's parameter names.
        private string ApiParam(TensorInfo t, bool isInput) => SingleApi ? (isInput ? "input" : "output") : Param(t);

        private string LengthOf(TensorInfo t, bool isInput) => SingleApi ? (isInput ? "InputLength" : "OutputLength") : Constant(t) + "Length";

        private string QuantizeOf(TensorInfo t) => SingleApi ? "QuantizeInput" : "Quantize" + Constant(t);

        private string DequantizeOf(TensorInfo t) => SingleApi ? "DequantizeOutput" : "Dequantize" + Constant(t);

        private string CheckOf(TensorInfo t) => SingleApi ? "CheckInput" : "Check" + Constant(t);

        /// <summary>The field holding a tensor's integers on the float path (ids of an index input only for the packed interface path).</summary>
        private string BoundaryField(TensorInfo t, bool isInput) => SingleApi ? (isInput ? "_boundaryIn" : "_boundaryOut") : "_boundary_" + Param(t).TrimStart('@');

        /// <summary>One sample of a tensor's integers on the float path, as an argument of a ReadOnlySpan parameter.</summary>
        private string BoundaryView(TensorInfo t, bool isInput) => SingleApi && BoundaryChunk > 1 ? $"{BoundaryField(t, isInput)}.AsSpan(0, {LengthOf(t, isInput)})" : BoundaryField(t, isInput);

        /// <summary>The float parameters of one sample (or of several rows): float spans for quantized inputs, int spans for ids.</summary>
        private string FloatInputParameters() => string.Join(", ", graph.Inputs.Select(t => $"ReadOnlySpan<{(t.IsIndex ? "int" : "float")}> {ApiParam(t, true)}"));

        private string InputArguments() => string.Join(", ", graph.Inputs.Select(t => ApiParam(t, true)));

        private void EmitQuantize(SourceWriter w, TensorInfo t, string realName)
        {
            TensorQuant q = t.Quant!;
            string tin = CType(t.Type);
            string what = SingleApi ? "inputs" : $"values of input \"{Esc(t.Name)}\"";
            w.Line($"/// <summary>Quantizes real {what}: saturate(round(x / {D(q.Scale)}) + {I(q.ZeroPoint)}), rounding half toward +infinity (the reference rule).</summary>");
            w.Open($"public static void {QuantizeOf(t)}(ReadOnlySpan<float> {realName}, Span<{tin}> quantized)");
            w.Line($"if (quantized.Length < {realName}.Length) throw new ArgumentException(\"the destination is shorter than the input\", nameof(quantized));");
            w.Open($"for (int i = 0; i < {realName}.Length; i++)");
            w.Line($"double v = {realName}[i] / {D(q.Scale)};");
            w.Line($"if (double.IsNaN(v)) throw new ArgumentException($\"{realName}[{{i}}] is NaN\", nameof({realName}));");
            w.Line("double f = Math.Floor(v);");
            w.Line("long r = v >= 4611686018427387904.0 ? 4611686018427387904L : v <= -4611686018427387904.0 ? -4611686018427387904L : (long)f + (v - f >= 0.5 ? 1 : 0);");
            w.Line($"r += {I(q.ZeroPoint)};");
            w.Line($"quantized[i] = ({tin})(r < {I(t.Type.MinValue)} ? {I(t.Type.MinValue)} : r > {I(t.Type.MaxValue)} ? {I(t.Type.MaxValue)} : r);");
            w.Close();
            w.Close();
        }

        private void EmitDequantize(SourceWriter w, TensorInfo t, string quantizedName)
        {
            TensorQuant q = t.Quant!;
            string what = SingleApi ? "outputs" : $"output \"{Esc(t.Name)}\"";
            w.Line($"/// <summary>Dequantizes {what}: {D(q.Scale)} * (q - {I(q.ZeroPoint)}).</summary>");
            w.Open($"public static void {DequantizeOf(t)}(ReadOnlySpan<{CType(t.Type)}> {quantizedName}, Span<float> real)");
            w.Line($"if (real.Length < {quantizedName}.Length) throw new ArgumentException(\"the destination is shorter than the output\", nameof(real));");
            w.Open($"for (int i = 0; i < {quantizedName}.Length; i++)");
            w.Line($"real[i] = (float)({D(q.Scale)} * ({quantizedName}[i] - {I(q.ZeroPoint)}));");
            w.Close();
            w.Close();
        }

        /// <summary>
        /// The one float path every float entry point (Run, Predict, TopK, the interfaces) calls inside its guard: quantize each
        /// activation input into its boundary buffer, check it (ids are checked as given), run the integer model into the
        /// output boundary buffers. A single-tensor model whose Dense chain batches takes a sample count.
        /// </summary>
        private void EmitForward(SourceWriter w)
        {
            bool rows = SingleApi && BoundaryChunk > 1;
            string count = rows ? "count * " : string.Empty;
            w.Line(rows
                ? $"/// <summary>The float path of every float entry point: quantize, check and run <paramref name=\"count\"/> samples (at most {BoundaryChunk}) into _boundaryOut.</summary>"
                : "/// <summary>The float path of every float entry point: quantize and check the inputs, run the integer model into the output boundary buffers.</summary>");
            w.Open($"private void QuantGenForward({FloatInputParameters()}{(rows ? ", int count" : string.Empty)})");
            var args = new List<string>();
            foreach (TensorInfo t in graph.Inputs)
            {
                string p = ApiParam(t, true);
                if (t.IsIndex)
                {
                    w.Line($"{CheckOf(t)}({p});");
                    args.Add(p);
                    continue;
                }

                string q = SingleApi ? "q" : BoundaryField(t, true);
                if (SingleApi)
                {
                    w.Line($"Span<{CType(t.Type)}> q = {BoundaryField(t, true)}.AsSpan(0, {count}{LengthOf(t, true)});");
                }

                w.Line($"{QuantizeOf(t)}({p}, {q});");
                w.Line($"{CheckOf(t)}({q});");
                args.Add(q);
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                args.Add(SingleApi ? $"{BoundaryField(t, false)}.AsSpan(0, {count}{LengthOf(t, false)})" : BoundaryField(t, false));
            }

            string call = string.Join(", ", args);
            w.Line(rows ? $"if (count == 1) InferCore({call}); else InferBatchCore({call}, count);" : $"InferCore({call});");
            w.Close();
        }

        /// <summary>Length checks of the API's spans; <paramref name="rows"/>: null for one sample, else the row count expression.</summary>
        private void EmitSpanChecks(SourceWriter w, string? rows, bool outputs)
        {
            foreach (TensorInfo t in graph.Inputs)
            {
                EmitSpanCheck(w, t, true, rows);
            }

            foreach (TensorInfo t in outputs ? graph.Outputs : Array.Empty<TensorInfo>())
            {
                EmitSpanCheck(w, t, false, rows);
            }
        }

        private void EmitSpanCheck(SourceWriter w, TensorInfo t, bool isInput, string? rows)
        {
            string p = ApiParam(t, isInput), c = LengthOf(t, isInput);
            string what = SingleApi ? (isInput ? "input elements" : "output elements") : $"elements of {(isInput ? "input" : "output")} {Esc(t.Name)}";
            string room = isInput ? string.Empty : "room for ";
            w.Line(rows == null
                ? $"if ({p}.Length != {c}) throw new ArgumentException($\"expected {room}{{{c}}} {what}, got {{{p}.Length}}\", nameof({p}));"
                : $"if ({p}.Length != (long){rows} * {c}) throw new ArgumentException($\"expected {room}{{{rows}}} x {{{c}}} {what}, got {{{p}.Length}}\", nameof({p}));");
        }

        private string BoundaryMembers()
        {
            if (!SingleApi)
            {
                return MultiBoundaryMembers();
            }

            TensorInfo input = graph.Input, output = graph.Output;
            string tin = CType(input.Type), tout = CType(output.Type);
            int chunk = BoundaryChunk;
            var w = new SourceWriter();
            EmitInfo(w, Descriptor(input, true), Descriptor(output, false));
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
            EmitQuantize(w, input, "input");
            w.Line();
            EmitDequantize(w, output, "output");
            w.Line();
            EmitForward(w);
            w.Line();
            string threads = Threads;
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
            EmitSpanChecks(w, null, true);
            Guarded(w, () =>
            {
                w.Line(chunk == 1 ? "QuantGenForward(input);" : "QuantGenForward(input, 1);");
                w.Line($"DequantizeOutput({BoundaryView(output, false)}, output);");
            });
            w.Close();
            EmitTensorRun(w);
            if (IsClassifier)
            {
                EmitClassifier(w, tout, output.Quant!, threads, "ReadOnlySpan<float> input", chunk == 1 ? "input" : "input, 1", () => EmitSpanChecks(w, null, false), () => EmitSingleBatchedPredict(w, threads));
            }

            return w.ToString();
        }

        private string Threads => model.ConcurrencyCheck ? " Not thread-safe (instance scratch); an overlapping call on the same instance throws InvalidOperationException." : " Not thread-safe (instance scratch).";

        private void EmitSingleBatchedPredict(SourceWriter w, string threads)
        {
            string how = BoundaryChunk == 1 ? "one sample at a time" : $"up to {BoundaryChunk} samples per call of the batched integer path";
            w.Line($"/// <summary>Classifies labels.Length real inputs laid out one after the other ({how}); same answers as the single-input Predict. Allocates nothing.{threads}</summary>");
            w.Open("public void Predict(ReadOnlySpan<float> inputs, Span<int> labels)");
            w.Line("if (inputs.Length != (long)labels.Length * InputLength) throw new ArgumentException($\"expected {labels.Length} x {InputLength} input elements, got {inputs.Length}\", nameof(inputs));");
            Guarded(w, () =>
            {
                w.Open($"for (int b = 0; b < labels.Length; b += {BoundaryChunk})");
                if (BoundaryChunk == 1)
                {
                    w.Line("QuantGenForward(inputs.Slice(b * InputLength, InputLength));");
                    w.Line("labels[b] = QuantGenArgMax(_boundaryOut);");
                }
                else
                {
                    w.Line($"int count = labels.Length - b < {BoundaryChunk} ? labels.Length - b : {BoundaryChunk};");
                    w.Line("QuantGenForward(inputs.Slice(b * InputLength, count * InputLength), count);");
                    w.Open("for (int i = 0; i < count; i++)");
                    w.Line("labels[b + i] = QuantGenArgMax(_boundaryOut.AsSpan(i * OutputLength, OutputLength));");
                    w.Close();
                }

                w.Close();
            });
            w.Close();
        }

        /// <summary>
        /// The classifier members of either API: constants, the interface's two properties, Predict (one sample, batched via
        /// <paramref name="batchedPredict"/>), TopK, the arg-max and top-k helpers. <paramref name="sampleParams"/> are the float
        /// parameters of one sample, <paramref name="forwardArgs"/> the arguments that hand them to QuantGenForward.
        /// </summary>
        private void EmitClassifier(SourceWriter w, string tout, TensorQuant outQ, string threads, string sampleParams, string forwardArgs, Action checkSample, Action batchedPredict)
        {
            TensorInfo output = graph.Output;
            string y = BoundaryView(output, false);
            int classes = output.ElementCount;
            bool probabilities = OutputsAreProbabilities;
            string confidence = probabilities
                ? "the model's own probabilities (its last layer is a Softmax): the dequantized outputs"
                : "the softmax of the dequantized logits (computed in double at the float boundary)";
            bool labels = graph.Spec.Labels.Count == classes;
            string sampleArgs = string.Join(", ", graph.Inputs.Select(t => ApiParam(t, true)));
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
            w.Line($"/// <summary>Classifies one real {(SingleApi ? "input" : "sample")}: quantize, integer inference, index of the largest output (ties: lowest index). Allocates nothing.{threads}</summary>");
            w.Open($"public int Predict({sampleParams})");
            checkSample();
            Guarded(w, () =>
            {
                w.Line($"QuantGenForward({forwardArgs});");
                w.Line($"return QuantGenArgMax({y});");
            });
            w.Close();
            w.Line();
            batchedPredict();
            w.Line();
            w.Line($"/// <summary>Classifies batchSize real {(SingleApi ? "inputs laid out one after the other" : "samples, each input's rows one after the other")}; returns a new array of class indices.</summary>");
            w.Open($"public int[] Predict({(SingleApi ? "ReadOnlySpan<float> inputs" : sampleParams)}, int batchSize)");
            w.Line("if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"the batch size must not be negative\");");
            w.Line("var labels = new int[batchSize];");
            w.Line($"Predict({(SingleApi ? "inputs" : sampleArgs)}, labels);");
            w.Line("return labels;");
            w.Close();
            w.Line();
            w.Line($"/// <summary>The k most likely classes, best first (ties: lowest index), with labels{(labels ? " from the model file" : " (null: the model file has none)")} and confidences:");
            w.Line($"/// {confidence}. k above ClassCount gives all classes.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"k\"/> is below 1.</exception>");
            w.Open($"public global::QuantGen.Prediction[] TopK({sampleParams}, int k)");
            w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k must be at least 1\");");
            w.Line("var best = new global::QuantGen.Prediction[k < ClassCount ? k : ClassCount];");
            w.Line($"TopK({sampleArgs}, best);");
            w.Line("return best;");
            w.Close();
            w.Line();
            w.Line($"/// <summary>Fills <paramref name=\"destination\"/> with the min(destination.Length, ClassCount) most likely classes, best first; returns how many. Confidences: {confidence}. Allocates nothing.</summary>");
            w.Open($"public int TopK({sampleParams}, Span<global::QuantGen.Prediction> destination)");
            checkSample();
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(w, () =>
            {
                w.Line($"QuantGenForward({forwardArgs});");
                w.Line($"return QuantGenTopK({y}, best);");
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
