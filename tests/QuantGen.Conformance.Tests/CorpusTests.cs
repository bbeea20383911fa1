using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    public class CorpusTests
    {
        public static IEnumerable<object[]> CaseNames => Corpus.Cases.Select(c => new object[] { c.Name });

        /// <summary>Every case quantizes into a model the loader accepts, and the reference interpreter runs it.</summary>
        [Theory]
        [MemberData(nameof(CaseNames))]
        public void CaseQuantizesAndRuns(string name)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            var reference = new ReferenceInterpreter(q.Graph);
            foreach (int[] input in Inputs.For(q.Graph, 8))
            {
                Assert.Equal(q.Graph.Output.ElementCount, reference.Run(input).Length);
            }
        }

        /// <summary>The asymmetric embedding case reaches what it is there for: a table zero point carried to the output, rows copied.</summary>
        [Fact]
        public void EmbeddingTableZeroPointCaseCopiesRowsWithTheZeroPoint()
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("embedding_table_zero_point"));
            Graph.GraphNode node = q.Graph.Nodes.Single(n => n.Layer.Op == OpKind.Embedding);
            Assert.Equal(-41L, node.Weight!.Quant!.ZeroPoint);
            Assert.Equal(node.Weight.Quant.ZeroPoint, node.Output.Quant!.ZeroPoint);
            Assert.Equal(node.Weight.Quant.Scale, node.Output.Quant.Scale);

            // ids 9, 0, ... on the [3, 4] input: the embedding's output rows are the table's integers.
            int[] ids = Enumerable.Range(0, 12).Select(i => (9 * (i + 1)) % 10).ToArray();
            int[] y = new ReferenceInterpreter(q.Graph).RunAll(ids)[node.Output.Name];
            int[] table = node.Weight.IntData!;
            Assert.Equal(ids.SelectMany(id => table.Skip(id * 12).Take(12)).ToArray(), y);
        }

        /// <summary>
        /// The per-axis embedding cases keep the table's integers, one dyadic per row/feature, and each gathered integer q of
        /// row/feature k comes out as the real s_k (q - z_k) at the output's quantization: within half a step (the dyadic's
        /// rounding) unless it is clamped at the int8 ends, checked in reals here, not with the operator's code.
        /// </summary>
        [Theory]
        [InlineData("embedding_per_row", 0, 10)]
        [InlineData("embedding_per_feature", 1, 12)]
        public void PerAxisEmbeddingCasesRequantizeEachRowOrFeature(string name, int axis, int count)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            Graph.GraphNode node = q.Graph.Nodes.Single(n => n.Layer.Op == OpKind.Embedding);
            EmbeddingAxis a = ((EmbeddingLayer)node.Layer).PerAxis!;
            Assert.Equal(axis, a.Axis);
            Assert.Equal(count, a.ZeroPoints.Length);
            Assert.Equal(-128L, a.ZeroPoints[0]);
            Assert.Equal(127L, a.ZeroPoints[count - 1]);
            double[] scales = a.Scales;
            Assert.Null(node.Weight!.ChannelScales);
            Assert.Equal(1024.0, scales[count - 1] / scales[0], 3);
            Model.TensorQuant o = node.Output.Quant!;
            int[] ids = Enumerable.Range(0, 12).Select(i => (7 * i + 3) % 10).ToArray();
            int[] y = new ReferenceInterpreter(q.Graph).RunAll(ids)[node.Output.Name];
            int[] table = node.Weight.IntData!;
            int clamped = 0, exact = 0;
            for (int i = 0; i < y.Length; i++)
            {
                int row = ids[i / 12], col = i % 12, k = axis == 0 ? row : col;
                int tq = table[(row * 12) + col];
                Assert.InRange(tq, -128, 127);
                double real = scales[k] * (tq - a.ZeroPoints[k]);
                double want = (real / o.Scale) + o.ZeroPoint;
                if (want > 127.5 || want < -128.5)
                {
                    Assert.Equal(want > 0 ? 127 : -128, y[i]);
                    clamped++;
                    continue;
                }

                Assert.True(Math.Abs(y[i] - want) <= 0.5 + 1e-6, $"element {i}: {y[i]} for {want}");
                exact += y[i] == Math.Round(want) ? 1 : 0;
            }

            Assert.True(exact > y.Length / 2, "most elements round to the nearest step");
        }

        /// <summary>A per-axis Embedding spec that does not add up is a located diagnostic at load time, never an exception.</summary>
        [Theory]
        [InlineData("no-axis", "QG1005", "belongs to a per-axis embedding table")]
        [InlineData("axis-1", "QG1018", "needs one zero point and one multiplier per feature (12); the layer has 10")]
        [InlineData("short", "QG1010", "have 10, 9 and 10 entries")]
        [InlineData("multiplier", "QG1018", "multiplier 3")]
        [InlineData("no-scales", "QG1004", "needs \"scales\"")]
        public void ABrokenPerAxisSpecIsALocatedDiagnostic(string change, string id, string message)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find("embedding_per_row"));
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "qg-per-axis-spec-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(dir);
            try
            {
                string path = System.IO.Path.Combine(dir, "m.qmodel.json");
                q.Save(path);
                var root = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(path))!;
                var layer = root["layers"]!.AsArray().Single(l => (string?)l!["op"] == "Embedding")!.AsObject();
                switch (change)
                {
                    case "no-axis": layer.Remove("axis"); break;
                    case "axis-1": layer["axis"] = 1; break;
                    case "short": layer["zeroPoints"]!.AsArray().RemoveAt(0); break;
                    case "multiplier": layer["multipliers"]![3] = (int)layer["multipliers"]![3]! / 2; break;
                    default: layer.Remove("scales"); break;
                }

                System.IO.File.WriteAllText(path, root.ToJsonString());
                ModelLoadResult r = ModelLoader.Load(path);
                Assert.False(r.Success);
                Assert.Contains(r.Diagnostics, x => x.Message.Contains(message, StringComparison.Ordinal));
                ModelDiagnostic d = r.Diagnostics.First(x => x.Message.Contains(message, StringComparison.Ordinal));
                Assert.Equal(id, d.Id);
                Assert.Equal(path, d.File);
                Assert.True(d.Line > 0, d.ToString());
            }
            finally
            {
                System.IO.Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void EveryOperatorHasACase()
        {
            var covered = new HashSet<OpKind>(Corpus.Cases.SelectMany(c => c.Covers));
            var missing = System.Enum.GetValues(typeof(OpKind)).Cast<OpKind>().Where(o => !covered.Contains(o)).ToList();
            Assert.True(missing.Count == 0, "no corpus case for " + string.Join(", ", missing));
        }
    }
}
