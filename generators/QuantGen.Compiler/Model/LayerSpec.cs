using System;
using System.Collections.Generic;

namespace QuantGen.Model
{
    public enum OpKind
    {
        Dense,
        MatMul,
        Add,
        Relu,
        Clip,
        Softmax,
        Gelu,
        LayerNorm,
        AvgPool,
        Reshape,
        Transpose,
        ArgMax,
        Conv2d,
        MaxPool2d,
        Concat,
        Slice,
        Split,
        Gather,
        Requantize,
        Tanh,
        Sigmoid,
        HardSigmoid,
        HardSwish,
        Mul,
        Sub,
        AvgPool2d,
        Embedding,
        MaskedSoftmax,
    }

    public enum Activation
    {
        None,
        Relu,
        Relu6,
    }

    public enum SoftmaxMethod
    {
        Shiftmax,
        IBert,

        /// <summary>Exponential table over max - x (inputs of at most 8 bits) and exact normalisation to any output quantization (<see cref="QuantGen.Numerics.SoftmaxTable"/>).</summary>
        Table,
    }

    public enum GeluMethod
    {
        ShiftGelu,
        IBert,

        /// <summary>One output integer per input integer (inputs of at most 8 bits): the exact-erf GELU, correctly rounded (<see cref="QuantGen.Operators.GeluOperator.TableFor"/>).</summary>
        Table,
    }

    /// <summary>What post-training quantization should produce for a layer.</summary>
    public sealed class Precision
    {
        public int WeightBits { get; set; } = 8;

        public int ActivationBits { get; set; } = 8;

        public bool PerChannel { get; set; } = true;

        public bool IsDefault => WeightBits == 8 && ActivationBits == 8 && PerChannel;

        public Precision Clone() => new Precision { WeightBits = WeightBits, ActivationBits = ActivationBits, PerChannel = PerChannel };
    }

    /// <summary>One operator of the graph: its float attributes; once quantized, its integer record (<see cref="QuantizableLayer{TIntegers}"/>).</summary>
    public abstract class LayerSpec
    {
        protected LayerSpec(OpKind op)
        {
            Op = op;
        }

        public OpKind Op { get; }

        public string Name { get; set; } = string.Empty;

        public List<string> Inputs { get; } = new List<string>();

        /// <summary>Output tensors: one for every operator but <see cref="SplitLayer"/>.</summary>
        public List<string> Outputs { get; } = new List<string>();

        /// <summary>The first (for most operators the only) output.</summary>
        public string Output
        {
            get => Outputs.Count > 0 ? Outputs[0] : string.Empty;
            set
            {
                if (Outputs.Count == 0)
                {
                    Outputs.Add(value);
                }
                else
                {
                    Outputs[0] = value;
                }
            }
        }

        public Precision Precision { get; set; } = new Precision();

        public SourcePlace Place { get; set; } = SourcePlace.None;

        /// <summary>Initializers this layer reads through attributes (weights, biases, gamma, beta).</summary>
        public virtual IEnumerable<string> InitializerReferences()
        {
            yield break;
        }

        /// <summary>True when the operator's quantized form carries integer parameters (<see cref="QuantizableLayer{TIntegers}"/>).</summary>
        public virtual bool NeedsIntegers => false;

        /// <summary>The integer parameters of a quantized layer; null in the float phase and for operators without any.</summary>
        public virtual LayerIntegers? IntegerParameters => null;

        /// <summary>A copy with the float attributes only: the float phase of the layer.</summary>
        public abstract LayerSpec CloneFloat();

        /// <summary>
        /// The quantized layer: a float copy carrying <paramref name="integers"/> (the operator's own record type). Operators
        /// without integer parameters take none.
        /// </summary>
        public virtual LayerSpec WithIntegers(LayerIntegers integers) =>
            throw new ArgumentException($"layer \"{Name}\" ({Op}) has no integer parameters", nameof(integers));

        /// <summary>Copies name, inputs, output and precision into <paramref name="target"/>.</summary>
        protected T CopyBase<T>(T target)
            where T : LayerSpec
        {
            target.Name = Name;
            target.Inputs.AddRange(Inputs);
            target.Outputs.Clear();
            target.Outputs.AddRange(Outputs);
            target.Precision = Precision.Clone();
            target.Place = Place;
            return target;
        }
    }

    /// <summary>
    /// A layer with an integer weight and an optional int32 bias per output channel (Dense, Conv2d): symmetric weights
    /// (zero point 0, scale per channel on axis 0 or per tensor), one dyadic per output channel, the fused activation as
    /// an integer clamp.
    /// </summary>
    public abstract class WeightedLayer : QuantizableLayer<WeightedIntegers>
    {
        protected WeightedLayer(OpKind op)
            : base(op)
        {
        }

        public string Weight { get; set; } = string.Empty;

        public string? Bias { get; set; }

        public Activation Activation { get; set; }

        public override IEnumerable<string> InitializerReferences()
        {
            yield return Weight;
            if (Bias != null)
            {
                yield return Bias;
            }
        }
    }

