using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Operators
{
    /// <summary>
    /// What an operator's post-training quantization rule (<see cref="Operator.Quantize"/>) asks of the quantizer: the
    /// quantization of its inputs, calibrated output quantizations, weight quantization, the initializers it writes,
    /// and the quantizer's options. The runtime's PostTrainingQuantizer implements it for one node at a time (the
    /// calibration pass stays in the runtime).
    /// </summary>
    public abstract class PtqContext
    {
        /// <summary>Quantization of data input <paramref name="i"/>; an initializer input becomes a symmetric per-tensor constant at the layer's weight bits.</summary>
        public abstract TensorQuant Input(int i);

        /// <summary>Asymmetric quantization of output <paramref name="output"/> at <paramref name="bits"/>, from calibration (or fixed by the options).</summary>
        public abstract TensorQuant Calibrated(int output, int bits);

        /// <summary>Symmetric weight quantization (per output channel on axis 0, or per tensor); writes the initializer; returns each channel's scale.</summary>
        public abstract double[] QuantizeWeight(TensorInfo weight, Precision precision);

        /// <summary>The zero point <see cref="QuantizeWeight"/> wrote for <paramref name="weight"/>: 0 (symmetric) unless the source file fixed the integers with one (an embedding table).</summary>
        public virtual long WeightZeroPoint(TensorInfo weight) => 0;

        /// <summary>A table the source file quantized per axis (an embedding table), kept as it is; null when there is none.</summary>
        public virtual PerAxisTable? FixedPerAxisTable(TensorInfo weight) => null;

        /// <summary>The node's float bias, bias-corrected when the options ask for it.</summary>
        public abstract float[] CorrectedBias(double[] weightScales);

        /// <summary>Writes a quantized initializer (spec entry and weights).</summary>
        public abstract void AddInitializer(string name, ElementType type, int[] shape, int[] values, double[] scales);

        /// <summary>Overrides every Softmax layer's method when set.</summary>
        public abstract SoftmaxMethod? SoftmaxMethod { get; }

        /// <summary>Overrides every Gelu layer's method when set.</summary>
        public abstract GeluMethod? GeluMethod { get; }

        public abstract int SoftmaxOutBits { get; }

        public abstract int ShiftmaxN { get; }

        public abstract int ShiftGeluN { get; }

        /// <summary>Reports a problem located at the node's layer; quantization then fails with every problem reported.</summary>
        public abstract void Report(string id, string message);

        /// <summary>The integer parameters the rule produced (null until <see cref="Attach"/>).</summary>
        public LayerIntegers? Integers { get; private set; }

        /// <summary>
        /// The quantized layer's integer parameters, complete (the record's constructor checks them): the quantizer attaches
        /// them to a copy of the float layer (<see cref="LayerSpec.WithIntegers"/>); the float layer is never filled in place.
        /// </summary>
        public void Attach(LayerIntegers integers) => Integers = integers ?? throw new System.ArgumentNullException(nameof(integers));
    }
}
