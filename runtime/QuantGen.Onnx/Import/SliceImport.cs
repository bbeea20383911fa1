using System.Collections.Generic;
using QuantGen.Model;
using QuantGen.Plan;

namespace QuantGen.Onnx.Import
{
    /// <summary>ONNX Slice of an activation with constant starts, ends, axes and steps (opset 10+ input form) -> Slice.</summary>
    public sealed class SliceImport : OnnxImportRule
    {
        public override OpKind Op => OpKind.Slice;

        public override IReadOnlyList<string> OnnxOps { get; } = new[] { "Slice" };

        public override bool LowersDirectly => true;

        internal override void Lower(OnnxImportContext c)
        {
            string x = c.Inputs[0];
            int[] shape = c.Shape(x);
            var s = new SliceLayer { Starts = c.IntConstant(1, "starts"), Ends = c.IntConstant(2, "ends") };
            if (c.Has(3))
            {
                long[] axes = c.IntConstant(3, "axes");
                s.Axes = new int[axes.Length];
                for (int j = 0; j < axes.Length; j++)
                {
                    if (axes[j] < -shape.Length || axes[j] >= shape.Length)
                    {
                        throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Slice axis {axes[j]} is out of range for the input {OnnxImportContext.Dims(shape)}");
                    }

                    s.Axes[j] = (int)(axes[j] < 0 ? axes[j] + shape.Length : axes[j]);
                }
            }

            if (c.Has(4))
            {
                s.Steps = c.IntConstant(4, "steps");
            }

            if (s.Starts.Length == 0 || s.Ends.Length != s.Starts.Length || (s.Axes.Length > 0 && s.Axes.Length != s.Starts.Length) || (s.Steps.Length > 0 && s.Steps.Length != s.Starts.Length) || System.Array.IndexOf(s.Steps, 0L) >= 0)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Slice with {s.Starts.Length} starts, {s.Ends.Length} ends, {s.Axes.Length} axes and {s.Steps.Length} steps (one of each per sliced axis, steps non-zero)");
            }

            int[] y = DataMovement.NormalizeSlice(s, shape).Count;
            if (System.Array.IndexOf(y, 0) >= 0)
            {
                throw c.Fail(OnnxErrors.UnsupportedAttribute, $"Slice of {OnnxImportContext.Dims(shape)} is empty ({OnnxImportContext.Dims(y)}); QuantGen tensors have no empty axis");
            }

            c.Add(s, new[] { x }, new[] { c.Node.Outputs[0] }, new[] { y });
        }
    }
}
