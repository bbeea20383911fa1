using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Onnx.Import;
using QuantGen.Quantization;

namespace QuantGen.Onnx
{
    /// <summary>Pass 2's dispatch to the import registry (<see cref="OnnxImportRegistry"/>), and the context a rule lowers through.</summary>
    internal sealed partial class OnnxLowering
    {
        /// <summary>True when a registered rule lowers <paramref name="n"/>'s op type (it did, or threw).</summary>
        private bool TryLowerByRule(Node n)
        {
            OnnxImportRule? rule = OnnxImportRegistry.ForOnnxOp(n.Op);
            if (rule == null)
            {
                return false;
            }

            rule.Lower(new ImportContext(this, n));
            return true;
        }

        private sealed class ImportContext : OnnxImportContext
        {
            private readonly OnnxLowering l;
            private readonly Node n;

            public ImportContext(OnnxLowering l, Node n)
            {
                this.l = l;
                this.n = n;
            }

            public override OnnxNode Node => n.Src;

            public override IReadOnlyList<string> Inputs => n.In;

            public override long Opset => l.opset;

            public override int[] Shape(string tensor) => l.ShapeOf(tensor, n.Src);

            public override TensorValue? Constant(string tensor) => l.consts.TryGetValue(tensor, out TensorValue? c) ? c : null;

            public override int Uses(string tensor) => l.Uses(tensor);

            public override OnnxImportException Fail(string id, string message) => l.Fail(id, n.Src.Place, message);

            public override string Initializer(string tensor)
            {
                TensorValue c = Constant(tensor) ?? throw Fail(OnnxErrors.GraphStructure, $"'{tensor}' is not a constant");
                string name = l.AddFloatInitializer(tensor, c.Dims, c.Floats ?? c.AsDoubles().Select(v => (float)v).ToArray());
                if (l.qconsts.TryGetValue(tensor, out QConst? qc))
                {
                    if (qc.Scales.Length != 1 || qc.ZeroPoints[0] != 0)
                    {
                        throw Fail(OnnxErrors.InvalidQuantization, $"the constant '{tensor}' is quantized per axis or with a zero point; QuantGen reads constant inputs of data-movement layers quantized per tensor, symmetric");
                    }

                    int bits = qc.DataType == OnnxDataType.Int4 || qc.DataType == OnnxDataType.UInt4 ? 4 : qc.DataType == OnnxDataType.Int16 ? 16 : 8;
                    l.fixedWeights[name] = new FixedTensor(ElementType.Int(bits), qc.Values.Select(v => (int)v).ToArray(), new[] { (double)(float)qc.Scales[0] });
                }

                return name;
            }

            public override void Add(LayerSpec layer, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyList<int[]> shapes)
            {
                layer.Name = l.LayerName(n.Src);
                foreach (string i in inputs)
                {
                    layer.Inputs.Add(l.Name(i));
                }

                layer.Outputs.Clear();
                for (int j = 0; j < outputs.Count; j++)
                {
                    layer.Outputs.Add(l.Name(outputs[j]));
                    l.Produce(outputs[j], shapes[j]);
                }

                l.spec.Layers.Add(layer);
            }

            public override void Note(string note) => l.notes.Add(note);
        }
    }
}
