using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Model;
using QuantGen.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>
    /// <see cref="ActivationWidths"/> on BERT-tiny's float export (2 layers, separate query / key / value Linears, an additive
    /// mask): the attention's layers are its MatMuls of two activations, its masked Softmaxes and the data movement back to the
    /// q / k / v projections; the feed-forward, the LayerNorms, the output projections and the classifier are not.
    /// </summary>
    public class ActivationWidthsTests
    {
        private readonly ITestOutputHelper output;

        public ActivationWidthsTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void BertTinysAttentionLayersAreItsScoresSoftmaxesAndTheirInputsBackToTheProjections()
        {
            LoweredModel l = OnnxImporter.Lower(ZooSurveyTests.Zoo("bert_tiny_float17.onnx"));
            IReadOnlyList<LayerSpec> layers = l.Spec.Layers;
            HashSet<string> narrow = ActivationWidths.AttentionLayers(layers);
            output.WriteLine(string.Join("\n", layers.Select(x => $"{(narrow.Contains(x.Name) ? "A" : "-")} {x.Op,-14} {x.Name}")));
            var producer = layers.SelectMany(x => x.Outputs.Select(o => (o, x))).ToDictionary(p => p.o, p => p.x, StringComparer.Ordinal);

            List<LayerSpec> softmaxes = layers.Where(x => x.Op is OpKind.Softmax or OpKind.MaskedSoftmax).ToList();
            List<LayerSpec> products = layers.Where(x => x.Op == OpKind.MatMul && x.Inputs.Count == 2 && x.Inputs.All(producer.ContainsKey)).ToList();
            Assert.Equal(2, softmaxes.Count);
            Assert.Equal(4, products.Count);
            Assert.All(softmaxes.Concat(products), x => Assert.Contains(x.Name, narrow));

            // Every narrow layer feeds an attention product or Softmax through data movement only, and the walk stops at the
            // first layer that computes: the 6 q / k / v Dense layers (2 blocks x 3) are narrow, no other Dense is.
            List<LayerSpec> dense = layers.Where(x => x.Op == OpKind.Dense).ToList();
            Assert.Equal(6, dense.Count(x => narrow.Contains(x.Name)));
            Assert.True(dense.Count > 6);
            Assert.DoesNotContain(layers, x => narrow.Contains(x.Name) && x.Op is OpKind.LayerNorm or OpKind.Gelu or OpKind.Tanh or OpKind.Embedding);

            Dictionary<string, Precision> widths = ActivationWidths.For(layers, 16, 8);
            Assert.Equal(layers.Count, widths.Count);
            Assert.All(layers, x => Assert.Equal(narrow.Contains(x.Name) ? 8 : 16, widths[x.Name].ActivationBits));
            Assert.All(widths.Values, p => Assert.Equal(8, p.WeightBits));
            Assert.All(ActivationWidths.For(layers, 12, null).Values, p => Assert.Equal(12, p.ActivationBits));
            Assert.Throws<ArgumentOutOfRangeException>(() => ActivationWidths.For(layers, 17, null));
            Assert.Throws<ArgumentOutOfRangeException>(() => ActivationWidths.For(layers, 16, 7));
        }
    }
}
