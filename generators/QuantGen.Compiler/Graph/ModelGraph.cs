using System.Collections.Generic;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Graph
{
    public enum TensorKind
    {
        Input,
        Initializer,
        Activation,
    }

    /// <summary>A named tensor of a validated graph, with its inferred shape and (for initializers) its data.</summary>
    public sealed class TensorInfo
    {
        internal TensorInfo(string name, TensorKind kind, int[] shape, ElementType type, TensorQuant? quant, SourcePlace place)
        {
            Name = name;
            Kind = kind;
            Shape = shape;
            Type = type;
            Quant = quant;
            Place = place;
            long n = 1;
            foreach (int d in shape)
            {
                n *= d;
            }

            ElementCount = (int)n;
        }

        public string Name { get; }

        public TensorKind Kind { get; }

        public int[] Shape { get; }

        public int ElementCount { get; }

        /// <summary>Element type: float32 in float graphs; the integer type in quantized ones.</summary>
        public ElementType Type { get; }

        /// <summary>Quantized graphs: scale and zero point (per-tensor; per-channel initializers carry <see cref="ChannelScales"/>).</summary>
        public TensorQuant? Quant { get; }

        public double[]? ChannelScales { get; internal set; }

        /// <summary>Initializer data of a float graph.</summary>
        public float[]? FloatData { get; internal set; }

        /// <summary>Initializer data of a quantized graph (unpacked, one int per element).</summary>
        public int[]? IntData { get; internal set; }

        public SourcePlace Place { get; }

        /// <summary>A model input of integer ids (<see cref="InputRole.Index"/>): int32, scale 1, no float boundary.</summary>
        public bool IsIndex { get; internal set; }

        public override string ToString() => Name + " [" + string.Join(", ", Shape) + "] " + Type;
    }

    /// <summary>A layer with its inputs and output resolved to tensors.</summary>
    public sealed class GraphNode
    {
        internal GraphNode(LayerSpec layer, TensorInfo[] inputs, TensorInfo[] outputs)
        {
            Layer = layer;
            Inputs = inputs;
            Outputs = outputs;
        }

        public LayerSpec Layer { get; }

        public IReadOnlyList<TensorInfo> Inputs { get; }

        /// <summary>Output tensors, in the layer's order: one for every operator but Split.</summary>
        public IReadOnlyList<TensorInfo> Outputs { get; }

        /// <summary>The first (for most operators the only) output.</summary>
        public TensorInfo Output => Outputs[0];

        /// <summary>A tensor read through an attribute (weight, bias, gamma, beta), null when absent.</summary>
        public TensorInfo? Weight { get; internal set; }

        public TensorInfo? Bias { get; internal set; }

        /// <summary>
        /// Multiply-accumulates of one inference: Dense and MatMul, one per output element and reduced index; Conv2d, one per
        /// output element and window tap of its group (C/group x kh x kw, padded taps counted); 0 for every other operator.
        /// </summary>
        /// <remarks>Counted by the operator (<see cref="Operators.Operator.Macs"/>).</remarks>
        public long Macs => Operators.OperatorRegistry.Core.Find(Layer.Op)?.Macs(this) ?? 0;

        public override string ToString() => Layer.Name + ": " + Layer.Op;
    }

    /// <summary>
    /// The validated graph IR: every name resolved, every shape inferred, weights decoded, quantization
    /// parameters checked for consistency. Built by <see cref="GraphBuilder"/>; input of the interpreters, the
    /// range analysis and every backend.
    /// </summary>
    public sealed class ModelGraph
    {
        internal ModelGraph(ModelSpec spec, List<TensorInfo> inputs, List<TensorInfo> outputs, List<GraphNode> nodes, Dictionary<string, TensorInfo> tensors)
        {
            Spec = spec;
            Inputs = inputs;
            Outputs = outputs;
            Nodes = nodes;
            Tensors = tensors;
        }

        public ModelSpec Spec { get; }

        public string Name => Spec.Name;

        public bool IsQuantized => Spec.Kind == ModelKind.Quantized;

        /// <summary>The model inputs, in spec order.</summary>
        public IReadOnlyList<TensorInfo> Inputs { get; }

        /// <summary>The model outputs, in spec order.</summary>
        public IReadOnlyList<TensorInfo> Outputs { get; }

        /// <summary>The first (for most models the only) input.</summary>
        public TensorInfo Input => Inputs[0];

        /// <summary>The first (for most models the only) output.</summary>
        public TensorInfo Output => Outputs[0];

        /// <summary>True when the model has one input and one output.</summary>
        public bool IsSingleInputOutput => Inputs.Count == 1 && Outputs.Count == 1;

        public IReadOnlyList<GraphNode> Nodes { get; }

        public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }
    }
}
