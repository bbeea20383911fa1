using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace QuantGen.Hls
{
    /// <summary>How tensors enter and leave the top function and move between layers.</summary>
    public enum IoMode
    {
        /// <summary>Arrays (completely partitioned); layers run one after the other.</summary>
        Parallel,

        /// <summary>hls::stream between layers, DATAFLOW in the top function.</summary>
        Stream,
    }

    /// <summary>
    /// The knobs of the HLS backend, validated: <see cref="Parse"/> turns the raw strings of MSBuild item metadata or
    /// task parameters into options or QG3xxx diagnostics (an invalid value is an error, never a silent default).
    /// </summary>
    public sealed class HlsOptions
    {
        public const string DefaultPart = "xcvu9p-flga2104-2L-e";
        public const string DefaultClockPeriod = "5";
        public const int DefaultTestVectors = 50;

        public IoMode IoMode { get; set; } = IoMode.Parallel;

        /// <summary>Reuse factor of every multiplying layer without its own entry.</summary>
        public int ReuseFactor { get; set; } = 1;

        /// <summary>
        /// True unless ReuseFactor was given as a number: layers without a LayerReuseFactors entry then get reuse factors
        /// chosen by the planner to fit the part (ReuseFactor "auto" or absent).
        /// </summary>
        public bool AutoReuse { get; set; } = true;

        /// <summary>Per-layer reuse factors by layer name (ordinal).</summary>
        public SortedDictionary<string, int> LayerReuse { get; } = new SortedDictionary<string, int>(StringComparer.Ordinal);

        public string Part { get; set; } = DefaultPart;

        /// <summary>Clock period in ns, as written by the user (a positive decimal number), passed to the tcl script.</summary>
        public string ClockPeriod { get; set; } = DefaultClockPeriod;

        /// <summary>Clock uncertainty for set_clock_uncertainty: ns ("0.5") or a percentage of the period ("12.5%").</summary>
        public string ClockUncertainty { get; set; } = DefaultClockUncertainty;

        public const string DefaultClockUncertainty = "12.5%";

        /// <summary>Sets <see cref="ClockUncertainty"/> from a knob value (null or empty: keep the default); false when invalid.</summary>
        public bool TrySetClockUncertainty(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return true;
            }

            if (!Regex.IsMatch(value, "\\A[0-9]{1,3}(\\.[0-9]{1,3})?%?\\z"))
            {
                return false;
            }

            ClockUncertainty = value!;
            return true;
        }

        /// <summary>How many samples of the test split become golden vectors (adversarial vectors come on top).</summary>
        public int TestVectors { get; set; } = DefaultTestVectors;

        /// <summary>Labelled CSV (split,label,features...) for golden inputs; null: seeded pseudo-random inputs.</summary>
        public string? TestData { get; set; }

        public string TestSplit { get; set; } = "test";

        /// <summary>
        /// Golden inputs given by the caller instead of TestData or seeded random ones: per sample one integer tensor per model
        /// input (spec order, row-major, already quantized; token ids as they are, out-of-range ids allowed: the expected
        /// output is then the clamped ids'). The adversarial vectors are still appended. Null: not given.
        /// </summary>
        public IReadOnlyList<IReadOnlyList<int[]>>? GoldenInputs { get; set; }

        /// <summary>Lets the model's "weights" name a file outside the spec's folder (ModelLoadOptions.AllowWeightsOutsideSpecFolder).</summary>
        public bool AllowExternalWeights { get; set; }

        public string IoModeName => IoMode == IoMode.Stream ? "io_stream" : "io_parallel";

        /// <summary>Clock period as an integer number of picoseconds (for the estimates; no float in generated code).</summary>
        public long ClockPeriodPs
        {
            get
            {
                decimal ns = decimal.Parse(ClockPeriod, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                return (long)decimal.Round(ns * 1000m, 0, MidpointRounding.AwayFromZero);
            }
        }

        public int ReuseFor(string layer) => LayerReuse.TryGetValue(layer, out int r) ? r : ReuseFactor;

        /// <summary>
        /// Parses the raw knob values (null or empty = default). Errors name the knob, the bad value and the accepted
        /// values; they go to <paramref name="errors"/> as (code, message).
        /// </summary>
        public static HlsOptions Parse(string? ioMode, string? reuseFactor, string? layerReuse, string? part, string? clockPeriod, string? testVectors, List<(string Code, string Message)> errors)
        {
            var o = new HlsOptions();
            if (!string.IsNullOrWhiteSpace(ioMode))
            {
                switch (ioMode!.Trim())
                {
                    case "io_parallel":
                    case "parallel":
                        o.IoMode = IoMode.Parallel;
                        break;
                    case "io_stream":
                    case "stream":
                        o.IoMode = IoMode.Stream;
                        break;
                    default:
                        errors.Add((HlsErrors.InvalidIoMode, $"IoMode \"{ioMode}\" is not valid; use io_parallel or io_stream"));
                        break;
                }
            }

            if (!string.IsNullOrWhiteSpace(reuseFactor) && reuseFactor!.Trim() != "auto")
            {
                if (TryPositive(reuseFactor!, out int r))
                {
                    o.ReuseFactor = r;
                    o.AutoReuse = false;
                }
                else
                {
                    errors.Add((HlsErrors.InvalidReuseFactor, $"ReuseFactor \"{reuseFactor}\" is not valid; use a positive integer (1 = fully parallel) or auto (fit the part)"));
                }
            }

            if (!string.IsNullOrWhiteSpace(layerReuse))
            {
                foreach (string entry in layerReuse!.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] kv = entry.Split('=');
                    if (kv.Length != 2 || kv[0].Trim().Length == 0 || !TryPositive(kv[1], out int r))
                    {
                        errors.Add((HlsErrors.InvalidReuseFactor, $"LayerReuseFactors entry \"{entry.Trim()}\" is not valid; write layer=factor pairs separated by ';', e.g. fc1=4;fc2=2"));
                        continue;
                    }

                    string layer = kv[0].Trim();
                    if (o.LayerReuse.ContainsKey(layer))
                    {
                        errors.Add((HlsErrors.InvalidReuseFactor, $"LayerReuseFactors names layer \"{layer}\" twice"));
                        continue;
                    }

                    o.LayerReuse[layer] = r;
                }
            }

            if (part != null && part.Length > 0)
            {
                if (IsPartName(part))
                {
                    o.Part = part;
                }
                else
                {
                    errors.Add((HlsErrors.InvalidPart, $"Part \"{part}\" is not a valid FPGA part name (letters, digits, '-', '_', '.'), e.g. {DefaultPart}"));
                }
            }

            if (clockPeriod != null && clockPeriod.Length > 0)
            {
                if (IsClockPeriod(clockPeriod) &&
                    decimal.Parse(clockPeriod, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) > 0m)
                {
                    o.ClockPeriod = clockPeriod;
                }
                else
                {
                    errors.Add((HlsErrors.InvalidClock, $"ClockPeriod \"{clockPeriod}\" is not valid; give the period in ns as a positive number, e.g. 5 or 3.33"));
                }
            }

            if (!string.IsNullOrWhiteSpace(testVectors))
            {
                if (int.TryParse(testVectors, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 0 && n <= 100000)
                {
                    o.TestVectors = n;
                }
                else
                {
                    errors.Add((HlsErrors.InvalidTestData, $"TestVectors \"{testVectors}\" is not valid; use an integer in [0, 100000]"));
                }
            }

            return o;
        }

        /// <summary>
        /// An FPGA part name as the Tcl script receives it: a letter or digit, then up to 63 letters, digits, '-', '_'
        /// or '.'. Checked character by character (a "^...$" regex would accept a trailing newline, which ends the Tcl
        /// command early).
        /// </summary>
        public static bool IsPartName(string s)
        {
            if (s.Length < 1 || s.Length > 64 || !IsAsciiLetterOrDigit(s[0]))
            {
                return false;
            }

            foreach (char c in s)
            {
                if (!IsAsciiLetterOrDigit(c) && c != '-' && c != '_' && c != '.')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A clock period in ns: 1 to 4 digits, optionally '.' and 1 to 3 digits, nothing else (no sign, no space, no newline).</summary>
        public static bool IsClockPeriod(string s)
        {
            int dot = s.IndexOf('.');
            string whole = dot < 0 ? s : s.Substring(0, dot);
            string frac = dot < 0 ? "1" : s.Substring(dot + 1);
            return whole.Length >= 1 && whole.Length <= 4 && frac.Length >= 1 && frac.Length <= 3 && AllDigits(whole) && AllDigits(frac);
        }

        private static bool AllDigits(string s)
        {
            foreach (char c in s)
            {
                if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsAsciiLetterOrDigit(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

        /// <summary>An MSBuild boolean: empty (false), "true" or "false" in any case; anything else is an error.</summary>
        public static bool TryParseFlag(string? text, out bool value)
        {
            value = false;
            return string.IsNullOrEmpty(text) || bool.TryParse(text, out value);
        }

        private static bool TryPositive(string text, out int value) =>
            int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= 1 << 20;
    }

    /// <summary>Diagnostic ids of the HLS backend and its MSBuild task (model-file problems keep their QG1xxx ids).</summary>
    public static class HlsErrors
    {
        /// <summary>IoMode is not io_parallel / io_stream.</summary>
        public const string InvalidIoMode = "QG3001";

        /// <summary>A reuse factor is not a positive integer or a layer=factor list is malformed.</summary>
        public const string InvalidReuseFactor = "QG3002";

        /// <summary>A reuse factor does not fit its layer (not a divisor of the inner dimension, unknown layer, no multipliers).</summary>
        public const string ReuseFactorNotApplicable = "QG3003";

        public const string InvalidPart = "QG3004";

        public const string InvalidClock = "QG3005";

        /// <summary>TestVectors or TestData invalid (count, unreadable CSV, wrong feature count).</summary>
        public const string InvalidTestData = "QG3006";

        /// <summary>The model cannot be compiled to HLS (float model, an operator or width the backend does not support).</summary>
        public const string UnsupportedModel = "QG3007";

        /// <summary>Two models would be written to the same output folder.</summary>
        public const string DuplicateOutput = "QG3008";

        /// <summary>The output folder could not be written (nothing was changed).</summary>
        public const string WriteFailed = "QG3009";

        /// <summary>A template failed to parse or render (a bug in QuantGen: please report).</summary>
        public const string TemplateError = "QG3010";

        /// <summary>Anything unexpected, caught so that the build reports it instead of crashing.</summary>
        public const string InternalError = "QG3011";

        /// <summary>The design does not fit the part by the estimate (a user reuse factor that cannot fit, or no folding that fits).</summary>
        public const string DoesNotFit = "QG3013";

        /// <summary>A layer too large for its io mode or reuse factor (Conv2d unrolling more than 4096 multipliers, an
        /// io_parallel Conv2d/MaxPool2d input beyond 4096 elements).</summary>
        public const string LayerTooLarge = "QG3012";

        /// <summary>A true/false item metadata (AllowExternalWeights) with another value.</summary>
        public const string InvalidFlag = "QG3014";

        /// <summary>TestData (one feature vector per sample) given for a model with several inputs.</summary>
        public const string TestDataNeedsOneInput = "QG3015";
    }
}
