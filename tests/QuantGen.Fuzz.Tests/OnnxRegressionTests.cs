using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Onnx;
using Xunit;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Issue 17 items 3 and 4: the ONNX cases the outside fuzzer found, each a located QG4xxx now.</summary>
    public sealed class OnnxRegressionTests : IDisposable
    {
        private readonly string dir = TestFiles.NewTempFolder("onnx-reg");

        public void Dispose() => Directory.Delete(dir, true);

        private static byte[] Model(string name) => File.ReadAllBytes(Path.Combine(TestFiles.OnnxModels, name));

        /// <summary>Sets attribute <paramref name="attr"/> of every <paramref name="op"/> node (replacing it if present).</summary>
        internal static byte[] WithAttribute(byte[] model, string op, string attr, params ProtoField[] value)
        {
            List<ProtoField> root = ProtoTree.TryParse(model)!;
            List<ProtoField> graph = root.First(f => f.Number == 7).Children!;
            int hits = 0;
            foreach (ProtoField node in graph.Where(f => f.Number == 1 && f.Children != null))
            {
                if (!node.Children!.Any(c => c.Number == 4 && Encoding.UTF8.GetString(c.Payload) == op))
                {
                    continue;
                }

                node.Children!.RemoveAll(a => a.Number == 5 && a.Children != null && a.Children.Any(c => c.Number == 1 && Encoding.UTF8.GetString(c.Payload) == attr));
                var a = new List<ProtoField> { ProtoTree.Text(1, attr) };
                a.AddRange(value);
                node.Children.Add(new ProtoField { Number = 5, WireType = 2, Children = a });
                hits++;
            }

            Assert.True(hits > 0, "no " + op + " node");
            return ProtoTree.Write(root);
        }

        internal static ProtoField[] Ints(params long[] v) => new[] { ProtoTree.Varint(20, 7) }.Concat(v.Select(x => ProtoTree.Varint(8, x))).ToArray();

        internal static ProtoField[] Int(long v) => new[] { ProtoTree.Varint(20, 2), ProtoTree.Varint(3, v) };

        internal static ProtoField[] Float(float v) => new[] { ProtoTree.Varint(20, 1), new ProtoField { Number = 2, WireType = 5, Payload = BitConverter.GetBytes(v) } };

        private OnnxImportException Reject(byte[] model, string id, string placeContains)
        {
            string path = Path.Combine(dir, "m.onnx");
            File.WriteAllBytes(path, model);
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(path));
            Assert.True(e.Diagnostics.Any(d => d.Id == id && (d.Place ?? string.Empty).Contains(placeContains, StringComparison.Ordinal)), e.Message);
            Assert.All(e.Diagnostics, d => Assert.Equal(path, d.File));
            return e;
        }

        [Theory]
        [InlineData("Conv", "strides", 0L)]
        [InlineData("MaxPool", "strides", 0L)]
        [InlineData("Conv", "dilations", 0L)]
        [InlineData("Conv", "dilations", 1L << 20)]
        [InlineData("Conv", "pads", -1L)]
        [InlineData("MaxPool", "pads", 1L << 40)]
        [InlineData("MaxPool", "kernel_shape", 0L)]
        public void WindowAttributesOutOfRangeAreQG4009(string op, string attr, long value)
        {
            int count = attr == "pads" ? 4 : 2;
            OnnxImportException e = Reject(WithAttribute(Model("cnn_qdq.onnx"), op, attr, Ints(Enumerable.Repeat(value, count).ToArray())), OnnxErrors.UnsupportedAttribute, "(" + op + ")");
            Assert.Contains(attr, e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(0L)]
        [InlineData(-3L)]
        [InlineData(1L << 40)]
        [InlineData(3L)]
        public void ConvGroupOutOfRangeOrNotADivisorIsQG4009(long group)
        {
            OnnxImportException e = Reject(WithAttribute(Model("cnn_qdq.onnx"), "Conv", "group", Int(group)), OnnxErrors.UnsupportedAttribute, "(Conv)");
            Assert.Contains("group", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void ConvKernelShapeIsCheckedAgainstTheWeights()
        {
            OnnxImportException e = Reject(WithAttribute(Model("cnn_qdq.onnx"), "Conv", "kernel_shape", Ints(5, 5)), OnnxErrors.UnsupportedAttribute, "(Conv)");
            Assert.Contains("contradicts the weight", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Int64AttributesAreNeverTruncated()
        {
            // Flatten axis 2^40 used to import as axis 0.
            OnnxImportException e = Reject(WithAttribute(Model("cnn_qdq.onnx"), "Flatten", "axis", Int(1L << 40)), OnnxErrors.UnsupportedAttribute, "(Flatten)");
            Assert.Contains("1099511627776", e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(float.PositiveInfinity)]
        [InlineData(-1f)]
        [InlineData(0f)]
        [InlineData(float.NaN)]
        public void LayerNormEpsilonMustBeFiniteAndPositive(float eps) =>
            Reject(WithAttribute(Model("vit_qdq.onnx"), "LayerNormalization", "epsilon", Float(eps)), OnnxErrors.UnsupportedAttribute, "(LayerNormalization)");

        [Theory]
        [InlineData(-1f)]
        [InlineData(float.PositiveInfinity)]
        public void BatchNormEpsilonMustBeFiniteAndNonNegative(float eps) =>
            Reject(WithAttribute(Model("cnn_float.onnx"), "BatchNormalization", "epsilon", Float(eps)), OnnxErrors.UnsupportedAttribute, "(BatchNormalization)");

        [Fact]
        public void A64BitLengthPrefixIsNotTruncated()
        {
            // graph field 7 with a length of 2^32 + 1: Google.Protobuf's CodedInputStream read it as 1.
            List<ProtoField> root = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            root.First(f => f.Number == 7).LengthOverride = (1UL << 32) + 1;
            OnnxImportException e = Reject(ProtoTree.Write(root), OnnxErrors.CorruptProtobuf, string.Empty);
            Assert.Contains("4294967297", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void AnAbsurdRankIsRejected()
        {
            List<ProtoField> root = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            ProtoField init = root.First(f => f.Number == 7).Children!.First(f => f.Number == 5);
            init.Children!.InsertRange(0, Enumerable.Range(0, 1_000_000).Select(_ => ProtoTree.Varint(1, 1)));
            OnnxImportException e = Reject(ProtoTree.Write(root), OnnxErrors.MalformedTensor, "initializer[0]");
            Assert.Contains("rank 8 or less", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void DataStoredTwiceIsRejected()
        {
            List<ProtoField> root = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            ProtoField init = root.First(f => f.Number == 7).Children!.First(f => f.Number == 5 && f.Children!.Any(c => c.Number == 9));
            init.Children!.Add(new ProtoField { Number = 4, WireType = 5, Payload = BitConverter.GetBytes(1f) });
            OnnxImportException e = Reject(ProtoTree.Write(root), OnnxErrors.MalformedTensor, "initializer");
            Assert.Contains("raw_data, float_data", e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("(1e3,)")]
        [InlineData("(-1, 64)")]
        [InlineData("(99999999999, 64)")]
        [InlineData("(a,)")]
        public void NpyWithAMalformedShapeIsQG4011(string shape)
        {
            string path = Path.Combine(dir, "x.npy");
            File.WriteAllBytes(path, DataFuzzTests.NpyFile("<f4", shape, 256, "False", 1));
            var e = Assert.Throws<OnnxImportException>(() => CalibrationData.Load(path, 64));
            QuantGen.Model.ModelDiagnostic d = Assert.Single(e.Diagnostics);
            Assert.Equal(OnnxErrors.Calibration, d.Id);
            Assert.Equal(path, d.File);
            Assert.Equal("shape", d.Place);
        }

        [Fact]
        public void ImportWritesOnlyModelFilesTheLoaderAccepts()
        {
            // A QDQ scale of 1e30 imported and was written, and ModelLoader then rejected the file (QG1018).
            List<ProtoField> template = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
            int scalars = template.First(f => f.Number == 7).Children!.Count(f => f.Number == 5 && IsFloatScalar(f));
            Assert.True(scalars > 0);
            int validatedAway = 0;
            for (int k = 0; k < scalars; k++)
            {
                List<ProtoField> root = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
                ProtoField scale = root.First(f => f.Number == 7).Children!.Where(f => f.Number == 5 && IsFloatScalar(f)).ElementAt(k);
                ProtoField raw = scale.Children!.First(c => c.Number == 9);
                raw.Payload = BitConverter.GetBytes(1e30f);
                raw.Children = null;
                string onnx = Path.Combine(dir, "scale.onnx"), spec = Path.Combine(dir, "out" + k, "m.qmodel.json");
                File.WriteAllBytes(onnx, ProtoTree.Write(root));
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                int code = QuantGen.Cli.CliApp.Run(new[] { "import", onnx, "-o", spec }, stdout, stderr);
                if (code == 0)
                {
                    Assert.True(QuantGen.Model.ModelLoader.Load(spec).Success, "import wrote a file the loader rejects: " + spec);
                    continue;
                }

                Assert.Null(FuzzRunner.CheckRejection(stderr.ToString()));
                Assert.False(File.Exists(spec), "a rejected import wrote " + spec);
                validatedAway += stderr.ToString().Contains("the model file the import would write", StringComparison.Ordinal) ? 1 : 0;
            }

            Assert.True(validatedAway > 0, "no case reached the validation of the written file");
        }

        private static bool IsFloatScalar(ProtoField t) =>
            t.Children != null && !t.Children.Any(c => c.Number == 1) && t.Children.Any(c => c.Number == 2 && c.Scalar == 1) && t.Children.Any(c => c.Number == 9 && c.Payload.Length == 4);

        [Fact]
        public void EveryCommittedOnnxModelReadsWithTheStrictReader()
        {
            // The strict reader once lost the length byte of every skipped length-delimited field (pos += ReadLength()).
            string[] files = Directory.GetFiles(TestFiles.OnnxModels, "*.onnx").Concat(Directory.GetFiles(TestFiles.Models, "*.onnx")).ToArray();
            Assert.True(files.Length >= 10);
            foreach (string f in files)
            {
                OnnxModel m = OnnxReader.ReadFile(f);
                Assert.NotNull(m.Graph);
                Assert.True(m.DefaultOpset >= 13, f);
            }
        }

        [Fact]
        public void SkippedFieldsKeepTheReaderAligned()
        {
            byte[] b = { 0x1A, 0x02, 0x61, 0x62, 0x08, 0x05, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4, 0x20, 0x07 };
            var r = new ProtoReader(b);
            var seen = new List<int>();
            uint tag;
            while ((tag = r.ReadTag()) != 0)
            {
                seen.Add(ProtoReader.FieldNumber(tag));
                if (ProtoReader.FieldNumber(tag) == 4)
                {
                    Assert.Equal(7, r.ReadInt64());
                }
                else
                {
                    r.SkipLastField();
                }
            }

            Assert.Equal(new[] { 3, 1, 2, 2, 4 }, seen);
        }

        [Fact]
        public void ExternalDataThatIsAFifoOrADeviceDoesNotHang()
        {
            Native.MakeFifo(Path.Combine(dir, "fifo"));
            File.CreateSymbolicLink(Path.Combine(dir, "zero"), "/dev/zero");
            foreach (string location in new[] { "fifo", "zero" })
            {
                List<ProtoField> root = ProtoTree.TryParse(Model("mlp_qdq.onnx"))!;
                ProtoField init = root.First(f => f.Number == 7).Children!.First(f => f.Number == 5 && f.Children!.Any(c => c.Number == 9));
                init.Children!.RemoveAll(c => c.Number == 9);
                init.Children.Add(ProtoTree.Message(13, ProtoTree.Text(1, "location"), ProtoTree.Text(2, location)));
                init.Children.Add(ProtoTree.Varint(14, 1));
                string? failure = FuzzRunner.RunOne(1, _ => OnnxFuzzTests.Import(dir, ProtoTree.Write(root)), 64L << 20, out bool accepted);
                Assert.Null(failure);
                Assert.False(accepted);
            }
        }
    }
}