    public sealed class DenseLayer : WeightedLayer
    {
        public DenseLayer()
            : base(OpKind.Dense)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new DenseLayer { Weight = Weight, Bias = Bias, Activation = Activation });
    }

    public sealed class MatMulLayer : QuantizableLayer<MatMulIntegers>
    {
        public MatMulLayer()
            : base(OpKind.MatMul)
        {
        }

        public double Alpha { get; set; } = 1.0;

        public override LayerSpec CloneFloat() => CopyBase(new MatMulLayer { Alpha = Alpha });
    }

    public sealed class AddLayer : QuantizableLayer<AddIntegers>
    {
        public AddLayer()
            : base(OpKind.Add)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new AddLayer());
    }

    public sealed class ReluLayer : LayerSpec
    {
        public ReluLayer()
            : base(OpKind.Relu)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new ReluLayer());
    }

    public sealed class ClipLayer : QuantizableLayer<ClipIntegers>
    {
        public ClipLayer()
            : base(OpKind.Clip)
        {
        }

        public double Min { get; set; }

        public double Max { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new ClipLayer { Min = Min, Max = Max });
    }

    public sealed class SoftmaxLayer : QuantizableLayer<SoftmaxIntegers>
    {
        public SoftmaxLayer()
            : base(OpKind.Softmax)
        {
        }

        private SoftmaxMethod method;

        /// <summary>Float phase: the method post-training quantization should use; quantized: the method of <see cref="QuantizableLayer{TIntegers}.Integers"/>.</summary>
        public SoftmaxMethod Method
        {
            get => IntegersOrNull?.Method ?? method;
            init => method = value;
        }

        public override LayerSpec CloneFloat() => CopyBase(new SoftmaxLayer { Method = Method });
    }

    public sealed class GeluLayer : QuantizableLayer<GeluIntegers>
    {
        public GeluLayer()
            : base(OpKind.Gelu)
        {
        }

        private GeluMethod method;

        /// <summary>Float phase: the method post-training quantization should use; quantized: the method of <see cref="QuantizableLayer{TIntegers}.Integers"/>.</summary>
        public GeluMethod Method
        {
            get => IntegersOrNull?.Method ?? method;
            init => method = value;
        }

        public override LayerSpec CloneFloat() => CopyBase(new GeluLayer { Method = Method });
    }

    public sealed class LayerNormLayer : QuantizableLayer<LayerNormIntegers>
    {
        public LayerNormLayer()
            : base(OpKind.LayerNorm)
        {
        }

        /// <summary>Float only (folded into <see cref="LayerNormIntegers.Requant"/> and <see cref="LayerNormIntegers.Biases"/> when quantized).</summary>
        public string? Gamma { get; set; }

        public string? Beta { get; set; }

        public double Epsilon { get; set; } = 1e-5;

        public override IEnumerable<string> InitializerReferences()
        {
            if (Gamma != null)
            {
                yield return Gamma;
            }

            if (Beta != null)
            {
                yield return Beta;
            }
        }

        public override LayerSpec CloneFloat() => CopyBase(new LayerNormLayer { Gamma = Gamma, Beta = Beta, Epsilon = Epsilon });
    }

    public sealed class AvgPoolLayer : QuantizableLayer<AvgPoolIntegers>
    {
        public AvgPoolLayer()
            : base(OpKind.AvgPool)
        {
        }

        public int Axis { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new AvgPoolLayer { Axis = Axis });
    }

    public sealed class ReshapeLayer : LayerSpec
    {
        public ReshapeLayer()
            : base(OpKind.Reshape)
        {
        }

        public int[] Shape { get; set; } = new int[0];

        public override LayerSpec CloneFloat() => CopyBase(new ReshapeLayer { Shape = (int[])Shape.Clone() });
    }

    public sealed class TransposeLayer : LayerSpec
    {
        public TransposeLayer()
            : base(OpKind.Transpose)
        {
        }

        public int[] Perm { get; set; } = new int[0];

        public override LayerSpec CloneFloat() => CopyBase(new TransposeLayer { Perm = (int[])Perm.Clone() });
    }

    /// <summary>
    /// 2-D convolution over an NCHW input [N, C, H, W] with weight [O, C / group, kh, kw]: group 1 is a plain
    /// convolution, group = C = O a depthwise one. Zero padding (pads: top, left, bottom, right). Quantized like Dense:
    /// symmetric per-output-channel weights, int32 bias, one dyadic per output channel, fused activation as a clamp.
    /// </summary>
    public sealed class Conv2dLayer : WeightedLayer
    {
        public Conv2dLayer()
            : base(OpKind.Conv2d)
        {
        }

        /// <summary>Stride along H and W.</summary>
        public int[] Strides { get; set; } = { 1, 1 };

        /// <summary>Zero padding: top, left, bottom, right.</summary>
        public int[] Pads { get; set; } = { 0, 0, 0, 0 };

        public int Group { get; set; } = 1;

        public override LayerSpec CloneFloat() => CopyBase(new Conv2dLayer { Weight = Weight, Bias = Bias, Activation = Activation, Strides = (int[])Strides.Clone(), Pads = (int[])Pads.Clone(), Group = Group });
    }

    /// <summary>2-D max pooling over an NCHW input; padded positions never win. Output = input quantization.</summary>
    public sealed class MaxPool2dLayer : LayerSpec
    {
        public MaxPool2dLayer()
            : base(OpKind.MaxPool2d)
        {
        }

        public int[] Kernel { get; set; } = { 2, 2 };

        public int[] Strides { get; set; } = { 2, 2 };

        /// <summary>Padding: top, left, bottom, right.</summary>
        public int[] Pads { get; set; } = { 0, 0, 0, 0 };

        public override LayerSpec CloneFloat() => CopyBase(new MaxPool2dLayer { Kernel = (int[])Kernel.Clone(), Strides = (int[])Strides.Clone(), Pads = (int[])Pads.Clone() });
    }

    public sealed class ArgMaxLayer : LayerSpec
    {
        public ArgMaxLayer()
            : base(OpKind.ArgMax)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new ArgMaxLayer());
    }
}
