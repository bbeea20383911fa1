using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>What one fuzz case ended in: accepted, or rejected with the located diagnostics it printed.</summary>
    public sealed class CaseOutcome
    {
        private CaseOutcome(bool accepted, string detail)
        {
            Accepted = accepted;
            Detail = detail;
        }

        public bool Accepted { get; }

        public string Detail { get; }

        public static CaseOutcome Ok() => new CaseOutcome(true, string.Empty);

        public static CaseOutcome Rejected(string detail) => new CaseOutcome(false, detail);
    }

    /// <summary>
    /// Runs fuzz cases under the contract of issue 17: each case ends in success or a located QG diagnostic, within a
    /// per-case timeout (a hang fails the test, it does not stall the run) and an allocation bound; any other exception,
    /// an unexpected-failure id (QG2099, QG3011, QG5099) or a broken invariant is a failure reported with its seed.
    /// Deterministic: case i of kind k uses seed <c>Seed(k, i)</c>. The time per kind is QUANTGEN_FUZZ_SECONDS (default
    /// 1 s), after at least <c>minCases</c> cases; the count tried is written to the test output.
    /// </summary>
    public static class FuzzRunner
    {
        /// <summary>
        /// A hang is a case that has not finished after this long. The replayed ONNX seeds took 1.4 to 6.5 s each on this
        /// 2-core machine at load 30 (measured 2026-12-05; one timed out at 20 s in a full parallel run); 60 s keeps a loaded
        /// CI run from calling that a hang
        /// while a real hang (an endless loop, a blocked FIFO) still fails the test.
        /// </summary>
        public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(60);

        private static readonly Regex DiagnosticId = new Regex(@"\bQG[1-5][0-9]{3}\b", RegexOptions.CultureInvariant);

        [ThreadStatic]
        private static long measureFrom;

        [ThreadStatic]
        private static long measuredInput;

        [ThreadStatic]
        private static bool measuring;

        /// <summary>
        /// Called by an oracle right before the code under test runs: allocations from here on count (not the mutator's),
        /// against the bound plus 16 bytes per input byte (a 20 MB model may allocate its decoded tensors).
        /// </summary>
        public static void StartMeasuring(long inputBytes)
        {
            measuring = true;
            measuredInput = inputBytes;
            measureFrom = GC.GetAllocatedBytesForCurrentThread();
        }

        public static double SecondsPerKind =>
            double.TryParse(Environment.GetEnvironmentVariable("QUANTGEN_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 1.0;

        public static int Seed(string kind, int index)
        {
            unchecked
            {
                int h = 17;
                foreach (char c in kind)
                {
                    h = (h * 31) + c;
                }

                return (h * 1_000_003) ^ index;
            }
        }

        /// <summary>Runs cases until the time budget is spent; fails with every broken case's seed.</summary>
        public static int Run(ITestOutputHelper output, string kind, Func<Random, CaseOutcome> oneCase, int minCases = 20, long maxAllocatedBytes = 64L << 20, int? maxCases = null)
        {
            var failures = new List<string>();
            var clock = Stopwatch.StartNew();
            int tried = 0, accepted = 0;
            int limit = maxCases ?? int.MaxValue;
            while (tried < limit && (tried < minCases || clock.Elapsed.TotalSeconds < SecondsPerKind))
            {
                int seed = Seed(kind, tried);
                string? failure = RunOne(seed, oneCase, maxAllocatedBytes, out bool ok);
                if (failure != null)
                {
                    failures.Add($"seed {seed} (case {tried}): {failure}");
                    if (failures.Count >= 10)
                    {
                        break;
                    }
                }

                accepted += ok ? 1 : 0;
                tried++;
            }

            output.WriteLine($"fuzz {kind}: {tried} cases in {clock.Elapsed.TotalSeconds:0.0} s ({accepted} accepted, {tried - accepted - failures.Count} rejected with a diagnostic, {failures.Count} failures)");
            Assert.True(failures.Count == 0, $"fuzz {kind}: {failures.Count} failing cases\n" + string.Join("\n", failures));
            return tried;
        }

        /// <summary>Replays one seed (corpus entries and reproductions).</summary>
        public static string? RunOne(int seed, Func<Random, CaseOutcome> oneCase, long maxAllocatedBytes, out bool accepted)
        {
            accepted = false;
            long allocated = 0, limit = maxAllocatedBytes;
            CaseOutcome? outcome = null;
            Exception? escaped = null;
            Task task = Task.Factory.StartNew(
                () =>
                {
                    measuring = false;
                    measuredInput = 0;
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        outcome = oneCase(new Random(seed));
                    }
                    catch (Exception e)
                    {
                        escaped = e;
                    }

                    allocated = GC.GetAllocatedBytesForCurrentThread() - (measuring ? measureFrom : before);
                    limit = maxAllocatedBytes + (16 * measuredInput);
                },
                TaskCreationOptions.LongRunning);
            if (!task.Wait(CaseTimeout))
            {
                return $"hang: no result within {CaseTimeout.TotalSeconds} s";
            }

            if (escaped != null)
            {
                return "unhandled " + escaped.GetType().Name + ": " + escaped.Message + "\n" + escaped.StackTrace;
            }

            if (allocated > limit)
            {
                return $"allocated {allocated} bytes, more than {limit}";
            }

            if (outcome!.Accepted)
            {
                accepted = true;
                return null;
            }

            return CheckRejection(outcome.Detail);
        }

        /// <summary>A rejection must carry a QG id and no unexpected-failure id or stack trace.</summary>
        public static string? CheckRejection(string detail)
        {
            if (!DiagnosticId.IsMatch(detail))
            {
                return "rejected without a QG id: " + Clip(detail);
            }

            foreach (string internalId in new[] { "QG2099", "QG3010", "QG3011", "QG5099" })
            {
                if (detail.Contains(internalId, StringComparison.Ordinal))
                {
                    return "an unexpected-failure diagnostic: " + Clip(detail);
                }
            }

            if (detail.Contains("   at ", StringComparison.Ordinal))
            {
                return "a stack trace: " + Clip(detail);
            }

            return null;
        }

        public static string Clip(string s) => s.Length > 600 ? s.Substring(0, 600) + "..." : s;
    }
}
