using QuantGen.Cpu;
using QuantGen.Graph;

namespace QuantGen.Gpu
{
    /// <summary>The GPU session's float boundary: <c>IQuantizedModel</c> with <c>Run</c> on the device (a file apart from the integer kernels).</summary>
    internal sealed partial class GpuEmitter
    {
        internal static SourceFile Boundary(CSharpTarget model, ModelGraph graph, string weightsHash)
        {
            string tin = CType(graph.Input.Type), tout = CType(graph.Output.Type);
            var w = new SourceWriter();
            w.Open("public sealed partial class GpuSession : global::QuantGen.IQuantizedModel");
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
            w.Close();
            return new SourceFile(model.HintBase + ".QuantGen.Gpu.Boundary.g.cs", SourceWriter.ClassFile(model, $"the GPU session's float boundary for model \"{graph.Name}\"", weightsHash, new[] { "System" }, w.ToString()));
        }
    }
}
