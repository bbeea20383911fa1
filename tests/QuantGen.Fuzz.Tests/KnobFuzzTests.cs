using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Tasks;
using QuantGen.Hls;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// Fuzzing of the HLS knobs as MSBuild item metadata (IoMode, ReuseFactor, LayerReuseFactors, Part, ClockPeriod,
    /// TestVectors, TestData, TestSplit, AllowExternalWeights) through the real task object: every run ends in a
    /// written project or QG errors, and whatever reaches the Tcl script is exactly validated.
    /// </summary>
    public sealed class KnobFuzzTests : IDisposable
    {
        private static readonly Dictionary<string, string[]> Values = new Dictionary<string, string[]>
        {
            ["IoMode"] = new[] { "io_parallel", "io_stream", "stream", "io_serial", "io_parallel\n", " io_stream ", "IO_PARALLEL", string.Empty },
            ["ReuseFactor"] = new[] { "1", "2", "4", "0", "-1", "1.5", "4\n", "1048577", "99999999999", "ab", string.Empty },
            ["LayerReuseFactors"] = new[] { "fc1=2", "fc1=2;fc2=4", "fc1=3", "nope=2", "fc1=2;fc1=2", "=2", "fc1=", "fc1==2", ";;", "qg_x=2", "fc1=2,fc2=1" },
            ["Part"] = new[] { "xcvu9p-flga2104-2L-e", "xc7z020clg400-1", "x\n", "xcvu9p\n", "-x", "a b", "a;b", "a[b]", "\"x\"", new string('a', 65), "é", string.Empty },
            ["ClockPeriod"] = new[] { "5", "3.33", "5\n", "\n5", " 5", "0", "0.0", "-5", "1e3", "10000", "5.0001", "NaN", "5;exit", "٥", string.Empty },
            ["TestVectors"] = new[] { "0", "3", "-1", "100001", "3\n", "x", string.Empty },
            ["TestSplit"] = new[] { "test", "train", "nope", string.Empty },
            ["TestData"] = new[] { string.Empty, "digits.csv", "missing.csv", "fifo", "/dev/zero", "." },
            ["AllowExternalWeights"] = new[] { string.Empty, "true", "False", "yes", "1" },
        };

        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("knobs");

        public KnobFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
            Prepare(dir);
        }

        public void Dispose() => Directory.Delete(dir, true);

        [Fact]
        public void MsBuildMetadata()
        {
            FuzzRunner.Run(output, "hls-knobs", rng => Case(rng, dir), minCases: 10);
        }

        /// <summary>The folder a knob case runs in: the test data it may name and a FIFO.</summary>
        internal static void Prepare(string dir)
        {
            File.Copy(TestFiles.DigitsCsv, Path.Combine(dir, "digits.csv"), true);
            if (!File.Exists(Path.Combine(dir, "fifo")))
            {
                Native.MakeFifo(Path.Combine(dir, "fifo"));
            }
        }

        /// <summary>One knob case: random metadata on the digits MLP item, run through the task.</summary>
        public static CaseOutcome Case(Random rng, string dir)
        {
            string model = Path.Combine(TestFiles.Models, "digits_mlp.qmodel.json");
            var item = new TaskItem(model);
            foreach (KeyValuePair<string, string[]> knob in Values)
            {
                if (rng.Next(3) == 0)
                {
                    item.SetMetadata(knob.Key, rng.Next(6) == 0 ? Mutators.RandomString(rng) : rng.Pick(knob.Value));
                }
            }

            item.SetMetadata("TestVectors", rng.Next(4) == 0 ? rng.Pick(Values["TestVectors"]) : "2");
            var engine = new RecordingEngine();
            var task = new QuantGenEmitHls { BuildEngine = engine, OutputPath = Path.Combine(dir, "hls"), ProjectFile = Path.Combine(dir, "fuzz.proj"), Models = new ITaskItem[] { item } };
            bool ok = task.Execute();
            if (ok)
            {
                string tcl = File.ReadAllText(Path.Combine(dir, "hls", "digits_mlp", "build_prj.tcl"));
                string part = item.GetMetadata("Part"), clock = item.GetMetadata("ClockPeriod");
                Assert.True(part.Length == 0 || HlsOptions.IsPartName(part), "accepted part " + part);
                Assert.True(clock.Length == 0 || HlsOptions.IsClockPeriod(clock), "accepted clock " + clock);
                Assert.DoesNotContain("\r", tcl, StringComparison.Ordinal);
                return CaseOutcome.Ok();
            }

            return CaseOutcome.Rejected(string.Join("\n", engine.Errors.Select(e => $"{e.File}: error {e.Code}: {e.Message}")));
        }
    }
}
