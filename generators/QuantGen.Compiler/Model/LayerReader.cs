using System;
using QuantGen.Json;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Model
{
    /// <summary>
    /// What an <see cref="Operator.Parse"/> hook reads one layer object with: the spec parser's typed field readers, each
    /// reporting a located diagnostic (JSON path, line, column) and returning null on a bad value.
    /// </summary>
    public sealed class LayerReader
    {
        private readonly SpecParser p;

        internal LayerReader(SpecParser parser, JsonObject obj, bool quantized, string op)
        {
            p = parser;
            Object = obj;
            Quantized = quantized;
            OpName = op;
            Quant = new SpecParser.QuantFields(parser, obj, quantized, op);
        }

        /// <summary>The layer object.</summary>
        public JsonObject Object { get; }

        public bool Quantized { get; }

        public string OpName { get; }

        /// <summary>Readers of the integer (quantized-only) fields: required in quantized models, rejected in float ones.</summary>
        public SpecParser.QuantFields Quant { get; }

        public JsonNode? Get(string field) => Object.Get(field);

        /// <summary>Reports at <paramref name="at"/>.</summary>
        public void Report(string id, string message, JsonNode at) => p.Report(id, message, at);

        /// <summary>Reports at the field when present, else at the layer object.</summary>
        public void Report(string id, string message, string field) => p.Report(id, message, Object.Get(field) ?? Object);

        public string? TensorName(string field) => p.RequiredTensorName(Object, field);

        public string? OptionalTensorName(string field) => Object.Get(field) != null ? p.RequiredTensorName(Object, field) : null;

        public T Enum<T>(string field, T fallback, params (string Name, T Value)[] options) => p.ParseEnum(Object, field, fallback, options);

        public double? Double(string field) => p.RequiredDouble(Object, field);

        public double OptionalDouble(string field, double fallback) => Object.Get(field) is JsonNode n ? p.AsFinite(n) ?? fallback : fallback;

        public long? Integer(string field, long min, long max) => p.RequiredInteger(Object, field, min, max);

        public long? OptionalInteger(string field, long min, long max) => Object.Get(field) is JsonNode n ? p.AsInteger(n, min, max) : null;

        public int[]? IntArray(string field, int min, int max) => p.RequiredIntArray(Object, field, min, max);

        /// <summary>An optional array of exactly <paramref name="count"/> integers in [min, max].</summary>
        public int[]? OptionalIntArray(string field, int count, int min, int max) => p.OptionalIntArray(Object, field, count, min, max);

        /// <summary>A required array (at most <paramref name="maxCount"/> entries) of integers in [min, max].</summary>
        public long[]? LongArray(string field, long min, long max, int maxCount = SpecParser.MaxRank) => p.RequiredLongArray(Object, field, min, max, maxCount);

        /// <summary>The number of entries of an array field, null when absent or not an array (reported elsewhere).</summary>
        /// <summary>An array of finite numbers (null when absent, or bad, which was reported).</summary>
        public double[]? DoubleArray(string field)
        {
            if (!(Object.Get(field) is JsonNode node))
            {
                return null;
            }

            if (!(node is JsonArray arr))
            {
                Report(ModelErrors.InvalidValue, $"\"{field}\" must be an array of numbers, found {node.KindName}", node);
                return null;
            }

            var result = new double[arr.Count];
            for (int i = 0; i < arr.Count; i++)
            {
                double? v = p.AsFinite(arr.Items[i]);
                if (!v.HasValue)
                {
                    return null;
                }

                result[i] = v.Value;
            }

            return result;
        }

        public int? ArrayCount(string field) => Object.Get(field) is JsonArray a ? a.Count : (int?)null;

        /// <summary>Builds operator parameters whose constructor checks their mutual constraints.</summary>
        public T? Create<T>(Func<T> make)
            where T : struct => p.Create(Object, make);

        /// <summary>
        /// The layer as the phase wants it: in a quantized model, <paramref name="layer"/> carrying the integer record that
        /// <paramref name="make"/> builds once every field was read and checked (<paramref name="make"/> returns null when a
        /// field was missing or bad, which was reported; a record constructor's ArgumentException becomes a located
        /// diagnostic); in a float model, <paramref name="layer"/> as it is.
        /// </summary>
        public LayerSpec WithIntegers<TIntegers>(QuantizableLayer<TIntegers> layer, Func<TIntegers?> make)
            where TIntegers : LayerIntegers
        {
            if (!Quantized)
            {
                return layer;
            }

            TIntegers? integers;
            try
            {
                integers = make();
            }
            catch (ArgumentException e)
            {
                p.Report(ModelErrors.InvalidQuantization, "inconsistent operator parameters: " + e.Message.Split('\n')[0].TrimEnd('\r'), Object);
                return layer;
            }

            return integers == null ? layer : layer.WithIntegers(integers);
        }

        internal void ReportNoHook(Operator op, string stage) =>
            p.Report(ModelErrors.UnknownOperator, $"operator \"{op.Name}\" has no {stage} in the core (Operators/{op.Name})", Object.Get("op") ?? Object);
    }
}
