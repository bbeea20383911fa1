using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Data;

namespace QuantGen.Onnx
{
    /// <summary>
    /// Calibration inputs for float import: a .npy file (first axis = samples), a folder of .npy files (sorted by
    /// name, each one sample or a batch), or a CSV (the digits layout "split,label,p0.." takes the given split;
    /// any other CSV is one sample per row of numbers, an optional header skipped). Errors are QG4011.
    /// </summary>
    public static class CalibrationData
    {
        /// <summary>Loads by path: a folder, a .npy file or a .csv file.</summary>
        public static List<float[]> Load(string path, int featuresPerSample, string csvSplit = "train")
        {
            if (Directory.Exists(path))
            {
                return FromFolder(path, featuresPerSample);
            }

            if (!File.Exists(path))
            {
                throw Error(path, "file", $"calibration data {path} does not exist (give a .npy file, a folder of .npy files or a .csv file)");
            }

            return path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) ? FromNpy(path, featuresPerSample)
                : path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? FromCsv(path, featuresPerSample, csvSplit)
                : throw Error(path, "file", "calibration data must be a .npy file, a folder of .npy files or a .csv file");
        }

        public static List<float[]> FromFolder(string dir, int featuresPerSample)
        {
            string[] files = Directory.GetFiles(dir, "*.npy").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                throw Error(dir, "folder", "the calibration folder holds no .npy files");
            }

            var all = new List<float[]>();
            foreach (string f in files)
            {
                all.AddRange(FromNpy(f, featuresPerSample));
            }

