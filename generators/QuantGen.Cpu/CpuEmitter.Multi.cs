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
        private string Constant(TensorInfo t)
        {
            string p = Param(t).TrimStart('@');
            return char.ToUpperInvariant(p[0]) + p.Substring(1);
        }

        private string SpanParameters(bool floats) =>
            string.Join(", ", graph.Inputs.Select(t => $"ReadOnlySpan<{(floats && !t.IsIndex ? "float" : CType(t.Type))}> {Param(t)}")
                .Concat(graph.Outputs.Select(t => $"Span<{(floats ? "float" : CType(t.Type))}> {Param(t)}")));

        private void EmitLengthChecks(SourceWriter w)
        {
            foreach (TensorInfo t in graph.Inputs)
            {
                string p = Param(t), c = Constant(t);
                w.Line($"if ({p}.Length != {c}Length) throw new ArgumentException($\"expected {{{c}Length}} elements of input {Naming.CSharpLiteral.Quote(t.Name).Trim('"')}, got {{{p}.Length}}\", nameof({p}));");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                string p = Param(t), c = Constant(t);
                w.Line($"if ({p}.Length != {c}Length) throw new ArgumentException($\"expected room for {{{c}Length}} elements of output {Naming.CSharpLiteral.Quote(t.Name).Trim('"')}, got {{{p}.Length}}\", nameof({p}));");
            }
        }

        private string MultiInferenceMembers(SourceWriter layers)
        {
            var w = new SourceWriter();
            foreach (TensorInfo t in graph.Inputs)
            {
                IntRange r = ranges.Tensors[t.Name];
                w.Line($"/// <summary>Elements of input \"{Esc(t.Name)}\": {Shape(t.Shape)} {(t.IsIndex ? "int32 ids" : t.Type.ToString())}.</summary>");
                w.Line($"public const int {Constant(t)}Length = {t.ElementCount};");
                w.Line(t.IsIndex
                    ? $"/// <summary>The valid ids of input \"{Esc(t.Name)}\"; Infer throws ArgumentOutOfRangeException for any other.</summary>"
                    : $"/// <summary>The range the range analysis assumed for input \"{Esc(t.Name)}\"; Infer rejects values outside it.</summary>");
                w.Line($"public const int {Constant(t)}Min = {I(r.Min)}, {Constant(t)}Max = {I(r.Max)};");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                w.Line($"/// <summary>Elements of output \"{Esc(t.Name)}\": {Shape(t.Shape)} {t.Type}.</summary>");
                w.Line($"public const int {Constant(t)}Length = {t.ElementCount};");
            }

            if (graph.IsSingleInputOutput && Constant(graph.Input) != "Input" && Constant(graph.Output) != "Output")
            {
                w.Line("/// <summary>The one input's and the one output's lengths under the names every model has.</summary>");
                w.Line($"public const int InputLength = {Constant(graph.Input)}Length, OutputLength = {Constant(graph.Output)}Length;");
            }

            w.Line();
            w.Line("/// <summary>The SIMD path the int8 kernels take on this machine (avx512, avx2, vector128, scalar).</summary>");
            w.Line("public static string SimdPath => QuantGenKernels.SimdPath;");
            w.Line();
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
            w.Open($"private void InferCore({SpanParameters(false)})");
            foreach (GraphNode node in graph.Nodes)
            {
                IEnumerable<string> args = node.Inputs.Where(t => t.Kind != TensorKind.Initializer).Select(t => t.Kind == TensorKind.Input ? Param(t) : Buffer(t))
                    .Concat(node.Outputs.Select(Buffer));
                w.Line($"Layer_{LayerId(node)}({string.Join(", ", args)});");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                w.Line($"{Buffer(t)}.AsSpan().CopyTo({Param(t)});");
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

        private void EmitInputCheck(SourceWriter w, TensorInfo t)
        {
            IntRange r = ranges.Tensors[t.Name];
            string p = Param(t), c = Constant(t), tin = CType(t.Type);
            w.Open($"private static void Check{c}(ReadOnlySpan<{tin}> {p})");
            if (t.IsIndex)
            {
                w.Open($"for (int i = 0; i < {p}.Length; i++)");
                w.Line($"if ((uint){p}[i] > (uint){c}Max) throw new ArgumentOutOfRangeException(nameof({p}), {p}[i], $\"{p}[{{i}}] = {{{p}[i]}} is not a valid id of input {Esc(t.Name)} (0 to {{{c}Max}})\");");
                w.Close();
            }
            else if (r.Min > t.Type.MinValue || r.Max < t.Type.MaxValue)
            {
                w.Open($"for (int i = 0; i < {p}.Length; i++)");
                w.Line($"if ({p}[i] < {c}Min || {p}[i] > {c}Max) throw new ArgumentException($\"{p}[{{i}}] = {{{p}[i]}} is outside the declared range [{{{c}Min}}, {{{c}Max}}] of input {Esc(t.Name)}\", nameof({p}));");
                w.Close();
            }
            else
            {
                w.Line("// every value of the input type lies in the declared input range");
            }

            w.Close();
            w.Line();
        }

        /// <summary>A tensor name inside a generated string or comment: quotes and braces (interpolation) removed.</summary>
        private static string Esc(string name)
        {
            string q = Naming.CSharpLiteral.Quote(name);
            return q.Substring(1, q.Length - 2).Replace("{", "(").Replace("}", ")").Replace("\\\"", "'");
        }

        private string MultiBoundaryMembers()
        {
            var w = new SourceWriter();
            string Tensor(TensorInfo t) => $"new global::QuantGen.ModelTensorInfo({Quote(t.Name)}, new[] {{ {string.Join(", ", t.Shape.DefaultIfEmpty(1))} }}, \"{t.Type}\", {D(t.Quant!.Scale)}, {I(t.Quant.ZeroPoint)})";
            EmitInfo(w, string.Join(", ", graph.Inputs.Select(Tensor)), string.Join(", ", graph.Outputs.Select(Tensor)));
            w.Line();
            w.Line("// The float Run's quantized inputs and integer outputs.");
            foreach (TensorInfo t in graph.Inputs.Where(t => !t.IsIndex).Concat(graph.Outputs))
            {
                w.Line($"private readonly {CType(t.Type)}[] _boundary_{Param(t).TrimStart('@')} = new {CType(t.Type)}[{Constant(t)}Length];");
            }

            foreach (TensorInfo t in graph.Inputs.Where(t => !t.IsIndex))
            {
                TensorQuant q = t.Quant!;
                string tin = CType(t.Type);
                w.Line();
                w.Line($"/// <summary>Quantizes real values of input \"{Esc(t.Name)}\": saturate(round(x / {D(q.Scale)}) + {I(q.ZeroPoint)}), rounding half toward +infinity (the reference rule).</summary>");
                w.Open($"public static void Quantize{Constant(t)}(ReadOnlySpan<float> real, Span<{tin}> quantized)");
                w.Line("if (quantized.Length < real.Length) throw new ArgumentException(\"the destination is shorter than the input\", nameof(quantized));");
                w.Open("for (int i = 0; i < real.Length; i++)");
                w.Line($"double v = real[i] / {D(q.Scale)};");
                w.Line("if (double.IsNaN(v)) throw new ArgumentException($\"real[{i}] is NaN\", nameof(real));");
                w.Line("double f = Math.Floor(v);");
                w.Line("long r = v >= 4611686018427387904.0 ? 4611686018427387904L : v <= -4611686018427387904.0 ? -4611686018427387904L : (long)f + (v - f >= 0.5 ? 1 : 0);");
                w.Line($"r += {I(q.ZeroPoint)};");
                w.Line($"quantized[i] = ({tin})(r < {I(t.Type.MinValue)} ? {I(t.Type.MinValue)} : r > {I(t.Type.MaxValue)} ? {I(t.Type.MaxValue)} : r);");
                w.Close();
                w.Close();
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                TensorQuant q = t.Quant!;
                w.Line();
                w.Line($"/// <summary>Dequantizes output \"{Esc(t.Name)}\": {D(q.Scale)} * (q - {I(q.ZeroPoint)}).</summary>");
                w.Open($"public static void Dequantize{Constant(t)}(ReadOnlySpan<{CType(t.Type)}> quantized, Span<float> real)");
                w.Line("if (real.Length < quantized.Length) throw new ArgumentException(\"the destination is shorter than the output\", nameof(real));");
                w.Open("for (int i = 0; i < quantized.Length; i++)");
                w.Line($"real[i] = (float)({D(q.Scale)} * (quantized[i] - {I(q.ZeroPoint)}));");
                w.Close();
                w.Close();
            }

            w.Line();
            w.Line("/// <summary>Float in (index inputs stay ids), float out: quantize each activation input, integer inference, dequantize each output. Allocates nothing; one instance per thread.</summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A wrong length, a NaN, or a quantized value outside its input's range.</exception>");
            w.Line("/// <exception cref=\"ArgumentOutOfRangeException\">An index input holds an id outside [0, Max].</exception>");
            w.Open($"public void Run({SpanParameters(true)})");
            EmitLengthChecks(w);
            Guarded(w, () =>
            {
                var args = new List<string>();
                foreach (TensorInfo t in graph.Inputs)
                {
                    string p = Param(t);
                    if (t.IsIndex)
                    {
                        w.Line($"Check{Constant(t)}({p});");
                        args.Add(p);
                    }
                    else
                    {
                        string b = "_boundary_" + p.TrimStart('@');
                        w.Line($"Quantize{Constant(t)}({p}, {b});");
                        w.Line($"Check{Constant(t)}({b});");
                        args.Add(b);
                    }
                }

                args.AddRange(graph.Outputs.Select(t => "_boundary_" + Param(t).TrimStart('@')));
                w.Line($"InferCore({string.Join(", ", args)});");
                foreach (TensorInfo t in graph.Outputs)
                {
                    w.Line($"Dequantize{Constant(t)}(_boundary_{Param(t).TrimStart('@')}, {Param(t)});");
                }
            });
            w.Close();
            return w.ToString();
        }
    }
}
