using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>
    /// Structure-aware fuzzing of ONNX protobuf: varints set to interesting 64-bit values, lying length prefixes,
    /// huge repeated fields and dims, deep nesting, hostile attributes (strides, group, pads, dilations, kernel_shape,
    /// axis, epsilon), data stored twice, external data paths. Every case must end in an imported model whose written
    /// file the loader accepts, or an <see cref="OnnxImportException"/> with QG4xxx diagnostics.
    /// </summary>
    public sealed class OnnxFuzzTests : IDisposable
    {
        private static readonly string[] AttributeNames = { "strides", "group", "pads", "dilations", "kernel_shape", "axis", "epsilon", "transB", "alpha", "perm", "axes", "keepdims", "ceil_mode", "auto_pad" };

        private static readonly string[] ExternalLocations = { "data.bin", "fifo", "zero-link", "../../../../etc/passwd", "/dev/zero", "missing.bin", "sub", "", "x\0y" };

        private static readonly byte[][] Bases =
        {
            File.ReadAllBytes(Path.Combine(TestFiles.OnnxModels, "mlp_qdq.onnx")),
            File.ReadAllBytes(Path.Combine(TestFiles.OnnxModels, "cnn_qdq.onnx")),
            File.ReadAllBytes(Path.Combine(TestFiles.OnnxModels, "vit_qdq.onnx")),
        };

        private readonly ITestOutputHelper output;
        private readonly string dir = TestFiles.NewTempFolder("onnx");

        public OnnxFuzzTests(ITestOutputHelper output)
        {
            this.output = output;
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllBytes(Path.Combine(dir, "data.bin"), new byte[4096]);
            Native.MakeFifo(Path.Combine(dir, "fifo"));
            File.CreateSymbolicLink(Path.Combine(dir, "zero-link"), "/dev/zero");
        }

        public void Dispose() => Directory.Delete(dir, true);

        [Fact]
        public void OnnxProtobuf()
        {
            FuzzRunner.Run(output, "onnx", rng => Import(dir, Case(rng)));
        }

        /// <summary>The bytes of one fuzz case (a seed's Random gives the same bytes every time).</summary>
        public static byte[] Case(Random rng) => rng.Next(10) == 0 ? Mutators.MutateBytes(rng, rng.Pick(Bases)) : Mutate(rng, rng.Pick(Bases));

        /// <summary>The ONNX oracle: import, then write through <see cref="OnnxImporter.Save"/> and load the written file.</summary>
        public static CaseOutcome Import(string dir, byte[] model)
        {
            string path = Path.Combine(dir, "model.onnx");
            File.WriteAllBytes(path, model);
            FuzzRunner.StartMeasuring(model.Length);
            OnnxImportResult result;
            try
            {
                result = OnnxImporter.Import(path);
            }
            catch (OnnxImportException e)
            {
                return TestFiles.Rejection(e.Diagnostics);
            }

            string spec = Path.Combine(dir, "out", "imported.qmodel.json");
            try
            {
                OnnxImporter.Save(result.Model, spec);
            }
            catch (OnnxImportException e)
            {
                return TestFiles.Rejection(e.Diagnostics);
            }

            ModelLoadResult reread = ModelLoader.Load(spec);
            if (!reread.Success)
            {
                throw new InvalidOperationException("the import wrote a model file the loader rejects:\n" + string.Join("\n", reread.Diagnostics));
            }

            return CaseOutcome.Ok();
        }

        public static byte[] Mutate(Random rng, byte[] model)
        {
            List<ProtoField> root = ProtoTree.TryParse(model)!;
            int edits = rng.Next(1, 4);
            for (int e = 0; e < edits; e++)
            {
                List<(ProtoField Field, List<ProtoField> Parent)> all = ProtoTree.Walk(root).ToList();
                (ProtoField f, List<ProtoField> parent) = rng.Pick(all);
                switch (rng.Next(10))
                {
                    case 0 when f.WireType == 0:
                        f.Scalar = unchecked((ulong)Mutators.InterestingInteger(rng));
                        break;
                    case 1 when f.WireType == 2:
                        f.LengthOverride = rng.Next(2) == 0 ? (1UL << 32) + 1 : unchecked((ulong)Mutators.InterestingInteger(rng));
                        break;
                    case 2:
                        int copies = rng.Next(2) == 0 ? rng.Next(2, 10) : rng.Next(100, 3000);
                        int at = parent.IndexOf(f);
                        parent.InsertRange(at, Enumerable.Range(0, copies).Select(_ => f.Clone()));
                        break;
                    case 3:
                        parent.Remove(f);
                        break;
                    case 4 when f.WireType == 2:
                        ProtoField deep = ProtoTree.Bytes(1, f.Children != null ? ProtoTree.Write(f.Children) : f.Payload);
                        for (int i = 0; i < rng.Next(10, 2000); i++)
                        {
                            deep = ProtoTree.Message(1, deep);
                        }

                        f.Children = new List<ProtoField> { deep };
                        break;
                    case 5:
                        AddAttribute(rng, root);
                        break;
                    case 6:
                        MutateInitializer(rng, root);
                        break;
                    case 7 when f.WireType == 2 && f.Children == null:
                        f.Payload = Mutators.MutateBytes(rng, f.Payload);
                        break;
                    default:
                        parent.Add(rng.Next(2) == 0 ? ProtoTree.Varint(f.Number, Mutators.InterestingInteger(rng)) : ProtoTree.Bytes(rng.Next(1, 30), Mutators.MutateBytes(rng, new byte[rng.Next(0, 16)])));
                        break;
                }
            }

            return ProtoTree.Write(root);
        }

        private static List<ProtoField>? Graph(List<ProtoField> root) => root.FirstOrDefault(f => f.Number == 7 && f.Children != null)?.Children;

        private static void AddAttribute(Random rng, List<ProtoField> root)
        {
            List<ProtoField>? g = Graph(root);
            List<ProtoField> nodes = g?.Where(f => f.Number == 1 && f.Children != null).ToList() ?? new List<ProtoField>();
            if (nodes.Count == 0)
            {
                return;
            }

            ProtoField node = rng.Pick(nodes);
            string name = rng.Pick(AttributeNames);
            node.Children!.RemoveAll(a => a.Number == 5 && a.Children != null && a.Children.Any(c => c.Number == 1 && c.Payload.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(name))));
            var attr = new List<ProtoField> { ProtoTree.Text(1, name) };
            switch (rng.Next(3))
            {
                case 0:
                    attr.Add(ProtoTree.Varint(20, 2));
                    attr.Add(ProtoTree.Varint(3, Mutators.InterestingInteger(rng)));
                    break;
                case 1:
                    attr.Add(ProtoTree.Varint(20, 7));
                    for (int i = 0; i < rng.Next(1, 6); i++)
                    {
                        attr.Add(ProtoTree.Varint(8, Mutators.InterestingInteger(rng)));
                    }

                    break;
                default:
                    attr.Add(ProtoTree.Varint(20, 1));
                    float v = rng.Pick(new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN, -1f, 0f, 1e-5f, 1e30f });
                    attr.Add(new ProtoField { Number = 2, WireType = 5, Payload = BitConverter.GetBytes(v) });
                    break;
            }

            node.Children.Add(new ProtoField { Number = 5, WireType = 2, Children = attr });
        }

        private static void MutateInitializer(Random rng, List<ProtoField> root)
        {
            List<ProtoField> inits = Graph(root)?.Where(f => f.Number == 5 && f.Children != null).ToList() ?? new List<ProtoField>();
            if (inits.Count == 0)
            {
                return;
            }

            List<ProtoField> t = rng.Pick(inits).Children!;
            switch (rng.Next(4))
            {
                case 0:
                    t.AddRange(Enumerable.Range(0, rng.Next(2) == 0 ? rng.Next(1, 12) : 1_000_000 / 4).Select(_ => ProtoTree.Varint(1, 1)));
                    break;
                case 1:
                    t.Add(new ProtoField { Number = 4, WireType = 5, Payload = BitConverter.GetBytes(1f) });
                    break;
                case 2:
                    t.RemoveAll(f => f.Number == 9);
                    t.Add(ProtoTree.Message(13, ProtoTree.Text(1, "location"), ProtoTree.Text(2, rng.Pick(ExternalLocations))));
                    if (rng.Next(2) == 0)
                    {
                        t.Add(ProtoTree.Message(13, ProtoTree.Text(1, rng.Next(2) == 0 ? "offset" : "length"), ProtoTree.Text(2, Mutators.InterestingInteger(rng).ToString(System.Globalization.CultureInfo.InvariantCulture))));
                    }

                    t.Add(ProtoTree.Varint(14, rng.Next(4) == 0 ? Mutators.InterestingInteger(rng) : 1));
                    break;
                default:
                    foreach (ProtoField d in t.Where(f => f.Number == 1 && f.WireType == 0))
                    {
                        d.Scalar = unchecked((ulong)Mutators.InterestingInteger(rng));
                    }

                    break;
            }
        }
    }
}
