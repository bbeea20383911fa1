using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using QuantGen.Hls;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Issue 17 items 6 and 7: exact knob parsing and the temporary folders of killed runs.</summary>
    public sealed class HlsRegressionTests : IDisposable
    {
        private readonly string dir = TestFiles.NewTempFolder("hls-reg");

        public void Dispose() => Directory.Delete(dir, true);

        private static List<(string Code, string Message)> Parse(string? part = null, string? clock = null)
        {
            var errors = new List<(string Code, string Message)>();
            HlsOptions.Parse(null, null, null, part, clock, null, errors);
            return errors;
        }

        [Theory]
        [InlineData("xcvu9p-flga2104-2L-e\n")]
        [InlineData("xcvu9p\r\n")]
        [InlineData("\nxcvu9p")]
        [InlineData("a b")]
        [InlineData("-x")]
        public void PartIsValidatedExactly(string part) => Assert.Equal(HlsErrors.InvalidPart, Assert.Single(Parse(part: part)).Code);

        [Theory]
        [InlineData("5\n")]
        [InlineData("5\r")]
        [InlineData(" 5")]
        [InlineData("0")]
        [InlineData("5.")]
        [InlineData(".5")]
        [InlineData("٥")]
        public void ClockPeriodIsValidatedExactly(string clock) => Assert.Equal(HlsErrors.InvalidClock, Assert.Single(Parse(clock: clock)).Code);

        [Fact]
        public void ValidKnobsStillParse()
        {
            Assert.Empty(Parse("xc7z020clg400-1", "3.33"));
            Assert.True(HlsOptions.IsPartName("xcvu9p-flga2104-2L-e"));
            Assert.True(HlsOptions.IsClockPeriod("10"));
        }

        [Fact]
        public void StaleTemporaryFoldersAreRemovedAndLiveOnesKept()
        {
            string Make(string name, TimeSpan age)
            {
                string p = Path.Combine(dir, name);
                Directory.CreateDirectory(Path.Combine(p, "firmware"));
                File.WriteAllText(Path.Combine(p, "firmware", "x.h"), "x");
                Directory.SetLastWriteTimeUtc(p, DateTime.UtcNow - age);
                return p;
            }

            int dead = DeadPid();
            string deadTmp = Make($".m.tmp-{dead}-aaaaaaaaaaaa", TimeSpan.FromMinutes(1));
            string deadOld = Make($".m.old-{dead}-bbbbbbbbbbbb", TimeSpan.FromMinutes(1));
            string legacy = Make(".m.tmp-0123456789ab", TimeSpan.FromMinutes(30));
            string legacyFresh = Make(".m.tmp-ba9876543210", TimeSpan.FromSeconds(5));
            string live = Make($".m.tmp-{Environment.ProcessId}-cccccccccccc", TimeSpan.FromMinutes(1));
            string liveOther = Make(".m.tmp-1-dddddddddddd", TimeSpan.FromMinutes(1));          // PID 1 is alive
            string recycled = Make(".m.tmp-1-eeeeeeeeeeee", TimeSpan.FromHours(3));            // alive PID, but too old
            string otherModel = Make($".n.tmp-{dead}-ffffffffffff", TimeSpan.FromMinutes(1));

            List<string> removed = HlsOutputWriter.RemoveStaleTemporaries(dir, "m", DateTime.UtcNow);
            Assert.Equal(new[] { deadOld, deadTmp, legacy, recycled }.OrderBy(x => x), removed.OrderBy(x => x));
            Assert.All(new[] { legacyFresh, live, liveOther, otherModel }, p => Assert.True(Directory.Exists(p), p));
        }

        [Fact]
        public void WriteCleansUpAfterAKilledRunEvenWhenNothingChanged()
        {
            var project = new HlsProject("m", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.txt"] = "a\n" });
            Assert.True(HlsOutputWriter.Write(Path.Combine(dir, "m"), project));
            string leftover = Path.Combine(dir, $".m.tmp-{DeadPid()}-aaaaaaaaaaaa");
            Directory.CreateDirectory(leftover);
            Assert.False(HlsOutputWriter.Write(Path.Combine(dir, "m"), project));   // up to date
            Assert.False(Directory.Exists(leftover));
        }

        [Fact]
        public void AnUnwritableOutputIsAnIOException()
        {
            var project = new HlsProject("m", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["a.txt"] = "a\n" });
            File.WriteAllText(Path.Combine(dir, "file"), "x");
            Assert.Throws<IOException>(() => HlsOutputWriter.Write(Path.Combine(dir, "file", "m"), project));
            Assert.Throws<IOException>(() => HlsOutputWriter.Write("/proc/quantgen-test/m", project));
        }

        /// <summary>The PID of a process that has exited.</summary>
        internal static int DeadPid()
        {
            using Process p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            p.WaitForExit();
            return p.Id;
        }
    }
}
