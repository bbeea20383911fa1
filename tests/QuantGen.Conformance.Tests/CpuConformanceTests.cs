using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Every corpus case, generated C# against the reference interpreter on every SIMD path: each path is forced in a child
    /// process (the runner) with the runtime's ISA switches, and the child must report that path.
    /// </summary>
    public class CpuConformanceTests
    {
        public static IEnumerable<object[]> Paths => new[]
        {
            new object[] { "avx512+vnni", new string[0] },
            new object[] { "avx512", new[] { "DOTNET_EnableAVXVNNI=0" } },
            new object[] { "avx2+vnni", new[] { "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0" } },
            new object[] { "avx2", new[] { "DOTNET_EnableAVX512=0", "DOTNET_EnableAVX512F=0", "DOTNET_EnableAVXVNNI=0" } },
            new object[] { "vector128", new[] { "DOTNET_EnableAVX2=0" } },
            new object[] { "scalar", new[] { "DOTNET_EnableHWIntrinsic=0" } },
        };

        [Theory]
        [MemberData(nameof(Paths))]
        public void EveryCaseIsBitExactOnThePath(string path, string[] switches)
        {
            Dictionary<string, string[]> rows = ConformanceMatrix.RunCpu(switches);
            string expected = ConformanceMatrix.ExpectedPath(path);
            Assert.Equal(Corpus.Cases.Select(c => c.Name), rows.Keys);
            foreach (KeyValuePair<string, string[]> row in rows)
            {
                Assert.True(row.Value.Length == 3 && row.Value[0] == expected && row.Value[2] == "0", row.Key + ": " + string.Join(" ", row.Value));
                Assert.Equal((Program.RandomInputs + 5).ToString(System.Globalization.CultureInfo.InvariantCulture), row.Value[1]);
            }
        }
    }
}
