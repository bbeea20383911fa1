using System.IO;
using System.Threading.Tasks;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// quantgen_types.h picks vendor headers when the compiler finds them, QuantGen's own with -DQG_USE_OWN_AP_INT, and
    /// ac_int with -DQG_USE_AC_INT. No vendor header is installed here, so stand-ins with markers play the vendor part:
    /// this checks the switch, not the vendor libraries.
    /// </summary>
    public class TypeSwitchTests
    {
        private const string FakeApInt = "#define FAKE_VENDOR_AP_INT 1\n#include \"quantgen_ap_int.h\"\n";
        private const string FakeStream = "#define FAKE_VENDOR_HLS_STREAM 1\n#include \"quantgen_hls_stream.h\"\n";

        // ac_int<W, S> with the members the generated code uses (construction, to_int64), built on QuantGen's ap_int.
        private const string FakeAcInt = @"#define FAKE_AC_INT 1
#include ""quantgen_ap_int.h""
template <int W, bool S> struct fake_ac_base { typedef ap_int<W> type; };
template <int W> struct fake_ac_base<W, false> { typedef ap_uint<W> type; };
template <int W, bool S>
class ac_int : public fake_ac_base<W, S>::type {
 public:
  typedef typename fake_ac_base<W, S>::type base_type;
  using base_type::base_type;
  ac_int() {}
};
";

        private const string Probe = @"#include ""firmware/digits_mlp.h""
#if defined(EXPECT_VENDOR) && !(defined(FAKE_VENDOR_AP_INT) && defined(FAKE_VENDOR_HLS_STREAM))
#error the vendor headers were not picked
#endif
#if defined(EXPECT_OWN) && (defined(FAKE_VENDOR_AP_INT) || defined(FAKE_VENDOR_HLS_STREAM))
#error QG_USE_OWN_AP_INT did not force the QuantGen headers
#endif
int main() { return 0; }
";

        [Fact]
        public async Task VendorOwnAndAcIntPathsAreSelected()
        {
            HlsProject project = HlsFixture.Generate("digits_mlp", HlsFixture.Options());
            string dir = HlsFixture.WriteProject(project, "types");
            string vendor = Path.Combine(dir, "vendor");
            Directory.CreateDirectory(vendor);
            File.WriteAllText(Path.Combine(vendor, "ap_int.h"), FakeApInt);
            File.WriteAllText(Path.Combine(vendor, "hls_stream.h"), FakeStream);
            File.WriteAllText(Path.Combine(vendor, "ac_int.h"), FakeAcInt);
            File.WriteAllText(Path.Combine(dir, "probe.cpp"), Probe);
            string gxx = HlsFixture.Compilers[0];
            string[] common = { "-std=c++14", "-O0", "-Wall", "-Wextra", "-Werror", "-Ifirmware", "-Ivendor" };

            HlsFixture.ProcessResult picked = await HlsFixture.RunAsync(gxx, dir, Concat(common, "-DEXPECT_VENDOR", "-fsyntax-only", "probe.cpp"));
            Assert.True(picked.ExitCode == 0, picked.Output);
            HlsFixture.ProcessResult own = await HlsFixture.RunAsync(gxx, dir, Concat(common, "-DQG_USE_OWN_AP_INT", "-DEXPECT_OWN", "-fsyntax-only", "probe.cpp"));
            Assert.True(own.ExitCode == 0, own.Output);

            // The whole project on the ac_int path, testbench included.
            HlsFixture.ProcessResult ac = await HlsFixture.RunAsync(gxx, dir, Concat(common, "-DQG_USE_AC_INT", "firmware/digits_mlp.cpp", "digits_mlp_test.cpp", "-o", "tb_ac"));
            Assert.True(ac.ExitCode == 0, ac.Output);
            HlsFixture.ProcessResult run = await HlsFixture.RunAsync(Path.Combine(dir, "tb_ac"), dir, "tb_data");
            Assert.True(run.ExitCode == 0, run.Output);
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }

        private static string[] Concat(string[] a, params string[] b)
        {
            var r = new string[a.Length + b.Length];
            a.CopyTo(r, 0);
            b.CopyTo(r, a.Length);
            return r;
        }
    }
}
