using System;
using System.Collections.Generic;
using System.Globalization;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Quantization
{
    /// <summary>
    /// Quantization settings that cannot work: an option out of its range (checked before calibration), or a layer whose
    /// calibrated input scale lies outside the domain of its integer operator (a low-bit Softmax/GELU input is too coarse
    /// for Shiftmax, ShiftGELU or I-BERT). The message names the layer, the method, the scale and what to change.
    /// </summary>
    public sealed class QuantizationSettingsException : ArgumentException
    {
        public QuantizationSettingsException(string message, string? paramName = null, Exception? inner = null)
            : base(message, paramName, inner)
        {
        }

        /// <summary>The layer it concerns, or null for an option.</summary>
        public string? Layer { get; private set; }

        /// <summary>Throws for an option outside its documented range.</summary>
        public static void Validate(QuantizationOptions o)
        {
            if (o.SoftmaxOutBits < 2 || o.SoftmaxOutBits > 16)
            {
                throw new QuantizationSettingsException($"SoftmaxOutBits is {o.SoftmaxOutBits}; it must be in [2, 16]", nameof(o.SoftmaxOutBits));
            }

            if (o.ShiftmaxN < 0 || o.ShiftmaxN > 30)
            {
                throw new QuantizationSettingsException($"ShiftmaxN is {o.ShiftmaxN}; it must be in [0, 30] (I-ViT uses 15)", nameof(o.ShiftmaxN));
            }

            if (o.ShiftGeluN < 0 || o.ShiftGeluN > 30)
            {
                throw new QuantizationSettingsException($"ShiftGeluN is {o.ShiftGeluN}; it must be in [0, 30] (QuantGen uses 16)", nameof(o.ShiftGeluN));
            }

            if (!(o.Percentile > 0 && o.Percentile <= 100))
            {
                throw new QuantizationSettingsException($"Percentile is {o.Percentile.ToString("R", CultureInfo.InvariantCulture)}; it must be in (0, 100]", nameof(o.Percentile));
            }

            if (o.SoftmaxMethod.HasValue && !Enum.IsDefined(typeof(SoftmaxMethod), o.SoftmaxMethod.Value))
            {
                throw new QuantizationSettingsException($"SoftmaxMethod {(int)o.SoftmaxMethod.Value} is not a method", nameof(o.SoftmaxMethod));
            }

            if (o.GeluMethod.HasValue && !Enum.IsDefined(typeof(GeluMethod), o.GeluMethod.Value))
            {
                throw new QuantizationSettingsException($"GeluMethod {(int)o.GeluMethod.Value} is not a method", nameof(o.GeluMethod));
            }

            if (!Enum.IsDefined(typeof(RangeMethod), o.RangeMethod))
            {
                throw new QuantizationSettingsException($"RangeMethod {(int)o.RangeMethod} is not a method", nameof(o.RangeMethod));
            }
        }

        internal static QuantizationSettingsException ForLayer(GraphNode node, LayerSpec layer, IReadOnlyDictionary<string, TensorQuant> quant, ArgumentOutOfRangeException e)
        {
            string method = layer is SoftmaxLayer s ? s.Method.ToString() : layer is GeluLayer g ? g.Method.ToString() : layer.Op.ToString();
            string scale = quant.TryGetValue(node.Inputs[0].Name, out TensorQuant? q)
                ? $" at input scale {q.Scale.ToString("G6", CultureInfo.InvariantCulture)} ({q.Type})"
                : string.Empty;
            string reason = e.Message.Split('\n')[0];
            return new QuantizationSettingsException(
                $"layer \"{layer.Name}\" ({layer.Op}, {method}){scale} with {layer.Precision.ActivationBits}-bit activations cannot be quantized: {reason} " +
                "Give the layer's input more activation bits, pick the other method (--softmax/--gelu), or change n (ShiftmaxN, ShiftGeluN).",
                null,
                e)
            {
                Layer = layer.Name,
            };
        }
    }
}
