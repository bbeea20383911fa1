using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Onnx;
using QuantGen.Operators;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Issue 13 (deitagree): DeiT-Tiny's Adds of a float constant between QDQ pairs (the position embedding, and the bias Add
    /// after each of the 48 bias-free MatMuls), each fed ORT's own input integers, against ORT's output integers. ORT adds the
    /// file's float32 constant and rounds once; the import keeps that constant as int32 at a scale 2^-21 of the output's
    /// (<see cref="OnnxImportOptions.WideConstantOperands"/>), against the 8-bit copy it stored before (half a constant step
    /// off). Both imports are measured in the same run.
    /// </summary>
    public class DeitConstantAddTests
    {
        private readonly ITestOutputHelper output;

        public DeitConstantAddTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        /// <summary>Elements different from ORT (1 test digit), per import, for the position-embedding Add and the 48 bias Adds.</summary>
        [Fact]
        public void ConstantAddsEqualOnnxRuntimeWhenTheConstantKeepsTheFilesPrecision()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            string path = ZooCatalog.PathOf(e);
            OnnxGraph onnx = OnnxReader.ReadFile(path).Graph!;
            Dictionary<string, string> quantized = ZooLayerTests.QuantizedActivations(onnx);

            ModelGraph wide = OnnxImporter.ImportQdq(path, new OnnxImportOptions { Name = e.Model.Name }).Model.Graph;
            ModelGraph narrow = OnnxImporter.ImportQdq(path, new OnnxImportOptions { Name = e.Model.Name, WideConstantOperands = false }).Model.Graph;
            List<GraphNode> Adds(ModelGraph g) => g.Nodes.Where(n => n.Layer.Op == OpKind.Add && n.Inputs.Any(t => t.Kind == TensorKind.Initializer)
                && n.Inputs.All(t => t.Kind == TensorKind.Initializer || quantized.ContainsKey(t.Name)) && quantized.ContainsKey(n.Output.Name)).ToList();
            List<GraphNode> wideAdds = Adds(wide), narrowAdds = Adds(narrow);
            Assert.Equal(49, wideAdds.Count);
            Assert.Equal(wideAdds.Select(n => n.Layer.Name), narrowAdds.Select(n => n.Layer.Name));

            // What the import stored: int32 at 2^-21 of the output scale (position embedding) against int8 symmetric.
            GraphNode pos = wideAdds.Single(n => n.Layer.Name == "Add");
            TensorInfo posWide = pos.Inputs.Single(t => t.Kind == TensorKind.Initializer);
            TensorInfo posNarrow = narrowAdds.Single(n => n.Layer.Name == "Add").Inputs.Single(t => t.Kind == TensorKind.Initializer);
            Assert.Equal(ElementType.Int32, posWide.Type);
            Assert.Equal(ElementType.Int8, posNarrow.Type);
            Assert.Equal(Math.Pow(2, -21), posWide.Quant!.Scale / pos.Output.Quant!.Scale, 12);
            Assert.True(wideAdds.All(n => n.Inputs.Single(t => t.Kind == TensorKind.Initializer).Type == ElementType.Int32));

            var wanted = wideAdds.SelectMany(n => n.Inputs.Where(t => t.Kind != TensorKind.Initializer).Concat(new[] { n.Output })).Select(t => quantized[t.Name]).Distinct().ToList();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(ZooLayerTests.WithOutputs(File.ReadAllBytes(path), wanted), options);
            string input = session.InputMetadata.Keys.First();
            long posElements = 0, posWideDiffer = 0, posNarrowDiffer = 0, biasElements = 0, biasWideDiffer = 0, biasNarrowDiffer = 0;
            long wideMax = 0, narrowMax = 0;
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", 1))
            {
                using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(
                    new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, e.Model.Shape)) }, wanted);
                Dictionary<string, int[]> ints = r.ToDictionary(v => v.Name, v => ZooLayerTests.Integers(v.Value), StringComparer.Ordinal);
                for (int k = 0; k < wideAdds.Count; k++)
                {
                    int[] ort = ints[quantized[wideAdds[k].Output.Name]];
                    (long w, long wm) = Differ(wideAdds[k], ints, quantized, ort);
                    (long o, long om) = Differ(narrowAdds[k], ints, quantized, ort);
                    wideMax = Math.Max(wideMax, wm);
                    narrowMax = Math.Max(narrowMax, om);
                    if (k == wideAdds.IndexOf(pos))
                    {
                        posElements += ort.Length;
                        posWideDiffer += w;
                        posNarrowDiffer += o;
                    }
                    else
                    {
                        biasElements += ort.Length;
                        biasWideDiffer += w;
                        biasNarrowDiffer += o;
                    }
                }
            }

            output.WriteLine($"position embedding Add: {posElements} elements, != ORT: int32 constant {posWideDiffer}, int8 constant {posNarrowDiffer}");
            output.WriteLine($"48 bias Adds: {biasElements} elements, != ORT: int32 constant {biasWideDiffer}, int8 constant {biasNarrowDiffer}");
            output.WriteLine($"max |QuantGen - ORT|: int32 constant {wideMax}, int8 constant {narrowMax}");
            Assert.Equal(37_824, posElements);
            Assert.Equal(4_084_992, biasElements);

            // Measured on the fixture trained 15 + 10 epochs (session 16, 2026-12-07; docs/numerics.md "DeiT-Tiny's float
            // constants at the file's precision" has the random-backbone fixture's 0 / 423 and 32 / 46,383, the 15-epoch one's
            // 0 / 228 and 19 / 29,938): the int32 constant equals ORT on every position-embedding element and on all but 2
            // bias-Add elements (ORT's float32 roundings near a half step); the int8 constant differs on 263 and 26,463.
            Assert.Equal(0, posWideDiffer);
            Assert.Equal(263, posNarrowDiffer);
            Assert.Equal(2, biasWideDiffer);
            Assert.Equal(26_463, biasNarrowDiffer);
            Assert.Equal(1, wideMax);
            Assert.Equal(1, narrowMax);
        }

        private static (long Differ, long Max) Differ(GraphNode n, Dictionary<string, int[]> ints, Dictionary<string, string> quantized, int[] ort)
        {
            int[][] ins = n.Inputs.Select(t => t.Kind == TensorKind.Initializer ? t.IntData! : ints[quantized[t.Name]]).ToArray();
            var ours = new int[n.Output.ElementCount];
            OperatorRegistry.Core.Find(OpKind.Add)!.Reference(n, ins, new[] { ours });
            long differ = 0, max = 0;
            for (int i = 0; i < ort.Length; i++)
            {
                differ += ours[i] != ort[i] ? 1 : 0;
                max = Math.Max(max, Math.Abs(ours[i] - ort[i]));
            }

            return (differ, max);
        }
    }
}
