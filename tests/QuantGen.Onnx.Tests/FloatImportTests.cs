using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Data;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>Float ONNX (torch.onnx.export) + calibration data -> quantized model via the C# PTQ.</summary>
    public sealed class FloatImportTests
    {
        private readonly ITestOutputHelper output;

        public FloatImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private static List<float[]> Calibration => Fixtures.Train.Select(s => s.Features).ToList();

        /// <summary>Accuracy of the integer model, of ORT on the float file, and top-1 agreement between them.</summary>
        private (int Ours, int Ort, int Agree, double MaxFloatDiff) Evaluate(OnnxImportResult r, string onnx)
        {
            var oracle = new ReferenceInterpreter(r.Model.Graph);
            var fl = new FloatInterpreter(r.FloatGraph);
            using var session = new InferenceSession(onnx);
            int ours = 0, ort = 0, agree = 0;
            double maxDiff = 0;
            foreach (Sample s in Fixtures.Test)
            {
                double[] q = oracle.Dequantize(oracle.Run(oracle.Quantize(s.Features)));
                float[] o = Fixtures.RunOrt(session, s.Features, new[] { 1, 64 });
                double[] f = fl.Run(s.Features);
                maxDiff = Math.Max(maxDiff, f.Zip(o, (a, b) => Math.Abs(a - b)).Max());
                int tq = Fixtures.ArgMax(q), to = Fixtures.ArgMax(o);
                ours += tq == s.Label ? 1 : 0;
                ort += to == s.Label ? 1 : 0;
                agree += tq == to ? 1 : 0;
            }

            return (ours, ort, agree, maxDiff);
        }

        [Theory]
        [InlineData("mlp_float.onnx", RangeMethod.MinMax, false, 439, 450)]
        [InlineData("mlp_float.onnx", RangeMethod.Percentile, false, 439, 450)]
        [InlineData("mlp_float.onnx", RangeMethod.Mse, true, 440, 449)]
        [InlineData("vit_float.onnx", RangeMethod.MinMax, false, 414, 438)]
        [InlineData("vit_float.onnx", RangeMethod.Mse, true, 419, 444)]
        public void FloatModelQuantizesAndAgreesWithOnnxRuntime(string file, RangeMethod method, bool biasCorrection, int expectCorrect, int expectAgree)
        {
            string path = Fixtures.Model(file);
            var reports = new List<CalibrationProgress>();
            var options = new OnnxImportOptions { Quantization = new QuantizationOptions { RangeMethod = method, BiasCorrection = biasCorrection } };
            OnnxImportResult r = OnnxImporter.ImportFloat(path, Calibration, options, new SyncProgress(reports));
            Assert.False(r.Lowered.IsQdq);
            int passes = method == RangeMethod.MinMax ? 1 : 2;
            Assert.Equal(passes * 1347, reports.Count);
            Assert.Equal(reports.Count, reports[reports.Count - 1].Done);
            (int ours, int ort, int agree, double maxDiff) = Evaluate(r, path);
            output.WriteLine($"{file} {method} bias correction {biasCorrection}: integer {ours}/450, ORT float {ort}/450, top-1 agreement {agree}/450, float interpreter vs ORT max |diff| {maxDiff:G3}");
            // The lowered float graph is the ONNX model: the float interpreter equals ORT to float rounding.
            Assert.True(maxDiff < 1e-3, $"float graph differs from ORT by {maxDiff}");
            // Deterministic: the measured numbers (docs/import.md) are asserted exactly.
            Assert.Equal(expectCorrect, ours);
            Assert.Equal(expectAgree, agree);
            Assert.Equal(file.StartsWith("mlp", StringComparison.Ordinal) ? 439 : 415, ort);
        }

        [Fact]
        public void TorchExportLowersToTheExpectedOperators()
        {
            LoweredModel mlp = OnnxImporter.Lower(Fixtures.Model("mlp_float.onnx"));
            Assert.Equal(new[] { OpKind.Dense, OpKind.Dense, OpKind.Dense }, mlp.Spec.Layers.Select(l => l.Op).ToArray());
            Assert.Equal(new[] { Activation.Relu, Activation.Relu, Activation.None }, mlp.Spec.Layers.Cast<DenseLayer>().Select(d => d.Activation).ToArray());
            LoweredModel vit = OnnxImporter.Lower(Fixtures.Model("vit_float.onnx"));
            Assert.Equal(17, vit.Opset);
            string ops = string.Join(" ", vit.Spec.Layers.Select(l => l.Op));
            Assert.Equal("Reshape Transpose Reshape Dense Add LayerNorm Dense Dense Dense Transpose MatMul Softmax MatMul Dense Add LayerNorm Dense Gelu Dense Add AvgPool Dense", ops);
            Assert.Equal(0.25, vit.Spec.Layers.OfType<MatMulLayer>().First().Alpha);
        }

        [Fact]
        public void MissingCalibrationIsALocatedError()
        {
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.ImportFloat(Fixtures.Model("mlp_float.onnx"), new List<float[]>()));
            Assert.Equal(OnnxErrors.Calibration, e.Diagnostics[0].Id);
            Assert.Contains("needs calibration inputs", e.Diagnostics[0].Message);
            e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Fixtures.Model("mlp_float.onnx")));
            Assert.Equal(OnnxErrors.Calibration, e.Diagnostics[0].Id);
            e = Assert.Throws<OnnxImportException>(() => OnnxImporter.ImportFloat(Fixtures.Model("mlp_float.onnx"), new List<float[]> { new float[63] }));
            Assert.Equal("calibration sample 0", e.Diagnostics[0].Place);
            e = Assert.Throws<OnnxImportException>(() => OnnxImporter.ImportQdq(Fixtures.Model("mlp_float.onnx")));
            Assert.Equal(OnnxErrors.Calibration, e.Diagnostics[0].Id);
        }

        [Fact]
        public void CalibrationFromCsvNpyAndFolderGiveTheSameModel()
        {
            string dir = Path.Combine(Path.GetTempPath(), "qg-calib-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                List<float[]> csv = CalibrationData.Load(Fixtures.DigitsCsv, 64);
                Assert.Equal(1347, csv.Count);
                List<float[]> first = csv.Take(100).ToList();
                string npy = Path.Combine(dir, "calib.npy");
                WriteNpy(npy, first, "<f4");
                List<float[]> fromNpy = CalibrationData.Load(npy, 64);
                Assert.Equal(first.Count, fromNpy.Count);
                Assert.Equal(first[7], fromNpy[7]);
                string folder = Path.Combine(dir, "tensors");
                Directory.CreateDirectory(folder);
                for (int i = 0; i < 100; i++)
                {
                    WriteNpy(Path.Combine(folder, $"s{i:D3}.npy"), new List<float[]> { first[i].Select(v => v).ToArray() }, "<f8");
                }

                List<float[]> fromFolder = CalibrationData.Load(folder, 64);
                Assert.Equal(first.SelectMany(x => x), fromFolder.SelectMany(x => x));
                string plain = Path.Combine(dir, "plain.csv");
                File.WriteAllLines(plain, new[] { string.Join(",", Enumerable.Range(0, 64).Select(i => "p" + i)) }.Concat(first.Select(r => string.Join(",", r))));
                Assert.Equal(first.SelectMany(x => x), CalibrationData.Load(plain, 64).SelectMany(x => x));

                string a = SpecWriter.ToJson(OnnxImporter.ImportFloat(Fixtures.Model("mlp_float.onnx"), fromNpy).Model.Spec);
                string b = SpecWriter.ToJson(OnnxImporter.ImportFloat(Fixtures.Model("mlp_float.onnx"), fromFolder).Model.Spec);
                Assert.Equal(a, b);

                var e = Assert.Throws<OnnxImportException>(() => CalibrationData.Load(npy, 10 * 64 + 1));
                Assert.Equal(OnnxErrors.Calibration, e.Diagnostics[0].Id);
                File.WriteAllBytes(Path.Combine(dir, "bad.npy"), Encoding.ASCII.GetBytes("not numpy"));
                e = Assert.Throws<OnnxImportException>(() => CalibrationData.Load(Path.Combine(dir, "bad.npy"), 64));
                Assert.Contains("magic", e.Diagnostics[0].Message);
                e = Assert.Throws<OnnxImportException>(() => CalibrationData.Load(Path.Combine(dir, "nowhere.npy"), 64));
                Assert.Contains("does not exist", e.Diagnostics[0].Message);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        internal static void WriteNpy(string path, List<float[]> rows, string descr)
        {
            string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows.Count + ", " + rows[0].Length + "), }";
            int total = 10 + header.Length + 1;
            header += new string(' ', (64 - total % 64) % 64) + "\n";
            using var w = new BinaryWriter(File.Create(path));
            w.Write((byte)0x93);
            w.Write(Encoding.ASCII.GetBytes("NUMPY"));
            w.Write((byte)1);
            w.Write((byte)0);
            w.Write((ushort)header.Length);
            w.Write(Encoding.ASCII.GetBytes(header));
            foreach (float[] r in rows)
            {
                foreach (float v in r)
                {
                    if (descr == "<f4")
                    {
                        w.Write(v);
                    }
                    else
                    {
                        w.Write((double)v);
                    }
                }
            }
        }

        private sealed class SyncProgress : IProgress<CalibrationProgress>
        {
            private readonly List<CalibrationProgress> into;

            public SyncProgress(List<CalibrationProgress> into)
            {
                this.into = into;
            }

            public void Report(CalibrationProgress value) => into.Add(value);
        }
    }
}
