using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Cpu
{
    /// <summary>
    /// The pieces of the named multi-input API that the C# class and the ILGPU session print alike (one definition, so
    /// their constants and exception messages cannot drift apart): constant prefixes, names inside generated strings and
    /// the per-input range / id check.
    /// </summary>
    internal static class NamedTensorApi
    {
        /// <summary>PascalCase of a generated parameter name, the prefix of its constants (<c>InputIdsLength</c>).</summary>
        public static string Constant(string parameter)
        {
            string p = parameter.TrimStart('@');
            return char.ToUpperInvariant(p[0]) + p.Substring(1);
        }

        /// <summary>A tensor name inside a generated string or comment: quotes and braces (interpolation) removed.</summary>
        public static string Esc(string name)
        {
            string q = Naming.CSharpLiteral.Quote(name);
            return q.Substring(1, q.Length - 2).Replace("{", "(").Replace("}", ")").Replace("\\\"", "'");
        }

        /// <summary>
        /// Per input <c>{Constant}Length</c> and <c>{Constant}Min/Max</c>, per output <c>{Constant}Length</c>, and for a model with
        /// one input and one output (e.g. one token-id input) <c>InputLength</c>/<c>OutputLength</c> under the names every model
        /// has. <paramref name="perSample"/> is appended to the length docs (" per sample" for the batched GPU session).
        /// </summary>
        public static void EmitTensorConstants(SourceWriter w, ModelGraph graph, IReadOnlyDictionary<string, IntRange> ranges, Func<TensorInfo, string> parameter, string perSample)
        {
            foreach (TensorInfo t in graph.Inputs)
            {
                IntRange r = ranges[t.Name];
                string c = Constant(parameter(t)), name = Doc(t.Name);
                w.Line($"/// <summary>Elements of input \"{name}\"{perSample}: {CSharp.Shape(t.Shape)} {(t.IsIndex ? "int32 ids" : t.Type.ToString())}.</summary>");
                w.Line($"public const int {c}Length = {t.ElementCount};");
                w.Line(t.IsIndex
                    ? $"/// <summary>The valid ids of input \"{name}\"; Infer throws ArgumentOutOfRangeException for any other.</summary>"
                    : $"/// <summary>The range the range analysis assumed for input \"{name}\"; Infer rejects values outside it.</summary>");
                w.Line($"public const int {c}Min = {CSharp.I(r.Min)}, {c}Max = {CSharp.I(r.Max)};");
            }

            foreach (TensorInfo t in graph.Outputs)
            {
                w.Line($"/// <summary>Elements of output \"{Doc(t.Name)}\"{perSample}: {CSharp.Shape(t.Shape)} {t.Type}.</summary>");
                w.Line($"public const int {Constant(parameter(t))}Length = {t.ElementCount};");
            }

            string cin = Constant(parameter(graph.Inputs[0])), cout = Constant(parameter(graph.Outputs[0]));
            if (graph.IsSingleInputOutput && cin != "Input" && cout != "Output")
            {
                w.Line("/// <summary>The one input's and the one output's lengths under the names every model has.</summary>");
                w.Line($"public const int InputLength = {cin}Length, OutputLength = {cout}Length;");
            }
        }

        /// <summary>The one output is a vector of class scores: shape [C] or [1, ..., 1, C] with C &gt; 1 (the C# class and the GPU session offer Predict/TopK).</summary>
        public static bool IsClassifier(ModelGraph graph)
        {
            int[] shape = graph.Output.Shape;
            return graph.Outputs.Count == 1 && shape.Length >= 1 && shape[shape.Length - 1] > 1 && shape.Take(shape.Length - 1).All(d => d == 1);
        }

        /// <summary>The model's last layer is a Softmax: its dequantized outputs are the confidences.</summary>
        public static bool OutputsAreProbabilities(ModelGraph graph) => graph.Nodes.Any(n => n.Layer.Op == OpKind.Softmax && n.Outputs.Any(o => o.Name == graph.Output.Name));

        /// <summary>A tensor name inside a generated XML doc comment.</summary>
        private static string Doc(string name) => Esc(name).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>
        /// The packed sample's two allocating classifier wrappers (<c>IQuantizedClassifier.Predict(inputs, batchSize)</c> and
        /// <c>TopK(input, k)</c>) over the span forms, for the C# class and the ILGPU session alike; <paramref name="batchSizeCheck"/>
        /// prints the caller's batch-size check.
        /// </summary>
        public static void EmitPackedClassifierWrappers(SourceWriter w, Action batchSizeCheck)
        {
            w.Open("int[] global::QuantGen.IQuantizedClassifier.Predict(ReadOnlySpan<float> inputs, int batchSize)");
            batchSizeCheck();
            w.Line("var labels = new int[batchSize];");
            w.Line("((global::QuantGen.IQuantizedClassifier)this).Predict(inputs, labels);");
            w.Line("return labels;");
            w.Close();
            w.Line();
            w.Open("global::QuantGen.Prediction[] global::QuantGen.IQuantizedClassifier.TopK(ReadOnlySpan<float> input, int k)");
            w.Line("if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, \"k must be at least 1\");");
            w.Line("var best = new global::QuantGen.Prediction[k < ClassCount ? k : ClassCount];");
            w.Line("((global::QuantGen.IQuantizedClassifier)this).TopK(input, best);");
            w.Line("return best;");
            w.Close();
        }

        /// <summary>
        /// <c>Check{Constant}(ReadOnlySpan&lt;T&gt; p)</c>: an index input throws ArgumentOutOfRangeException naming the input and
        /// the position; a quantized input narrower than its type throws ArgumentException; otherwise nothing to check.
        /// </summary>
        public static void EmitInputCheck(SourceWriter w, TensorInfo t, IntRange r, string p)
        {
            string c = Constant(p), tin = CSharp.Type(t.Type);
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
    }
}
