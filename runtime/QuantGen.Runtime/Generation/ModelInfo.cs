using System.Collections.Generic;

namespace QuantGen
{
    /// <summary>Static description of a generated model (emitted as <c>Info</c> on every [QuantizedModel] class).</summary>
    public sealed class ModelInfo
    {
        /// <summary>A single-input, single-output model (tensors named "input" and "output").</summary>
        public ModelInfo(string name, string modelFile, string weightsSha256, int[] inputShape, string inputType, double inputScale, long inputZeroPoint, int[] outputShape, string outputType, double outputScale, long outputZeroPoint, IReadOnlyList<LayerInfo> layers, IReadOnlyList<string> labels)
            : this(name, modelFile, weightsSha256, new[] { new ModelTensorInfo("input", inputShape, inputType, inputScale, inputZeroPoint) }, new[] { new ModelTensorInfo("output", outputShape, outputType, outputScale, outputZeroPoint) }, layers, labels)
        {
        }

        /// <summary>A model with named inputs and outputs (at least one of each), in the order a sample lays them out.</summary>
        public ModelInfo(string name, string modelFile, string weightsSha256, IReadOnlyList<ModelTensorInfo> inputs, IReadOnlyList<ModelTensorInfo> outputs, IReadOnlyList<LayerInfo> layers, IReadOnlyList<string> labels)
        {
            if (inputs == null || inputs.Count == 0 || outputs == null || outputs.Count == 0)
            {
                throw new System.ArgumentException("a model has at least one input and one output", inputs == null || inputs.Count == 0 ? nameof(inputs) : nameof(outputs));
            }

            Name = name;
            ModelFile = modelFile;
            WeightsSha256 = weightsSha256;
            Inputs = inputs;
            Outputs = outputs;
            InputShape = inputs[0].Shape;
            InputType = inputs[0].ElementType;
            InputScale = inputs[0].Scale;
            InputZeroPoint = inputs[0].ZeroPoint;
            OutputShape = outputs[0].Shape;
            OutputType = outputs[0].ElementType;
            OutputScale = outputs[0].Scale;
            OutputZeroPoint = outputs[0].ZeroPoint;
            Layers = layers;
            Labels = labels;
            long macs = 0, bytes = 0;
            foreach (LayerInfo l in layers)
            {
                macs += l.Macs;
                bytes += l.WeightBytes;
            }

            Macs = macs;
            WeightBytes = bytes;
        }

        public string Name { get; }

        /// <summary>The spec file as named in the attribute.</summary>
        public string ModelFile { get; }

        public string WeightsSha256 { get; }

        /// <summary>The inputs, in the order a packed sample lays them out.</summary>
        public IReadOnlyList<ModelTensorInfo> Inputs { get; }

        /// <summary>The outputs, in the order the float API writes them.</summary>
        public IReadOnlyList<ModelTensorInfo> Outputs { get; }

        /// <summary>The first input's shape (see <see cref="Inputs"/>); likewise the other Input* and Output* properties.</summary>
        public int[] InputShape { get; }

        public string InputType { get; }

        public double InputScale { get; }

        public long InputZeroPoint { get; }

        public int[] OutputShape { get; }

        public string OutputType { get; }

        public double OutputScale { get; }

        public long OutputZeroPoint { get; }

        public IReadOnlyList<LayerInfo> Layers { get; }

        public IReadOnlyList<string> Labels { get; }

        /// <summary>Multiply-accumulates per inference.</summary>
        public long Macs { get; }

        /// <summary>Bytes of weights and integer biases as stored in the model.</summary>
        public long WeightBytes { get; }
    }

    public sealed class LayerInfo
    {
        public LayerInfo(string name, string op, int[] outputShape, string outputType, long macs, long weightBytes, int accumulatorBits, string kernel)
        {
            Name = name;
            Op = op;
            OutputShape = outputShape;
            OutputType = outputType;
            Macs = macs;
            WeightBytes = weightBytes;
            AccumulatorBits = accumulatorBits;
            Kernel = kernel;
        }

        public string Name { get; }

        public string Op { get; }

        public int[] OutputShape { get; }

        /// <summary>Element type of the output, e.g. <c>int8</c>.</summary>
        public string OutputType { get; }

        public long Macs { get; }

        public long WeightBytes { get; }

        /// <summary>Bits the range analysis proved the accumulator needs (0 when the layer has none).</summary>
        public int AccumulatorBits { get; }

        /// <summary>The kernel the generator chose, e.g. <c>int8-maddubs</c> (proven saturation-free) or <c>int8-widen</c>.</summary>
        public string Kernel { get; }

        public override string ToString() => Name + " (" + Op + ", " + Kernel + ")";
    }
}
