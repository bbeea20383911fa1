using System.Collections.Generic;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Operators
{
    /// <summary>2-D max pooling over NCHW; padded positions never win; keeps the input's quantization.</summary>
    public sealed class MaxPool2dOperator : Operator
    {
        private static readonly string[] OwnFields = { "kernel", "strides", "pads" };

        public override OpKind Op => OpKind.MaxPool2d;

        public override IReadOnlyList<string> Fields => OwnFields;

        public override OutputQuantization OutputQuantization => OutputQuantization.Input;

        public override LayerSpec? Parse(LayerReader r) => new MaxPool2dLayer
        {
            Kernel = r.OptionalIntArray("kernel", 2, 1, SpecParser.MaxDimension) ?? new[] { 2, 2 },
            Strides = r.OptionalIntArray("strides", 2, 1, SpecParser.MaxDimension) ?? new[] { 2, 2 },
            Pads = r.OptionalIntArray("pads", 4, 0, SpecParser.MaxDimension) ?? new[] { 0, 0, 0, 0 },
        };

        public override void Write(LayerSpec layer, LayerWriter w)
        {
            var mp = (MaxPool2dLayer)layer;
            w.Property("kernel", mp.Kernel);
            w.Property("strides", mp.Strides);
            w.Property("pads", mp.Pads);
        }

        public override int[][]? InferShapes(GraphContext c)
        {
            var mp = (MaxPool2dLayer)c.Layer;
            int[] x = c.Inputs[0].Shape;
            if (x.Length != 4)
            {
                return One(c.Fail($"MaxPool2d needs an NCHW input of rank 4; got {Shape(x)}"));
            }

            int ho = (x[2] + mp.Pads[0] + mp.Pads[2] - mp.Kernel[0]) / mp.Strides[0] + 1, wo = (x[3] + mp.Pads[1] + mp.Pads[3] - mp.Kernel[1]) / mp.Strides[1] + 1;
            if (x[2] + mp.Pads[0] + mp.Pads[2] < mp.Kernel[0] || x[3] + mp.Pads[1] + mp.Pads[3] < mp.Kernel[1] || mp.Pads[0] >= mp.Kernel[0] || mp.Pads[2] >= mp.Kernel[0] || mp.Pads[1] >= mp.Kernel[1] || mp.Pads[3] >= mp.Kernel[1])
            {
                return One(c.Fail($"MaxPool2d kernel {Shape(mp.Kernel)} with pads {Shape(mp.Pads)} does not fit the input {Shape(x)} (pads must be smaller than the kernel)"));
            }

            return One(new[] { x[0], x[1], ho, wo });
        }

        public override bool CheckQuantized(GraphContext c, GraphNode node) => true; // no integer parameters

        public override IntRange Range(RangeContext c) => c.In(0);

        public override void Reference(GraphNode node, int[][] inputs, int[][] outputs)
        {
            var mp = (MaxPool2dLayer)node.Layer;
            TensorOps.MaxPool2d(inputs[0], node.Inputs[0].Shape, mp.Kernel, mp.Strides, mp.Pads, outputs[0], node.Output.Shape);
        }

        public override void Float(GraphNode node, double[][] inputs, double[][] outputs)
        {
            var mp = (MaxPool2dLayer)node.Layer;
            TensorOps.MaxPool2d(inputs[0], node.Inputs[0].Shape, mp.Kernel, mp.Strides, mp.Pads, outputs[0], node.Output.Shape);
        }

        public override TensorQuant[]? Quantize(PtqContext c, GraphNode node, LayerSpec layer) => One(c.Input(0));
    }
}
