using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using QuantGen.Json;
using QuantGen.Numerics;
using QuantGen.Operators;

namespace QuantGen.Model
{
    /// <summary>Writes a <see cref="ModelSpec"/> as spec JSON (deterministic) and saves spec + weights.</summary>
    public static partial class SpecWriter
    {
        public static string ToJson(ModelSpec spec)
        {
            bool q = spec.Kind == ModelKind.Quantized;
            var w = new JsonWriter();
            w.BeginObject();
            w.Property("format", ModelSpec.FormatName);
            w.Property("version", ModelSpec.CurrentVersion);
            w.Property("name", spec.Name);
            w.Property("kind", q ? "quantized" : "float");
            w.Property("weights", spec.Weights);
            w.Name("inputs");
            w.BeginArray();
            foreach (InputSpec input in spec.Inputs)
            {
                w.BeginObject();
                w.Property("name", input.Name);
                w.Property("shape", input.Shape);
                w.Property("range", new[] { input.RangeMin, input.RangeMax });
                if (input.IsIndex)
                {
                    w.Property("type", "index");
                }
                else if (input.Quant != null)
                {
                    WriteQuant(w, input.Quant);
                }

                w.EndObject();
            }

            w.EndArray();
            w.Property("outputs", spec.Outputs.Select(o => o.Name).ToArray());
            if (spec.Labels.Count > 0)
            {
                w.Property("labels", spec.Labels);
            }

            if (spec.Metadata.Count > 0)
            {
                w.Name("metadata");
                w.BeginObject();
                foreach (KeyValuePair<string, string> kv in spec.Metadata)
                {
                    w.Property(kv.Key, kv.Value);
                }

                w.EndObject();
            }

            w.Name("initializers");
            w.BeginObject();
            foreach (InitializerSpec init in spec.Initializers)
            {
                w.Name(init.Name);
                w.BeginObject();
                w.Property("type", init.Type.ToString());
                w.Property("shape", init.Shape);
                if (init.Scales != null)
                {
                    if (init.Scales.Length == 1)
                    {
                        w.Property("scale", init.Scales[0]);
                    }
                    else
                    {
                        w.Property("scales", init.Scales);
                    }

                    w.Property("zeroPoint", init.ZeroPoint);
                }

                w.EndObject();
            }

            w.EndObject();
            if (q)
            {
                w.Name("activations");
                w.BeginObject();
                foreach (ActivationSpec a in spec.Activations)
                {
                    w.Name(a.Name);
                    w.BeginObject();
                    WriteQuant(w, a.Quant);
                    if (a.Shape != null)
                    {
                        w.Property("shape", a.Shape);
                    }

                    w.EndObject();
                }

                w.EndObject();
            }

            w.Name("layers");
            w.BeginArray();
            foreach (LayerSpec layer in spec.Layers)
            {
                WriteLayer(w, layer, q);
            }

            w.EndArray();
            w.EndObject();
            return w.ToString();
        }

        private static void WriteQuant(JsonWriter w, TensorQuant quant)
        {
            w.Property("type", quant.Type.ToString());
            w.Property("scale", quant.Scale);
            w.Property("zeroPoint", quant.ZeroPoint);
        }

        private static void WriteLayer(JsonWriter w, LayerSpec layer, bool quantized)
        {
            w.BeginObject();
            w.Property("name", layer.Name);
            w.Property("op", layer.Op.ToString());
            w.Property("inputs", layer.Inputs);
            Operator? def = OperatorRegistry.Core.Find(layer.Op);
            if (layer.Outputs.Count == 1 && !(def?.MultipleOutputs ?? false))
            {
                w.Property("output", layer.Output);
            }
            else
            {
                w.Property("outputs", layer.Outputs);
            }

            if (def == null)
            {
                throw new NotSupportedException($"layer \"{layer.Name}\": operator {layer.Op} has no core definition (Operators/{layer.Op})");
            }

            def.Write(layer, new LayerWriter(w, quantized));

            if (!layer.Precision.IsDefault)
            {
                w.Name("precision");
                w.BeginObject();
                w.Property("weightBits", layer.Precision.WeightBits);
                w.Property("activationBits", layer.Precision.ActivationBits);
                w.Property("perChannel", layer.Precision.PerChannel);
                w.EndObject();
            }

            w.EndObject();
        }
    }
}
