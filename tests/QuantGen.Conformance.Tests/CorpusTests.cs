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

        [Fact]
        public void EveryOperatorHasACase()
        {
            var covered = new HashSet<OpKind>(Corpus.Cases.SelectMany(c => c.Covers));
            var missing = System.Enum.GetValues(typeof(OpKind)).Cast<OpKind>().Where(o => !covered.Contains(o)).ToList();
            Assert.True(missing.Count == 0, "no corpus case for " + string.Join(", ", missing));
        }
    }
}
