using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The generated API of a model with several inputs or outputs, or an index (token id) input: one span parameter per
    /// input, then one per output, in spec order, named by the plan (<c>Infer(ReadOnlySpan&lt;int&gt; inputIds,
    /// ReadOnlySpan&lt;sbyte&gt; attentionMask, Span&lt;sbyte&gt; logits)</c>), and the float <c>Run</c> (an index input stays
    /// ints). Models with one quantized input and one output keep the single-tensor API of <see cref="InferenceMembers"/>.
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        /// <summary>One quantized input and one output: the single-tensor API (InputLength, Infer(input, output), Predict...).</summary>
        private bool SingleApi => graph.IsSingleInputOutput && !graph.Input.IsIndex;

        private string Param(TensorInfo t) => plan.Model.Names.CSharpParameter(t.Name);

        /// <summary>PascalCase of the parameter, the prefix of its constants (<c>InputIdsLength</c>).</summary>
        private string Constant(TensorInfo t) => NamedTensorApi.Constant(Param(t));

        private string SpanParameters(bool floats) =>
            string.Join(", ", graph.Inputs.Select(t => $"ReadOnlySpan<{(floats && !t.IsIndex ? "float" : CType(t.Type))}> {Param(t)}")
                .Concat(graph.Outputs.Select(t => $"Span<{(floats ? "float" : CType(t.Type))}> {Param(t)}")));

        private void EmitLengthChecks(SourceWriter w, string? rows = null) => EmitSpanChecks(w, rows, true);

        private string MultiInferenceMembers(SourceWriter layers)
        {
            var w = new SourceWriter();
            NamedTensorApi.EmitTensorConstants(w, graph, ranges.Tensors, Param, string.Empty);
            w.Line();
            w.Line("/// <summary>The SIMD path the int8 kernels take on this machine (avx512, avx2, vector128, scalar).</summary>");
            w.Line("public static string SimdPath => QuantGenKernels.SimdPath;");
            w.Line();
            EmitArenaField(w);
            foreach (string f in fields)
            {
                w.Line(f);
            }

            EmitScratchFields(w);
            w.Line();
            w.Line("/// <summary>");
            w.Line($"/// Runs the integer model on one sample: inputs {string.Join(", ", graph.Inputs.Select(t => "\"" + Esc(t.Name) + "\" " + Shape(t.Shape)))}, outputs");
            w.Line($"/// {string.Join(", ", graph.Outputs.Select(t => "\"" + Esc(t.Name) + "\" " + Shape(t.Shape)))} (row-major, spec order). Allocates nothing; one instance per thread.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ArgumentException\">Wrong lengths, or an activation input value outside its declared range.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">An index input holds an id outside [0, Max]; the message names the input and the position.</exception>");
            w.Open($"public void Infer({SpanParameters(false)})");
            EmitLengthChecks(w);
            foreach (TensorInfo t in graph.Inputs)
            {
                w.Line($"Check{Constant(t)}({Param(t)});");
            }

            Guarded(w, () => w.Line($"InferCore({string.Join(", ", graph.Inputs.Concat(graph.Outputs).Select(Param))});"));
            w.Close();
            w.Line();
            w.Line("/// <summary>Runs <paramref name=\"batchSize\"/> samples: each span holds batchSize rows of its tensor, one after the other. Same contract as the one-sample overload; allocates nothing.</summary>");
            w.Open($"public void Infer({SpanParameters(false)}, int batchSize)");
            w.Line("if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"the batch size must not be negative\");");
            EmitLengthChecks(w, "batchSize");
            foreach (TensorInfo t in graph.Inputs)
            {
                w.Line($"Check{Constant(t)}({Param(t)});");
            }

            Guarded(w, () =>
            {
                w.Open("for (int b = 0; b < batchSize; b++)");
                w.Line($"InferCore({string.Join(", ", graph.Inputs.Concat(graph.Outputs).Select(t => $"{Param(t)}.Slice(b * {Constant(t)}Length, {Constant(t)}Length)"))});");
                w.Close();
            });
            w.Close();
            w.Line();
            w.Open($"private void InferCore({SpanParameters(false)})");
            foreach (GraphNode node in plan.CallOrder(graph.Nodes))
            {
                IEnumerable<string> args = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).Select(t => t.Kind == TensorKind.Input ? Param(t) : Buffer(t))
                    .Concat(node.Outputs.Select(Buffer));
                w.Line($"Layer_{LayerId(node)}({string.Join(", ", args)});");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                w.Line($"{Buffer(t)}.CopyTo({Param(t)});");
            }

            w.Close();
            w.Line();
            EmitGuardMembers(w);
            foreach (TensorInfo t in graph.Inputs)
            {
                EmitInputCheck(w, t);
            }

            EmitLayersAndWeights(w, layers);
            return w.ToString();
        }

        private void EmitInputCheck(SourceWriter w, TensorInfo t) => NamedTensorApi.EmitInputCheck(w, t, ranges.Tensors[t.Name], Param(t));

        private static string Esc(string name) => NamedTensorApi.Esc(name);

        private string MultiBoundaryMembers()
        {
            var w = new SourceWriter();
            string threads = Threads;
            EmitInfo(w, string.Join(", ", graph.Inputs.Select(t => Descriptor(t, true))), string.Join(", ", graph.Outputs.Select(t => Descriptor(t, false))));
            w.Line();
            w.Line("// The float path's quantized inputs and integer outputs (one sample); the ids of the packed interface path.");
            foreach (TensorInfo t in graph.Inputs.Concat(graph.Outputs))
            {
                w.Line($"private readonly {CType(t.Type)}[] {BoundaryField(t, graph.Inputs.Contains(t))} = new {CType(t.Type)}[{Constant(t)}Length];");
            }

            foreach (TensorInfo t in graph.Inputs.Where(t => !t.IsIndex))
            {
                w.Line();
                EmitQuantize(w, t, "real");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                w.Line();
                EmitDequantize(w, t, "quantized");
            }

            w.Line();
            EmitForward(w);
            string outs = string.Join(", ", graph.Outputs.Select(t => $"Span<float> {Param(t)}"));
            w.Line();
            w.Line($"/// <summary>Float in (index inputs stay ids), float out: quantize each activation input, integer inference, dequantize each output. Allocates nothing.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">An index input holds an id outside [0, Max].</exception>");
            w.Open($"public void Run({FloatInputParameters()}, {outs})");
            EmitLengthChecks(w);
            Guarded(w, () =>
            {
                w.Line($"QuantGenForward({InputArguments()});");
                foreach (TensorInfo t in graph.Outputs)
                {
                    w.Line($"{DequantizeOf(t)}({BoundaryField(t, false)}, {Param(t)});");
                }
            });
            w.Close();
            w.Line();
            w.Line($"/// <summary>Float Run over <paramref name=\"batchSize\"/> samples: each span holds batchSize rows of its tensor, one after the other; same values as batchSize one-sample calls. Allocates nothing.{threads}</summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range (the rows before the bad one are written).</exception>");
            w.Open($"public void Run({FloatInputParameters()}, {outs}, int batchSize)");
            w.Line("if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"the batch size must not be negative\");");
            EmitLengthChecks(w, "batchSize");
            Guarded(w, () =>
            {
                w.Open("for (int b = 0; b < batchSize; b++)");
                w.Line($"QuantGenForward({RowArguments(graph.Inputs)});");
                foreach (TensorInfo t in graph.Outputs)
                {
                    w.Line($"{DequantizeOf(t)}({BoundaryField(t, false)}, {RowArguments(new[] { t })});");
                }

                w.Close();
            });
            w.Close();
            EmitTensorRun(w);
            if (IsClassifier)
            {
                TensorInfo output = graph.Output;
                EmitClassifier(w, CType(output.Type), output.Quant!, threads, FloatInputParameters(), InputArguments(), () => EmitSpanChecks(w, null, false), () =>
                {
                    w.Line($"/// <summary>Classifies labels.Length samples: each span holds labels.Length rows of its input, one after the other; same answers as the one-sample Predict. Allocates nothing.{threads}</summary>");
                    w.Open($"public void Predict({FloatInputParameters()}, Span<int> labels)");
                    EmitSpanChecks(w, "labels.Length", false);
                    Guarded(w, () =>
                    {
                        w.Open("for (int b = 0; b < labels.Length; b++)");
                        w.Line($"QuantGenForward({RowArguments(graph.Inputs)});");
                        w.Line($"labels[b] = QuantGenArgMax({BoundaryField(output, false)});");
                        w.Close();
                    });
                    w.Close();
                });
            }

            EmitPackedInterface(w);
            return w.ToString();
        }

        /// <summary>Row b of each tensor's span: <c>x.Slice(b * XLength, XLength)</c>.</summary>
        private string RowArguments(IEnumerable<TensorInfo> tensors) => string.Join(", ", tensors.Select(t => $"{Param(t)}.Slice(b * {Constant(t)}Length, {Constant(t)}Length)"));

        /// <summary>
        /// IQuantizedModel (and IQuantizedClassifier) over one packed sample, for code that knows only the interface: the
        /// inputs in spec order, each row-major, one after the other (ids as whole floats), likewise the outputs.
        /// </summary>
        private void EmitPackedInterface(SourceWriter w)
        {
            int inLength = graph.Inputs.Sum(t => t.ElementCount), outLength = graph.Outputs.Sum(t => t.ElementCount);
            string Offsets(IReadOnlyList<TensorInfo> tensors, int i) => I(tensors.Take(i).Sum(t => (long)t.ElementCount));
            w.Line();
            w.Line("// IQuantizedModel over a packed sample: the inputs in spec order, each row-major, one after the other (ids as whole floats); the outputs likewise.");
            w.Line($"private const int QuantGenPackedInputLength = {inLength}, QuantGenPackedOutputLength = {outLength};");
            w.Line();
            w.Line("global::QuantGen.ModelInfo global::QuantGen.IQuantizedModel.Info => Info;");
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
            w.Line("if (input.Length != QuantGenPackedInputLength) throw new ArgumentException($\"expected {QuantGenPackedInputLength} input elements (all inputs, packed), got {input.Length}\", nameof(input));");
            w.Line("if (output.Length != QuantGenPackedOutputLength) throw new ArgumentException($\"expected room for {QuantGenPackedOutputLength} output elements (all outputs, packed), got {output.Length}\", nameof(output));");
            Guarded(w, () =>
            {
                w.Line("QuantGenForwardPacked(input);");
                for (int i = 0; i < graph.Outputs.Count; i++)
                {
                    TensorInfo t = graph.Outputs[i];
                    w.Line($"{DequantizeOf(t)}({BoundaryField(t, false)}, output.Slice({Offsets(graph.Outputs, i)}, {Constant(t)}Length));");
                }
            });
            w.Close();
            w.Line();
            w.Open("private void QuantGenForwardPacked(ReadOnlySpan<float> input)");
            var args = new List<string>();
            for (int i = 0; i < graph.Inputs.Count; i++)
            {
                TensorInfo t = graph.Inputs[i];
                string slice = $"input.Slice({Offsets(graph.Inputs, i)}, {Constant(t)}Length)";
                if (t.IsIndex)
                {
                    w.Line($"QuantGenIds({slice}, {BoundaryField(t, true)}, {Quote(t.Name)});");
                    args.Add(BoundaryField(t, true));
                }
                else
                {
                    args.Add(slice);
                }
            }

            w.Line($"QuantGenForward({string.Join(", ", args)});");
            w.Close();
            if (graph.Inputs.Any(t => t.IsIndex))
            {
                w.Line();
                w.Line("/// <summary>Ids given as floats on the packed path: whole numbers only (the id check follows in QuantGenForward).</summary>");
                w.Open("private static void QuantGenIds(ReadOnlySpan<float> real, Span<int> ids, string name)");
                w.Open("for (int i = 0; i < real.Length; i++)");
                w.Line("float v = real[i];");
                w.Line("if (!(v >= -2147483648f && v < 2147483648f) || v != MathF.Floor(v)) throw new ArgumentException($\"{name}[{i}] = {v} is not a whole id\", \"input\");");
                w.Line("ids[i] = (int)v;");
                w.Close();
                w.Close();
            }

            if (!IsClassifier)
            {
                return;
            }

            TensorInfo output = graph.Output;
            w.Line();
            w.Open("int global::QuantGen.IQuantizedClassifier.Predict(ReadOnlySpan<float> input)");
            w.Line("if (input.Length != QuantGenPackedInputLength) throw new ArgumentException($\"expected {QuantGenPackedInputLength} input elements (all inputs, packed), got {input.Length}\", nameof(input));");
            Guarded(w, () =>
            {
                w.Line("QuantGenForwardPacked(input);");
                w.Line($"return QuantGenArgMax({BoundaryField(output, false)});");
            });
            w.Close();
            w.Line();
            w.Open("void global::QuantGen.IQuantizedClassifier.Predict(ReadOnlySpan<float> inputs, Span<int> labels)");
            w.Line("if (inputs.Length != (long)labels.Length * QuantGenPackedInputLength) throw new ArgumentException($\"expected {labels.Length} x {QuantGenPackedInputLength} input elements (packed samples), got {inputs.Length}\", nameof(inputs));");
            Guarded(w, () =>
            {
                w.Open("for (int b = 0; b < labels.Length; b++)");
                w.Line("QuantGenForwardPacked(inputs.Slice(b * QuantGenPackedInputLength, QuantGenPackedInputLength));");
                w.Line($"labels[b] = QuantGenArgMax({BoundaryField(output, false)});");
                w.Close();
            });
            w.Close();
            w.Line();
            NamedTensorApi.EmitPackedClassifierWrappers(w, () => w.Line("if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, \"the batch size must not be negative\");"));
            w.Line();
            w.Open("int global::QuantGen.IQuantizedClassifier.TopK(ReadOnlySpan<float> input, Span<global::QuantGen.Prediction> destination)");
            w.Line("if (input.Length != QuantGenPackedInputLength) throw new ArgumentException($\"expected {QuantGenPackedInputLength} input elements (all inputs, packed), got {input.Length}\", nameof(input));");
            w.Line("Span<global::QuantGen.Prediction> best = destination.Length < ClassCount ? destination : destination.Slice(0, ClassCount);");
            Guarded(w, () =>
            {
                w.Line("QuantGenForwardPacked(input);");
                w.Line($"return QuantGenTopK({BoundaryField(output, false)}, best);");
            });
            w.Close();
        }
    }
}
