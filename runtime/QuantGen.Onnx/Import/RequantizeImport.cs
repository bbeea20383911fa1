using System.Collections.Generic;
using System.Globalization;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// Two patterns -> Requantize: back-to-back fake quants with different parameters and nothing but Identity/Dropout
    /// between them (torch FX's QAT around Dropout: the second QuantizeLinear reaches pass 2 and is dispatched here), and
    /// a Mul or Div of an activation by a positive scalar constant that no Conv/Dense/MatMul absorbs (the attention scale
    /// after a QDQ'd q @ k^T in ORT-quantized transformers; called from the importer's Mul/Div case).
    /// </summary>
    public sealed class RequantizeImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Requantize;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "QuantizeLinear", "Mul", "Div" };

        public override bool LowersDirectly => true;

        public override IReadOnlyList<string> DispatchedOps { get; } = new[] { "QuantizeLinear" };

        internal override void Lower(OnnxImportContext c)
        {
            string x = c.Inputs[0];
            c.Add(new RequantizeLayer(), new[] { x }, new[] { c.Node.Outputs[0] }, new[] { c.Shape(x) });
        }

        /// <summary>Mul/Div of an activation by a positive scalar constant as a Requantize with that factor; false when the node is not that.</summary>
        internal static bool TryScalar(OnnxImportContext c)
        {
            string op = c.Node.OpType;
            if ((op != "Mul" && op != "Div") || c.Inputs.Count != 2)
            {
                return false;
            }

            int k = c.Constant(c.Inputs[1]) != null ? 1 : op == "Mul" && c.Constant(c.Inputs[0]) != null ? 0 : -1;
            if (k < 0 || c.Constant(c.Inputs[1 - k]) != null || !(c.Constant(c.Inputs[k]) is TensorValue s) || s.Count != 1)
            {
                return false;
            }

            double f = op == "Mul" ? s[0] : 1.0 / s[0];
            if (!(f > 0) || double.IsInfinity(f))
            {
                return false;
            }

            string x = c.Inputs[1 - k];
            int[] shape = c.Shape(x);
            if (c.Shape(c.Inputs[k]).Length > shape.Length)
            {
                return false;
            }

            c.Add(new RequantizeLayer { Factor = f }, new[] { x }, new[] { c.Node.Outputs[0] }, new[] { shape });
            c.Note($"{c.Node.Place}: {op} by the scalar {s[0].ToString("R", CultureInfo.InvariantCulture)} mapped to Requantize (factor {f.ToString("R", CultureInfo.InvariantCulture)})");
            return true;
        }
    }
}
