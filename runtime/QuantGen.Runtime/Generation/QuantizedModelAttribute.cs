using System;

namespace QuantGen
{
    /// <summary>
    /// Marks a partial class as a quantized model: at compile time the QuantGen source generator reads the model
    /// file (spec JSON plus the safetensors weights it names; both must be AdditionalFiles) and adds integer-only
    /// inference members to the class: <c>Infer</c>, a batched <c>Infer</c>, <c>QuantizeInput</c>,
    /// <c>DequantizeOutput</c>, <c>Predict</c> for classifiers, and <c>Info</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class QuantizedModelAttribute : Attribute
    {
        /// <param name="modelPath">Path of the <c>.qmodel.json</c> spec, matched against the AdditionalFiles (a suffix of
        /// their full path, e.g. <c>models/digits_mlp.qmodel.json</c>).</param>
        public QuantizedModelAttribute(string modelPath)
        {
            ModelPath = modelPath;
        }

        public string ModelPath { get; }
    }

    /// <summary>
    /// States what the code expects of one layer of the model file; the generator checks it against the file and
    /// reports QG2006 when they disagree (so a re-quantized file cannot silently change what the code relies on).
    /// Unset properties are not checked.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LayerOverrideAttribute : Attribute
    {
        public LayerOverrideAttribute(string layer)
        {
            Layer = layer;
        }

        /// <summary>The layer's name in the model file.</summary>
        public string Layer { get; }

        /// <summary>Bits of the layer's weights (2..16).</summary>
        public int WeightBits { get; set; }

        /// <summary>Bits of the layer's output activation (2..16, or 32).</summary>
        public int ActivationBits { get; set; }

        /// <summary>Whether the weights have one scale per output channel.</summary>
        public bool PerChannel { get; set; }

        /// <summary>Softmax method (<c>shiftmax</c>, <c>ibert</c>) or GELU method (<c>shiftgelu</c>, <c>ibert</c>).</summary>
        public string? Method { get; set; }
    }
}
