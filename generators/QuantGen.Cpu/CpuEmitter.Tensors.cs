using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;

namespace QuantGen.Cpu
{
    /// <summary>
    /// System.Numerics.Tensors interop, emitted only when the compilation references a System.Numerics.Tensors whose
    /// <c>TensorSpan&lt;T&gt;</c> is not experimental (<see cref="CSharpTarget.TensorSpans"/>): <c>RunTensors</c>, the float
    /// <c>Run</c> over tensor spans of any shape with the right element count (read and written row-major, any strides).
    /// A distinct name, because arrays convert implicitly to both spans and tensor spans (an overload of <c>Run</c> would
    /// make <c>Run(array, array)</c> ambiguous before C# 14).
    /// </summary>
    internal sealed partial class CpuEmitter
    {
        private const string Tensors = "global::System.Numerics.Tensors.";

        private string TensorScratch(TensorInfo t, bool isInput) => t.IsIndex ? BoundaryField(t, true) : "_tensor_" + ApiParam(t, isInput).TrimStart('@');

        private string TensorWhat(TensorInfo t, bool isInput) => SingleApi ? (isInput ? "the input's" : "the output's") : $"{(isInput ? "input" : "output")} {Esc(t.Name)}'s";

        private void EmitTensorRun(SourceWriter w)
        {
            if (!model.TensorSpans)
            {
                return;
            }

            var tensors = graph.Inputs.Select(t => (Tensor: t, IsInput: true)).Concat(graph.Outputs.Select(t => (Tensor: t, IsInput: false))).ToList();
            w.Line();
            w.Line("// System.Numerics.Tensors is referenced: RunTensors, the float Run over tensor spans (one sample).");
            foreach ((TensorInfo t, bool isInput) in tensors.Where(p => !p.Tensor.IsIndex))
            {
                w.Line($"private readonly float[] {TensorScratch(t, isInput)} = new float[{LengthOf(t, isInput)}];");
            }

            string parameters = string.Join(", ", tensors.Select(p => p.IsInput
                ? $"in {Tensors}ReadOnlyTensorSpan<{(p.Tensor.IsIndex ? "int" : "float")}> {ApiParam(p.Tensor, true)}"
                : $"in {Tensors}TensorSpan<float> {ApiParam(p.Tensor, false)}"));
            w.Line();
            w.Line("/// <summary>");
            w.Line($"/// The float Run over System.Numerics.Tensors spans: each tensor of any shape with its tensor's element count ({string.Join(", ", tensors.Select(p => LengthOf(p.Tensor, p.IsInput)))}),");
            w.Line($"/// read and written row-major whatever its strides. Same values as Run. Allocates nothing.{Threads}");
            w.Line("/// </summary>");
            w.Line("/// <exception cref=\"ArgumentException\">A tensor with the wrong element count, or what Run rejects.</exception>");
            w.Open($"public void RunTensors({parameters})");
            foreach ((TensorInfo t, bool isInput) in tensors)
            {
                string p = ApiParam(t, isInput);
                w.Line($"QuantGenCheckTensor({p}.FlattenedLength, {p}.Lengths, {LengthOf(t, isInput)}, \"{TensorWhat(t, isInput)} shape is {Shape(t.Shape.DefaultIfEmpty(1).ToArray())}\", nameof({p}));");
            }

            Guarded(w, () =>
            {
                foreach ((TensorInfo t, bool _) in tensors.Where(p => p.IsInput))
                {
                    w.Line($"{ApiParam(t, true)}.FlattenTo({TensorScratch(t, true)});");
                }

                w.Line($"QuantGenForward({string.Join(", ", graph.Inputs.Select(t => TensorScratch(t, true)))}{(SingleApi && BoundaryChunk > 1 ? ", 1" : string.Empty)});");
                foreach ((TensorInfo t, bool _) in tensors.Where(p => !p.IsInput))
                {
                    string p = ApiParam(t, false), scratch = TensorScratch(t, false);
                    w.Line($"{DequantizeOf(t)}({BoundaryView(t, false)}, {scratch});");
                    w.Line($"new {Tensors}ReadOnlyTensorSpan<float>({scratch}, {p}.Lengths).CopyTo({p});");
                }
            });
            w.Close();
            w.Line();
            w.Open("private static void QuantGenCheckTensor(nint count, ReadOnlySpan<nint> lengths, int expected, string shape, string name)");
            w.Line("if (count != expected) throw new ArgumentException($\"expected a tensor of {expected} elements ({shape}), got one of shape [{string.Join(\", \", lengths.ToArray())}]\", name);");
            w.Close();
        }
    }
}
