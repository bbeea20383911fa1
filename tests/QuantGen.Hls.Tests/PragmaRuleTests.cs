using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Rules over the emitted C++ that a synthesis run would otherwise be needed to catch: every weight ROM a MAC loop reads is
    /// reshaped to the loop's read width, every per-channel table read several times per cycle is partitioned, the top
    /// function is dataflowed. A mutation test removes one pragma and requires a rule to fail.
    /// </summary>
    public class PragmaRuleTests
    {
        /// <summary>The rule violations of one emitted firmware file.</summary>
        public static List<string> Violations(string cpp)
        {
            var found = new List<string>();
            foreach (Match f in Regex.Matches(cpp, @"static void (\w+)\((?<params>[^)]*)\) \{(?<body>.*?)\n\}", RegexOptions.Singleline))
            {
                string name = f.Groups[1].Value, body = f.Groups["body"].Value;
                foreach (Match w in Regex.Matches(body, @"const \w+ wv = (\w+)\["))
                {
                    if (!Regex.IsMatch(body, @"QG_HLS\(ARRAY_RESHAPE variable=" + w.Groups[1].Value + @" (complete|block factor=\d+) dim=1\)"))
                    {
                        found.Add($"{name}: weight ROM {w.Groups[1].Value} is read by an unrolled MAC without ARRAY_RESHAPE");
                    }
                }

                Match lanes = Regex.Match(body, @"for \(int u = 0; u < (\d+); u\+\+\)");
                if (lanes.Success && int.Parse(lanes.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 1)
                {
                    foreach (Match t in Regex.Matches(body, @"qg_requantize\([^;]*?, (\w+)\[o\], (\w+)\[o\]"))
                    {
                        foreach (string table in new[] { t.Groups[1].Value, t.Groups[2].Value })
                        {
                            if (!Regex.IsMatch(body, @"QG_HLS\(ARRAY_PARTITION variable=" + table + @" cyclic factor=" + lanes.Groups[1].Value + " dim=1\\)"))
                            {
                                found.Add($"{name}: table {table} is read {lanes.Groups[1].Value} times per cycle without a cyclic partition");
                            }
                        }
                    }
                }
            }

            Match top = Regex.Match(cpp, @"\nvoid \w+\((?<params>[^)]*)\) \{(?<body>.*?)\n\}", RegexOptions.Singleline);
            if (!top.Success || !top.Groups["body"].Value.Contains("QG_HLS(DATAFLOW)"))
            {
                found.Add("the top function is neither dataflowed nor pipelined");
            }

            // io_parallel: the array ports are read and written whole, so they are reshaped/partitioned completely.
            foreach (Match port in Regex.Matches(top.Groups["params"].Value, @"(\w+)\[\d+\]"))
            {
                if (!Regex.IsMatch(top.Groups["body"].Value, @"QG_HLS\(ARRAY_(RESHAPE|PARTITION) variable=" + port.Groups[1].Value + " complete dim=0\\)"))
                {
                    found.Add($"top port {port.Groups[1].Value} is an array without a complete reshape or partition");
                }
            }

            return found;
        }

        public static TheoryData<string, string, int, string?> Projects => new TheoryData<string, string, int, string?>
        {
            { "digits_mlp", "io_parallel", 1, null },
            { "digits_mlp", "io_parallel", 4, null },
            { "digits_mlp", "io_stream", 1, "fc2=3" },
            { "digits_cnn", "io_parallel", 1, CompileTests.CnnLayerReuse },
            { "digits_cnn", "io_stream", 1, null },
            { "digits_vit", "io_stream", 2, null },
        };

        [Theory]
        [MemberData(nameof(Projects))]
        public void EmittedProjectsFollowThePragmaRules(string model, string io, int reuse, string? layerReuse)
        {
            HlsProject p = HlsFixture.Generate(model, HlsFixture.Options(io, reuse, layerReuse));
            string cpp = p.Files["firmware/" + model + ".cpp"];
            Assert.Empty(Violations(cpp));
            if (model != "digits_vit")
            {
                Assert.Contains("QG_HLS(ARRAY_RESHAPE", cpp);   // the rules really saw MAC loops
            }
        }

        /// <summary>Removing any one ROM pragma from an emitted project makes the rules fail.</summary>
        [Fact]
        public void RemovingAPragmaFailsTheRules()
        {
            string cpp = HlsFixture.Generate("digits_mlp", HlsFixture.Options("io_parallel", 4)).Files["firmware/digits_mlp.cpp"];
            var pragmas = Regex.Matches(cpp, @"  QG_HLS\((ARRAY_RESHAPE|ARRAY_PARTITION variable=(\w+ cyclic|y_out complete)|DATAFLOW)[^\n]*\n").Select(m => m.Value).Distinct().ToList();
            Assert.True(pragmas.Count >= 7, string.Join("", pragmas));   // 3 weights, 2 x 2 tables at R = 4 (fc3: 3 lanes), the top
            foreach (string pragma in pragmas)
            {
                string mutant = cpp.Replace(pragma, string.Empty);
                Assert.True(Violations(mutant).Count > 0, "no rule noticed the removal of " + pragma);
            }
        }
    }
}
