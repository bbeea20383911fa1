using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>PTQ makes new quantized layers carrying their integer records; the float graph it read is left as it was.</summary>
    public class PtqPhaseTests
    {
        [Fact]
        public void QuantizationAttachesRecordsToCopiesAndLeavesTheFloatGraphUntouched()
        {
            ModelGraph floatGraph = Fixtures.Load("digits_vit.float.qmodel.json");
            string before = SpecWriter.ToJson(floatGraph.Spec);
            QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, Fixtures.Inputs(Fixtures.Digits.Split("train").Take(50)), new QuantizationOptions { SoftmaxMethod = SoftmaxMethod.IBert });

            Assert.All(floatGraph.Nodes, n => Assert.Null(n.Layer.IntegerParameters));
            Assert.Equal(before, SpecWriter.ToJson(floatGraph.Spec));
            Assert.Contains(floatGraph.Nodes, n => n.Layer is SoftmaxLayer s && s.Method == SoftmaxMethod.Shiftmax);

            Assert.Equal(floatGraph.Nodes.Count, q.Graph.Nodes.Count);
            for (int i = 0; i < q.Graph.Nodes.Count; i++)
            {
                LayerSpec f = floatGraph.Nodes[i].Layer, ql = q.Graph.Nodes[i].Layer;
                Assert.NotSame(f, ql);
                Assert.Equal(f.Name, ql.Name);
                Assert.Equal(ql.NeedsIntegers, ql.IntegerParameters != null);
            }

            Assert.Contains(q.Graph.Nodes, n => n.Layer is DenseLayer);
            Assert.All(q.Graph.Nodes.Select(n => n.Layer).OfType<SoftmaxLayer>(), s => Assert.Equal(SoftmaxMethod.IBert, s.Integers.Method));
        }
    }
}
