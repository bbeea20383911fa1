using System.Collections.Generic;
using System.Linq;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Every imported zoo model through the HLS backend: io_stream with automatic reuse factors (fit the default part), the
    /// project's testbench compiled with g++ -Wall -Wextra -Werror and run (C simulation against golden vectors from the
    /// reference interpreter). A model the backend cannot emit today is listed here with the diagnostic it must report
    /// (the table in docs/import.md shows it); when the backend learns to emit it, this test fails until the entry goes.
    /// </summary>
    public class ZooHlsTests
    {
        /// <summary>Zoo files whose HLS project does not emit today, with the diagnostic that says why (none: BERT-tiny's two inputs emit since the multi-port top).</summary>
        private static readonly Dictionary<string, string> NotEmittedToday = new Dictionary<string, string>();

        private readonly ITestOutputHelper output;

        public ZooHlsTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Files => ZooCatalog.Entries().Select(e => new object[] { e.Key });

        [Theory]
        [MemberData(nameof(Files))]
        public void HlsTestbenchPassesInCsim(string key)
        {
            if (ZooBackendTests.IsCheckedAs(key) is string other)
            {
                output.WriteLine($"{key} imports to the same spec and weights as {other}: checked there");
                return;
            }

            HlsOutcome h = ZooRun.Hls(key);
            output.WriteLine($"{key}: {h}");
            if (NotEmittedToday.TryGetValue(key, out string? id))
            {
                Assert.False(h.Emitted, key + " emits now: remove it from NotEmittedToday");
                Assert.Contains(id, h.Detail, System.StringComparison.Ordinal);
                return;
            }

            Assert.True(h.Emitted && h.Passed, key + ": " + h.Detail);
        }
    }
}
