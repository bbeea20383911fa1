using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>
    /// ONNX Gather of an activation with constant indices (x[:, 0], x[:, [2, 0]]) -> Gather. A Gather of a constant table
    /// by an integer graph input is an Embedding (OnnxLowering.Bert.cs, lowered before this rule); by any other activation
    /// indices it fails with a located diagnostic. Gathers on constants (shape arithmetic) are folded before this.
    /// </summary>
    public sealed class GatherImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Gather;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Gather" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c)
        {
            string x = c.Inputs[0];
            if (!c.Has(1) || !(c.Constant(c.Inputs[1]) is TensorValue idx) || idx.IsFloat)
            {
                throw c.Fail(OnnxErrors.UnsupportedOperator, c.Constant(x) != null
                    ? "Gather of the constant table '" + x + "' by indices computed in the graph; QuantGen imports an embedding lookup only when the indices are an int64/int32 graph input (token ids) read by nothing else"
                    : "Gather by indices computed at run time; QuantGen gathers constant indices only (x[:, 0], x[:, [2, 0]])");
            }

            if (c.Constant(x) != null)
            {
                throw c.Fail(OnnxErrors.GraphStructure, "Gather of a constant by constant indices was not folded");
            }

            int[] shape = c.Shape(x);
            long a = c.Int("axis") ?? 0;
            int axis = (int)(a < 0 ? a + shape.Length : a);
            if (axis < 0 || axis >= shape.Length)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Gather axis {a} is out of range for the input {OnnxImportContext.Dims(shape)}");
            }

            long[] indices = idx.Ints!;
            if (indices.Length == 0 || indices.Any(i => i < -shape[axis] || i >= shape[axis]))
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Gather indices [{string.Join(", ", indices)}] for axis {axis} of {OnnxImportContext.Dims(shape)}");
            }

            int[] y = shape.Take(axis).Concat(idx.Dims).Concat(shape.Skip(axis + 1)).ToArray();
            if (y.Length == 0)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, "Gather of one element to a scalar; QuantGen tensors have rank 1 or more");
            }

            var g = new GatherLayer { Axis = axis, Indices = indices, IndicesShape = idx.Dims.Length == 1 ? null : idx.Dims };
            c.Add(g, new[] { x }, new[] { c.Node.Outputs[0] }, new[] { y });
        }
    }
}
