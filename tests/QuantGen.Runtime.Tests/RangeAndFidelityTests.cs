using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Data;
using QuantGen.Fidelity;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests
{
    public class RangeAndFidelityTests
    {
        private static string DenseSpec(string inputType, double scale, long bias0) => $$"""
        {
          "format": "quantgen", "version": 1, "name": "dense", "kind": "quantized", "weights": "test.safetensors",
          "inputs": [{ "name": "x", "shape": [2], "range": [-1, 1], "type": "{{inputType}}", "scale": {{scale}}, "zeroPoint": 10 }],
          "outputs": ["y"],
          "initializers": {
            "w": { "type": "int8", "shape": [2, 2], "scales": [0.1, 0.1] },
            "b": { "type": "int32", "shape": [2], "scales": [0.001, 0.001] }
          },
          "activations": { "y": { "type": "int8", "scale": 0.5, "zeroPoint": -3 } },
          "layers": [
            { "name": "fc", "op": "Dense", "inputs": ["x"], "output": "y", "weight": "w", "bias": "b", "activation": "relu",
              "multipliers": [1073741824, 805306368], "shifts": [31, 30], "clamp": [-3, 127] }
          ]
        }
        """;

        private static ModelLoadResult Dense(string inputType, double scale, int bias0, int w00 = 3) => Fixtures.FromMemory(
            DenseSpec(inputType, scale, bias0),
            TensorCodec.EncodeInts("w", ElementType.Int8, new[] { 2, 2 }, new[] { w00, -2, 1, 4 }),
            TensorCodec.EncodeInts("b", ElementType.Int32, new[] { 2 }, new[] { bias0, -100 }));

        [Fact]
        public void DenseRangesMatchHandComputation()
        {
            var diagnostics = new List<ModelDiagnostic>();
            RangeReport r = RangeAnalysis.Analyze(Dense("int8", 0.01, 7).GetGraphOrThrow(), diagnostics)!;
            Assert.Empty(diagnostics);

            // input range [-1, 1] at scale 0.01, zero point 10 -> q in [-90, 110], q - zp in [-100, 100].
            // channel 0: 7 +- (3 + 2) * 100 = [-493, 507]; channel 1: -100 +- (1 + 4) * 100 = [-600, 400].
            LayerRanges fc = Assert.Single(r.Layers);
            Assert.Equal((-90L, 110L), (r.Tensors["x"].Min, r.Tensors["x"].Max));
            Assert.Equal((-600L, 507L), (fc.Find("acc")!.Value.Min, fc.Find("acc")!.Value.Max));
            Assert.Equal(11, fc.Find("acc")!.Value.Bits);
            Assert.Equal((-400L, 400L), (fc.Find("product")!.Value.Min, fc.Find("product")!.Value.Max));

            // outputs: ch0 -493 * 0.5 -> -246 - 3 = -249, 507 * 0.5 -> 254 - 3 = 251; ch1 -600 * 0.75 = -450 - 3, 400 * 0.75 = 300 - 3;
            // relu clamp [-3, 127] -> [-3, 127].
            Assert.Equal((-3L, 127L), (fc.Output.Min, fc.Output.Max));
            Assert.Equal(8, fc.Output.Bits);
        }

        [Fact]
        public void AccumulatorOverflowIsReportedWithLocation()
        {
            var diagnostics = new List<ModelDiagnostic>();
            ModelGraph g = Dense("int16", 0.0001, int.MaxValue - 1000).GetGraphOrThrow();
            Assert.Null(RangeAnalysis.Analyze(g, diagnostics));
            ModelDiagnostic d = Assert.Single(diagnostics);
            Assert.Equal(ModelErrors.PossibleOverflow, d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.Contains("layer \"fc\": the int32 accumulator of a channel can reach", d.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void RangeAnalysisBoundsAreTightForTheWorstCaseInput()
        {
            // The bound is reached: the input that maximises channel 0 is x - zp = [100, -100] (q = [110, -90]).
            ModelGraph g = Dense("int8", 0.01, 7).GetGraphOrThrow();
            IReadOnlyDictionary<string, int[]> all = new ReferenceInterpreter(g).RunAll(new[] { 110, -90 });
            Assert.Equal(127, all["y"][0]);
            var diagnostics = new List<ModelDiagnostic>();
            Assert.Equal(507, RangeAnalysis.Analyze(g, diagnostics)!.Layers[0].Find("acc")!.Value.Max);
        }

        [Fact]
        public void KlDivergenceAndSqnrMatchClosedForms()
        {
            Assert.Equal(0.0, FidelityMetrics.KlDivergence(new[] { 1.0, 2, 3 }, new[] { 1.0, 2, 3 }), 12);

            // p = softmax([0, 0]) = [1/2, 1/2]; q = softmax([ln 3, 0]) = [3/4, 1/4]; KL = 1/2 ln(2/3) + 1/2 ln 2.
            double expected = 0.5 * Math.Log(2.0 / 3.0) + 0.5 * Math.Log(2.0);
            Assert.Equal(expected, FidelityMetrics.KlDivergence(new[] { 0.0, 0.0 }, new[] { Math.Log(3), 0.0 }), 12);

            // signal 1 + 4 = 5, noise 0 + 1 = 1: 10 log10 5.
            Assert.Equal(10 * Math.Log10(5), FidelityMetrics.Sqnr(new[] { 1.0, 2.0 }, new[] { 1.0, 1.0 }), 12);
            Assert.Equal(double.PositiveInfinity, FidelityMetrics.Sqnr(new[] { 1.0 }, new[] { 1.0 }));
            Assert.Equal(1, FidelityMetrics.ArgMax(new[] { 0.0, 5, 5 }));
        }

        [Fact]
        public void Int4PerTensorQuantizationRoundTripsThroughPackedWeights()
        {
            ModelGraph floatGraph = Fixtures.Load("digits_mlp.float.qmodel.json");
            foreach (LayerSpec l in floatGraph.Spec.Layers)
            {
                l.Precision.WeightBits = 4;
                l.Precision.PerChannel = false;
            }

            try
            {
                List<float[]> calibration = Fixtures.Inputs(Fixtures.Digits.Split("train").Take(200));
                QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, calibration, new QuantizationOptions { Name = "mlp_w4" });
                string dir = Path.Combine(Path.GetTempPath(), "quantgen-w4-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(dir);
                try
                {
                    q.Save(Path.Combine(dir, "mlp_w4.qmodel.json"));
                    ModelGraph reloaded = ModelLoader.Load(Path.Combine(dir, "mlp_w4.qmodel.json")).GetGraphOrThrow();
                    TensorInfo w = reloaded.Tensors["fc1.weight"];
                    Assert.Equal(ElementType.Int4, w.Type);
                    Assert.Null(w.ChannelScales);
                    Assert.All(w.IntData!, v => Assert.InRange(v, -7, 7));

                    // 128 x 64 int4 weights pack into 128 x 32 bytes.
                    Assert.Equal(128 * 32, q.Weights.Single(t => t.Name == "fc1.weight").Data.Length);
                    var a = new ReferenceInterpreter(q.Graph);
                    var b = new ReferenceInterpreter(reloaded);
                    foreach (Sample s in Fixtures.Digits.Split("test").Take(50))
                    {
                        Assert.Equal(a.Run(a.Quantize(s.Features)), b.Run(b.Quantize(s.Features)));
                    }

                    IReadOnlyList<Sample> test = Fixtures.Digits.Split("test");
                    FidelityReport r = FidelityMetrics.Evaluate(Fixtures.Load("digits_mlp.float.qmodel.json"), reloaded, Fixtures.Inputs(test), LabeledDataset.Labels(test));
                    Assert.True(r.IntegerAccuracy > 0.85, $"W4A8 per-tensor accuracy {r.IntegerAccuracy:P2}");
                }
                finally
                {
                    Directory.Delete(dir, true);
                }
            }
            finally
            {
                foreach (LayerSpec l in floatGraph.Spec.Layers)
                {
                    l.Precision.WeightBits = 8;
                    l.Precision.PerChannel = true;
                }
            }
        }

        [Theory]
        [InlineData(SoftmaxMethod.IBert, GeluMethod.IBert)]
        [InlineData(SoftmaxMethod.Shiftmax, GeluMethod.IBert)]
        [InlineData(SoftmaxMethod.IBert, GeluMethod.ShiftGelu)]
        public void IBertAlternativesAreSelectableAndAccurate(SoftmaxMethod softmax, GeluMethod gelu)
        {
            ModelGraph floatGraph = Fixtures.Load("digits_vit.float.qmodel.json");
            var options = new QuantizationOptions { SoftmaxMethod = softmax, GeluMethod = gelu, SoftmaxOutBits = 8 };
            QuantizedModel q = PostTrainingQuantizer.Quantize(floatGraph, Fixtures.Inputs(Fixtures.Digits.Split("train").Take(300)), options);
            Assert.All(q.Spec.Layers.OfType<SoftmaxLayer>(), s => Assert.Equal(softmax, s.Method));
            Assert.All(q.Spec.Layers.OfType<GeluLayer>(), g => Assert.Equal(gelu, g.Method));

            // The spec round-trips through text with the method's integer constants.
            var diagnostics = new List<ModelDiagnostic>();
            ModelSpec reparsed = SpecParser.Parse(SpecWriter.ToJson(q.Spec), "x.qmodel.json", diagnostics) ?? throw new ModelException(diagnostics);
            Assert.Equal(SpecWriter.ToJson(q.Spec), SpecWriter.ToJson(reparsed));

            IReadOnlyList<Sample> test = Fixtures.Digits.Split("test");
            FidelityReport r = FidelityMetrics.Evaluate(floatGraph, q.Graph, Fixtures.Inputs(test), LabeledDataset.Labels(test));
            Assert.True(r.FloatAccuracy - r.IntegerAccuracy <= 0.02, $"{softmax}/{gelu}: float {r.FloatAccuracy:P2}, integer {r.IntegerAccuracy:P2}");
        }

        [Fact]
        public void MalformedCsvNamesLineAndColumn()
        {
            string path = Path.Combine(Path.GetTempPath(), "quantgen-bad-" + Guid.NewGuid().ToString("N") + ".csv");
            File.WriteAllText(path, "split,label,p0,p1\ntrain,3,1,2\ntest,4,1,abc\n");
            try
            {
                FormatException e = Assert.Throws<FormatException>(() => LabeledDataset.Load(path));
                Assert.Contains("(3,4): \"abc\" is not a finite number", e.Message, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
