using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

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
    /// samples/data/digits/digits.csv). Malformed rows raise <see cref="FormatException"/> naming file, line and column.
    /// </summary>
    public sealed class LabeledDataset
    {
        private LabeledDataset(Dictionary<string, List<Sample>> splits, int featureCount)
        {
            Splits = splits;
            FeatureCount = featureCount;
        }

        public IReadOnlyDictionary<string, List<Sample>> Splits { get; }

        public int FeatureCount { get; }

        public IReadOnlyList<Sample> Split(string name) =>
            Splits.TryGetValue(name, out List<Sample>? s) ? s : throw new KeyNotFoundException($"the data set has no split \"{name}\"; it has {string.Join(", ", Splits.Keys)}");

        public static LabeledDataset Load(string path)
        {
            using var reader = new StreamReader(path);
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

            return new LabeledDataset(splits, features);
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
