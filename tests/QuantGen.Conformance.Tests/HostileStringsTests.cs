using System.Collections.Generic;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Issue 17 item 5: strings from the model file reach generated C# through one escaper (CSharpLiteral.Quote). Labels
    /// with line and paragraph separators, NEL, quotes, backslashes, control characters and non-ASCII letters used to break
    /// the generated string literal (CS1010); they must compile and come back unchanged through the generated Info.
    /// </summary>
    public class HostileStringsTests
    {
        [Fact]
        public void LabelsWithSeparatorsQuotesAndControlCharactersRoundTrip()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("dense_int8"));
            string[] labels =
            {
                "line\nbreak", "carriage\rreturn", "ls\u2028ps\u2029nel\u0085", "quote\" and \\ backslash", "tab\tnul\0bell\a",
                "hé ü ß ж 漢字", "\ud83d\ude00 surrogate pair", "{0} {{braces}} $\"interp\"", "*/ /* // comment", "ends with \\",
            };
            q.Spec.Labels.Clear();
            q.Spec.Labels.AddRange(labels);
            Dictionary<string, CSharpRunner> runners = CSharpRunner.CompileAll(new[] { ("labels", q) }, gpu: false);
            Assert.Equal(labels, runners["labels"].Info.Labels);
            var reference = new ReferenceInterpreter(q.Graph);
            int[] x = Inputs.For(q.Graph, 1)[5];
            Assert.Equal(reference.Run(x), runners["labels"].RunCpu(x));
        }
    }
}
