using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Json;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Model
{
    /// <summary>
    /// Spec JSON -> <see cref="ModelSpec"/>. Collects every problem it can find (with JSON path, line and
    /// column) instead of stopping at the first; returns null when any error was found.
    /// </summary>
    public sealed class SpecParser
    {
        /// <summary>Largest accepted spec text, in characters.</summary>
        public const int MaxSpecLength = 64 * 1024 * 1024;
        public const int MaxRank = 8;
        public const int MaxDimension = 1 << 24;
        public const int MaxLayers = 100_000;

        /// <summary>Longest class label (characters): labels become string literals in generated code.</summary>
        public const int MaxLabelLength = 256;

        private static readonly string[] TopFields = { "format", "version", "name", "kind", "weights", "inputs", "outputs", "initializers", "activations", "layers", "labels", "metadata" };
        private static readonly string[] InputFields = { "name", "shape", "range", "type", "scale", "zeroPoint" };
        private static readonly string[] InitializerFields = { "type", "shape", "scale", "scales", "zeroPoint" };
        private static readonly string[] ActivationFields = { "type", "scale", "zeroPoint", "shape" };
        private static readonly string[] CommonLayerFields = { "name", "op", "inputs", "output", "outputs", "precision" };
        private static readonly string[] PrecisionFields = { "weightBits", "activationBits", "perChannel" };

        private readonly string file;
        private readonly List<ModelDiagnostic> diagnostics;
        private int errorCount;

        private SpecParser(string file, List<ModelDiagnostic> diagnostics)
        {
            this.file = file;
            this.diagnostics = diagnostics;
        }

        /// <summary>Every "op" string the parser accepts.</summary>
        public static IReadOnlyCollection<string> KnownOperators => OperatorRegistry.Core.All.Select(o => o.Name).ToList();

        /// <summary>Parses spec text; appends diagnostics; returns null if any error was found.</summary>
        public static ModelSpec? Parse(string text, string file, List<ModelDiagnostic> diagnostics)
        {
            var parser = new SpecParser(file, diagnostics);
            if (text.Length > MaxSpecLength)
            {
                parser.Report(ModelErrors.LimitExceeded, $"the spec is {text.Length} characters long; the limit is {MaxSpecLength}", null, 0, 0);
                return null;
            }

            JsonNode root;
            try
            {
                root = JsonParser.Parse(text);
            }
            catch (JsonParseException e)
            {
                parser.Report(ModelErrors.InvalidJson, "invalid JSON: " + e.Message, null, e.Line, e.Column);
                return null;
            }

            ModelSpec spec = parser.ParseRoot(root);
            return parser.errorCount == 0 ? spec : null;
        }

        private void Report(string id, string message, string? place, int line, int column)
        {
            diagnostics.Add(new ModelDiagnostic(id, message, file, place, line, column));
            errorCount++;
        }

        internal void Report(string id, string message, JsonNode at) => Report(id, message, at.Path, at.Line, at.Column);

        private static SourcePlace PlaceOf(JsonNode node) => new SourcePlace(node.Path, node.Line, node.Column);

        private ModelSpec ParseRoot(JsonNode root)
        {
            var spec = new ModelSpec { SourceFile = file };
            if (!(root is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"the spec must be a JSON object, found {root.KindName}", root);
                return spec;
            }

            CheckFields(obj, TopFields, "the model");
            string? format = RequiredString(obj, "format");
            if (format != null && format != ModelSpec.FormatName)
            {
                Report(ModelErrors.UnsupportedFormat, $"\"format\" is \"{format}\"; a QuantGen model file has \"format\": \"{ModelSpec.FormatName}\"", obj.Get("format")!);
                return spec;
            }

            long? version = RequiredInteger(obj, "version", 0, int.MaxValue);
            if (version.HasValue && version.Value != ModelSpec.CurrentVersion)
            {
                Report(ModelErrors.UnsupportedFormat, $"format version {version.Value} is not supported; this QuantGen reads version {ModelSpec.CurrentVersion}", obj.Get("version")!);
                return spec;
            }

            spec.Name = RequiredIdentifier(obj, "name") ?? spec.Name;
            string? kind = RequiredString(obj, "kind");
            if (kind == "float")
            {
                spec.Kind = ModelKind.Float;
            }
            else if (kind == "quantized")
            {
                spec.Kind = ModelKind.Quantized;
            }
            else if (kind != null)
            {
                Report(ModelErrors.InvalidValue, $"\"kind\" must be \"float\" or \"quantized\", not \"{kind}\"", obj.Get("kind")!);
            }

            bool quantized = spec.Kind == ModelKind.Quantized;
            spec.Weights = RequiredString(obj, "weights") ?? string.Empty;
            if (obj.Get("weights") is JsonNode weightsNode)
            {
                spec.WeightsPlace = PlaceOf(weightsNode);
            }

            if (spec.Weights.Length == 0 && obj.Get("weights") is JsonString)
            {
                Report(ModelErrors.InvalidValue, "\"weights\" must name the safetensors file", obj.Get("weights")!);
            }

            JsonArray? inputs = RequiredArray(obj, "inputs");
            if (inputs != null)
            {
                if (inputs.Count == 0)
                {
                    Report(ModelErrors.UnsupportedModel, "a model needs at least one input", inputs);
                }
                else
                {
                    spec.Inputs.Clear();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (JsonNode item in inputs.Items)
                    {
                        InputSpec input = ParseInput(item, quantized);
                        if (!seen.Add(input.Name))
                        {
                            Report(ModelErrors.DuplicateInputOrOutput, $"two model inputs are named \"{input.Name}\"; every input needs its own name", item);
                        }

                        spec.Inputs.Add(input);
                    }
                }
            }

            JsonArray? outputs = RequiredArray(obj, "outputs");
            if (outputs != null)
            {
                if (outputs.Count == 0)
                {
                    Report(ModelErrors.UnsupportedModel, "a model needs at least one output", outputs);
                }
                else
                {
                    spec.Outputs.Clear();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (JsonNode item in outputs.Items)
                    {
                        string name = AsString(item) ?? string.Empty;
                        if (name.Length > 0 && !seen.Add(name))
                        {
                            Report(ModelErrors.DuplicateInputOrOutput, $"\"outputs\" lists \"{name}\" twice; list every model output once", item);
                        }

                        spec.Outputs.Add(new OutputSpec(name, PlaceOf(item)));
                    }
                }
            }

            if (Required(obj, "initializers") is JsonNode initNode)
            {
                if (initNode is JsonObject inits)
                {
                    foreach (KeyValuePair<string, JsonNode> m in inits.Members)
                    {
                        InitializerSpec? init = ParseInitializer(m.Key, m.Value, quantized);
                        if (init != null)
                        {
                            spec.Initializers.Add(init);
                        }
                    }
                }
                else
                {
                    Report(ModelErrors.InvalidValue, $"\"initializers\" must be an object (tensor name -> description), found {initNode.KindName}", initNode);
                }
            }

            JsonNode? actNode = obj.Get("activations");
            if (quantized)
            {
                actNode = Required(obj, "activations");
            }
            else if (actNode != null)
            {
                Report(ModelErrors.InvalidValue, "a float model has no \"activations\" section (activation quantization belongs to quantized models)", actNode);
                actNode = null;
            }

            if (actNode is JsonObject acts)
            {
                foreach (KeyValuePair<string, JsonNode> m in acts.Members)
                {
                    ActivationSpec? a = ParseActivation(m.Key, m.Value);
                    if (a != null)
                    {
                        spec.Activations.Add(a);
                    }
                }
            }
            else if (actNode != null)
            {
                Report(ModelErrors.InvalidValue, $"\"activations\" must be an object (tensor name -> quantization), found {actNode.KindName}", actNode);
            }

            JsonArray? layers = RequiredArray(obj, "layers");
            if (layers != null)
            {
                if (layers.Count == 0)
                {
                    Report(ModelErrors.InvalidValue, "the model has no layers", layers);
                }
                else if (layers.Count > MaxLayers)
                {
                    Report(ModelErrors.LimitExceeded, $"{layers.Count} layers; the limit is {MaxLayers}", layers);
                }
                else
                {
                    foreach (JsonNode l in layers.Items)
                    {
                        LayerSpec? layer = ParseLayer(l, quantized);
                        if (layer != null)
                        {
                            spec.Layers.Add(layer);
                        }
                    }
                }
            }

            if (obj.Get("labels") is JsonNode labelsNode)
            {
                if (labelsNode is JsonArray labels)
                {
                    foreach (JsonNode l in labels.Items)
                    {
                        string? s = AsString(l);
                        if (s != null && s.Length > MaxLabelLength)
                        {
                            Report(ModelErrors.LimitExceeded, $"a label is {s.Length} characters long; the limit is {MaxLabelLength}", l);
                        }
                        else if (s != null)
                        {
                            spec.Labels.Add(s);
                        }
                    }
                }
                else
                {
                    Report(ModelErrors.InvalidValue, $"\"labels\" must be an array of strings, found {labelsNode.KindName}", labelsNode);
                }
            }

            if (obj.Get("metadata") is JsonNode metaNode)
            {
                if (metaNode is JsonObject meta)
                {
                    foreach (KeyValuePair<string, JsonNode> m in meta.Members)
                    {
                        string? s = AsString(m.Value);
                        if (s != null)
                        {
                            spec.Metadata.Add(new KeyValuePair<string, string>(m.Key, s));
                        }
                    }
                }
                else
                {
                    Report(ModelErrors.InvalidValue, $"\"metadata\" must be an object of strings, found {metaNode.KindName}", metaNode);
                }
            }

            return spec;
        }

        private InputSpec ParseInput(JsonNode node, bool quantized)
        {
            var input = new InputSpec { Place = PlaceOf(node) };
            if (!(node is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"an input must be an object, found {node.KindName}", node);
                return input;
            }

            CheckFields(obj, InputFields, "an input");
            input.Name = RequiredTensorName(obj, "name") ?? input.Name;
            input.Shape = RequiredShape(obj, "shape") ?? input.Shape;
            if (RequiredArray(obj, "range") is JsonArray range)
            {
                if (range.Count != 2)
                {
                    Report(ModelErrors.InvalidValue, "\"range\" must be [min, max]", range);
                }
                else
                {
                    double? lo = AsFinite(range.Items[0]);
                    double? hi = AsFinite(range.Items[1]);
                    if (lo.HasValue && hi.HasValue)
                    {
                        if (lo.Value > hi.Value)
                        {
                            Report(ModelErrors.InvalidValue, $"\"range\" is empty: min {lo.Value} > max {hi.Value}", range);
                        }

                        input.RangeMin = lo.Value;
                        input.RangeMax = hi.Value;
                    }
                }
            }

            if (obj.Get("type") is JsonString t && t.Value == "index")
            {
                ParseIndexInput(obj, input, quantized);
            }
            else if (quantized)
            {
                input.Quant = ParseQuant(obj, "the input");
            }
            else
            {
                RejectQuantFields(obj, "the input of a float model");
            }

            return input;
        }

        /// <summary>
        /// <c>"type": "index"</c>: integer ids (int32 in the generated API), no scale or zero point, and a range
        /// [0, n - 1] of whole numbers that every entry point checks.
        /// </summary>
        private void ParseIndexInput(JsonObject obj, InputSpec input, bool quantized)
        {
            input.Role = InputRole.Index;
            foreach (string f in new[] { "scale", "zeroPoint" })
            {
                if (obj.Get(f) is JsonNode extra)
                {
                    Report(ModelErrors.BadInputType, $"index input \"{input.Name}\" holds integer ids and has no \"{f}\"; remove it", extra);
                }
            }

            if (input.RangeMin != 0 || input.RangeMax < 0 || input.RangeMax != Math.Floor(input.RangeMax) || input.RangeMax > int.MaxValue - 1)
            {
                Report(ModelErrors.BadInputType, $"index input \"{input.Name}\" needs \"range\": [0, n - 1] with a whole n - 1 in [0, {int.MaxValue - 1}] (the valid ids); found [{input.RangeMin}, {input.RangeMax}]", obj.Get("range") ?? (JsonNode)obj);
            }

            if (quantized)
            {
                input.Quant = new TensorQuant(ElementType.Int32, 1.0, 0);
            }
        }

        private InitializerSpec? ParseInitializer(string name, JsonNode node, bool quantized)
        {
            if (!(node is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"initializer \"{name}\" must be an object, found {node.KindName}", node);
                return null;
            }

            CheckTensorName(name, node);
            CheckFields(obj, InitializerFields, $"initializer \"{name}\"");
            var init = new InitializerSpec { Name = name, Place = PlaceOf(node) };
            init.Type = RequiredType(obj, "type") ?? ElementType.Float32;
            init.Shape = RequiredShape(obj, "shape") ?? init.Shape;
            if (!quantized)
            {
                if (!init.Type.IsFloat && obj.Get("type") != null)
                {
                    Report(ModelErrors.WrongDtype, $"initializer \"{name}\" of a float model must be float32, not {init.Type}", obj.Get("type")!);
                }

                RejectQuantFields(obj, $"initializer \"{name}\" of a float model");
                return init;
            }

            if (init.Type.IsFloat)
            {
                Report(ModelErrors.WrongDtype, $"initializer \"{name}\" of a quantized model must have an integer type, not float32", obj.Get("type") ?? obj);
            }

            JsonNode? scale = obj.Get("scale");
            JsonNode? scales = obj.Get("scales");
            if (scale != null && scales != null)
            {
                Report(ModelErrors.InvalidValue, $"initializer \"{name}\" has both \"scale\" and \"scales\"; keep one", scales);
            }
            else if (scale != null)
            {
                double? s = AsPositiveScale(scale);
                init.Scales = s.HasValue ? new[] { s.Value } : null;
            }
            else if (scales is JsonArray arr)
            {
                var list = new double[arr.Count];
                for (int i = 0; i < arr.Count; i++)
                {
                    list[i] = AsPositiveScale(arr.Items[i]) ?? 1.0;
                }

                init.Scales = list;
                if (init.Shape.Length > 0 && arr.Count != init.Shape[0])
                {
                    Report(ModelErrors.ShapeMismatch, $"initializer \"{name}\" has {arr.Count} per-channel scales but {init.Shape[0]} channels (axis 0 of shape [{string.Join(", ", init.Shape)}])", arr);
                }
            }
            else if (scales != null)
            {
                Report(ModelErrors.InvalidValue, $"\"scales\" must be an array of numbers, found {scales.KindName}", scales);
            }
            else
            {
                Report(ModelErrors.MissingField, $"initializer \"{name}\" of a quantized model needs \"scale\" or \"scales\"", obj);
            }

            if (obj.Get("zeroPoint") is JsonNode zp)
            {
                init.ZeroPoint = AsInteger(zp, init.Type.IsFloat ? 0 : init.Type.MinValue, init.Type.IsFloat ? 0 : init.Type.MaxValue) ?? 0;
            }

            return init;
        }

        private ActivationSpec? ParseActivation(string name, JsonNode node)
        {
            if (!(node is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"activation \"{name}\" must be an object, found {node.KindName}", node);
                return null;
            }

            CheckTensorName(name, node);
            CheckFields(obj, ActivationFields, $"activation \"{name}\"");
            TensorQuant? q = ParseQuant(obj, $"activation \"{name}\"");
            int[]? shape = obj.Get("shape") != null ? RequiredShape(obj, "shape") : null;
            return q == null ? null : new ActivationSpec(name, q, shape, PlaceOf(node));
        }

        private TensorQuant? ParseQuant(JsonObject obj, string what)
        {
            ElementType? type = RequiredType(obj, "type");
            if (type.HasValue && type.Value.IsFloat)
            {
                Report(ModelErrors.WrongDtype, $"{what} must have an integer type in a quantized model, not float32", obj.Get("type")!);
                return null;
            }

            double? scale = obj.Get("scale") is JsonNode s ? AsPositiveScale(s) : null;
            if (obj.Get("scale") == null)
            {
                Report(ModelErrors.MissingField, $"{what} needs a \"scale\" (real = scale * (q - zeroPoint))", obj);
            }

            long zp = 0;
            if (type.HasValue && obj.Get("zeroPoint") is JsonNode z)
            {
                zp = AsInteger(z, type.Value.MinValue, type.Value.MaxValue) ?? 0;
            }

            return type.HasValue && scale.HasValue ? new TensorQuant(type.Value, scale.Value, zp) : null;
        }

        private void RejectQuantFields(JsonObject obj, string what)
        {
            foreach (string f in new[] { "scale", "scales", "zeroPoint" })
            {
                if (obj.Get(f) is JsonNode n)
                {
                    Report(ModelErrors.InvalidValue, $"{what} cannot have \"{f}\": quantization parameters belong to quantized models", n);
                }
            }
        }

        private LayerSpec? ParseLayer(JsonNode node, bool quantized)
        {
            if (!(node is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"a layer must be an object, found {node.KindName}", node);
                return null;
            }

            string? op = RequiredString(obj, "op");
            if (op == null)
            {
                return null;
            }

            Operator? def = OperatorRegistry.FindByName(op);
            if (def == null)
            {
                string known = string.Join(", ", KnownOperators.OrderBy(k => k, StringComparer.Ordinal));
                Report(ModelErrors.UnknownOperator, $"unknown operator \"{op}\"; version 1 supports {known}", obj.Get("op")!);
                return null;
            }

            CheckFields(obj, CommonLayerFields.Concat(def.Fields).ToArray(), $"a {op} layer");
            LayerSpec? layer = def.Parse(new LayerReader(this, obj, quantized, op));
            if (layer == null)
            {
                return null;
            }

            ParseCommon(layer, obj, op, def);
            return layer;
        }

        /// <summary>The fields every layer has: name, inputs, output or outputs, precision.</summary>
        private void ParseCommon(LayerSpec layer, JsonObject obj, string op, Operator def)
        {
            layer.Name = RequiredIdentifier(obj, "name") ?? string.Empty;
            layer.Place = PlaceOf(obj);
            if (RequiredArray(obj, "inputs") is JsonArray ins)
            {
                int min = def.MinInputs, max = def.MaxInputs;
                if (ins.Count < min || ins.Count > max)
                {
                    string expected = min == max ? $"{min} input{(min == 1 ? string.Empty : "s")}" : max == int.MaxValue ? $"{min} or more inputs" : $"{min} to {max} inputs";
                    Report(ModelErrors.InvalidValue, $"a {op} layer takes {expected}; found {ins.Count}", ins);
                }

                foreach (JsonNode i in ins.Items)
                {
                    string? s = AsString(i);
                    if (s != null)
                    {
                        layer.Inputs.Add(s);
                    }
                }
            }

            ParseOutputs(layer, obj, op, def.MultipleOutputs);
            if (obj.Get("precision") is JsonNode pn)
            {
                layer.Precision = ParsePrecision(pn);
            }
        }

        /// <summary>"output" (one tensor) or "outputs" (an array); an operator with several outputs requires "outputs".</summary>
        private void ParseOutputs(LayerSpec layer, JsonObject obj, string op, bool multiple)
        {
            JsonNode? one = obj.Get("output");
            JsonNode? many = obj.Get("outputs");
            layer.Outputs.Clear();
            if (one != null && many != null)
            {
                Report(ModelErrors.InvalidValue, "a layer has either \"output\" (one tensor) or \"outputs\" (an array), not both", many);
                return;
            }

            if (many == null)
            {
                if (multiple && one != null)
                {
                    Report(ModelErrors.InvalidValue, $"a {op} layer lists its results in \"outputs\" (an array of tensor names), not \"output\"", one);
                    return;
                }

                if (multiple)
                {
                    Report(ModelErrors.MissingField, "missing required field \"outputs\"", obj);
                    return;
                }

                layer.Output = RequiredTensorName(obj, "output") ?? string.Empty;
                return;
            }

            if (!(many is JsonArray arr))
            {
                Report(ModelErrors.InvalidValue, $"\"outputs\" must be an array, found {many.KindName}", many);
                return;
            }

            if (arr.Count == 0 || (!multiple && arr.Count != 1))
            {
                Report(ModelErrors.InvalidValue, multiple ? $"a {op} layer needs at least one output" : $"a {op} layer has one output; \"outputs\" lists {arr.Count}", arr);
                return;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonNode item in arr.Items)
            {
                string? s = AsString(item);
                if (s == null)
                {
                    continue;
                }

                CheckTensorName(s, item);
                if (!seen.Add(s))
                {
                    Report(ModelErrors.DuplicateName, $"\"outputs\" lists \"{s}\" twice; every tensor has one producer", item);
                }

                layer.Outputs.Add(s);
            }
        }

        /// <summary>A required array (at most <see cref="MaxRank"/> entries) of integers in [min, max].</summary>
        internal long[]? RequiredLongArray(JsonObject obj, string field, long min, long max, int maxCount = MaxRank)
        {
            JsonArray? arr = RequiredArray(obj, field);
            if (arr == null)
            {
                return null;
            }

            if (arr.Count > maxCount)
            {
                Report(ModelErrors.LimitExceeded, $"\"{field}\" has {arr.Count} entries; the limit is {maxCount}", arr);
                return null;
            }

            var result = new long[arr.Count];
            bool ok = true;
            for (int i = 0; i < arr.Count; i++)
            {
                long? v = AsInteger(arr.Items[i], min, max);
                ok &= v.HasValue;
                result[i] = v ?? 0;
            }

            return ok ? result : null;
        }

        private Precision ParsePrecision(JsonNode node)
        {
            var p = new Precision();
            if (!(node is JsonObject obj))
            {
                Report(ModelErrors.InvalidValue, $"\"precision\" must be an object, found {node.KindName}", node);
                return p;
            }

            CheckFields(obj, PrecisionFields, "\"precision\"");
            if (obj.Get("weightBits") is JsonNode w)
            {
                p.WeightBits = (int)(AsInteger(w, 2, 16) ?? 8);
            }

            if (obj.Get("activationBits") is JsonNode a)
            {
                p.ActivationBits = (int)(AsInteger(a, 2, 16) ?? 8);
            }

            if (obj.Get("perChannel") is JsonNode pc)
            {
                if (pc.Kind == JsonKind.True || pc.Kind == JsonKind.False)
                {
                    p.PerChannel = pc.Kind == JsonKind.True;
                }
                else
                {
                    Report(ModelErrors.InvalidValue, $"\"perChannel\" must be true or false, found {pc.KindName}", pc);
                }
            }

            return p;
        }

        /// <summary>Builds operator parameters whose constructor checks their mutual constraints.</summary>
        internal T? Create<T>(JsonObject at, Func<T> make)
            where T : struct
        {
            try
            {
                return make();
            }
            catch (ArgumentException e)
            {
                Report(ModelErrors.InvalidQuantization, "inconsistent operator parameters: " + FirstLine(e.Message), at);
                return null;
            }
        }

        private static string FirstLine(string message)
        {
            int i = message.IndexOfAny(new[] { '\r', '\n' });
            return i < 0 ? message : message.Substring(0, i);
        }

        internal T ParseEnum<T>(JsonObject obj, string field, T fallback, params (string Name, T Value)[] options)
        {
            if (!(obj.Get(field) is JsonNode node))
            {
                return fallback;
            }

            string? s = AsString(node);
            if (s == null)
            {
                return fallback;
            }

            foreach ((string name, T value) in options)
            {
                if (name == s)
                {
                    return value;
                }
            }

            Report(ModelErrors.InvalidValue, $"\"{field}\" must be one of {string.Join(", ", options.Select(o => "\"" + o.Name + "\""))}; found \"{s}\"", node);
            return fallback;
        }

        private void CheckFields(JsonObject obj, string[] allowed, string what)
        {
            foreach (KeyValuePair<string, JsonNode> m in obj.Members)
            {
                if (Array.IndexOf(allowed, m.Key) < 0)
                {
                    string? suggestion = allowed.OrderBy(a => EditDistance(a, m.Key)).ThenBy(a => a, StringComparer.Ordinal).FirstOrDefault();
                    string hint = suggestion != null && EditDistance(suggestion, m.Key) <= 3 ? $"; did you mean \"{suggestion}\"?" : $"; allowed: {string.Join(", ", allowed)}";
                    Report(ModelErrors.UnknownField, $"unknown field \"{m.Key}\" in {what}{hint}", m.Value);
                }
            }
        }

        private static int EditDistance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++)
            {
                d[i, 0] = i;
            }

            for (int j = 0; j <= b.Length; j++)
            {
                d[0, j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                for (int j = 1; j <= b.Length; j++)
                {
                    int cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                }
            }

            return d[a.Length, b.Length];
        }

        private JsonNode? Required(JsonObject obj, string field)
        {
            JsonNode? node = obj.Get(field);
            if (node == null)
            {
                Report(ModelErrors.MissingField, $"missing required field \"{field}\"", obj);
            }

            return node;
        }

        private string? RequiredString(JsonObject obj, string field) => Required(obj, field) is JsonNode n ? AsString(n) : null;

        /// <summary>An optional array of exactly <paramref name="count"/> integers in [min, max]; null when absent or invalid (reported).</summary>
        internal int[]? OptionalIntArray(JsonObject obj, string field, int count, int min, int max)
        {
            if (obj.Get(field) == null)
            {
                return null;
            }

            int[]? a = RequiredIntArray(obj, field, min, max);
            if (a != null && a.Length != count)
            {
                Report(ModelErrors.InvalidValue, $"\"{field}\" needs {count} integers; found {a.Length}", obj.Get(field)!);
                return null;
            }

            return a;
        }

        private string? RequiredIdentifier(JsonObject obj, string field)
        {
            string? s = RequiredString(obj, field);
            if (s != null && !IsIdentifier(s))
            {
                Report(ModelErrors.InvalidValue, $"\"{field}\" must be an identifier (letters, digits, '_', not starting with a digit, at most 128 characters); found \"{s}\"", obj.Get(field)!);
                return null;
            }

            return s;
        }

        internal string? RequiredTensorName(JsonObject obj, string field)
        {
            string? s = RequiredString(obj, field);
            if (s != null)
            {
                CheckTensorName(s, obj.Get(field)!);
            }

            return s;
        }

        private void CheckTensorName(string name, JsonNode at)
        {
            bool ok = name.Length > 0 && name.Length <= 256;
            foreach (char c in name)
            {
                ok &= char.IsLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':';
            }

            if (!ok)
            {
                Report(ModelErrors.InvalidValue, $"tensor name \"{name}\" is not allowed: use 1 to 256 letters, digits or _ . - / :", at);
            }
        }

        public static bool IsIdentifier(string s)
        {
            if (s.Length == 0 || s.Length > 128 || !(char.IsLetter(s[0]) || s[0] == '_'))
            {
                return false;
            }

            foreach (char c in s)
            {
                if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '_')))
                {
                    return false;
                }
            }

            return true;
        }

        private string? AsString(JsonNode node)
        {
            if (node is JsonString s)
            {
                return s.Value;
            }

            Report(ModelErrors.InvalidValue, $"expected a string, found {node.KindName}", node);
            return null;
        }

        private JsonArray? RequiredArray(JsonObject obj, string field)
        {
            JsonNode? node = Required(obj, field);
            if (node == null)
            {
                return null;
            }

            if (node is JsonArray a)
            {
                return a;
            }

            Report(ModelErrors.InvalidValue, $"\"{field}\" must be an array, found {node.KindName}", node);
            return null;
        }

        internal long? RequiredInteger(JsonObject obj, string field, long min, long max) =>
            Required(obj, field) is JsonNode n ? AsInteger(n, min, max) : null;

        internal double? RequiredDouble(JsonObject obj, string field) => Required(obj, field) is JsonNode n ? AsFinite(n) : null;

        internal long? AsInteger(JsonNode node, long min, long max)
        {
            if (!(node is JsonNumber num) || !num.IsInteger)
            {
                Report(ModelErrors.InvalidValue, $"expected an integer, found {(node is JsonNumber nn ? nn.Text : node.KindName)}", node);
                return null;
            }

            if (!num.TryGetInt64(out long v) || v < min || v > max)
            {
                Report(ModelErrors.ValueOutOfRange, $"{num.Text} is outside the allowed range [{min}, {max}]", node);
                return null;
            }

            return v;
        }

        internal double? AsFinite(JsonNode node)
        {
            if (node is JsonNumber num)
            {
                return num.ToDouble();
            }

            Report(ModelErrors.InvalidValue, $"expected a number, found {node.KindName}", node);
            return null;
        }

        private double? AsPositiveScale(JsonNode node)
        {
            double? v = AsFinite(node);
            if (v.HasValue && !(v.Value > 0 && v.Value < 1e30 && v.Value > 1e-30))
            {
                Report(ModelErrors.InvalidQuantization, $"a scale must be a positive number between 1e-30 and 1e30; found {v.Value.ToString("R", CultureInfo.InvariantCulture)}", node);
                return null;
            }

            return v;
        }

        private ElementType? RequiredType(JsonObject obj, string field)
        {
            string? s = RequiredString(obj, field);
            if (s == null)
            {
                return null;
            }

            if (ElementType.TryParse(s, out ElementType t))
            {
                return t;
            }

            Report(ModelErrors.InvalidValue, $"unknown element type \"{s}\"; use int2..int16, uint2..uint16, int32 or float32", obj.Get(field)!);
            return null;
        }

        private int[]? RequiredShape(JsonObject obj, string field)
        {
            int[]? shape = RequiredIntArray(obj, field, 1, MaxDimension);
            if (shape != null)
            {
                long count = 1;
                foreach (int d in shape)
                {
                    count *= d;
                }

                if (count > TensorLimits.MaxElements)
                {
                    Report(ModelErrors.LimitExceeded, $"shape [{string.Join(", ", shape)}] has {count} elements; the limit is {TensorLimits.MaxElements}", obj.Get(field)!);
                    return null;
                }
            }

            return shape;
        }

        internal int[]? RequiredIntArray(JsonObject obj, string field, int min, int max)
        {
            JsonArray? arr = RequiredArray(obj, field);
            if (arr == null)
            {
                return null;
            }

            if (arr.Count > MaxRank)
            {
                Report(ModelErrors.LimitExceeded, $"\"{field}\" has {arr.Count} dimensions; the limit is {MaxRank}", arr);
                return null;
            }

            var result = new int[arr.Count];
            bool ok = true;
            for (int i = 0; i < arr.Count; i++)
            {
                long? v = AsInteger(arr.Items[i], min, max);
                ok &= v.HasValue;
                result[i] = (int)(v ?? 0);
            }

            return ok ? result : null;
        }

        /// <summary>Reads the integer (quantized-only) attributes of a layer, rejecting them in float models.</summary>
        public sealed class QuantFields
        {
            private readonly SpecParser p;
            private readonly JsonObject obj;
            private readonly bool quantized;
            private readonly string op;

            internal QuantFields(SpecParser parser, JsonObject obj, bool quantized, string op)
            {
                p = parser;
                this.obj = obj;
                this.quantized = quantized;
                this.op = op;
            }

            public void Forbid(params string[] fields)
            {
                foreach (string f in fields)
                {
                    if (obj.Get(f) is JsonNode n)
                    {
                        p.Report(ModelErrors.InvalidValue, $"\"{f}\" does not belong to this {op} layer's method", n);
                    }
                }
            }

            private JsonNode? Get(string field)
            {
                JsonNode? node = obj.Get(field);
                if (!quantized)
                {
                    if (node != null)
                    {
                        p.Report(ModelErrors.InvalidValue, $"\"{field}\" is an integer parameter; it belongs in quantized models only", node);
                    }

                    return null;
                }

                if (node == null)
                {
                    p.Report(ModelErrors.MissingField, $"a quantized {op} layer needs \"{field}\"", obj);
                }

                return node;
            }

            public long? Integer(string field, long min, long max) => Get(field) is JsonNode n ? p.AsInteger(n, min, max) : null;

            public Dyadic? Dyadic(string multiplier, string shift)
            {
                long? m = Integer(multiplier, int.MinValue + 1L, int.MaxValue);
                long? s = Integer(shift, 0, 62);
                return m.HasValue && s.HasValue ? new Numerics.Dyadic((int)m.Value, (int)s.Value) : (Numerics.Dyadic?)null;
            }

            public long[]? IntegerArray(string field)
            {
                if (!(Get(field) is JsonNode node))
                {
                    return null;
                }

                if (!(node is JsonArray arr))
                {
                    p.Report(ModelErrors.InvalidValue, $"\"{field}\" must be an array of integers, found {node.KindName}", node);
                    return null;
                }

                var result = new long[arr.Count];
                bool ok = true;
                for (int i = 0; i < arr.Count; i++)
                {
                    long? v = p.AsInteger(arr.Items[i], int.MinValue, int.MaxValue);
                    ok &= v.HasValue;
                    result[i] = v ?? 0;
                }

                return ok ? result : null;
            }

            public long[]? IntegerPair(string field)
            {
                long[]? pair = IntegerArray(field);
                if (pair != null && (pair.Length != 2 || pair[0] > pair[1]))
                {
                    p.Report(ModelErrors.InvalidValue, $"\"{field}\" must be [lo, hi] with lo <= hi", obj.Get(field)!);
                    return null;
                }

                return pair;
            }

            public Dyadic[]? DyadicArray(string multipliers, string shifts)
            {
                long[]? m = IntegerArray(multipliers);
                long[]? s = IntegerArray(shifts);
                if (m == null || s == null)
                {
                    return null;
                }

                if (m.Length != s.Length)
                {
                    p.Report(ModelErrors.ShapeMismatch, $"\"{multipliers}\" has {m.Length} entries but \"{shifts}\" has {s.Length}", obj.Get(shifts)!);
                    return null;
                }

                var result = new Numerics.Dyadic[m.Length];
                for (int i = 0; i < m.Length; i++)
                {
                    if (s[i] < 0 || s[i] > Numerics.Dyadic.MaxShift)
                    {
                        p.Report(ModelErrors.ValueOutOfRange, $"shift {s[i]} is outside [0, {Numerics.Dyadic.MaxShift}]", ((JsonArray)obj.Get(shifts)!).Items[i]);
                        return null;
                    }

                    if (m[i] == int.MinValue)
                    {
                        p.Report(ModelErrors.ValueOutOfRange, $"multiplier {m[i]} is outside [{int.MinValue + 1L}, {int.MaxValue}]", ((JsonArray)obj.Get(multipliers)!).Items[i]);
                        return null;
                    }

                    result[i] = new Numerics.Dyadic((int)m[i], (int)s[i]);
                }

                return result;
            }
        }
    }
}
