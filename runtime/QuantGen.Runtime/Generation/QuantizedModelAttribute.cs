using System;

namespace QuantGen
{
    /// <summary>
    /// Marks a partial class as a quantized model: at compile time the QuantGen source generator reads the model
    /// file (spec JSON plus the safetensors weights it names; both must be AdditionalFiles) and adds integer-only
    /// inference members to the class: <c>Infer</c>, a batched <c>Infer</c>, <c>QuantizeInput</c>,
    /// <c>DequantizeOutput</c>, the float-in float-out <c>Run</c>, <c>Predict</c> (single and batched) and <c>TopK</c> for
    /// classifiers, and <c>Info</c>; the class implements <c>QuantGen.IQuantizedModel</c> (<c>QuantGen.IQuantizedClassifier</c>
    /// for classifiers).
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

        /// <summary>
        /// Declares the model with attributes alone: a [ModelInput] and [Dense] layers in order on the class, weights from
        /// the safetensors file named by <see cref="Weights"/>.
        /// </summary>
        public QuantizedModelAttribute()
        {
        }

        public string? ModelPath { get; }

        /// <summary>Attribute-declared models only: the safetensors file holding the integer weights and int32 biases.</summary>
        public string? Weights { get; set; }

        /// <summary>
        /// Whether every public entry point (Infer, InferParallel, Run, Predict, TopK) detects a second call on the same
        /// instance while one runs and throws <see cref="InvalidOperationException"/> (default true). The check is one
        /// interlocked compare-exchange per call; false removes it at compile time (docs/generator.md, "Threads").
        /// </summary>
        public bool ConcurrencyCheck { get; set; } = true;
    }

    /// <summary>The input of an attribute-declared model: name, shape and quantization (real = Scale * (q - ZeroPoint)).</summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class ModelInputAttribute : Attribute
    {
        public ModelInputAttribute(string name, params int[] shape)
        {
            Name = name;
            Shape = shape;
        }

        public string Name { get; }

        public int[] Shape { get; }

        /// <summary>Element type: int8 (default), int4, int16, uint8, ...</summary>
        public string Type { get; set; } = "int8";

        public double Scale { get; set; }

        public long ZeroPoint { get; set; }

        /// <summary>Declared real range of every input element (the range analysis assumes it).</summary>
        public double Min { get; set; }

        public double Max { get; set; }
    }

    /// <summary>
    /// One Dense layer of an attribute-declared model, applied in declaration order. Its weight (integer, [units, inputs],
    /// symmetric) and optional int32 bias (scale = input scale x weight scale) come from the weights file; the generator
    /// derives the dyadic requantization from the scales at build time.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class DenseAttribute : Attribute
    {
        public DenseAttribute(string name)
        {
            Name = name;
        }

        public string Name { get; }

        /// <summary>Weight tensor name in the weights file; default <c>&lt;name&gt;.weight</c>.</summary>
        public string? Weight { get; set; }

        /// <summary>Bias tensor name (int32); none when null.</summary>
        public string? Bias { get; set; }

        /// <summary><c>none</c> (default), <c>relu</c> or <c>relu6</c>.</summary>
        public string Activation { get; set; } = "none";

        /// <summary>Per-tensor weight scale (or use <see cref="WeightScales"/>).</summary>
        public double WeightScale { get; set; }

        /// <summary>One weight scale per output channel.</summary>
        public double[]? WeightScales { get; set; }

        public double OutputScale { get; set; }

        public long OutputZeroPoint { get; set; }

        /// <summary>Bits of the signed integer output (default 8).</summary>
        public int OutputBits { get; set; } = 8;
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
