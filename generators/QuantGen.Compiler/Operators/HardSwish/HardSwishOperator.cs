using System;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>HardSwish: y = x * max(0, min(1, x / 6 + 1/2)) (ONNX HardSwish, torch nn.Hardswish), quantized as a build-time table (<see cref="LookupOperator"/>).</summary>
    public sealed class HardSwishOperator : LookupOperator
    {
        public override OpKind Op => OpKind.HardSwish;

        public override double Function(LookupLayer layer, double x) => x * Math.Max(0.0, Math.Min(1.0, (x / 6.0) + 0.5));

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
