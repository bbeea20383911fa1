using System;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>HardSwish: y = x * max(0, min(1, x / 6 + 1/2)) (ONNX HardSwish, torch nn.Hardswish), quantized exactly
    /// (<see cref="PiecewiseLinear"/> with alpha exactly 1/6, beta 1/2: the gate scaled by S_x / S_y times x - z_x, rounded
    /// once): a table of the exact outputs for inputs of at most 8 bits, the int64 arithmetic itself for wider inputs.</summary>
    public sealed class HardSwishOperator : LookupOperator
    {
        public override OpKind Op => OpKind.HardSwish;

        public override double Function(LookupLayer layer, double x) => x * Math.Max(0.0, Math.Min(1.0, (x / 6.0) + 0.5));

        public override bool HasExactForm => true;

        public override PiecewiseLinear? Exact(LookupLayer layer, TensorQuant inQ, TensorQuant outQ) =>
            PiecewiseLinear.Derive(System.Numerics.BigInteger.One, new System.Numerics.BigInteger(6), 0.5, true, inQ, outQ);

        protected override LookupLayer Create(LayerReader r) => new HardSwishLayer();
    }
}

namespace QuantGen.Model
{
    /// <summary>HardSwish (no attributes); quantized: the table of <see cref="LookupLayer"/>.</summary>
    public sealed class HardSwishLayer : LookupLayer
    {
        public HardSwishLayer()
            : base(OpKind.HardSwish)
        {
        }

        public override LayerSpec CloneFloat() => CopyBase(new HardSwishLayer());
    }
}
