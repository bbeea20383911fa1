using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Data;
using QuantGen.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Fuzzing of data files: .npy calibration tensors (header, shape, dtype, length) and CSV (labelled and plain).</summary>
    public sealed class DataFuzzTests : IDisposable
    {
        private static readonly string[] Shapes = { "(2, 4)", "(8,)", "()", "(1e3,)", "(-1, 4)", "(2, 4", "(99999999999, 99999999999)", "(4294967296, 4)", "(2,,4)", "(a, b)", "(2, 4, )", "(0, 4)", "(1, 2, 2, 2)", "(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,8)" };

        private static readonly string[] Descrs = { "<f4", "<f8", "|i1", "|u1", "<i2", "<i8", "<u8", ">f4", "<f2", "<c8", "O", "<f16", "" };

        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("data");

        public DataFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public void Dispose() => Directory.Delete(dir, true);

        [Fact]
        public void Npy()
        {
            FuzzRunner.Run(output, "npy", rng =>
            {
                string shape = rng.Next(5) == 0 ? Mutators.RandomString(rng) : rng.Pick(Shapes);
                string descr = rng.Pick(Descrs);
                int dataBytes = rng.Next(0, 200);
                if (rng.Next(2) == 0)
                {
                    // a consistent file half of the time, so that the acceptance path is exercised too
                    (shape, int count) = rng.Pick(new[] { ("(2, 4)", 8), ("(8,)", 8), ("(1, 2, 2, 2)", 8), ("(16, 4)", 64), ("(0, 4)", 0) });
                    descr = rng.Pick(new[] { "<f4", "<f8", "|i1", "|u1", "<i2", "<u8" });
                    dataBytes = count * (descr[2] - (char)48);
                }

                byte[] file = NpyFile(descr, shape, dataBytes, rng.Next(4) != 0 ? "False" : rng.Pick(new[] { "True", "0", "" }), rng.Next(1, 4));
                if (rng.Next(4) == 0)
                {
                    file = Mutators.MutateBytes(rng, file);
                }

                string path = Path.Combine(dir, "x.npy");
                File.WriteAllBytes(path, file);
                FuzzRunner.StartMeasuring(file.Length);
                return Calibration(path, rng.Next(3) == 0 ? 0 : rng.Pick(new[] { 1, 2, 4, 8, 64 }));
            });
        }

        [Fact]
        public void Csv()
        {
            string digits = string.Join("\n", File.ReadLines(TestFiles.DigitsCsv).Take(30));
            string plain = "a,b,c,d\n1,2,3,4\n0.5,-1,1e3,2\n";
            FuzzRunner.Run(output, "csv", rng =>
            {
                string text = rng.Next(2) == 0 ? digits : plain;
                byte[] bytes = rng.Next(3) == 0 ? Encoding.UTF8.GetBytes(text.Replace(",", rng.Pick(new[] { ",,", ";", ",\"", ",NaN,", ",1e999," }))) : Mutators.MutateBytes(rng, Encoding.UTF8.GetBytes(text));
                string path = Path.Combine(dir, "x.csv");
                File.WriteAllBytes(path, bytes);
                FuzzRunner.StartMeasuring(bytes.Length);
                if (rng.Next(2) == 0)
                {
                    try
                    {
                        LabeledDataset d = LabeledDataset.Load(path);
                        _ = d.Split(rng.Pick(new[] { "train", "test", "nope", string.Empty }));
                        return CaseOutcome.Ok();
                    }
                    catch (FormatException e)
                    {
                        return CaseOutcome.Rejected("QG5002 " + e.Message);
                    }
                }

                return Calibration(path, rng.Pick(new[] { 4, 64, 1 }), rng.Pick(new[] { "train", "test", "nope" }));
            });
        }

        public static byte[] NpyFile(string descr, string shape, int dataBytes, string fortran, int version)
        {
            string header = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
            header = header.PadRight(((header.Length + 16) / 16 * 16) - 1) + "\n";
            using var ms = new MemoryStream();
            ms.WriteByte(0x93);
            ms.Write(Encoding.ASCII.GetBytes("NUMPY"));
            ms.WriteByte((byte)version);
            ms.WriteByte(0);
            if (version == 1)
            {
                ms.Write(BitConverter.GetBytes((ushort)header.Length));
            }
            else
            {
                ms.Write(BitConverter.GetBytes(header.Length));
            }

            ms.Write(Encoding.ASCII.GetBytes(header));
            ms.Write(new byte[dataBytes]);
            return ms.ToArray();
        }

        private static CaseOutcome Calibration(string path, int features, string split = "train")
        {
            try
            {
                CalibrationData.Load(path, features, split);
                return CaseOutcome.Ok();
            }
            catch (OnnxImportException e)
            {
                return TestFiles.Rejection(e.Diagnostics);
            }
        }
    }
}
