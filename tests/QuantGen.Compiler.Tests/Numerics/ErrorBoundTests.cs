using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Numerics
{
    public class ErrorBoundTests
    {
        private readonly ITestOutputHelper _output;

        public ErrorBoundTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void EveryMeasuredErrorStaysUnderItsDocumentedBound()
        {
            var rows = ErrorReport.Rows;
            _output.WriteLine(ErrorReport.ToMarkdown(rows));
            var failures = rows.Where(r => !(r.Measured <= r.Bound)).ToList();
            Assert.True(failures.Count == 0, "Over bound:\n" + ErrorReport.ToMarkdown(failures));
        }
    }
}
