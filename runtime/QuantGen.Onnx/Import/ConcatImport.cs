using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx.Import
{
    /// <summary>ONNX Concat of activations and constants (timm's class token: torch.cat((cls_token.expand(B, -1, -1), x), 1)) -> Concat.</summary>
    public sealed class ConcatImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Concat;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Concat" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c)
        {
            var ins = c.Inputs.Where(i => i.Length > 0).ToList();
            if (ins.Count < 2)
            {
                throw c.Fail(OnnxErrors.GraphStructure, $"Concat of {ins.Count} input; QuantGen's Concat joins two or more (drop the node before export)");
            }

            if (!(c.Int("axis") is long a))
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, "Concat without an axis attribute");
            }

            List<int[]> shapes = ins.Select(c.Shape).ToList();
            int rank = shapes[0].Length;
            int axis = (int)(a < 0 ? a + rank : a);
            if (axis < 0 || axis >= rank || shapes.Any(s => s.Length != rank))
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Concat axis {a} of inputs {string.Join(", ", shapes.Select(OnnxImportContext.Dims))}");
            }

            int[] y = (int[])shapes[0].Clone();
            y[axis] = shapes.Sum(s => s[axis]);
            var inputs = ins.Select(i => c.Constant(i) != null ? c.Initializer(i) : i).ToList();
            c.Add(new ConcatLayer { Axis = axis }, inputs, new[] { c.Node.Outputs[0] }, new[] { y });
        }
    }
}
