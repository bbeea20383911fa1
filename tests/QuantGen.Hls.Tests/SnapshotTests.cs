using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using QuantGen.Hls;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Every emitted file of both fixture models is pinned by a baseline (tests/QuantGen.Hls.Tests/Baselines). The
    /// io_stream variants share weights, golden data and the library headers with io_parallel (asserted equal, so pinned once
    /// per model); their other files are pinned too.
    /// Review a change in the received files, then accept with QUANTGEN_ACCEPT_BASELINES=1.
    /// </summary>
    public class SnapshotTests
    {
        public static TheoryData<string> Models => new TheoryData<string> { "digits_mlp", "digits_vit", "digits_cnn" };

        /// <summary>The stream variant's knobs: reuse 2 everywhere, except the CNN, whose 3x3 windows (K = 9) take per-layer factors.</summary>
        private static (HlsOptions Options, string Baseline) StreamVariant(string model) =>
            model == "digits_cnn"
                ? (HlsFixture.Options("io_stream", 1, CompileTests.CnnLayerReuse), "_io_stream_layer_reuse")
                : (HlsFixture.Options("io_stream", 2), "_io_stream_r2");

        [Theory]
        [MemberData(nameof(Models))]
        public void EveryFileOfTheParallelProject(string model)
        {
            HlsProject p = HlsFixture.Generate(model, HlsFixture.Options());
            Assert.Contains("firmware/" + model + ".cpp", p.Files.Keys);
            foreach (KeyValuePair<string, string> f in p.Files)
            {
                Baseline.Verify(HlsFixture.TestProject, model + "_io_parallel", f.Key.Replace('/', '_'), f.Value);
            }
        }

        [Theory]
        [MemberData(nameof(Models))]
        public void EveryFileOfTheStreamProject(string model)
        {
            HlsProject parallel = HlsFixture.Generate(model, HlsFixture.Options());
            (HlsOptions options, string suffix) = StreamVariant(model);
            HlsProject stream = HlsFixture.Generate(model, options);
            Assert.Equal(parallel.Files.Keys, stream.Files.Keys);
            foreach (KeyValuePair<string, string> f in stream.Files)
            {
                if (SameInEveryConfiguration(f.Key))
                {
                    Assert.Equal(parallel.Files[f.Key], f.Value);
                }
                else
                {
                    Baseline.Verify(HlsFixture.TestProject, model + suffix, f.Key.Replace('/', '_'), f.Value);
                }
            }
        }

        /// <summary>Files that do not depend on the knobs (weights, golden data, the fixed library headers): pinned once per
        /// model by the io_parallel baseline, and required equal in the other configurations.</summary>
        private static bool SameInEveryConfiguration(string path) =>
            path.StartsWith("firmware/weights/", System.StringComparison.Ordinal) || path.StartsWith("tb_data/", System.StringComparison.Ordinal) ||
            path.StartsWith("firmware/quantgen_", System.StringComparison.Ordinal);

        [Fact]
        public void OutputIsDeterministic()
        {
            HlsProject a = HlsFixture.Generate("digits_vit", HlsFixture.Options("io_stream", 4));
            HlsProject b = HlsFixture.Generate("digits_vit", HlsFixture.Options("io_stream", 4));
            Assert.Equal(a.Files, b.Files);
            Assert.All(a.Files.Values, text => Assert.DoesNotContain("\r", text));
        }

        /// <summary>Integer-only: no floating-point type, literal or math function in any emitted file.</summary>
        [Theory]
        [InlineData("digits_mlp", "io_parallel", 1)]
        [InlineData("digits_mlp", "io_stream", 4)]
        [InlineData("digits_vit", "io_parallel", 1)]
        [InlineData("digits_vit", "io_stream", 4)]
        [InlineData("digits_cnn", "io_parallel", 1)]
        [InlineData("digits_cnn", "io_stream", 1)]
        public void NoFloatAnywhere(string model, string io, int reuse)
        {
            var forbidden = new Regex(@"\b(float|double|half|ap_fixed|ap_ufixed|ac_fixed)\b|std::(exp|log|pow|sqrt|round|floor|ceil)|\b(exp|expf|log|sqrt|sqrtf|pow|round|floor|ceil)\s*\(|\b\d+\.\d*(e[+-]?\d+)?f?\b|\b\d+e[+-]?\d+\b");
            HlsProject p = HlsFixture.Generate(model, HlsFixture.Options(io, reuse));
            foreach (KeyValuePair<string, string> f in p.Files.Where(f => f.Key.EndsWith(".h", System.StringComparison.Ordinal) || f.Key.EndsWith(".cpp", System.StringComparison.Ordinal) || f.Key.EndsWith(".dat", System.StringComparison.Ordinal)))
            {
                // Code only: comments may quote the real constants the integers were folded from (log2 e ~ 1.4375).
                string code = Regex.Replace(f.Value, "//[^\n]*", string.Empty);
                Match m = forbidden.Match(code);
                Assert.False(m.Success, $"{f.Key} contains \"{m.Value}\"");
            }

            // README, report, manifest and tcl carry prose and formulas, but no floating-point type either.
            var words = new Regex(@"\b(float|double)\b|std::exp");
            foreach (KeyValuePair<string, string> f in p.Files)
            {
                Assert.False(words.IsMatch(f.Value), f.Key + " mentions a floating-point type or std::exp");
            }
        }
    }
}
