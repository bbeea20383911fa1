using System;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>Tanh: y = tanh(x), quantized as a build-time table (<see cref="LookupOperator"/>).</summary>
    public sealed class TanhOperator : LookupOperator
    {
        public override OpKind Op => OpKind.Tanh;

        public override double Function(LookupLayer layer, double x) => Math.Tanh(x);

        protected override LookupLayer Create(LayerReader r) => new TanhLayer();
    }
}

namespace QuantGen.Model
{
    /// <summary>Tanh (no attributes); quantized: the table of <see cref="LookupLayer"/>.</summary>
    public sealed class TanhLayer : LookupLayer
    {
        public TanhLayer()
            : base(OpKind.Tanh)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new TanhLayer());
    }
}
