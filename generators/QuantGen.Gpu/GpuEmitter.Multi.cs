using System.Collections.Generic;
using System.Linq;
using QuantGen.Cpu;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Gpu
{
    /// <summary>
    /// The GPU session of a model with several inputs or outputs, or an index (token id) input: the C# class's named API on
    /// the device. One span parameter per input, then one per output, in spec order and named by the plan
    /// (<c>Infer(ReadOnlySpan&lt;int&gt; inputIds, ReadOnlySpan&lt;sbyte&gt; attentionMask, Span&lt;sbyte&gt; logits)</c>), a batched
    /// overload with <c>batchSize</c> last, the same per-input constants and the same range and id checks (same exception
    /// types, same message shape). Each input goes to its own device buffer; the kernels are those of the one-input session.
    /// </summary>
    internal sealed partial class GpuEmitter
    {
        /// <summary>One quantized input and one output: the single-tensor session API (InputLength, Infer(inputs, outputs, batchSize)).</summary>
        private bool SingleApi => graph.IsSingleInputOutput && !graph.Input.IsIndex;

        private static bool IsSingleApi(ModelGraph g) => g.IsSingleInputOutput && !g.Input.IsIndex;

        private string ParamName(TensorInfo t) => plan.Model.Names.CSharpParameter(t.Name);

        private static string ParamName(Plan.ModelPlan p, TensorInfo t) => p.Names.CSharpParameter(t.Name);

        /// <summary>PascalCase of the parameter, the prefix of its constants (<c>InputIdsLength</c>), as in the C# class.</summary>
        private static string Constant(string parameter) => NamedTensorApi.Constant(parameter);

        private string Constant(TensorInfo t) => Constant(ParamName(t));

        private static string Esc(string name) => NamedTensorApi.Esc(name);

        private string SpanParameters() =>
            string.Join(", ", graph.Inputs.Select(t => $"ReadOnlySpan<{CType(t.Type)}> {ParamName(t)}")
                .Concat(graph.Outputs.Select(t => $"Span<{CType(t.Type)}> {ParamName(t)}")));

        private string MultiSessionMembers()
        {
            int largest = activations.Max(a => a.PerSample);
            string w8Source = PrepareConstants(out string? w8Initializer, out byte[] w8Bytes, out byte[] c32Bytes, out byte[] c64Bytes);
            var w = new SourceWriter();
            EmitSessionDoc(w);
            NamedTensorApi.EmitTensorConstants(w, graph, ranges.Tensors, ParamName, " per sample");
            w.Line($"/// <summary>The largest batch: every index of the largest tensor ({largest} elements per sample) must fit an int.</summary>");
            w.Line($"public const int MaxBatchSize = {I(int.MaxValue / largest)};");
            w.Line();
            EmitStateAndConstructor(w, w8Source);
            string names = string.Join(", ", graph.Inputs.Select(t => "\"" + Esc(t.Name) + "\" " + Shape(t.Shape)));
            string outNames = string.Join(", ", graph.Outputs.Select(t => "\"" + Esc(t.Name) + "\" " + Shape(t.Shape)));
            string args = string.Join(", ", graph.Inputs.Concat(graph.Outputs).Select(ParamName));
            w.Line("/// <summary>");
            w.Line($"/// Runs one sample: inputs {Xml(names)}, outputs {Xml(outNames)} (row-major, spec order), bit-exact with the");
            w.Line("/// reference interpreter and the C# class's Infer.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">Wrong lengths, or an activation input value outside its declared range.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">An index input holds an id outside [0, Max]; the message names the input and the position.</exception>");
            w.Line($"public void Infer({SpanParameters()}) => Infer({args}, 1);");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Runs <paramref name=\"batchSize\"/> samples: each span holds the samples of its input (or output) one after the other.");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ObjectDisposedException\">The session was disposed.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\"><paramref name=\"batchSize\"/> is negative or above MaxBatchSize, or an index input holds an id outside [0, Max].</exception>");
            w.Line("/// <exception cref=\"ArgumentException\">Wrong lengths, or an activation input value outside its declared range.</exception>");
            w.Open($"public void Infer({SpanParameters()}, int batchSize)");
            w.Line("if (disposed) throw new ObjectDisposedException(nameof(GpuSession), \"the GPU session was disposed\");");
            w.Line("if (batchSize < 0 || batchSize > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $\"the batch size must be in [0, {MaxBatchSize}]\");");
            foreach (TensorInfo t in graph.Inputs)
            {
                string p = ParamName(t), c = Constant(t);
                w.Line($"if ({p}.Length != (long)batchSize * {c}Length) throw new ArgumentException($\"expected {{batchSize}} x {{{c}Length}} elements of input {Esc(t.Name)}, got {{{p}.Length}}\", nameof({p}));");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                string p = ParamName(t), c = Constant(t);
                w.Line($"if ({p}.Length != (long)batchSize * {c}Length) throw new ArgumentException($\"expected room for {{batchSize}} x {{{c}Length}} elements of output {Esc(t.Name)}, got {{{p}.Length}}\", nameof({p}));");
            }

            foreach (TensorInfo t in graph.Inputs)
            {
                w.Line($"Check{Constant(t)}({ParamName(t)});");
            }

            Guarded(w, $"InferCore({args}, batchSize);");
            w.Close();
            w.Line();

            // InferCore's parameters are x0.., y0..: its locals (n, t) cannot meet a tensor's name.
            var coreParams = graph.Inputs.Select((t, k) => $"ReadOnlySpan<{CType(t.Type)}> x{k}")
                .Concat(graph.Outputs.Select((t, k) => $"Span<{CType(t.Type)}> y{k}"));
            w.Open($"private void InferCore({string.Join(", ", coreParams)}, int batchSize)");
            EmitGrow(w);
            for (int k = 0; k < graph.Inputs.Count; k++)
            {
                TensorInfo t = graph.Inputs[k];
                w.Line($"t.{bufferOf[t.Name]}.View.SubView(0, (long)n * {Constant(t)}Length).CopyFromCPU(accelerator.DefaultStream, x{k});");
            }

            foreach (string l in launches)
            {
                w.Line(l);
            }

            for (int k = 0; k < graph.Outputs.Count; k++)
            {
                TensorInfo t = graph.Outputs[k];
                w.Line($"t.{bufferOf[t.Name]}.View.SubView(0, (long)n * {Constant(t)}Length).CopyToCPU(accelerator.DefaultStream, y{k});");
            }

            w.Line("accelerator.DefaultStream.Synchronize();");
            w.Close();
            w.Line();
            EmitDispose(w);
            foreach (TensorInfo t in graph.Inputs)
            {
                EmitInputCheck(w, t);
            }

            EmitBuffersKernelsAndConstants(w, w8Initializer, w8Bytes, c32Bytes, c64Bytes);
            w.Close();
            return w.ToString();
        }

        /// <summary>The C# class's checks, word for word: an index input throws ArgumentOutOfRangeException naming the input and the position.</summary>
        private void EmitInputCheck(SourceWriter w, TensorInfo t) => NamedTensorApi.EmitInputCheck(w, t, ranges.Tensors[t.Name], ParamName(t));

        /// <summary>The float boundary file of the session: IQuantizedModel for one quantized input and one output, the named Run otherwise.</summary>
        internal static SourceFile BoundaryFor(CSharpTarget model, Plan.ModelPlan plan, string weightsHash) =>
            IsSingleApi(plan.Graph) ? Boundary(model, plan.Graph, weightsHash) : MultiBoundary(model, plan, weightsHash);
    }
}
