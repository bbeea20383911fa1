using System.Collections.Generic;
using QuantGen.Numerics;

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
    }

    public enum GeluMethod
    {
        ShiftGelu,
        IBert,
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

    /// <summary>One operator of the graph. Float attributes are always present; integer ones only in quantized models.</summary>
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

        /// <summary>A copy with the float attributes only (post-training quantization fills in the integer ones).</summary>
        public abstract LayerSpec CloneFloat();

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
    public abstract class WeightedLayer : LayerSpec
    {
        protected WeightedLayer(OpKind op)
            : base(op)
        {
        }

        public string Weight { get; set; } = string.Empty;

        public string? Bias { get; set; }

        public Activation Activation { get; set; }

        /// <summary>Quantized: one dyadic multiplier per output channel, input scale x weight scale / output scale.</summary>
        public Dyadic[]? Requant { get; set; }

        /// <summary>Quantized: integer output clamp (the fused activation in the output's integer domain).</summary>
        public long[]? Clamp { get; set; }

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

    public sealed class MatMulLayer : LayerSpec
    {
        public MatMulLayer()
            : base(OpKind.MatMul)
        {
        }

        public double Alpha { get; set; } = 1.0;

        public Dyadic? Requant { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new MatMulLayer { Alpha = Alpha });
    }

    public sealed class AddLayer : LayerSpec
    {
        public AddLayer()
            : base(OpKind.Add)
        {
        }

        public Dyadic? RequantA { get; set; }

        public Dyadic? RequantB { get; set; }

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

    public sealed class ClipLayer : LayerSpec
    {
        public ClipLayer()
            : base(OpKind.Clip)
        {
        }

        public double Min { get; set; }

        public double Max { get; set; }

        public long? QMin { get; set; }

        public long? QMax { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new ClipLayer { Min = Min, Max = Max });
    }

    public sealed class SoftmaxLayer : LayerSpec
    {
        public SoftmaxLayer()
            : base(OpKind.Softmax)
        {
        }

        public SoftmaxMethod Method { get; set; }

        public ShiftmaxParams? Shiftmax { get; set; }

        public ISoftmaxParams? IBert { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new SoftmaxLayer { Method = Method });
    }

    public sealed class GeluLayer : LayerSpec
    {
        public GeluLayer()
            : base(OpKind.Gelu)
        {
        }

        public GeluMethod Method { get; set; }

        public ShiftGeluParams? ShiftGelu { get; set; }

        public IGeluParams? IBert { get; set; }

        /// <summary>Quantized: from the method's int32 output scale to the output tensor's scale.</summary>
        public Dyadic? Requant { get; set; }

        public override LayerSpec CloneFloat() => CopyBase(new GeluLayer { Method = Method });
    }

    public sealed class LayerNormLayer : LayerSpec
    {
        public LayerNormLayer()
            : base(OpKind.LayerNorm)
        {
        }

        /// <summary>Float only (folded into <see cref="Requant"/> and <see cref="Biases"/> when quantized).</summary>
        public string? Gamma { get; set; }

        public string? Beta { get; set; }

        public double Epsilon { get; set; } = 1e-5;

        public Dyadic[]? Requant { get; set; }

        public long[]? Biases { get; set; }

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

    public sealed class AvgPoolLayer : LayerSpec
    {
        public AvgPoolLayer()
            : base(OpKind.AvgPool)
        {
        }

        public int Axis { get; set; }

        public Dyadic? Requant { get; set; }

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
