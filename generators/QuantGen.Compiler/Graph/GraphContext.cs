using QuantGen.Model;

namespace QuantGen.Graph
{
    /// <summary>
    /// What an operator's shape inference and quantization check see of the graph being built: the layer, its resolved
    /// inputs, the attribute initializers it binds, and diagnostics that point at the layer.
    /// </summary>
    public sealed class GraphContext
    {
        private readonly GraphBuilder b;

        internal GraphContext(GraphBuilder builder, LayerSpec layer, TensorInfo[] inputs, bool quantized)
        {
            b = builder;
            Layer = layer;
            Inputs = inputs;
            Quantized = quantized;
        }

        public LayerSpec Layer { get; }

        public TensorInfo[] Inputs { get; }

        /// <summary>True when building a quantized graph.</summary>
        public bool Quantized { get; }

        /// <summary>The initializer read through the "weight" (or "gamma") attribute, once bound.</summary>
        public TensorInfo? Weight { get; set; }

        /// <summary>The initializer read through the "bias" (or "beta") attribute, once bound.</summary>
        public TensorInfo? Bias { get; set; }

        /// <summary>Reports <c>layer "name": message</c> at the layer; returns null (for shape inference).</summary>
        public int[]? Fail(string message, string id = ModelErrors.ShapeMismatch)
        {
            b.Report(id, $"layer \"{Layer.Name}\": {message}", Layer.Place);
            return null;
        }

        /// <summary>Reports an inconsistent quantization parameter; returns false.</summary>
        public bool Reject(string message, string id = ModelErrors.InvalidQuantization)
        {
            Fail(message, id);
            return false;
        }

        /// <summary>An initializer read through an attribute (reported when undeclared).</summary>
        public TensorInfo? Initializer(string name, string role)
        {
            if (b.TryGetTensor(name, out TensorInfo? t) && t!.Kind == TensorKind.Initializer)
            {
                return t;
            }

            if (b.Spec.FindInitializer(name) == null)
            {
                b.Report(ModelErrors.UndefinedTensor, $"layer \"{Layer.Name}\": {role} \"{name}\" is not declared in \"initializers\"", Layer.Place);
            }

            return null;
        }
    }
}
