using System;
using System.Collections.Generic;

namespace QuantGen
{
    /// <summary>
    /// What every generated CPU model class (and its <c>GpuSession</c>) offers beside its integer span API: a description and
    /// a float-in, float-out call. For dependency injection and for mocking in tests.
    /// </summary>
    /// <remarks>
    /// A sample's input is the model's inputs in <see cref="Inputs"/> order, each row-major, one after the other (a packed
    /// sample); its output likewise. Floats of a <see cref="ModelTensorKind.Quantized"/> input are quantized with its scale and
    /// zero point (round half toward +infinity, saturated to the input type, exactly like the generated <c>QuantizeInput</c>);
    /// those of a <see cref="ModelTensorKind.Index"/> input are whole ids taken as they are. Outputs are dequantized as
    /// <c>Scale * (q - ZeroPoint)</c>. A generated model with several inputs implements this interface explicitly beside its
    /// named overloads (<c>Run(inputIds, attentionMask, logits)</c>). Implementations are not thread-safe: a generated instance owns scratch buffers and
    /// throws <see cref="InvalidOperationException"/> when it detects a call from a second thread while one runs.
    /// </remarks>
    public interface IQuantizedModel
    {
        /// <summary>Static description: name, spec file, weights hash, tensors, layers, MACs and labels.</summary>
        ModelInfo Info { get; }

        /// <summary>The model's inputs in the order a sample lays them out.</summary>
        IReadOnlyList<ModelTensorInfo> Inputs => Info.Inputs;

        /// <summary>The model's outputs in the order <see cref="Run(ReadOnlySpan{float}, Span{float})"/> writes them.</summary>
        IReadOnlyList<ModelTensorInfo> Outputs => Info.Outputs;

        /// <summary>Floats in one sample's input (all inputs together: the sum of the inputs' <see cref="ModelTensorInfo.Length"/>).</summary>
        int InputLength { get; }

        /// <summary>Floats in one sample's output (all outputs together).</summary>
        int OutputLength { get; }

        /// <summary>Quantizes <paramref name="input"/>, runs the integer model and returns the dequantized output (a new array).</summary>
        /// <exception cref="ArgumentException">A wrong length, a NaN, or a value whose quantization falls outside the model's declared input range.</exception>
        float[] Run(ReadOnlySpan<float> input);

        /// <summary>Same as <see cref="Run(ReadOnlySpan{float})"/>, into <paramref name="output"/> (exactly <see cref="OutputLength"/> floats); allocates nothing.</summary>
        void Run(ReadOnlySpan<float> input, Span<float> output);
    }

    /// <summary>
    /// A model whose output is one vector of class scores (shape [C], or [1, ..., 1, C]): single and batched
    /// <c>Predict</c>, and the k best classes with confidences.
    /// </summary>
    public interface IQuantizedClassifier : IQuantizedModel
    {
        /// <summary>Number of classes C.</summary>
        int ClassCount { get; }

        /// <summary>
        /// Whether the model's output already is a probability distribution (its last layer is a Softmax): then
        /// confidences are the dequantized outputs; otherwise they are the softmax of the dequantized logits.
        /// </summary>
        bool OutputsAreProbabilities { get; }

        /// <summary>The index of the largest output for one sample (ties: the lowest index).</summary>
        int Predict(ReadOnlySpan<float> input);

        /// <summary>Classifies <c>labels.Length</c> samples laid out one after the other in <paramref name="inputs"/>; allocates nothing.</summary>
        void Predict(ReadOnlySpan<float> inputs, Span<int> labels);

        /// <summary>Classifies <paramref name="batchSize"/> samples laid out one after the other; returns a new array of class indices.</summary>
        int[] Predict(ReadOnlySpan<float> inputs, int batchSize);

        /// <summary>The <paramref name="k"/> most likely classes, best first (ties: the lowest index); k above <see cref="ClassCount"/> gives all.</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
        Prediction[] TopK(ReadOnlySpan<float> input, int k);

        /// <summary>Fills <paramref name="destination"/> with the best min(destination.Length, ClassCount) classes, best first; returns how many. Allocates nothing.</summary>
        int TopK(ReadOnlySpan<float> input, Span<Prediction> destination);
    }
}
