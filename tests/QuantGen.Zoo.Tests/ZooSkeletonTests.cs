using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// DeiT-Tiny's float13 / float17 exports (22.9 MB each, not committed) written at test time by <see cref="OnnxSkeleton"/>
    /// from the committed skeletons (torch's graphs with the weights' data removed) and deit_tiny_ortqdq.onnx (the weights,
    /// dequantized): the graph torch wrote, the weights the sidecar names, byte-identical on every run, cached, and a located
    /// QG4013 for every missing, stale or edited input.
    /// </summary>
    public class ZooSkeletonTests
    {
        private readonly ITestOutputHelper output;

        public ZooSkeletonTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Exports => new[] { new object[] { "float13", 754 }, new object[] { "float17", 504 } };

        private static ZooEntry Entry(string export) => new ZooEntry(ZooCatalog.DeitTiny, export);

        private static string Skeleton(string export) => ZooCatalog.SkeletonOf(Entry(export));

        private static string Sidecar(string export) => Path.ChangeExtension(Skeleton(export), ".json");

        private static string Source => Path.Combine(ZooCatalog.Directory, "deit_tiny_ortqdq.onnx");

        [Theory]
        [MemberData(nameof(Exports))]
        public void TheSkeletonWritesTorchsGraphWithTheOrtqdqWeightsDequantized(string export, int torchNodes)
        {
            byte[] a = OnnxSkeleton.Write(Skeleton(export), Sidecar(export), Source);
            byte[] b = OnnxSkeleton.Write(Skeleton(export), Sidecar(export), Source);
            Assert.Equal(a, b);

            // Only raw_data fields were removed from torch's file and each comes back with its length: the size torch wrote.
            using JsonDocument side = JsonDocument.Parse(File.ReadAllBytes(Sidecar(export)));
            Assert.Equal(side.RootElement.GetProperty("original_bytes").GetInt64(), a.LongLength);

            OnnxModel m = OnnxReader.Read(a, "written");
            OnnxModel q = OnnxReader.Read(File.ReadAllBytes(Source), Source);
            output.WriteLine($"{export}: {a.Length} bytes, {m.Graph!.Nodes.Count} nodes, {m.Graph.Initializers.Count} initializers, opset {m.DefaultOpset}");
            Assert.Equal(torchNodes, m.Graph.Nodes.Count);
            Assert.Equal(export == "float13" ? 13 : 17, m.DefaultOpset);
            Assert.Equal(152, m.Graph.Initializers.Count);
            Assert.All(m.Graph.Initializers, t => Assert.True(t.RawData != null && t.RawData.Length == 4 * t.Dims.Aggregate(1L, (x, y) => x * y), t.Name));

            // A float source is copied bit for bit; a weight is int8 x its channel's scale (axis 0 of the patch-embedding Conv).
            Assert.Equal(Init(q, "pos_embed").RawData, Init(m, "pos_embed").RawData);
            float[] w = Floats(Init(m, "patch_embed.weight"));
            TensorValue wq = TensorValue.Decode(Init(q, "patch_embed.weight_quantized"), ZooCatalog.Directory, Source, "w");
            TensorValue ws = TensorValue.Decode(Init(q, "patch_embed.weight_scale"), ZooCatalog.Directory, Source, "s");
            Assert.Equal(192 * 3 * 16 * 16, w.Length);
            foreach (int i in new[] { 0, 767, 768, 5000, w.Length - 1 })
            {
                Assert.Equal((float)wq.Ints![i] * ws.Floats![i / 768], w[i]);
            }

            // The head (Gemm, transB=1) is per output row: its 1000 x 192 int8 weights with 1000 scales.
            float[] head = Floats(Init(m, "head.weight"));
            TensorValue hq = TensorValue.Decode(Init(q, "head.weight_quantized"), ZooCatalog.Directory, Source, "w");
            TensorValue hs = TensorValue.Decode(Init(q, "head.weight_scale"), ZooCatalog.Directory, Source, "s");
            Assert.Equal((float)hq.Ints![(7 * 192) + 5] * hs.Floats![7], head[(7 * 192) + 5]);
            Assert.Contains(m.Graph.Nodes, n => n.OpType == (export == "float13" ? "ReduceMean" : "LayerNormalization"));
        }

        [Fact]
        public void TheWrittenFileIsCachedAndRewrittenWhenItChanges()
        {
            string dir = TempDir();
            string path = OnnxSkeleton.Materialize(Skeleton("float17"), Sidecar("float17"), Source, dir, "deit.onnx");
            byte[] first = File.ReadAllBytes(path);
            DateTime written = File.GetLastWriteTimeUtc(path);
            File.SetLastWriteTimeUtc(path, written.AddMinutes(-5));
            Assert.Equal(path, OnnxSkeleton.Materialize(Skeleton("float17"), Sidecar("float17"), Source, dir, "deit.onnx"));
            Assert.Equal(written.AddMinutes(-5), File.GetLastWriteTimeUtc(path));   // reused, not rewritten

            using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
            {
                f.Position = 1_000_000;
                int v = f.ReadByte();
                f.Position = 1_000_000;
                f.WriteByte((byte)(v ^ 0x55));
            }

            OnnxSkeleton.Materialize(Skeleton("float17"), Sidecar("float17"), Source, dir, "deit.onnx");
            Assert.Equal(first, File.ReadAllBytes(path));
            Assert.Equal(new[] { "deit.onnx", "deit.onnx.sha256" }, Directory.GetFiles(dir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Directory.Delete(dir, recursive: true);
        }

        [Fact]
        public void MissingStaleOrEditedInputsAreLocatedDiagnostics()
        {
            string dir = TempDir();
            byte[] skeleton = File.ReadAllBytes(Skeleton("float17"));
            string sidecarText = File.ReadAllText(Sidecar("float17"));

            // A missing sidecar.
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), Path.Combine(dir, "none.json"), Source), Path.Combine(dir, "none.json"), "file", "cannot be read");

            // A skeleton edited after its sidecar was written.
            string edited = Write(dir, "edited.bin", skeleton.Select((v, i) => i == 5000 ? (byte)(v ^ 1) : v).ToArray());
            AssertQg4013(() => OnnxSkeleton.Write(edited, Sidecar("float17"), Source), edited, "skeleton", "re-run the maker");

            // Another QDQ file as the weights' source.
            string other = Path.Combine(ZooCatalog.Directory, "resnet8_ortqdq.onnx");
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), Sidecar("float17"), other), other, "file", "was written from");

            // Not JSON; a tensor whose pinned hash was edited; a tensor the skeleton does not have; an unknown source kind.
            string bad = Write(dir, "bad.json", Encoding.UTF8.GetBytes("{ \"tensors\": ["));
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), bad, Source), bad, "line", "not valid JSON");
            string hash = Edit(dir, "hash.json", sidecarText, t => t[3]!["sha256"] = new string('0', 64));
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), hash, Source), hash, "tensors[3]", "the maker computed");
            string name = Edit(dir, "name.json", sidecarText, t => t[0]!["name"] = "no_such_tensor");
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), name, Source), Skeleton("float17"), "initializer 'no_such_tensor'", "has no initializer of that name");
            string kind = Edit(dir, "kind.json", sidecarText, t => t[1]!["from"] = "guess");
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), kind, Source), kind, "$.tensors[1].from", "\"float\" or \"dequantize\"");
            string source = Edit(dir, "source.json", sidecarText, t => t[1]!["data"] = "no_such_weight");
            AssertQg4013(() => OnnxSkeleton.Write(Skeleton("float17"), source, Source), source, "tensors[1]", "has no initializer 'no_such_weight'");

            // A truncated skeleton whose sidecar was re-pinned to it: corrupt protobuf, still QG4013 at the skeleton.
            byte[] cut = skeleton.Take(skeleton.Length - 3).ToArray();
            string truncated = Write(dir, "cut.bin", cut);
            JsonNode pinned = JsonNode.Parse(sidecarText)!;
            pinned["skeleton_sha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(cut)).ToLowerInvariant();
            string repinned = Write(dir, "cut.json", Encoding.UTF8.GetBytes(pinned.ToJsonString()));
            AssertQg4013(() => OnnxSkeleton.Write(truncated, repinned, Source), truncated, "skeleton", "corrupt protobuf");
            Directory.Delete(dir, recursive: true);
        }

        /// <summary>
        /// The written float files in ONNX Runtime on the first 200 test digits (make_zoo.py's per-epoch score of the torch
        /// model: 87.0 % after the last epoch): with the weights dequantized from the ortqdq file instead of torch's own the
        /// accuracy is measured here.
        /// </summary>
        [Theory]
        [MemberData(nameof(Exports))]
        public void TheWrittenFloatModelsAccuracyInOnnxRuntime(string export, int torchNodes)
        {
            Assert.True(torchNodes > 0);
            ZooEntry e = Entry(export);
            using var ort = new ZooOrt(ZooCatalog.PathOf(e), e.Model);
            List<(float[] Input, int Label)> data = ZooCatalog.Data(e.Model, "test", 200);
            int correct = data.Count(d => ZooRun.ArgMax(ort.Run(d.Input).Select(v => (double)v).ToArray()) == d.Label);
            output.WriteLine($"{export}: ORT float accuracy {correct}/{data.Count} on the first 200 test digits");
            Assert.Equal(200, data.Count);
            Assert.Equal(DeitFloatCorrect, correct);
        }

        /// <summary>
        /// Measured here on the fixture trained 15 + 10 epochs (session 16): 185/200 (92.5 %) on both exports, as torch's own
        /// weights in make_zoo.py (the 15-epoch fixture: 174/200; the random-backbone fixture until session 14: 168/200 against
        /// torch's 176/200).
        /// </summary>
        private const int DeitFloatCorrect = 185;

        private static OnnxTensor Init(OnnxModel m, string name) => m.Graph!.Initializers.First(t => t.Name == name);

        private static float[] Floats(OnnxTensor t)
        {
            var r = new float[t.RawData!.Length / 4];
            Buffer.BlockCopy(t.RawData, 0, r, 0, t.RawData.Length);
            return r;
        }

        private static void AssertQg4013(Action write, string file, string place, string message)
        {
            OnnxImportException e = Assert.Throws<OnnxImportException>(write);
            ModelDiagnostic d = Assert.Single(e.Diagnostics);
            Assert.Equal("QG4013", d.Id);
            Assert.Equal(file, d.File);
            Assert.Contains(place, d.Place ?? string.Empty, StringComparison.Ordinal);
            Assert.Contains(message, d.Message, StringComparison.Ordinal);
        }

        private static string TempDir()
        {
            string dir = Path.Combine(Path.GetTempPath(), "quantgen-skeleton-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            return dir;
        }

        private static string Write(string dir, string name, byte[] bytes)
        {
            string p = Path.Combine(dir, name);
            File.WriteAllBytes(p, bytes);
            return p;
        }

        private static string Edit(string dir, string name, string sidecar, Action<JsonArray> edit)
        {
            JsonNode root = JsonNode.Parse(sidecar)!;
            edit(root["tensors"]!.AsArray());
            return Write(dir, name, Encoding.UTF8.GetBytes(root.ToJsonString()));
        }
    }
}
