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
                    if (!Regex.IsMatch(body, @"QG_HLS\(ARRAY_RESHAPE variable=" + w.Groups[1].Value + @" (complete|block factor=\d+|cyclic factor=\d+) dim=1\)"))
                    {
                        found.Add($"{name}: weight ROM {w.Groups[1].Value} is read by an unrolled MAC without ARRAY_RESHAPE");
                    }
                }

                // The unrolled requantizer lanes (a Dense folded across outputs requantizes one output per cycle instead).
                Match lanes = Regex.Match(body, @"QG_LABEL\(REQUANT_LANE\)\s*for \(int u = 0; u < (\d+); u\+\+\)");
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

            // io_stream line buffers: kh - 1 rows x C channels of banks, each read and written once per position, and the
            // window in registers; the buffered layers' arrays of packed beats are split into one bank per channel.
            foreach (Match f in Regex.Matches(cpp, @"static void (\w+)\((?<params>[^)]*)\) \{(?<body>.*?)\n\}", RegexOptions.Singleline))
            {
                string name = f.Groups[1].Value, body = f.Groups["body"].Value;
                if (Regex.IsMatch(body, @"static \w+ line\[") && !(body.Contains("QG_HLS(ARRAY_PARTITION variable=line complete dim=1)") && body.Contains("QG_HLS(ARRAY_PARTITION variable=line complete dim=2)")))
                {
                    found.Add($"{name}: the line buffer is not partitioned into one bank per row and channel");
                }

                if (Regex.IsMatch(body, @"static \w+ win\[") && !body.Contains("QG_HLS(ARRAY_PARTITION variable=win complete)"))
                {
                    found.Add($"{name}: the window is not in registers");
                }

                foreach (Match a in Regex.Matches(body, @"(\w+)\[\(n \* (\d+) \+ l\) \* \d+ \+ p\]"))
                {
                    if (!Regex.IsMatch(body, @"QG_HLS\(ARRAY_PARTITION variable=" + a.Groups[1].Value + @" block factor=\d+ dim=1\)"))
                    {
                        found.Add($"{name}: buffer {a.Groups[1].Value} is read or written a whole beat per cycle without a partition per channel");
                    }
                }
            }

            // URAM buffers (the plan's "// URAM (...)" comment under the declaration): bound to URAM, reshaped to the word's
            // elements (at most 72 bits), and filled one whole word per read-loop iteration (II = elements per word).
            foreach (Match f in Regex.Matches(cpp, @"static void (\w+)\((?<params>[^)]*)\) \{(?<body>.*?)\n\}", RegexOptions.Singleline))
            {
                string name = f.Groups[1].Value, body = f.Groups["body"].Value;
                foreach (Match u in Regex.Matches(body, @"\n  \w+ (\w+)\[(\d+)\];\n  // URAM \((\d+) x (\d+) bits\): (\d+) elements per 72-bit word"))
                {
                    string v = u.Groups[1].Value, pack = u.Groups[5].Value;
                    if (int.Parse(pack, System.Globalization.CultureInfo.InvariantCulture) * int.Parse(u.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture) > 72)
                    {
                        found.Add($"{name}: URAM buffer {v} packs more than 72 bits per word");
                    }

                    if (!body.Contains($"QG_HLS(BIND_STORAGE variable={v} type=ram_2p impl=uram)"))
                    {
                        found.Add($"{name}: buffer {v} is planned in URAM but not bound to it");
                    }

                    if (!body.Contains($"QG_HLS(ARRAY_RESHAPE variable={v} cyclic factor={pack} dim=1)"))
                    {
                        found.Add($"{name}: URAM buffer {v} is not reshaped to {pack} elements per word");
                    }

                    if (body.Contains($"{v}[w * {pack} + f] = ") && !body.Contains($"QG_HLS(PIPELINE II={pack})"))
                    {
                        found.Add($"{name}: URAM buffer {v} is not filled one word per {pack} cycles");
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

            foreach (Match st in Regex.Matches(cpp, @"hls::stream<\w+> (\w+)\(""\w+""\);"))
            {
                if (!Regex.IsMatch(cpp, @"QG_HLS\(STREAM variable=" + st.Groups[1].Value + @" depth=\d+\)"))
                {
                    found.Add($"FIFO {st.Groups[1].Value} has no planned depth");
                }
            }

            return found;
        }

        /// <summary>
        /// Issue 15's arithmetic rule: no 64-bit divider or variable 64-bit shift in an II=1 loop. In every pipelined loop
        /// body: no division except a narrow one (<c>qg_uint&lt;W&gt;(a) / qg_uint&lt;W&gt;(b)</c>, W at most 32), no call to
        /// the 64-bit ShiftExp/ShiftGELU/I-BERT helpers, and the narrow helpers' widths (shift W at most 40, divider D at
        /// most 32) as the lowering proved them.
        /// </summary>
        public static List<string> ArithmeticViolations(string cpp)
        {
            var found = new List<string>();
            string code = Regex.Replace(cpp, @"//[^\n]*", string.Empty);
            foreach (Match m in Regex.Matches(code, @"QG_HLS\(PIPELINE II=1\)"))
            {
                int open = code.LastIndexOf('{', m.Index), depth = 0, end = open;
                for (; end < code.Length; end++)
                {
                    depth += code[end] == '{' ? 1 : code[end] == '}' ? -1 : 0;
                    if (depth == 0)
                    {
                        break;
                    }
                }

                string body = code.Substring(open, end - open + 1);
                string rest = Regex.Replace(body, @"qg_uint<(\d+)>\([^;]*?\) / qg_uint<\1>\(", n => int.Parse(n.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 32 ? "NARROW_DIV(" : n.Value);
                if (rest.Contains('/'))
                {
                    found.Add("a division wider than 32 bits in a pipelined loop: " + body.Trim().Split('\n')[0]);
                }

                foreach (string wide in new[] { "qg_shift_exp(", "qg_shift_gelu(", "qg_shift_sigmoid(", "qg_ibert_exp(", "qg_shr_guarded(" })
                {
                    if (body.Contains(wide))
                    {
                        found.Add($"{wide.TrimEnd('(')} (64-bit division or variable 64-bit shift) in a pipelined loop");
                    }
                }

                foreach (Match w in Regex.Matches(body, @"qg_ibert_exp_w<(\d+)>"))
                {
                    if (int.Parse(w.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 32)
                    {
                        found.Add($"{w.Value}: a shifter wider than 32 bits");
                    }
                }

                foreach (Match w in Regex.Matches(body, @"qg_shift_(exp|gelu)_w<(\d+)(, (\d+))?>"))
                {
                    int shift = int.Parse(w.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
                    int div = w.Groups[4].Success ? int.Parse(w.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                    if (shift > 40 || div > 32)
                    {
                        found.Add($"{w.Value}: operands wider than the rule allows");
                    }
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

        [Theory]
        [InlineData("io_parallel")]
        [InlineData("io_stream")]
        public void NoWideDividerOrShiftInAPipelinedLoop(string io)
        {
            HlsProject p = HlsFixture.Generate("digits_vit", HlsFixture.Options(io, 2));
            string cpp = p.Files["firmware/digits_vit.cpp"];
            Assert.Empty(ArithmeticViolations(cpp));
            Assert.Contains("qg_shift_exp_w<", cpp);   // the rule saw the Softmax and GELU loops
            Assert.Contains("qg_shift_gelu_w<", cpp);

            // The narrow helpers themselves: ShiftExp's quotient by comparators, its shift on W bits, the GELU divider on D bits.
            string numerics = Regex.Replace(p.Files["firmware/quantgen_numerics.h"], @"//[^\n]*", string.Empty);
            string expW = Regex.Match(numerics, @"inline qg_i64 qg_shift_exp_w\(.*?\n\}", RegexOptions.Singleline).Value;
            string geluW = Regex.Match(numerics, @"inline qg_i64 qg_shift_gelu_w\(.*?\n\}", RegexOptions.Singleline).Value;
            Assert.DoesNotContain("/", expW);
            Assert.Contains("qg_uint<W>(v << (n - q))", expW);
            Assert.Equal(1, geluW.Count(ch => ch == '/'));
            Assert.Contains("qg_uint<D>(2147483647LL) / qg_uint<D>(ea + eb)", geluW);

            // Mutations: the 64-bit helpers or a 64-bit division back in a pipelined loop are caught.
            Assert.NotEmpty(ArithmeticViolations(Regex.Replace(cpp, @"qg_shift_exp_w<\d+>\(", "qg_shift_exp(")));
            Assert.NotEmpty(ArithmeticViolations(Regex.Replace(cpp, @"qg_shift_gelu_w<\d+, \d+>\(", "qg_shift_gelu(")));
            Assert.NotEmpty(ArithmeticViolations(cpp.Replace("qg_uint<31>(2147483647LL) / qg_uint<31>(sum)", "2147483647LL / sum").Replace("sum = qg_min(sum + ", "sum = qg_min(2147483647LL / (sum + 1) + sum + ")));
        }

        /// <summary>Removing a line-buffer, beat-buffer or FIFO pragma from an emitted io_stream CNN makes the rules fail.</summary>
        [Fact]
        public void RemovingAStreamPragmaFailsTheRules()
        {
            string cpp = HlsFixture.Generate("digits_cnn", HlsFixture.Options("io_stream", 1, "fc_Gemm=4")).Files["firmware/digits_cnn.cpp"];
            Assert.Empty(Violations(cpp));
            var pragmas = Regex.Matches(cpp, @"  QG_HLS\((ARRAY_PARTITION variable=(line|win) complete[^)]*|STREAM variable=\w+ depth=\d+)\)[^\n]*\n").Select(m => m.Value).Distinct().ToList();
            Assert.True(pragmas.Count >= 8, string.Join("", pragmas));
            foreach (string pragma in pragmas)
            {
                int at = cpp.IndexOf(pragma, System.StringComparison.Ordinal);
                string mutant = cpp.Remove(at, pragma.Length);
                Assert.True(Violations(mutant).Count > 0, "no rule noticed the removal of " + pragma);
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
