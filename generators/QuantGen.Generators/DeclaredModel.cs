using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Generators
{
    /// <summary>[ModelInput] of an attribute-declared model.</summary>
    public sealed class DeclaredInput : IEquatable<DeclaredInput>
    {
        public DeclaredInput(string name, EquatableArray<int> shape, string type, double scale, long zeroPoint, double min, double max)
        {
            Name = name;
            Shape = shape;
            Type = type;
            Scale = scale;
            ZeroPoint = zeroPoint;
            Min = min;
            Max = max;
        }

        public string Name { get; }

        public EquatableArray<int> Shape { get; }

        public string Type { get; }

        public double Scale { get; }

        public long ZeroPoint { get; }

        public double Min { get; }

        public double Max { get; }

        public bool Equals(DeclaredInput? o) =>
            o != null && Name == o.Name && Shape.Equals(o.Shape) && Type == o.Type && Scale.Equals(o.Scale) && ZeroPoint == o.ZeroPoint && Min.Equals(o.Min) && Max.Equals(o.Max);

        public override bool Equals(object? obj) => Equals(obj as DeclaredInput);

        public override int GetHashCode() => (Name, Scale, ZeroPoint).GetHashCode();
    }

    /// <summary>One [Dense] of an attribute-declared model.</summary>
    public sealed class DeclaredDense : IEquatable<DeclaredDense>
    {
        public DeclaredDense(string name, string weight, string? bias, string activation, EquatableArray<double> weightScales, double outputScale, long outputZeroPoint, int outputBits, LocationInfo? location)
        {
            Name = name;
            Weight = weight;
            Bias = bias;
            Activation = activation;
            WeightScales = weightScales;
            OutputScale = outputScale;
            OutputZeroPoint = outputZeroPoint;
            OutputBits = outputBits;
            Location = location;
        }

        public string Name { get; }

        public string Weight { get; }

        public string? Bias { get; }

        public string Activation { get; }

        public EquatableArray<double> WeightScales { get; }

        public double OutputScale { get; }

        public long OutputZeroPoint { get; }

        public int OutputBits { get; }

        public LocationInfo? Location { get; }

        public bool Equals(DeclaredDense? o) =>
            o != null && Name == o.Name && Weight == o.Weight && Bias == o.Bias && Activation == o.Activation && WeightScales.Equals(o.WeightScales) &&
            OutputScale.Equals(o.OutputScale) && OutputZeroPoint == o.OutputZeroPoint && OutputBits == o.OutputBits && Equals(Location, o.Location);

        public override bool Equals(object? obj) => Equals(obj as DeclaredDense);

        public override int GetHashCode() => (Name, Weight, OutputScale).GetHashCode();
    }

    /// <summary>A model declared with attributes alone: input, Dense layers in order, and the weights file.</summary>
    public sealed class DeclaredModel : IEquatable<DeclaredModel>
    {
        public DeclaredModel(string weightsPath, DeclaredInput input, EquatableArray<DeclaredDense> layers)
        {
            WeightsPath = weightsPath;
            Input = input;
            Layers = layers;
        }

        public string WeightsPath { get; }

        public DeclaredInput Input { get; }

        public EquatableArray<DeclaredDense> Layers { get; }

        public bool Equals(DeclaredModel? o) => o != null && WeightsPath == o.WeightsPath && Input.Equals(o.Input) && Layers.Equals(o.Layers);

        public override bool Equals(object? obj) => Equals(obj as DeclaredModel);

        public override int GetHashCode() => (WeightsPath, Layers.Count).GetHashCode();

        public const string ModelInputAttribute = "QuantGen.ModelInputAttribute";
        public const string DenseAttribute = "QuantGen.DenseAttribute";

        /// <summary>Reads [ModelInput] and [Dense] attributes; reports what is missing or invalid at the attribute.</summary>
        internal static DeclaredModel? Parse(INamedTypeSymbol symbol, string weightsPath, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            DeclaredInput? input = null;
            var layers = new List<DeclaredDense>();
            bool ok = true;
            foreach (AttributeData a in symbol.GetAttributes())
            {
                string? name = a.AttributeClass?.ToDisplayString();
                LocationInfo? at = LocationInfo.From((a.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax)?.GetLocation()) ?? classLocation;
                void Invalid(string message)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, at, message));
                    ok = false;
                }

                Dictionary<string, TypedConstant> named = a.NamedArguments.ToDictionary(kv => kv.Key, kv => kv.Value);
                double Double(string key) => named.TryGetValue(key, out TypedConstant v) && v.Value != null ? Convert.ToDouble(v.Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                long Long(string key, long fallback) => named.TryGetValue(key, out TypedConstant v) && v.Value != null ? Convert.ToInt64(v.Value, System.Globalization.CultureInfo.InvariantCulture) : fallback;
                string? Str(string key) => named.TryGetValue(key, out TypedConstant v) ? v.Value as string : null;

                if (name == ModelInputAttribute)
                {
                    string inputName = a.ConstructorArguments.Length > 0 ? a.ConstructorArguments[0].Value as string ?? string.Empty : string.Empty;
                    int[] shape = a.ConstructorArguments.Length > 1 && a.ConstructorArguments[1].Kind == TypedConstantKind.Array
                        ? a.ConstructorArguments[1].Values.Select(v => (int)v.Value!).ToArray()
                        : Array.Empty<int>();
                    double scale = Double("Scale");
                    string type = Str("Type") ?? "int8";
                    if (inputName.Length == 0 || shape.Length == 0 || shape.Any(d => d <= 0))
                    {
                        Invalid("[ModelInput] needs a name and a shape of positive dimensions, e.g. [ModelInput(\"pixels\", 64, Scale = 0.0627, ZeroPoint = -128, Min = 0, Max = 16)]");
                    }
                    else if (!(scale > 0))
                    {
                        Invalid($"[ModelInput(\"{inputName}\")] needs a positive Scale");
                    }
                    else if (!ElementType.TryParse(type, out ElementType t) || t.IsFloat)
                    {
                        Invalid($"[ModelInput(\"{inputName}\")] Type \"{type}\" is not an integer element type (int2..int16, uint2..uint16)");
                    }
                    else
                    {
                        input = new DeclaredInput(inputName, new EquatableArray<int>(shape), type, scale, Long("ZeroPoint", 0), Double("Min"), Double("Max"));
                    }
                }
                else if (name == DenseAttribute)
                {
                    string layer = a.ConstructorArguments.Length > 0 ? a.ConstructorArguments[0].Value as string ?? string.Empty : string.Empty;
                    double[] scales = named.TryGetValue("WeightScales", out TypedConstant ws) && ws.Kind == TypedConstantKind.Array
                        ? ws.Values.Select(v => Convert.ToDouble(v.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
                        : Double("WeightScale") > 0 ? new[] { Double("WeightScale") } : Array.Empty<double>();
                    string activation = Str("Activation") ?? "none";
                    int bits = (int)Long("OutputBits", 8);
                    if (layer.Length == 0)
                    {
                        Invalid("[Dense] needs the layer's name");
                    }
                    else if (scales.Length == 0 || scales.Any(s => !(s > 0)))
                    {
                        Invalid($"[Dense(\"{layer}\")] needs a positive WeightScale or WeightScales (one per output channel)");
                    }
                    else if (!(Double("OutputScale") > 0))
                    {
                        Invalid($"[Dense(\"{layer}\")] needs a positive OutputScale");
                    }
                    else if (activation != "none" && activation != "relu" && activation != "relu6")
                    {
                        Invalid($"[Dense(\"{layer}\")] Activation \"{activation}\" is not one of \"none\", \"relu\", \"relu6\"");
                    }
                    else if (bits < 2 || bits > 16)
                    {
                        diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.BitWidthOutOfRange, at, "OutputBits", bits.ToString(System.Globalization.CultureInfo.InvariantCulture), "2..16"));
                        ok = false;
                    }
                    else
                    {
                        layers.Add(new DeclaredDense(layer, Str("Weight") ?? layer + ".weight", Str("Bias"), activation, new EquatableArray<double>(scales), Double("OutputScale"), Long("OutputZeroPoint", 0), bits, at));
                    }
                }
            }

            if (input == null && ok)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, classLocation, "a model declared with [QuantizedModel(Weights = ...)] needs a [ModelInput(...)] attribute"));
                ok = false;
            }

            if (layers.Count == 0 && ok)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, classLocation, "a model declared with [QuantizedModel(Weights = ...)] needs at least one [Dense(...)] layer"));
                ok = false;
            }

            return ok ? new DeclaredModel(weightsPath, input!, new EquatableArray<DeclaredDense>(layers)) : null;
        }

        /// <summary>
        /// The declaration as a quantized model spec (the same format a .qmodel.json holds), with types and shapes from
        /// the weights file and dyadic multipliers folded from the scales. Returns null (with diagnostics) on mismatch.
        /// </summary>
        internal ModelSpec? ToSpec(string className, IReadOnlyList<RawTensor> tensors, LocationInfo? classLocation, List<DiagnosticInfo> diagnostics)
        {
            var spec = new ModelSpec { Name = SpecParser.IsIdentifier(className) ? className : "model", Kind = ModelKind.Quantized, Weights = WeightsPath };
            ElementType.TryParse(Input.Type, out ElementType inType);
            var inQ = new TensorQuant(inType, Input.Scale, Input.ZeroPoint);
            spec.Input = new InputSpec { Name = Input.Name, Shape = Input.Shape.ToArray(), RangeMin = Input.Min, RangeMax = Input.Max, Quant = inQ };
            string current = Input.Name;
            TensorQuant currentQ = inQ;
            foreach (DeclaredDense d in Layers)
            {
                RawTensor? w = tensors.FirstOrDefault(t => t.Name == d.Weight);
                RawTensor? b = d.Bias == null ? null : tensors.FirstOrDefault(t => t.Name == d.Bias);
                if (w == null || (d.Bias != null && b == null))
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, d.Location, $"[Dense(\"{d.Name}\")] names tensor \"{(w == null ? d.Weight : d.Bias)}\", which is not in {WeightsPath}; it holds {string.Join(", ", tensors.Select(t => t.Name))}"));
                    return null;
                }

                if (w.Dtype != "I8" && w.Dtype != "I16")
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, d.Location, $"[Dense(\"{d.Name}\")] weight \"{d.Weight}\" is stored as {w.Dtype}; attribute-declared models take I8 or I16 weights (use a .qmodel.json spec for packed int4)"));
                    return null;
                }

                ElementType wType = w.Dtype == "I8" ? ElementType.Int8 : ElementType.Int16;
                int[] wShape = w.Shape.Select(v => (int)v).ToArray();

                int units = wShape.Length > 0 ? wShape[0] : 0;
                double[] scales = d.WeightScales.Count == 1 ? Enumerable.Repeat(d.WeightScales[0], Math.Max(units, 1)).ToArray() : d.WeightScales.ToArray();
                if (scales.Length != units)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, d.Location, $"[Dense(\"{d.Name}\")] has {scales.Length} WeightScales but weight \"{d.Weight}\" has {units} output channels"));
                    return null;
                }

                spec.Initializers.Add(new InitializerSpec { Name = d.Weight, Type = wType, Shape = wShape, Scales = d.WeightScales.Count == 1 ? new[] { d.WeightScales[0] } : scales });
                if (b != null)
                {
                    spec.Initializers.Add(new InitializerSpec { Name = b.Name, Type = ElementType.Int32, Shape = b.Shape.Select(v => (int)v).ToArray(), Scales = scales.Select(s => s * currentQ.Scale).ToArray() });
                }

                var outQ = new TensorQuant(ElementType.Int(d.OutputBits), d.OutputScale, d.OutputZeroPoint);
                ClampBounds clamp = d.Activation == "relu" ? ClampBounds.Relu(outQ.Type, outQ.ZeroPoint) : d.Activation == "relu6" ? ClampBounds.Relu6(outQ.Type, outQ.Scale, outQ.ZeroPoint) : ClampBounds.None(outQ.Type);
                var layer = new DenseLayer
                {
                    Name = d.Name,
                    Output = d.Name,
                    Weight = d.Weight,
                    Bias = d.Bias,
                    Activation = d.Activation == "relu" ? Activation.Relu : d.Activation == "relu6" ? Activation.Relu6 : Activation.None,
                    Integers = new WeightedIntegers(scales.Select(s => Dyadic.FromReal(currentQ.Scale * s / outQ.Scale)), clamp),
                };
                layer.Inputs.Add(current);
                spec.Layers.Add(layer);
                spec.Activations.Add(new ActivationSpec(d.Name, outQ, null, SourcePlace.None));
                current = d.Name;
                currentQ = outQ;
            }

            spec.Output = current;
            return spec;
        }
    }
}
