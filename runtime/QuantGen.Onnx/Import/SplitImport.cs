using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// ONNX Split of an activation into several outputs -> Split: sizes from the constant second input (opset 13+), the
    /// "split" attribute (older opsets), "num_outputs" (opset 18+) or equal parts. torch's unbind is Split + Squeeze
    /// (the Squeeze imports as a Reshape).
    /// </summary>
    public sealed class SplitImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Split;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Split" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c)
        {
            string x = c.Inputs[0];
            int[] shape = c.Shape(x);
            long a = c.Int("axis") ?? 0;
            int axis = (int)(a < 0 ? a + shape.Length : a);
            if (axis < 0 || axis >= shape.Length)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Split axis {a} is out of range for the input {OnnxImportContext.Dims(shape)}");
            }

            IReadOnlyList<string> outs = c.Node.Outputs;
            int dim = shape[axis];
            long[] sizes;
            if (c.Has(1))
            {
                sizes = c.IntConstant(1, "split sizes");
            }
            else if (c.Ints("split") is long[] attr && attr.Length > 0)
            {
                sizes = attr;
            }
            else
            {
                // Equal parts; with num_outputs (opset 18) the last part may be smaller: ceil(dim / n) each.
                int n = (int)(c.Int("num_outputs") ?? outs.Count);
                long part = n > 0 ? (dim + n - 1) / n : 0;
                sizes = Enumerable.Range(0, n).Select(j => System.Math.Max(0, System.Math.Min(part, dim - (j * part)))).ToArray();
            }

            if (sizes.Length != outs.Count || sizes.Any(s => s <= 0) || sizes.Sum() != dim)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Split of axis {axis} (length {dim}) into sizes [{string.Join(", ", sizes)}] for {outs.Count} outputs; QuantGen needs one positive size per output, summing to the axis length");
            }

            var shapes = sizes.Select(s =>
            {
                int[] y = (int[])shape.Clone();
                y[axis] = (int)s;
                return y;
            }).ToList();
            c.Add(new SplitLayer { Axis = axis, Sizes = sizes.Select(s => (int)s).ToArray() }, new[] { x }, outs, shapes);
        }
    }
}
