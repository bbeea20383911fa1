using System;
using System.IO;
using System.Threading.Tasks;
using QuantGen.Hls;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Hls.Vendor
{
    /// <summary>
    /// Opt-in: the emitted projects against the vendor's ap_int headers. This file is compiled only when the environment
    /// variable QUANTGEN_VENDOR_HLS_INCLUDE names the folder that holds ap_int.h at build time (the test project's csproj
    /// removes it otherwise), so without the headers the tests do not exist in the run instead of passing as skipped:
    /// <c>QUANTGEN_VENDOR_HLS_INCLUDE=/opt/Xilinx/Vitis_HLS/2024.1/include dotnet test tests/QuantGen.Hls.Tests --filter Category=VendorHeaders</c>.
    /// The headers go on the include path with -isystem, as docs/hls.md's compile line says, so that -Werror applies to
    /// the generated code and not to the vendor's.
    /// </summary>
    [Trait("Category", "VendorHeaders")]
    public sealed class VendorHeaderTests
    {
        private readonly ITestOutputHelper output;

        public VendorHeaderTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static string Include => Environment.GetEnvironmentVariable("QUANTGEN_VENDOR_HLS_INCLUDE")
            ?? throw new InvalidOperationException("QUANTGEN_VENDOR_HLS_INCLUDE was set when this test was built but is not set now");

        [Theory]
        [InlineData("digits_mlp", "io_parallel", "fc2=3")]
        [InlineData("digits_mlp", "io_stream", "fc2=200")]
        [InlineData("digits_cnn", "io_stream", null)]
        [InlineData("digits_vit", "io_stream", null)]
        [InlineData("digits_vit", "io_parallel", null)]
        public async Task CompilesWarningFreeAndPassesWithTheVendorHeaders(string model, string io, string? layerReuse)
        {
            Assert.True(File.Exists(Path.Combine(Include, "ap_int.h")), $"no ap_int.h in {Include}");
            HlsProject p = HlsFixture.Generate(model, HlsFixture.Options(io, 1, layerReuse));
            string dir = HlsFixture.WriteProject(p, "vendor-" + model + "-" + io);
            string exe = Path.Combine(dir, p.Name + "_vendor");
            // -Wno-uninitialized -Wno-maybe-uninitialized: the vendor's ap_private leaves its value unset in its default constructor, which g++
            // reports where it is inlined into the generated code (docs/hls.md, section 5).
            HlsFixture.ProcessResult build = await HlsFixture.RunAsync(HlsFixture.Compilers[0], dir, "-std=c++14", "-O1", "-Wall", "-Wextra", "-Werror",
                "-Wno-uninitialized", "-Wno-maybe-uninitialized", "-isystem", Include, "-Ifirmware", "firmware/" + p.Name + ".cpp", p.Name + "_test.cpp", "-o", exe);
            Assert.True(build.ExitCode == 0, build.Output);
            Assert.Contains("#define QG_VENDOR_AP_INT 1", File.ReadAllText(Path.Combine(dir, "firmware", "quantgen_types.h")));
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(exe, dir, "tb_data");
            output.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("PASS: ", run.Output);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
