using System;
using System.IO;
using Xunit;

namespace QuantGen.Tests.Numerics
{
    /// <summary>
    /// Keeps the measured-error table in docs/numerics.md honest: regenerates it and compares with the text between the
    /// markers. Set QUANTGEN_ACCEPT=1 to rewrite the section instead of failing.
    /// </summary>
    public class ErrorTableDocTests
    {
        private const string BeginMarker = "<!-- error-table:begin -->";
        private const string EndMarker = "<!-- error-table:end -->";

        [Fact]
        public void DocsErrorTable_MatchesMeasurement()
        {
            string path = FindDocs();
            string text = File.ReadAllText(path).Replace("\r\n", "\n");
            int begin = text.IndexOf(BeginMarker, StringComparison.Ordinal);
            int end = text.IndexOf(EndMarker, StringComparison.Ordinal);
            Assert.True(begin >= 0 && end > begin, $"{path} lacks the markers {BeginMarker} ... {EndMarker}.");

            int contentStart = begin + BeginMarker.Length;
            string current = text.Substring(contentStart, end - contentStart).Trim('\n');
            string generated = ErrorReport.ToMarkdown(ErrorReport.Rows).Trim('\n');
            if (current == generated)
            {
                return;
            }

            if (Environment.GetEnvironmentVariable("QUANTGEN_ACCEPT") == "1")
            {
                string updated = text.Substring(0, contentStart) + "\n" + generated + "\n" + text.Substring(end);
                File.WriteAllText(path, updated);
                return;
            }

            Assert.Fail(
                $"The measured-error table in {path} is out of date. Review the numbers below, then rerun the tests with "
                + "QUANTGEN_ACCEPT=1 to rewrite the section between the error-table markers.\n\nMeasured now:\n"
                + generated + "\n\nIn the docs:\n" + current);
        }

        private static string FindDocs()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "docs", "numerics.md");
                if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Gen.sln")))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("docs/numerics.md not found above " + AppContext.BaseDirectory);
        }
    }
}
