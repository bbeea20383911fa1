using System;
using System.IO;
using System.Linq;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit.Sdk;

namespace QuantGen.Testing
{
    /// <summary>
    /// Snapshot tests for emitted files. A baseline lives in the test project's source tree at
    /// <c>Baselines/&lt;test&gt;/&lt;file&gt;.txt</c> (never a compilable extension). On mismatch or when the baseline
    /// is missing, the actual text is written next to it as <c>&lt;file&gt;.received.txt</c> and the test fails with
    /// a line diff. Set QUANTGEN_ACCEPT_BASELINES=1 to (re)write baselines instead of failing.
    /// </summary>
    public static class Baseline
    {
        public const string AcceptVariable = "QUANTGEN_ACCEPT_BASELINES";

        /// <summary>
        /// Compares <paramref name="actual"/> with the baseline of <paramref name="testName"/>/<paramref name="fileName"/>
        /// in <c>tests/&lt;testProject&gt;/Baselines</c>.
        /// </summary>
        public static void Verify(string testProject, string testName, string fileName, string actual)
        {
            string dir = Path.Combine(SourceRoot(), "tests", testProject, "Baselines", Sanitize(testName));
            string baseline = Path.Combine(dir, Sanitize(fileName) + ".txt");
            string received = Path.Combine(dir, Sanitize(fileName) + ".received.txt");
            string normalized = actual.Replace("\r\n", "\n");
            bool accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";
            if (accept)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(baseline, normalized, new UTF8Encoding(false));
                if (File.Exists(received))
                {
                    File.Delete(received);
                }

                return;
            }

            if (!File.Exists(baseline))
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(received, normalized, new UTF8Encoding(false));
                throw new XunitException($"No baseline {Relative(baseline)}; the output was written to {Relative(received)}. Review it and rerun with {AcceptVariable}=1 to accept.");
            }

            string expected = File.ReadAllText(baseline).Replace("\r\n", "\n");
            if (expected == normalized)
            {
                if (File.Exists(received))
                {
                    File.Delete(received);
                }

                return;
            }

            File.WriteAllText(received, normalized, new UTF8Encoding(false));
            throw new XunitException($"{Relative(baseline)} differs from the output (written to {Relative(received)}; rerun with {AcceptVariable}=1 to accept):\n{Diff(expected, normalized)}");
        }

        /// <summary>
        /// Stale detection: fails when <c>Baselines/&lt;testName&gt;</c> holds a baseline that is not one of
        /// <paramref name="producedFiles"/> (a file the emitter no longer writes, or a renamed test); with
        /// QUANTGEN_ACCEPT_BASELINES=1 the stale files are deleted instead.
        /// </summary>
        public static void VerifyNoStale(string testProject, string testName, System.Collections.Generic.IEnumerable<string> producedFiles)
        {
            string dir = Path.Combine(SourceRoot(), "tests", testProject, "Baselines", Sanitize(testName));
            if (!Directory.Exists(dir))
            {
                return;
            }

            var expected = new System.Collections.Generic.HashSet<string>(producedFiles.Select(f => Sanitize(f) + ".txt"), StringComparer.Ordinal);
            var stale = Directory.GetFiles(dir, "*.txt")
                .Select(Path.GetFileName)
                .Where(f => f != null && !f.EndsWith(".received.txt", StringComparison.Ordinal) && !expected.Contains(f))
                .Select(f => Path.Combine(dir, f!))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToList();
            if (stale.Count == 0)
            {
                return;
            }

            if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
            {
                foreach (string f in stale)
                {
                    File.Delete(f);
                }

                return;
            }

            throw new XunitException($"Stale baselines (no test produces them any more): {string.Join(", ", stale.Select(Relative))}; delete them or rerun with {AcceptVariable}=1.");
        }

        /// <summary>The repository root: the nearest parent folder holding Gen.sln.</summary>
        public static string SourceRoot()
        {
            for (DirectoryInfo? d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Gen.sln")))
                {
                    return d.FullName;
                }
            }

            throw new InvalidOperationException("cannot find Gen.sln above " + AppContext.BaseDirectory);
        }

        /// <summary>A readable line diff (changed lines with their numbers, at most 40).</summary>
        public static string Diff(string expected, string actual)
        {
            DiffPaneModel model = InlineDiffBuilder.Diff(expected, actual);
            var sb = new StringBuilder();
            int shown = 0, line = 0;
            foreach (DiffPiece piece in model.Lines)
            {
                if (piece.Type != ChangeType.Deleted)
                {
                    line++;
                }

                if (piece.Type == ChangeType.Unchanged)
                {
                    continue;
                }

                if (shown++ == 40)
                {
                    sb.Append("...\n");
                    break;
                }

                sb.Append(piece.Type == ChangeType.Inserted ? "+ " : piece.Type == ChangeType.Deleted ? "- " : "~ ");
                sb.Append(line).Append(": ").Append(piece.Text).Append('\n');
            }

            return sb.ToString();
        }

        private static string Sanitize(string name) => new string(name.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '-' ? c : '_').ToArray());

        private static string Relative(string path) => Path.GetRelativePath(SourceRoot(), path);
    }
}