            return all;
        }

        public static List<float[]> FromCsv(string path, int featuresPerSample, string split = "train")
        {
            string[] lines = Encoding.UTF8.GetString(ReadWhole(path)).TrimStart((char)0xFEFF).Replace("\r\n", "\n").Split((char)10);
            if (lines.Length > 0 && lines[0].StartsWith("split,label,", StringComparison.Ordinal))
            {
                LabeledDataset ds;
                try
                {
                    ds = LabeledDataset.Load(path);
                }
                catch (Exception e) when (e is FormatException || e is InvalidDataException || e is ArgumentException || e is IOException)
                {
                    throw Error(path, "file", "cannot read the labelled CSV: " + e.Message);
                }

                if (!ds.Splits.ContainsKey(split))
                {
                    throw Error(path, "split '" + split + "'", $"the CSV has no split \"{split}\" (it has {string.Join(", ", ds.Splits.Keys)})");
                }

                if (ds.FeatureCount != featuresPerSample)
                {
                    throw Error(path, "header", $"the CSV has {ds.FeatureCount} features per row; the model input needs {featuresPerSample}");
                }

                return ds.Split(split).Select(s => s.Features).ToList();
            }

            var rows = new List<float[]>();
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim().Length == 0)
                {
                    continue;
                }

                string[] cells = lines[i].Split(',');
                var row = new float[cells.Length];
                bool numeric = true;
                for (int j = 0; j < cells.Length && numeric; j++)
                {
                    numeric = float.TryParse(cells[j], NumberStyles.Float, CultureInfo.InvariantCulture, out row[j]);
                }

                if (!numeric)
                {
                    if (i == 0)
                    {
                        continue; // header
                    }

                    throw Error(path, "line " + (i + 1), $"line {i + 1} holds a value that is not a number");
                }

                if (row.Length != featuresPerSample)
                {
                    throw Error(path, "line " + (i + 1), $"line {i + 1} has {row.Length} values; the model input needs {featuresPerSample}");
                }

                rows.Add(row);
            }

            if (rows.Count == 0)
            {
                throw Error(path, "file", "the CSV holds no data rows");
            }

            return rows;
        }

        /// <summary>Reads a NumPy .npy (format 1.0 to 3.0, C order, float32/float64/(u)int8/16/32/64, little-endian).</summary>
        public static List<float[]> FromNpy(string path, int featuresPerSample)
        {
            byte[] b = ReadWhole(path);
            if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY")
            {
                throw Error(path, "header", "not a .npy file (no \\x93NUMPY magic)");
            }

            int major = b[6];
            int headerLen, start;
            if (major == 1)
            {
                headerLen = b[8] | (b[9] << 8);
                start = 10;
            }
            else if (major == 2 || major == 3)
            {
                if (b.Length < 12)
                {
                    throw Error(path, "header", "truncated .npy header");
                }

                headerLen = BitConverter.ToInt32(b, 8);
                start = 12;
            }
            else
            {
                throw Error(path, "header", $".npy format version {major} is not supported (1 to 3 are)");
            }

            if (headerLen < 0 || start + headerLen > b.Length)
            {
                throw Error(path, "header", "the .npy header length runs past the end of the file");
            }

            string header = Encoding.ASCII.GetString(b, start, headerLen);
            string descr = Field(header, "descr", path).Trim('\'', '"', ' ');
            if (Field(header, "fortran_order", path).Trim() != "False")
            {
                throw Error(path, "header", "Fortran-order arrays are not supported; save with np.ascontiguousarray");
            }

            string shapeText = Field(header, "shape", path).Trim().TrimStart('(').TrimEnd(')');
            long[] shape = ParseShape(shapeText, path);
            int size = descr.Length >= 3 ? descr[2] - '0' : 0;
            char kind = descr.Length >= 2 ? descr[1] : '?';
            if (descr.Length != 3 || (descr[0] != '<' && descr[0] != '|') || !"fiu".Contains(kind) || !(size == 1 || size == 2 || size == 4 || size == 8) || (kind == 'f' && size < 4))
            {
                throw Error(path, "header", $"dtype '{descr}' is not supported (little-endian float32/64 and (u)int8..64 are)");
            }

            long count = 1;
            foreach (long d in shape)
            {
                count *= d;   // each d <= 2^31 and count <= 2^31 before the step: no overflow
                if (count > MaxElements)
                {
                    throw Error(path, "shape", $"shape ({string.Join(", ", shape)}) holds more than {MaxElements} values");
                }
            }

            int data = start + headerLen;
            if (count * size != b.Length - data)
            {
                throw Error(path, "data", $"shape ({string.Join(", ", shape)}) of {descr} needs {count * size} bytes but the file holds {b.Length - data}");
            }

            if (featuresPerSample <= 0 || count % featuresPerSample != 0)
            {
                throw Error(path, "shape", $"the array has {count} values, not a whole number of samples of {featuresPerSample} values (the model input)");
            }

            var samples = new List<float[]>();
            for (long s = 0; s < count / featuresPerSample; s++)
            {
                var f = new float[featuresPerSample];
                for (int i = 0; i < featuresPerSample; i++)
                {
                    int o = (int)(data + (s * featuresPerSample + i) * size);
                    f[i] = kind switch
                    {
                        'f' => size == 4 ? BitConverter.ToSingle(b, o) : (float)BitConverter.ToDouble(b, o),
                        'i' => size == 1 ? (sbyte)b[o] : size == 2 ? BitConverter.ToInt16(b, o) : size == 4 ? BitConverter.ToInt32(b, o) : BitConverter.ToInt64(b, o),
                        _ => size == 1 ? b[o] : size == 2 ? BitConverter.ToUInt16(b, o) : size == 4 ? BitConverter.ToUInt32(b, o) : BitConverter.ToUInt64(b, o),
                    };
                }

                samples.Add(f);
            }

            return samples;
        }

        /// <summary>Most values read from one calibration file.</summary>
        public const long MaxElements = 1L << 28;

        /// <summary>Largest calibration file read (1 GiB).</summary>
        public const long MaxFileBytes = 1L << 30;

        /// <summary>The dims of a .npy shape tuple: "()" or "(2, 3)" or "(5,)"; each a plain non-negative decimal integer.</summary>
        private static long[] ParseShape(string text, string path)
        {
            var dims = new List<long>();
            string[] parts = text.Split(',');
            for (int i = 0; i < parts.Length; i++)
            {
                string p = parts[i].Trim();
                if (p.Length == 0 && (parts.Length == 1 || i == parts.Length - 1))
                {
                    continue;   // "()" or the trailing comma of "(5,)"
                }

                if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long d) || d > int.MaxValue)
                {
                    throw Error(path, "shape", $"the .npy shape ({text}) holds \"{p}\", not a dimension (a non-negative integer below 2^31)");
                }

                dims.Add(d);
                if (dims.Count > 32)
                {
                    throw Error(path, "shape", $"the .npy shape ({text}) has more than 32 dims");
                }
            }

            return dims.ToArray();
        }

        private static byte[] ReadWhole(string path) =>
            QuantGen.Model.BoundedFile.TryRead(path, MaxFileBytes, out _, out string why) ?? throw Error(path, "file", "cannot read the calibration data: " + why);

        private static string Field(string header, string key, string path)
        {
            int k = header.IndexOf("'" + key + "'", StringComparison.Ordinal);
            if (k < 0)
            {
                throw Error(path, "header", $"the .npy header has no '{key}'");
            }

            int colon = header.IndexOf(':', k);
            int end = colon < 0 ? -1 : key == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
            if (colon < 0 || end <= colon)
            {
                throw Error(path, "header", $"cannot read '{key}' from the .npy header");
            }

            return header.Substring(colon + 1, end - colon - 1);
        }

        private static OnnxImportException Error(string file, string place, string message) => OnnxImportException.At(OnnxErrors.Calibration, file, place, message);
    }
}
