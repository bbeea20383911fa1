using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Attribute values checked before lowering, so that no hostile value reaches arithmetic: every integer attribute
    /// must fit int32 (never truncated: Flatten axis 2^40 is an error, not axis 0), every float attribute must be
    /// finite, Conv/MaxPool/AveragePool strides, kernels and dilations must be positive and pads non-negative (a stride
    /// of 0 used to divide by zero), a Conv group must be positive and divide the output channels, kernel_shape must
    /// match the weight's spatial dims, LayerNormalization epsilon must be finite and positive, BatchNormalization
    /// epsilon finite and non-negative, and BatchNormalization not in training mode. Each problem is a QG4009 at the node.
    /// </summary>
    public static class OnnxAttributeChecks
    {
        /// <summary>Largest stride, kernel side, pad or dilation accepted (far beyond any real model; keeps products in range).</summary>
        public const long MaxWindow = 1 << 16;

        /// <summary>Largest Conv group.</summary>
        public const long MaxGroup = 1 << 20;

        public static void Check(OnnxModel model, string file)
        {
            OnnxGraph? g = model.Graph;
            if (g == null)
            {
                return;
            }

            var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
            foreach (OnnxTensor t in g.Initializers)
            {
                initializers[t.Name] = t;
            }

            var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
            foreach (OnnxNode n in g.Nodes)
            {
                foreach (string o in n.Outputs)
                {
                    producers[o] = n;
                }
            }

            foreach (OnnxNode n in g.Nodes)
            {
                if (n.Domain.Length != 0 && n.Domain != "ai.onnx")
                {
                    continue;   // reported as an unsupported operator by the lowering
                }

                CheckNode(n, file, initializers, producers);
            }
        }

        private static void CheckNode(OnnxNode n, string file, Dictionary<string, OnnxTensor> initializers, Dictionary<string, OnnxNode> producers)
        {
            bool constant = n.OpType == "Constant";
            foreach (OnnxAttribute a in n.Attributes)
            {
                if (constant)
                {
                    break;      // value_int(s) are int64 data, value_float(s) any float: the lowering decodes them as tensors
                }

                if (a.I < int.MinValue || a.I > int.MaxValue)
                {
                    throw Fail(file, n, $"attribute {a.Name} = {a.I} is outside int32; QuantGen never truncates an attribute (re-export with a valid value)");
                }

                foreach (long v in a.Ints)
                {
                    if (v < int.MinValue || v > int.MaxValue)
                    {
                        throw Fail(file, n, $"attribute {a.Name} holds {v}, outside int32; QuantGen never truncates an attribute");
                    }
                }

                if (float.IsNaN(a.F) || float.IsInfinity(a.F) || a.Floats.Any(f => float.IsNaN(f) || float.IsInfinity(f)))
                {
                    throw Fail(file, n, $"attribute {a.Name} is not finite ({(a.Floats.Count > 0 ? "[" + string.Join(", ", a.Floats.Select(F)) + "]" : F(a.F))})");
                }
            }

            switch (n.OpType)
            {
                case "Conv":
                case "MaxPool":
                case "AveragePool":
                    Window(n, file, "strides", 1);
                    Window(n, file, "kernel_shape", 1);
                    Window(n, file, "dilations", 1);
                    Window(n, file, "pads", 0);
                    if (n.OpType == "Conv")
                    {
                        CheckConv(n, file, initializers, producers);
                    }

                    break;
                case "LayerNormalization":
                    if (n.Attribute("epsilon") is OnnxAttribute le && !(le.F > 0))
                    {
                        throw Fail(file, n, $"epsilon = {F(le.F)}; LayerNormalization needs a finite epsilon above 0");
                    }

                    break;
                case "BatchNormalization":
                    if (n.Attribute("epsilon") is OnnxAttribute be && !(be.F >= 0))
                    {
                        throw Fail(file, n, $"epsilon = {F(be.F)}; BatchNormalization needs a finite epsilon of 0 or more");
                    }

                    // Opset 14+: training_mode = 1 normalises with the batch's own mean and variance (and writes the running
                    // statistics as extra outputs): torch writes it for a model left in train() mode and exported with
                    // training=TrainingMode.PRESERVE / TRAINING. Folding the running statistics would silently change the model.
                    if ((n.Attribute("training_mode")?.I ?? 0) != 0 || n.Outputs.Skip(1).Any(o => o.Length > 0))
                    {
                        throw Fail(file, n, "BatchNormalization in training mode (training_mode = 1: it normalises with the batch's statistics, not the running mean and variance QuantGen folds); export the model in eval mode: model.eval() before torch.onnx.export, or training=torch.onnx.TrainingMode.EVAL");
                    }

                    break;
            }
        }

        private static void Window(OnnxNode n, string file, string name, long min)
        {
            if (n.Attribute(name) is OnnxAttribute a && a.Ints.Any(v => v < min || v > MaxWindow))
            {
                throw Fail(file, n, $"{name} [{string.Join(", ", a.Ints)}] must hold integers in [{min}, {MaxWindow}]");
            }
        }

        private static void CheckConv(OnnxNode n, string file, Dictionary<string, OnnxTensor> initializers, Dictionary<string, OnnxNode> producers)
        {
            long group = n.Attribute("group")?.I ?? 1;
            if (group < 1 || group > MaxGroup)
            {
                throw Fail(file, n, $"group = {group}; a Conv group must be in [1, {MaxGroup}]");
            }

            List<long>? w = n.Inputs.Count > 1 ? WeightDims(n.Inputs[1], initializers, producers) : null;
            if (w == null || w.Count < 3)
            {
                return;     // not a constant weight, or not a 2-D conv: the lowering reports it
            }

            if (w[0] % group != 0)
            {
                throw Fail(file, n, $"group = {group} does not divide the {w[0]} output channels of the weight [{string.Join(", ", w)}]");
            }

            if (n.Attribute("kernel_shape") is OnnxAttribute k)
            {
                List<long> spatial = w.Skip(2).ToList();
                if (!k.Ints.SequenceEqual(spatial))
                {
                    throw Fail(file, n, $"kernel_shape [{string.Join(", ", k.Ints)}] contradicts the weight [{string.Join(", ", w)}], whose kernel is [{string.Join(", ", spatial)}]");
                }
            }
        }

        /// <summary>Dims of a constant weight: an initializer, a Constant's tensor, or either behind one DequantizeLinear.</summary>
        private static List<long>? WeightDims(string name, Dictionary<string, OnnxTensor> initializers, Dictionary<string, OnnxNode> producers)
        {
            for (int hop = 0; hop < 2; hop++)
            {
                if (initializers.TryGetValue(name, out OnnxTensor? t))
                {
                    return t.Dims;
                }

                if (!producers.TryGetValue(name, out OnnxNode? p))
                {
                    return null;
                }

                if (p.OpType == "Constant")
                {
                    return p.Attribute("value")?.T?.Dims;
                }

                if (p.OpType != "DequantizeLinear" || p.Inputs.Count == 0)
                {
                    return null;
                }

                name = p.Inputs[0];
            }

            return null;
        }

        private static string F(float f) => f.ToString("R", CultureInfo.InvariantCulture);

        private static OnnxImportException Fail(string file, OnnxNode n, string message) =>
            OnnxImportException.At(OnnxErrors.UnsupportedAttribute, file, n.Place, message);
    }
}
