using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// The emitted projects compiled with g++ and clang++ (-std=c++14 -Wall -Wextra -Werror) against QuantGen's own
    /// ap_int / hls::stream headers, and their testbenches run: every output element of every golden vector must equal
    /// the reference interpreter, for both models, both io modes and two reuse factors.
    /// </summary>
    public class CompileTests
    {
        public static TheoryData<string, string, int> Matrix => new TheoryData<string, string, int>
        {
            { "digits_mlp", "io_parallel", 1 },
            { "digits_mlp", "io_parallel", 4 },
            { "digits_mlp", "io_stream", 1 },
            { "digits_mlp", "io_stream", 4 },
            { "digits_vit", "io_parallel", 1 },
            { "digits_vit", "io_parallel", 4 },
            { "digits_vit", "io_stream", 1 },
            { "digits_vit", "io_stream", 4 },
        };

        [Theory]
        [MemberData(nameof(Matrix))]
        public async Task TestbenchPassesWithBothCompilers(string model, string io, int reuse)
        {
            HlsProject project = HlsFixture.Generate(model, HlsFixture.Options(io, reuse));
            string dir = HlsFixture.WriteProject(project, model + "-" + io + "-r" + reuse);
            IReadOnlyList<string> compilers = HlsFixture.Compilers;
            string[] exes = await Task.WhenAll(compilers.Select((c, i) => HlsFixture.CompileAsync(dir, c, "c" + i)));
            foreach (string exe in exes)
            {
                HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
                Assert.True(run.ExitCode == 0, $"{exe}: exit {run.ExitCode}\n{run.Output}");
                Assert.Contains("PASS: 55 samples, 550 output elements, all equal to the reference interpreter", run.Output);
            }

            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        /// <summary>The digits CNN's layer reuse factors: each divides its layer's inner dimension (3x3 windows: K = 9).</summary>
        public const string CnnLayerReuse = "conv1=3;dw=9;pw=4;fc_Gemm=4";

        /// <summary>
        /// The digits CNN (Conv2d 3x3 pad 1, MaxPool2d 2x2, depthwise 3x3, pointwise 1x1, AvgPool, Dense) in both io
        /// modes, reuse factor 1 everywhere and a per-layer set (3, 9, 4, 4), with both compilers.
        /// </summary>
        [Theory]
        [InlineData("io_parallel", null)]
        [InlineData("io_parallel", CnnLayerReuse)]
        [InlineData("io_stream", null)]
        [InlineData("io_stream", CnnLayerReuse)]
        public async Task CnnTestbenchPassesWithBothCompilers(string io, string? layerReuse)
        {
            HlsProject project = HlsFixture.Generate("digits_cnn", HlsFixture.Options(io, 1, layerReuse));
            string cpp = project.Files["firmware/digits_cnn.cpp"];
            Assert.Contains("static void conv1(", cpp);
            Assert.Contains("static void pool1(", cpp);
            Assert.Contains(layerReuse == null ? "for (int k = 0; k < 1; k++) {" : "for (int k = 0; k < 9; k++) {", cpp);
            string dir = HlsFixture.WriteProject(project, "digits_cnn-" + io + (layerReuse == null ? "-r1" : "-layers"));
            string[] exes = await Task.WhenAll(HlsFixture.Compilers.Select((c, i) => HlsFixture.CompileAsync(dir, c, "c" + i)));
            foreach (string exe in exes)
            {
                HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
                Assert.True(run.ExitCode == 0, $"{exe}: exit {run.ExitCode}\n{run.Output}");
                Assert.Contains("PASS: 55 samples, 550 output elements, all equal to the reference interpreter", run.Output);
            }

            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        /// <summary>The golden data is the reference interpreter's: 50 test digits plus 5 adversarial inputs.</summary>
        [Theory]
        [InlineData("digits_mlp")]
        [InlineData("digits_vit")]
        [InlineData("digits_cnn")]
        public void GoldenVectorsAreTheReferenceOutputs(string model)
        {
            HlsProject project = HlsFixture.Generate(model, HlsFixture.Options());
            List<int[]> inputs = HlsFixture.ReadVectors(project.Files["tb_data/tb_input_features.dat"]);
            List<int[]> outputs = HlsFixture.ReadVectors(project.Files["tb_data/tb_output_predictions.dat"]);
            Assert.Equal(55, inputs.Count);
            Assert.Equal(55, outputs.Count);
            ModelGraph graph = ModelLoader.Load(HlsFixture.ModelPath(model)).GetGraphOrThrow();
            var interpreter = new ReferenceInterpreter(graph);
            var data = QuantGen.Data.LabeledDataset.Load(HlsFixture.DigitsCsv);
            IReadOnlyList<QuantGen.Data.Sample> test = data.Split("test");
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(interpreter.Quantize(test[i].Features), inputs[i]);
            }

            Assert.Equal(Enumerable.Repeat(-128, 64), inputs[50]);
            Assert.Equal(Enumerable.Repeat(127, 64), inputs[51]);
            Assert.Equal(Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? -128 : 127), inputs[52]);
            for (int i = 0; i < inputs.Count; i++)
            {
                Assert.Equal(interpreter.Run(inputs[i]), outputs[i]);
            }
        }

        /// <summary>The check can fail: one wrong expected element makes the testbench report it and exit 1.</summary>
        [Theory]
        [InlineData("digits_vit", 2, null)]
        [InlineData("digits_cnn", 1, CnnLayerReuse)]
        public async Task PlantedWrongExpectedValueFailsTheTestbench(string model, int reuse, string? layerReuse)
        {
            HlsProject project = HlsFixture.Generate(model, HlsFixture.Options("io_stream", reuse, layerReuse));
            string dir = HlsFixture.WriteProject(project, "planted-" + model);
            string exe = await HlsFixture.CompileAsync(dir, HlsFixture.Compilers[0], "gcc");
            string expected = Path.Combine(dir, "tb_data", "tb_output_predictions.dat");
            List<int[]> rows = HlsFixture.ReadVectors(File.ReadAllText(expected));
            rows[7][3] += 1;
            File.WriteAllText(expected, string.Join("\n", rows.Select(r => string.Join(" ", r))) + "\n");
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"MISMATCH sample 7, output 3: got {rows[7][3] - 1}, expected {rows[7][3]}", run.Output);
            Assert.Contains("FAIL: 1 of 550 output elements differ", run.Output);

            File.WriteAllText(expected, "1 2 3\n");
            HlsFixture.ProcessResult malformed = await HlsFixture.RunAsync(exe, dir, "tb_data");
            Assert.Equal(2, malformed.ExitCode);
            HlsFixture.ProcessResult missing = await HlsFixture.RunAsync(exe, dir, "no_such_folder");
            Assert.Equal(2, missing.ExitCode);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        /// <summary>
        /// A 1 Mi-element weight tensor (Dense 1024 -> 1024) through the whole backend: its header is a plain integer
        /// array that g++ compiles in modest memory, and the project's testbench still passes.
        /// </summary>
        [Fact]
        public async Task MebiElementTensorCompiles()
        {
            string dir = HlsFixture.TempDir("large");
            string spec = LargeModel.Write(dir, 1024, 1024);
            var options = HlsFixture.Options("io_parallel", 1024);
            options.TestData = null;
            options.TestVectors = 3;
            HlsGenerationResult r = HlsGenerator.Generate(spec, options);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string header = r.Project!.Files["firmware/weights/big_weight.h"];
            Assert.Contains("static const signed char big_weight[1048576] = {", header);
            string project = Path.Combine(dir, "out", r.Project.Name);
            HlsOutputWriter.Write(project, r.Project);
            string name = r.Project.Name;
            // The compiler runs under a 2 GiB address-space limit (bash's ulimit -v): more memory than that fails the build.
            string command = "ulimit -v 2097152 && exec " + HlsFixture.Compilers[0] + " -std=c++14 -O1 -Wall -Wextra -Werror -Ifirmware firmware/" + name + ".cpp " + name + "_test.cpp -o tb";
            HlsFixture.ProcessResult build = await HlsFixture.RunAsync("/bin/bash", project, "-c", command);
            Assert.True(build.ExitCode == 0, build.Output);
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(Path.Combine(project, "tb"), project, "tb_data");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: 8 samples", run.Output);
            Directory.Delete(dir, true);
        }
    }
}
