using System.Collections.Generic;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    public class CorpusTests
    {
        public static IEnumerable<object[]> CaseNames => Corpus.Cases.Select(c => new object[] { c.Name });

        /// <summary>Every case quantizes into a model the loader accepts, and the reference interpreter runs it.</summary>
        [Theory]
        [MemberData(nameof(CaseNames))]
        public void CaseQuantizesAndRuns(string name)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            var reference = new ReferenceInterpreter(q.Graph);
            foreach (int[] input in Inputs.For(q.Graph, 8))
            {
                Assert.Equal(q.Graph.Output.ElementCount, reference.Run(input).Length);
            }
        }

        /// <summary>The asymmetric embedding case reaches what it is there for: a table zero point carried to the output, rows copied.</summary>
        [Fact]
        public void EmbeddingTableZeroPointCaseCopiesRowsWithTheZeroPoint()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("embedding_table_zero_point"));
            Graph.GraphNode node = q.Graph.Nodes.Single(n => n.Layer.Op == OpKind.Embedding);
            Assert.Equal(-41L, node.Weight!.Quant!.ZeroPoint);
            Assert.Equal(node.Weight.Quant.ZeroPoint, node.Output.Quant!.ZeroPoint);
            Assert.Equal(node.Weight.Quant.Scale, node.Output.Quant.Scale);

            // ids 9, 0, ... on the [3, 4] input: the embedding's output rows are the table's integers.
            int[] ids = Enumerable.Range(0, 12).Select(i => (9 * (i + 1)) % 10).ToArray();
            int[] y = new ReferenceInterpreter(q.Graph).RunAll(ids)[node.Output.Name];
            int[] table = node.Weight.IntData!;
            Assert.Equal(ids.SelectMany(id => table.Skip(id * 12).Take(12)).ToArray(), y);
        }

        [Fact]
        public void EveryOperatorHasACase()
        {
            var covered = new HashSet<OpKind>(Corpus.Cases.SelectMany(c => c.Covers));
            var missing = System.Enum.GetValues(typeof(OpKind)).Cast<OpKind>().Where(o => !covered.Contains(o)).ToList();
            Assert.True(missing.Count == 0, "no corpus case for " + string.Join(", ", missing));
        }
    }
}
