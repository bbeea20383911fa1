using System.Collections.Generic;
using System.Linq;
using QuantGen.Json;
using QuantGen.Numerics;

namespace QuantGen.Model
{
    /// <summary>What an <see cref="Operators.Operator.Write"/> hook writes a layer's own fields with (deterministic JSON).</summary>
    public sealed class LayerWriter
    {
        private readonly JsonWriter w;

        internal LayerWriter(JsonWriter writer, bool quantized)
        {
            w = writer;
            Quantized = quantized;
        }

        /// <summary>True when writing a quantized model.</summary>
        public bool Quantized { get; }

        public void Property(string name, string value) => w.Property(name, value);

        public void Property(string name, long value) => w.Property(name, value);

        public void Property(string name, double value) => w.Property(name, value);

        public void Property(string name, bool value) => w.Property(name, value);

        public void Property(string name, IEnumerable<long> values) => w.Property(name, values);

        public void Property(string name, IEnumerable<int> values) => w.Property(name, values);

        public void Property(string name, IEnumerable<double> values) => w.Property(name, values);

        /// <summary>A multiplier/shift pair, nothing when <paramref name="d"/> is null.</summary>
        public void Dyadic(string multiplier, string shift, Dyadic? d)
        {
            if (d.HasValue)
            {
                w.Property(multiplier, d.Value.Multiplier);
                w.Property(shift, d.Value.Shift);
            }
        }

        /// <summary>"multipliers" and "shifts" arrays, nothing when <paramref name="d"/> is null.</summary>
        public void Dyadics(IReadOnlyList<Dyadic>? d, string multipliers = "multipliers", string shifts = "shifts")
        {
            if (d != null)
            {
                w.Property(multipliers, d.Select(x => x.Multiplier));
                w.Property(shifts, d.Select(x => x.Shift));
            }
        }
    }
}
