using System.Collections.Generic;

namespace QuantGen
{
    /// <summary>Static description of a generated model (emitted as <c>Info</c> on every [QuantizedModel] class).</summary>
    public sealed class ModelInfo
    {
        public ModelInfo(string name, string modelFile, string weightsSha256, int[] inputShape, string inputType, double inputScale, long inputZeroPoint, int[] outputShape, string outputType, double outputScale, long outputZeroPoint, IReadOnlyList<LayerInfo> layers, IReadOnlyList<string> labels)
        {
            Name = name;
            ModelFile = modelFile;
            WeightsSha256 = weightsSha256;
            InputShape = inputShape;
            InputType = inputType;
            InputScale = inputScale;
            InputZeroPoint = inputZeroPoint;
            OutputShape = outputShape;
            OutputType = outputType;
            OutputScale = outputScale;
            OutputZeroPoint = outputZeroPoint;
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
