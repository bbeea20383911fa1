using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>The digits CNN with batch norm: Conv2d, depthwise Conv2d, MaxPool2d, GlobalAveragePool.</summary>
    public sealed class CnnImportTests
    {
        private readonly ITestOutputHelper output;

        public CnnImportTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void FloatCnnFoldsBatchNormAndAgreesWithOnnxRuntime()
        {
            string path = Fixtures.Model("cnn_float.onnx");
            OnnxImportResult r = OnnxImporter.ImportFloat(path, Fixtures.Train.Select(s => s.Features).ToList());
            foreach (string n in r.Notes)
            {
                output.WriteLine(n);
            }

            string ops = string.Join(" ", r.Model.Graph.Nodes.Select(n => n.Layer.Op));
            Assert.Equal("Conv2d MaxPool2d Conv2d Conv2d Reshape AvgPool Reshape Reshape Dense", ops);
            Assert.Equal(2, r.Notes.Count(n => n.Contains("BatchNormalization") && n.Contains("folded")));
            var dw = (Conv2dLayer)r.Model.Graph.Nodes[2].Layer;
            Assert.Equal(8, dw.Group);
            Assert.Equal(Activation.Relu, dw.Activation);
            Assert.NotNull(RangeAnalysis.Analyze(r.Model.Graph, new List<ModelDiagnostic>()));
            QdqImportTests.Agreement a = QdqImportTests.Compare(r, path, Fixtures.Test, new[] { 1, 1, 8, 8 });
            output.WriteLine($"cnn_float: integer {a.QuantGenCorrect}/450, ORT float {a.OrtCorrect}/450, top-1 agreement {a.Top1Same}/450");
            Assert.Equal(409, a.OrtCorrect);
            Assert.Equal(410, a.QuantGenCorrect);
            Assert.Equal(449, a.Top1Same);
        }

        [Fact]
        public void QdqCnnMatchesOnnxRuntimeWithinOneLsb()
        {
            string path = Fixtures.Model("cnn_qdq.onnx");
            OnnxImportResult r = OnnxImporter.ImportQdq(path);
            QdqImportTests.Agreement a = QdqImportTests.Compare(r, path, Fixtures.Test, new[] { 1, 1, 8, 8 });
            output.WriteLine($"cnn_qdq: top-1 same {a.Top1Same}/450, QuantGen correct {a.QuantGenCorrect}, ORT correct {a.OrtCorrect}; outputs differing {a.Differ}/{a.Elements}, max {a.MaxLsb} LSB");
            Assert.Equal(450, a.Top1Same);
            Assert.Equal(410, a.QuantGenCorrect);
            Assert.True(a.MaxLsb <= 1, $"max {a.MaxLsb} LSB");
            Assert.Equal(6, a.Differ); // ORT requantizes in float32 with ties to even, QuantGen with dyadics, ties up
        }
    }
}
