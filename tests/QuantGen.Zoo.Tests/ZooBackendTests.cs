using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Every zoo file that imports, through every backend (issue 13, "done when"): the generated C# against the reference
    /// interpreter on each forced SIMD path (one child process per path loading the one compiled assembly), the ILGPU kernels
    /// on ILGPU's CPU accelerator, and the HLS project's C simulation. Exports that import to byte-identical models are
    /// checked once (float13 and float17 of a model, ...).
    /// </summary>
    public class ZooBackendTests
    {
        private readonly ITestOutputHelper output;

        public ZooBackendTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Paths => ZooRun.Paths.Select(p => new object[] { p.Path });

        public static IEnumerable<object[]> Units => ZooRun.Units.Select(u => new object[] { u.Key });

        [Fact]
        public void EveryZooFileOfTheFiveCnnsAndMlpsAndDeitImports()
        {
            foreach (ZooImport im in ZooRun.Imports)
            {
                output.WriteLine($"{im.Entry.File}: {(im.Model != null ? im.Model.Graph.Nodes.Count + " layers" : string.Join("; ", im.Diagnostics))}");
            }

            Assert.All(ZooRun.Imports, im => Assert.True(im.Model != null, im.Entry.File + ": " + string.Join("; ", im.Diagnostics)));
            Assert.Equal(25, ZooRun.Imports.Count);
        }

        [Theory]
        [MemberData(nameof(Paths))]
        public void GeneratedCSharpIsBitExactOnThePath(string path)
        {
            Dictionary<string, string[]> rows = ZooRun.Cpu(path);
            string expected = ZooRun.ExpectedPath(path);
            Assert.Equal(ZooRun.Units.Select(u => u.Key), rows.Keys);
            foreach (ZooUnit u in ZooRun.Units)
            {
                string[] row = rows[u.Key];
                output.WriteLine(u.Key + ": " + string.Join(" ", row));
                Assert.True(row.Length == 3 && row[0] == expected && row[2] == "0", u.Key + ": " + string.Join(" ", row));
                Assert.Equal(u.Vectors.Inputs.Count.ToString(CultureInfo.InvariantCulture), row[1]);
                Assert.True(u.Vectors.Inputs.Count >= (u.Import.Entry.Model == ZooCatalog.DeitTiny ? ZooRun.DeitInputs : 20));
            }
        }

        [Theory]
        [MemberData(nameof(Units))]
        public void IlgpuKernelsAreBitExactOnTheCpuAccelerator(string key)
        {
            GpuOutcome g = ZooRun.Gpu(key);
            output.WriteLine($"{key}: {g}");
            Assert.Null(g.Error);
            Assert.Equal(0, g.Mismatches);
        }

        [Theory]
        [MemberData(nameof(Units))]
        public void HlsTestbenchPassesInCsim(string key)
        {
            HlsOutcome h = ZooRun.Hls(key);
            output.WriteLine($"{key}: {h}");
            Assert.True(h.Emitted && h.Passed, key + ": " + h.Detail);
        }
    }
}
