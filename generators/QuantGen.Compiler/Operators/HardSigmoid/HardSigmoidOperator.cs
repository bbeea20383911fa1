using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>
    /// HardSigmoid: y = max(0, min(1, alpha x + beta)) (ONNX defaults alpha 0.2, beta 0.5; torch's nn.Hardsigmoid exports
    /// alpha 1/6), quantized exactly (<see cref="PiecewiseLinear"/>, one rounding): a 2^bits-entry table of the exact outputs
    /// for inputs of at most 8 bits, the dyadic arithmetic itself for wider inputs.
    /// </summary>
    public sealed class HardSigmoidOperator : LookupOperator
    {
        private static readonly string[] OwnAttributes = { "alpha", "beta" };

        public override OpKind Op => OpKind.HardSigmoid;

        protected override IReadOnlyList<string> Attributes => OwnAttributes;

        public override double Function(LookupLayer layer, double x)
        {
            var h = (HardSigmoidLayer)layer;
            return Math.Max(0.0, Math.Min(1.0, (h.Alpha * x) + h.Beta));
        }

        public override bool HasExactForm => true;

        public override PiecewiseLinear? Exact(LookupLayer layer, TensorQuant inQ, TensorQuant outQ)
        {
            var h = (HardSigmoidLayer)layer;
            (System.Numerics.BigInteger n, System.Numerics.BigInteger d) = PiecewiseLinear.Exact(h.Alpha);
            return PiecewiseLinear.Derive(n, d, h.Beta, false, inQ, outQ);
        }

        protected override LookupLayer Create(LayerReader r)
        {
            var h = new HardSigmoidLayer { Alpha = r.OptionalDouble("alpha", HardSigmoidLayer.DefaultAlpha), Beta = r.OptionalDouble("beta", HardSigmoidLayer.DefaultBeta) };
            if (double.IsNaN(h.Alpha) || double.IsInfinity(h.Alpha) || double.IsNaN(h.Beta) || double.IsInfinity(h.Beta))
            {
                r.Report(ModelErrors.InvalidValue, $"HardSigmoid alpha {h.Alpha.ToString("R", CultureInfo.InvariantCulture)} and beta {h.Beta.ToString("R", CultureInfo.InvariantCulture)} must be finite", "alpha");
            }

            return h;
        }

        protected override void WriteAttributes(LookupLayer layer, LayerWriter w)
        {
            var h = (HardSigmoidLayer)layer;
            w.Property("alpha", h.Alpha);
            w.Property("beta", h.Beta);
        }
    }
}

namespace QuantGen.Model
{
    /// <summary>HardSigmoid with its two float attributes; quantized: the table of <see cref="LookupLayer"/>.</summary>
    public sealed class HardSigmoidLayer : LookupLayer
    {
        public const double DefaultAlpha = 0.2;

        public const double DefaultBeta = 0.5;

        public HardSigmoidLayer()
            : base(OpKind.HardSigmoid)
        {
        }

        public double Alpha { get; set; } = DefaultAlpha;

        public double Beta { get; set; } = DefaultBeta;

        public override LayerSpec CloneFloat() => CopyBase(new HardSigmoidLayer { Alpha = Alpha, Beta = Beta });
    }
}
