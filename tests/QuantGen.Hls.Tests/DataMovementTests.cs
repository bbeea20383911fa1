using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Hls;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Concat, Slice and Split through the one strided-copy template: small models written from C# (random weights, fixed
    /// seed), csim bit-exact with the reference interpreter in both io modes with g++ and clang++.
    /// </summary>
    public class DataMovementTests
    {
        private static readonly TensorQuant CatQuant = new TensorQuant(ElementType.Int8, 0.12, 1);

        /// <summary>
        /// x [2, 3, 4] (zero point 2), a = Dense(x) (scale 0.1, zero point -5), c an initializer (scale 0.07, zero point 3,
        /// length 1 on the axis): Concat(x, a, c) along <paramref name="axis"/> into scale 0.12, zero point 1, so every input
        /// is requantized and the initializer is read from its ROM. The initializer is named i0, like the kernel's first loop
        /// variable: its array must move aside (i0_2), not be shadowed.
        /// </summary>
        private static string ConcatModel(string dir, int axis)
        {
            int[] cShape = { 2, 3, 4 };
            cShape[axis < 0 ? axis + 3 : axis] = 1;
            var m = new SmallModels("concat_axis" + (axis < 0 ? "m" + (-axis) : axis.ToString(System.Globalization.CultureInfo.InvariantCulture)), new[] { 2, 3, 4 }, inputZp: 2)
                .Dense("fc", "x", "a", 4, 4, outZp: -5)
                .Constant("i0", cShape, 0.07, 3);
            var cat = new ConcatLayer
            {
                Name = "cat",
                Output = "y",
                Axis = axis,
                Integers = new ConcatIntegers(new[] { 0.05 / 0.12, 0.1 / 0.12, 0.07 / 0.12 }.Select(Dyadic.FromReal)),
            };
            return m.Layer(cat, new[] { "x", "a", "i0" }, ("y", CatQuant)).Save(dir, "y");
        }

        /// <summary>x [3, 4, 5] -> Slice (negative steps on axes 0 and 2) -> [3, 4, 3] -> Slice (step 2 on axis 1) -> [3, 2, 3].</summary>
        private static string SliceModel(string dir)
        {
            var s1 = new SliceLayer { Name = "rev", Output = "r", Starts = new long[] { -1, 100 }, Ends = new long[] { -100, 0 }, Axes = new[] { 0, -1 }, Steps = new long[] { -1, -2 } };
            var s2 = new SliceLayer { Name = "every2", Output = "y", Starts = new long[] { 1 }, Ends = new long[] { 4 }, Axes = new[] { 1 }, Steps = new long[] { 2 } };
            return new SmallModels("slices", new[] { 3, 4, 5 }, inputZp: -3).Layer(s1, new[] { "x" }).Layer(s2, new[] { "r" }).Save(dir, "y");
        }

        /// <summary>x [2, 9] -> Split axis 1 into [2, 2], [2, 3], [2, 4] -> Concat(p2, p1, p0, p1) -> [2, 12] (p1 read twice, plain copies).</summary>
        private static string SplitModel(string dir)
        {
            var split = new SplitLayer { Name = "sp", Axis = 1, Sizes = new[] { 2, 3, 4 } };
            split.Outputs.AddRange(new[] { "p0", "p1", "p2" });
            var cat = new ConcatLayer { Name = "cat", Output = "y", Axis = -1, Integers = new ConcatIntegers(Enumerable.Repeat(Dyadic.One, 4)) };
            return new SmallModels("split3", new[] { 2, 9 }, inputZp: 4)
                .Layer(split, new[] { "x" })
                .Layer(cat, new[] { "p2", "p1", "p0", "p1" }, ("y", new TensorQuant(ElementType.Int8, 0.05, 4)))
                .Save(dir, "y");
        }

        public static TheoryData<string, string> Cases()
        {
            var data = new TheoryData<string, string>();
            foreach (string model in new[] { "concat0", "concat1", "concat-1", "slice", "split" })
            {
                foreach (string io in new[] { "io_parallel", "io_stream" })
                {
                    data.Add(model, io);
                }
            }

            return data;
        }

        private static string Write(string model, string dir) => model switch
        {
            "slice" => SliceModel(dir),
            "split" => SplitModel(dir),
            _ => ConcatModel(dir, int.Parse(model.Substring("concat".Length), System.Globalization.CultureInfo.InvariantCulture)),
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task CsimIsBitExactWithTheReference(string model, string io)
        {
            string dir = HlsFixture.TempDir("dm-" + model);
            string spec = Write(model, dir);
            HlsOptions options = HlsFixture.Options(io);
            options.TestData = null;
            options.TestVectors = 20;
            HlsGenerationResult r = HlsGenerator.Generate(spec, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            HlsProject p = r.Project!;
            string cpp = p.Files["firmware/" + p.Name + ".cpp"];
            Assert.Contains("QG_LABEL(COPY", cpp);
            if (model.StartsWith("concat", System.StringComparison.Ordinal))
            {
                Assert.Contains("qg_requantize(", cpp);
                Assert.Contains("i0_2[", cpp);   // the initializer input is read from its ROM array, renamed away from the loop variable
            }

            if (model == "slice")
            {
                Assert.Matches(@"x\[\d+ - i0 \* \d+", cpp);   // a negative stride
            }

            string projectDir = HlsFixture.WriteProject(p, "dm-" + model + "-" + io);
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

        /// <summary>The box indices as the template prints them.</summary>
        [Theory]
        [InlineData(0L, new long[] { 1 }, "i0")]
        [InlineData(12L, new long[] { -4, 1 }, "12 - i0 * 4 + i1")]
        [InlineData(0L, new long[] { -1 }, "-i0")]
        [InlineData(7L, new long[0], "7")]
        [InlineData(0L, new long[0], "0")]
        public void IndexExpressions(long start, long[] strides, string expected) =>
            Assert.Equal(expected, QuantGen.Hls.Lowerings.StridedCopyLowering.Index(start, strides));
    }
}
