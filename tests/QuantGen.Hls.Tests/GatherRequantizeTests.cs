using System.IO;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Gather (x[:, 0] and an index list) and Requantize (a factor and a change of type) through the strided-copy template:
    /// csim bit-exact with the reference interpreter in both io modes.
    /// </summary>
    public class GatherRequantizeTests
    {
        /// <summary>x [2, 5, 3] -> Gather axis 1 [4, -1, 0] -> [2, 3, 3] -> Gather axis 1 scalar 0 -> [2, 3] -> Requantize x0.125 to int16 -> Requantize to int8.</summary>
        private static string Model(string dir)
        {
            var g1 = new GatherLayer { Name = "pick", Output = "p", Axis = 1, Indices = new long[] { 4, -1, 0 } };
            var g2 = new GatherLayer { Name = "cls", Output = "c", Axis = -2, Indices = new long[] { 0 }, IndicesShape = new int[0] };
            var r1 = new RequantizeLayer { Name = "scale", Output = "s", Factor = 0.125, Integers = new RequantizeIntegers(Dyadic.FromReal(0.125 * 0.05 / 0.0007)) };
            var r2 = new RequantizeLayer { Name = "narrow", Output = "y", Integers = new RequantizeIntegers(Dyadic.FromReal(0.0007 / 0.011)) };
            return new SmallModels("gather_requant", new[] { 2, 5, 3 }, inputZp: 3)
                .Layer(g1, new[] { "x" })
                .Layer(g2, new[] { "p" })
                .Layer(r1, new[] { "c" }, ("s", new TensorQuant(ElementType.Int16, 0.0007, -20)))
                .Layer(r2, new[] { "s" }, ("y", new TensorQuant(ElementType.Int8, 0.011, 2)))
                .Save(dir, "y");
        }

        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public async Task CsimIsBitExactWithTheReference(string io)
        {
            string dir = HlsFixture.TempDir("gr-" + io);
            HlsOptions options = HlsFixture.Options(io);
            options.TestData = null;
            options.TestVectors = 20;
            HlsGenerationResult r = HlsGenerator.Generate(Model(dir), options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            HlsProject p = r.Project!;
            Assert.Contains("qg_requantize(", p.Files["firmware/" + p.Name + ".cpp"]);
            string projectDir = HlsFixture.WriteProject(p, "gr-" + io);
            foreach (string compiler in HlsFixture.Compilers)
            {
                string exe = await HlsFixture.CompileAsync(projectDir, compiler, Path.GetFileName(compiler).Replace("+", "p"));
                HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, projectDir, "tb_data");
                Assert.True(run.ExitCode == 0, run.Output);
                Assert.Contains("PASS: ", run.Output);
            }

            Directory.Delete(Path.GetDirectoryName(projectDir)!, true);
            Directory.Delete(dir, true);
        }
    }
}
