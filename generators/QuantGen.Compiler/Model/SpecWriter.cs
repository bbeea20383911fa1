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
            w.BeginObject();
            w.Property("name", spec.Input.Name);
            w.Property("shape", spec.Input.Shape);
            w.Property("range", new[] { spec.Input.RangeMin, spec.Input.RangeMax });
            if (spec.Input.Quant != null)
            {
                WriteQuant(w, spec.Input.Quant);
            }

            w.EndObject();
            w.EndArray();
            w.Property("outputs", new[] { spec.Output });
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

        private static void WriteDyadic(JsonWriter w, string multiplier, string shift, Dyadic? d)
        {
            if (d.HasValue)
            {
                w.Property(multiplier, d.Value.Multiplier);
                w.Property(shift, d.Value.Shift);
            }
        }

        private static void WriteDyadics(JsonWriter w, Dyadic[]? d)
        {
            if (d != null)
            {
                w.Property("multipliers", d.Select(x => x.Multiplier));
                w.Property("shifts", d.Select(x => x.Shift));
            }
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

            if (def != null && def.Implements(CoreStage.Spec))
            {
                def.Write(layer, new LayerWriter(w, quantized));
            }
            else
            {
                WriteLegacy(w, layer, quantized);
            }

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

        private static void WriteLegacy(JsonWriter w, LayerSpec layer, bool quantized)
        {
            switch (layer)
            {
                case DenseLayer d:
                    w.Property("weight", d.Weight);
                    if (d.Bias != null)
                    {
                        w.Property("bias", d.Bias);
                    }

                    w.Property("activation", d.Activation.ToString().ToLowerInvariant());
                    WriteDyadics(w, d.Requant);
                    if (d.Clamp != null)
                    {
                        w.Property("clamp", d.Clamp);
                    }

                    break;
                case MatMulLayer m:
                    w.Property("alpha", m.Alpha);
                    WriteDyadic(w, "multiplier", "shift", m.Requant);
                    break;
                case AddLayer a:
                    WriteDyadic(w, "multiplierA", "shiftA", a.RequantA);
                    WriteDyadic(w, "multiplierB", "shiftB", a.RequantB);
                    break;
                case ClipLayer c:
                    w.Property("min", c.Min);
                    w.Property("max", c.Max);
                    if (c.QMin.HasValue && c.QMax.HasValue)
                    {
                        w.Property("qmin", c.QMin.Value);
                        w.Property("qmax", c.QMax.Value);
                    }

                    break;
                case SoftmaxLayer s:
                    w.Property("method", s.Method == SoftmaxMethod.Shiftmax ? "shiftmax" : "ibert");
                    if (s.Shiftmax.HasValue)
                    {
                        w.Property("x0", s.Shiftmax.Value.X0);
                        w.Property("n", s.Shiftmax.Value.N);
                        w.Property("outBits", s.Shiftmax.Value.OutBits);
                    }

                    if (s.IBert.HasValue)
                    {
                        w.Property("qLn2", s.IBert.Value.Exp.QLn2);
                        w.Property("qB", s.IBert.Value.Exp.QB);
                        w.Property("qC", s.IBert.Value.Exp.QC);
                        w.Property("outBits", s.IBert.Value.OutBits);
                    }

                    break;
                case GeluLayer g:
                    w.Property("method", g.Method == GeluMethod.ShiftGelu ? "shiftgelu" : "ibert");
                    if (g.ShiftGelu.HasValue)
                    {
                        w.Property("x0", g.ShiftGelu.Value.X0);
                        w.Property("n", g.ShiftGelu.Value.N);
                    }

                    if (g.IBert.HasValue)
                    {
                        w.Property("qB", g.IBert.Value.QB);
                        w.Property("qC", g.IBert.Value.QC);
                        w.Property("qOne", g.IBert.Value.QOne);
                    }

                    WriteDyadic(w, "multiplier", "shift", g.Requant);
                    break;
                case LayerNormLayer ln:
                    if (!quantized)
                    {
                        if (ln.Gamma != null)
                        {
                            w.Property("gamma", ln.Gamma);
                        }

                        if (ln.Beta != null)
                        {
                            w.Property("beta", ln.Beta);
                        }

                        w.Property("epsilon", ln.Epsilon);
                    }

                    WriteDyadics(w, ln.Requant);
                    if (ln.Biases != null)
                    {
                        w.Property("biases", ln.Biases);
                    }

                    break;
                case AvgPoolLayer p:
                    w.Property("axis", p.Axis);
                    WriteDyadic(w, "multiplier", "shift", p.Requant);
                    break;
                case ReshapeLayer r:
                    w.Property("shape", r.Shape);
                    break;
                case Conv2dLayer cv:
                    w.Property("weight", cv.Weight);
                    if (cv.Bias != null)
                    {
                        w.Property("bias", cv.Bias);
                    }

                    w.Property("activation", cv.Activation.ToString().ToLowerInvariant());
                    w.Property("strides", cv.Strides);
                    w.Property("pads", cv.Pads);
                    w.Property("group", cv.Group);
                    WriteDyadics(w, cv.Requant);
                    if (cv.Clamp != null)
                    {
                        w.Property("clamp", cv.Clamp);
                    }

                    break;
                case MaxPool2dLayer mp:
                    w.Property("kernel", mp.Kernel);
                    w.Property("strides", mp.Strides);
                    w.Property("pads", mp.Pads);
                    break;
                case TransposeLayer t:
                    w.Property("perm", t.Perm);
                    break;
            }
        }
    }
}
