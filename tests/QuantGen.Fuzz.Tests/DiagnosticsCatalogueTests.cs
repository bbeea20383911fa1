using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>docs/diagnostics.md against the code: every id the code defines is documented, every documented id is real.</summary>
    public sealed class DiagnosticsCatalogueTests
    {
        [Fact]
        public void EveryIdInTheCodeIsDocumentedAndEveryDocumentedIdIsInTheCode()
        {
            var inCode = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string root in new[] { "generators", "runtime", "tasks" })
            {
                foreach (string file in Directory.EnumerateFiles(Path.Combine(TestFiles.Repo, root), "*.cs", SearchOption.AllDirectories)
                    .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                {
                    foreach (Match m in Regex.Matches(File.ReadAllText(file), "\"(QG[0-9]{4})\""))
                    {
                        inCode.Add(m.Groups[1].Value);
                    }
                }
            }

            var documented = new SortedSet<string>(StringComparer.Ordinal);
            var retired = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string line in File.ReadLines(Path.Combine(TestFiles.Repo, "docs", "diagnostics.md")))
            {
                Match m = Regex.Match(line, @"^\| (?:<a id=""qg[0-9]{4}""></a>)?(QG[0-9]{4}) \|");
                if (m.Success)
                {
                    Assert.True(documented.Add(m.Groups[1].Value), m.Groups[1].Value + " is documented twice");
                    if (line.Contains("*Retired*", StringComparison.Ordinal))
                    {
                        retired.Add(m.Groups[1].Value);
                    }
                }
            }

            Assert.True(inCode.Count > 50, "found only " + inCode.Count + " ids in the code");
            Assert.Empty(inCode.Except(documented));
            Assert.Empty(documented.Except(retired).Except(inCode));
            Assert.Empty(retired.Intersect(inCode));
        }
    }
}
