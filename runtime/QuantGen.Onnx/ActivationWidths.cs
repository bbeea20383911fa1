using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Activation widths for the post-training quantization of a float import (<see cref="OnnxImportOptions.Precisions"/>):
    /// every layer at one width, optionally the attention's layers (<see cref="AttentionLayers"/>) at another. Weights stay
    /// 8-bit per channel.
    /// </summary>
    public static class ActivationWidths
    {
        /// <summary>The narrowest and widest activation width the quantizer takes here.</summary>
        public const int MinBits = 8, MaxBits = 16;

        /// <summary>
        /// Per layer of <paramref name="layers"/> (the lowered spec, <see cref="LoweredModel.Spec"/>): <paramref name="activationBits"/>,
        /// or <paramref name="attentionBits"/> for the attention's layers where it is given. Throws for widths outside
        /// [<see cref="MinBits"/>, <see cref="MaxBits"/>].
        /// </summary>
        public static Dictionary<string, Precision> For(IReadOnlyList<LayerSpec> layers, int activationBits, int? attentionBits)
        {
            Check(activationBits, nameof(activationBits));
            if (attentionBits is int a)
            {
                Check(a, nameof(attentionBits));
            }

            HashSet<string> narrow = attentionBits is int ? AttentionLayers(layers) : new HashSet<string>(StringComparer.Ordinal);
            return layers.ToDictionary(
                l => l.Name, l => new Precision { ActivationBits = narrow.Contains(l.Name) ? attentionBits!.Value : activationBits }, StringComparer.Ordinal);
        }

        /// <summary>
        /// The layers of a float graph's attention: every MatMul of two activations, every Softmax, and walking back from
        /// their inputs through the layers that only move data (Reshape, Transpose, Split, Slice, Concat, Gather) the layers
        /// that move them and the first layer that computes them (the qkv bias Add, the q scale Mul). With 16-bit
        /// activations elsewhere these stay narrower: an int16 x int16 attention product over 197 tokens overflows the int32
        /// accumulator proof (QG1019; docs/import.md).
        /// </summary>
        public static HashSet<string> AttentionLayers(IReadOnlyList<LayerSpec> layers)
        {
            var producer = new Dictionary<string, LayerSpec>(StringComparer.Ordinal);
            foreach (LayerSpec l in layers)
            {
                foreach (string o in l.Outputs)
                {
                    producer[o] = l;
                }
            }

            var narrow = new HashSet<string>(StringComparer.Ordinal);
            var work = new Stack<string>();
            foreach (LayerSpec l in layers)
            {
                bool attention = l.Op is OpKind.Softmax or OpKind.MaskedSoftmax
                    || (l.Op == OpKind.MatMul && l.Inputs.Count == 2 && l.Inputs.All(producer.ContainsKey));
                if (attention && narrow.Add(l.Name))
                {
                    foreach (string i in l.Inputs)
                    {
                        work.Push(i);
                    }
                }
            }

            while (work.Count > 0)
            {
                if (!producer.TryGetValue(work.Pop(), out LayerSpec? p) || !narrow.Add(p.Name))
                {
                    continue;
                }

                if (p.Op is OpKind.Reshape or OpKind.Transpose or OpKind.Split or OpKind.Slice or OpKind.Concat or OpKind.Gather)
                {
                    foreach (string i in p.Inputs)
                    {
                        work.Push(i);
                    }
                }
            }

            return narrow;
        }

        private static void Check(int bits, string what)
        {
            if (bits < MinBits || bits > MaxBits)
            {
                throw new ArgumentOutOfRangeException(what, bits, $"activation widths are {MinBits} to {MaxBits} bits");
            }
        }
    }
}
