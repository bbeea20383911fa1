using System;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>Sigmoid: y = 1 / (1 + e^-x), quantized as a build-time table (<see cref="LookupOperator"/>).</summary>
    public sealed class SigmoidOperator : LookupOperator
    {
        public override OpKind Op => OpKind.Sigmoid;

        public override double Function(LookupLayer layer, double x) => 1.0 / (1.0 + Math.Exp(-x));

        protected override LookupLayer Create(LayerReader r) => new SigmoidLayer();
    }
}

namespace QuantGen.Model
{
    /// <summary>Sigmoid (no attributes); quantized: the table of <see cref="LookupLayer"/>.</summary>
    public sealed class SigmoidLayer : LookupLayer
    {
        public SigmoidLayer()
            : base(OpKind.Sigmoid)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new SigmoidLayer());
    }
}
