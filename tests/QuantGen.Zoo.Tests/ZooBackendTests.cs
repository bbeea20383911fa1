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
    /// interpreter on each forced SIMD path (one child process per path loading the one compiled assembly) and the ILGPU
    /// kernels on ILGPU's CPU accelerator (HLS: <see cref="ZooHlsTests"/>, a class of its own so its g++ runs overlap these). Exports that import to byte-identical models are
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

        /// <summary>Every committed file of the catalogue (cheap to list: discovery imports nothing).</summary>
        public static IEnumerable<object[]> Files => ZooCatalog.Entries().Select(e => new object[] { e.Key });

        /// <summary>
        /// Zoo files whose ILGPU backend is not emitted today, with why (none since the ILGPU session takes several named
        /// inputs; ZooCompiler.MultiGpuInfer decides). A file listed here that runs on ILGPU fails the test below until the
        /// entry goes (and the model then has to be bit-exact there).
        /// </summary>
        private static readonly Dictionary<string, string> GpuNotEmittedToday = new Dictionary<string, string>
        {
        };

        [Fact]
        public void EveryZooFileOfTheFiveCnnsAndMlpsAndDeitAndBertImports()
        {
            foreach (ZooImport im in ZooRun.Imports)
            {
                output.WriteLine($"{im.Entry.File}: {(im.Model != null ? im.Model.Graph.Nodes.Count + " layers" : string.Join("; ", im.Diagnostics))}");
            }

            Assert.All(ZooRun.Imports, im => Assert.True(im.Model != null, im.Entry.File + ": " + string.Join("; ", im.Diagnostics)));
            Assert.Equal(ZooCatalog.IncludeSkeletons ? 30 : 28, ZooRun.Imports.Count);
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
                Assert.True(u.Vectors.Inputs.Count >= 20);
                Assert.Equal(ZooRun.InputsPerModel, u.Vectors.Inputs.Count);
            }
        }

        [Theory]
        [MemberData(nameof(Files))]
        public void IlgpuKernelsAreBitExactOnTheCpuAccelerator(string key)
        {
            if (IsCheckedAs(key) is string other)
            {
                output.WriteLine($"{key} imports to the same spec and weights as {other}: checked there");
                return;
            }

            GpuOutcome g = ZooRun.Gpu(key);
            output.WriteLine($"{key}: {g}");
            if (GpuNotEmittedToday.TryGetValue(key, out string? why))
            {
                Assert.True(g.NotRun != null, key + " runs on ILGPU now: remove it from GpuNotEmittedToday");
                Assert.Contains(why, g.NotRun, System.StringComparison.Ordinal);
                Assert.Equal(0, g.Inputs);
                return;
            }

            Assert.Null(g.NotRun);
            Assert.Null(g.Error);
            Assert.Equal(0, g.Mismatches);
            bool deitRun = System.Environment.GetEnvironmentVariable(ZooRun.DeitGpuVariable) != "0";
            Assert.Equal(key.StartsWith("deit_tiny", System.StringComparison.Ordinal) ? (deitRun ? 1 : 0) : ZooRun.GpuInputs, g.Inputs);
        }

        /// <summary>The earlier file a byte-identical import is checked as (the hashes are asserted equal), or null.</summary>
        internal static string? IsCheckedAs(string key)
        {
            ZooImport im = ZooRun.Imports.First(i => i.Entry.Key == key);
            Assert.True(im.Model != null, key + " does not import");
            ZooUnit u = ZooRun.UnitOf(im.Entry)!;
            if (u.Key == key)
            {
                return null;
            }

            Assert.Equal(u.Import.Hash, im.Hash);
            return u.Key;
        }
    }
}
