using System.Collections.Generic;
using QuantGen.Numerics;

namespace QuantGen.Model
{
    public enum ModelKind
    {
        Float,
        Quantized,
    }

    /// <summary>Where something was declared: JSON path plus 1-based line/column (0 when made in memory).</summary>
    public readonly struct SourcePlace
    {
        public SourcePlace(string path, int line, int column)
        {
            Path = path;
            Line = line;
            Column = column;
        }

        public string Path { get; }

        public int Line { get; }

        public int Column { get; }

        public static SourcePlace None => new SourcePlace("$", 0, 0);
    }

    /// <summary>Quantization of one tensor: real = Scale * (q - ZeroPoint).</summary>
    public sealed class TensorQuant
    {
        public TensorQuant(ElementType type, double scale, long zeroPoint)
        {
            Type = type;
            Scale = scale;
            ZeroPoint = zeroPoint;
        }

        public ElementType Type { get; }

        public double Scale { get; }

        public long ZeroPoint { get; }

        public double Dequantize(long q) => Scale * (q - ZeroPoint);

        public override string ToString() => Type + " scale " + Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + " zp " + ZeroPoint;
    }

    /// <summary>What a model input carries.</summary>
    public enum InputRole
    {
        /// <summary>A quantized activation (int8/int16 and friends): the float API quantizes reals into it.</summary>
        Activation,

        /// <summary>
        /// Integer indices (token ids): int32 in the generated API, no quantization (scale 1, zero point 0 in a quantized
        /// model); its "range" [0, n - 1] is the set of valid ids, checked by every generated entry point.
        /// </summary>
        Index,
    }

    public sealed class InputSpec
    {
        public string Name { get; set; } = "input";

        /// <summary>Spec <c>"type": "index"</c> makes an <see cref="InputRole.Index"/> input.</summary>
        public InputRole Role { get; set; }

        public bool IsIndex => Role == InputRole.Index;

        public int[] Shape { get; set; } = new int[0];

        /// <summary>Declared real-valued range of every input element.</summary>
        public double RangeMin { get; set; }

        public double RangeMax { get; set; }

        /// <summary>Quantized models only.</summary>
        public TensorQuant? Quant { get; set; }

        public SourcePlace Place { get; set; } = SourcePlace.None;
    }

    /// <summary>A tensor stored in the weights file.</summary>
    public sealed class InitializerSpec
    {
        public string Name { get; set; } = string.Empty;

        public ElementType Type { get; set; } = ElementType.Float32;

        public int[] Shape { get; set; } = new int[0];

        /// <summary>Quantized only: one scale (per tensor) or one per output channel (axis 0).</summary>
        public double[]? Scales { get; set; }

        public long ZeroPoint { get; set; }

        public SourcePlace Place { get; set; } = SourcePlace.None;
    }

    public sealed class ActivationSpec
    {
        public ActivationSpec(string name, TensorQuant quant, int[]? shape, SourcePlace place)
        {
            Name = name;
            Quant = quant;
            Shape = shape;
            Place = place;
        }

        public string Name { get; }

        public TensorQuant Quant { get; }

        /// <summary>Optional declared shape, checked against shape inference.</summary>
        public int[]? Shape { get; }

        public SourcePlace Place { get; }
    }

    /// <summary>A model output: the tensor's name and where it was declared.</summary>
    public sealed class OutputSpec
    {
        public OutputSpec(string name, SourcePlace place)
        {
            Name = name;
            Place = place;
        }

        public string Name { get; }

        public SourcePlace Place { get; }
    }

    public sealed class ModelSpec
    {
        public const string FormatName = "quantgen";
        public const int CurrentVersion = 1;

        public string Name { get; set; } = "model";

        public ModelKind Kind { get; set; }

        /// <summary>Weights file path relative to the spec file.</summary>
        public string Weights { get; set; } = string.Empty;

        /// <summary>The model inputs in spec order (never empty: a new spec has one default input).</summary>
        public List<InputSpec> Inputs { get; } = new List<InputSpec> { new InputSpec() };

        /// <summary>The model outputs in spec order (never empty).</summary>
        public List<OutputSpec> Outputs { get; } = new List<OutputSpec> { new OutputSpec(string.Empty, SourcePlace.None) };

        /// <summary>The first (for most models the only) input.</summary>
        public InputSpec Input
        {
            get => Inputs[0];
            set => Inputs[0] = value;
        }

        /// <summary>The first (for most models the only) output.</summary>
        public string Output
        {
            get => Outputs[0].Name;
            set => Outputs[0] = new OutputSpec(value, Outputs[0].Place);
        }

        /// <summary>Where the first output was declared (for diagnostics).</summary>
        public SourcePlace OutputPlace
        {
            get => Outputs[0].Place;
            set => Outputs[0] = new OutputSpec(Outputs[0].Name, value);
        }

        public SourcePlace WeightsPlace { get; set; } = SourcePlace.None;

        public List<InitializerSpec> Initializers { get; } = new List<InitializerSpec>();

        public List<ActivationSpec> Activations { get; } = new List<ActivationSpec>();

        public List<LayerSpec> Layers { get; } = new List<LayerSpec>();

        public List<string> Labels { get; } = new List<string>();

        public List<KeyValuePair<string, string>> Metadata { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>The spec file this was read from (for diagnostics); empty when built in memory.</summary>
        public string SourceFile { get; set; } = string.Empty;

        public InitializerSpec? FindInitializer(string name) => Initializers.Find(i => i.Name == name);

        public ActivationSpec? FindActivation(string name) => Activations.Find(a => a.Name == name);
    }
}
