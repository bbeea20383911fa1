using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Data
{
    /// <summary>One labelled sample.</summary>
    public sealed class Sample
    {
        public Sample(float[] features, int label)
        {
            Features = features;
            Label = label;
        }

        public float[] Features { get; }

        public int Label { get; }
    }

    /// <summary>
    /// A labelled data set from CSV with the header <c>split,label,f0,f1,...</c> (the layout of
    /// samples/data/digits/digits.csv). Problems raise <see cref="FormatException"/> naming file, line and column.
    /// </summary>
    public sealed class LabeledDataset
    {
        /// <summary>Largest CSV read (1 GiB): the file is read whole, through <see cref="BoundedFile"/> (no FIFO, no device).</summary>
        public const long MaxFileBytes = 1L << 30;

        private LabeledDataset(Dictionary<string, List<Sample>> splits, int featureCount, string file)
        {
            SourceFile = file;
            Splits = splits;
            FeatureCount = featureCount;
        }

        public IReadOnlyDictionary<string, List<Sample>> Splits { get; }

        public int FeatureCount { get; }

        /// <summary>The file it was read from.</summary>
        public string SourceFile { get; }

        public IReadOnlyList<Sample> Split(string name) =>
            Splits.TryGetValue(name, out List<Sample>? s) ? s : throw new FormatException($"{SourceFile}: the data set has no split \"{name}\"; it has " + (Splits.Count == 0 ? "no rows" : string.Join(", ", Splits.Keys.Select(k => "\"" + k + "\""))));

        public static LabeledDataset Load(string path)
        {
            byte[]? bytes = BoundedFile.TryRead(path, MaxFileBytes, out BoundedFileProblem problem, out string problemText);
            if (bytes == null)
            {
                throw new FormatException(problem == BoundedFileProblem.Unreadable && !File.Exists(path) ? $"{path}: the data file does not exist" : $"{path}: " + problemText);
            }

            using var reader = new StreamReader(new MemoryStream(bytes));
            string? header = reader.ReadLine();
            string[] columns = header?.Split(',') ?? Array.Empty<string>();
            if (columns.Length < 3 || columns[0] != "split" || columns[1] != "label")
            {
                throw new FormatException($"{path}(1): the header must be split,label,<features...>");
            }

            int features = columns.Length - 2;
            var splits = new Dictionary<string, List<Sample>>(StringComparer.Ordinal);
            int lineNo = 1;
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                lineNo++;
                if (line.Length == 0)
                {
                    continue;
                }

                string[] cells = line.Split(',');
                if (cells.Length != columns.Length)
                {
                    throw new FormatException($"{path}({lineNo}): {cells.Length} cells, the header has {columns.Length}");
                }

                if (!int.TryParse(cells[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
                {
                    throw new FormatException($"{path}({lineNo},2): label \"{cells[1]}\" is not a non-negative integer");
                }

                var x = new float[features];
                for (int i = 0; i < features; i++)
                {
                    if (!float.TryParse(cells[i + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out x[i]) || float.IsNaN(x[i]) || float.IsInfinity(x[i]))
                    {
                        throw new FormatException($"{path}({lineNo},{i + 3}): \"{cells[i + 2]}\" is not a finite number");
                    }
                }

                if (!splits.TryGetValue(cells[0], out List<Sample>? list))
                {
                    splits[cells[0]] = list = new List<Sample>();
                }

                list.Add(new Sample(x, label));
            }

            return new LabeledDataset(splits, features, path);
        }

        /// <summary>Walks up from <paramref name="start"/> to find <paramref name="relative"/> (repository-relative data).</summary>
        public static string FindUpwards(string start, string relative)
        {
            for (DirectoryInfo? d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, relative);
                if (File.Exists(candidate) || Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException($"cannot find {relative} in {start} or any parent folder");
        }

        public static int[] Labels(IEnumerable<Sample> samples) => samples.Select(s => s.Label).ToArray();
    }
}
