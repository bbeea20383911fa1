using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Testing;

namespace QuantGen.Tests.Docs
{
    /// <summary>One fenced code block of a Markdown file.</summary>
    public sealed class Snippet
    {
        public Snippet(string file, int line, string language, string text)
        {
            File = file;
            Line = line;
            Language = language;
            Text = text;
        }

        /// <summary>Repository-relative path of the Markdown file.</summary>
        public string File { get; }

        /// <summary>1-based line of the opening fence.</summary>
        public int Line { get; }

        public string Language { get; }

        public string Text { get; }

        public override string ToString() => $"{File}:{Line} ({Language})";
    }

    /// <summary>The fenced blocks of README.md and docs/guides/*.md (the docs a new user follows verbatim).</summary>
    public static class Snippets
    {
        public static string Repo { get; } = Baseline.SourceRoot();

        public static IEnumerable<string> Documents() =>
            new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(Repo, "docs", "guides"), "*.md").OrderBy(f => f, StringComparer.Ordinal).Select(f => Path.GetRelativePath(Repo, f).Replace('\\', '/')));

        public static IReadOnlyList<Snippet> All { get; } = Documents().SelectMany(Parse).ToList();

        public static IEnumerable<Snippet> Of(params string[] languages) => All.Where(s => languages.Contains(s.Language, StringComparer.Ordinal));

        /// <summary>Theory data: the index of each snippet of these languages into <see cref="All"/>, with its place for the test name.</summary>
        public static IEnumerable<object[]> Data(params string[] languages) =>
            All.Select((s, i) => (s, i)).Where(p => languages.Contains(p.s.Language, StringComparer.Ordinal)).Select(p => new object[] { p.i, p.s.ToString() });

        /// <summary>``` blocks, indented ones (inside list items) included; the fence's indentation is removed from every line.</summary>
        public static IEnumerable<Snippet> Parse(string relative)
        {
            string[] lines = System.IO.File.ReadAllLines(Path.Combine(Repo, relative));
            for (int i = 0; i < lines.Length; i++)
            {
                string trimmed = lines[i].TrimStart();
                if (!trimmed.StartsWith("```", StringComparison.Ordinal))
                {
                    continue;
                }

                int indent = lines[i].Length - trimmed.Length;
                string language = trimmed.Substring(3).Trim();
                var body = new List<string>();
                int j = i + 1;
                while (j < lines.Length && lines[j].Trim() != "```")
                {
                    body.Add(lines[j].Length >= indent && lines[j].Substring(0, indent).Trim().Length == 0 ? lines[j].Substring(indent) : lines[j].TrimStart());
                    j++;
                }

                yield return new Snippet(relative, i + 1, language, string.Join("\n", body) + "\n");
                i = j;
            }
        }
    }
}
