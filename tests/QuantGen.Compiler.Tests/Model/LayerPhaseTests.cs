using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Model
{
    /// <summary>
    /// The IR by phase: a float layer carries no integer parameters; a quantized one carries one immutable record of its
    /// operator, complete by construction, made by the parser (or PTQ) and attached when the layer is made.
    /// </summary>
    public class LayerPhaseTests
    {
        private const string QuantizedDense = """
        {
          "format": "quantgen", "version": 1, "name": "ph", "kind": "quantized", "weights": "t.safetensors",
          "inputs": [{ "name": "x", "shape": [1, 2], "range": [-1, 1], "type": "int8", "scale": 0.01, "zeroPoint": 0 }],
          "outputs": ["y"],
          "initializers": { "w": { "type": "int8", "shape": [2, 2], "scales": [0.01, 0.02], "zeroPoint": 0 } },
          "activations": { "y": { "type": "int8", "scale": 0.05, "zeroPoint": -3 } },
          "layers": [ { "name": "fc", "op": "Dense", "inputs": ["x"], "output": "y", "weight": "w", "activation": "relu",
                        "multipliers": [1073741824, 1342177280], "shifts": [33, 34], "clamp": [-3, 127] } ]
        }
        """;

        private static ModelLoadResult Load(string spec) =>
            ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new[] { new RawTensor("w", "I8", new long[] { 2, 2 }, new byte[] { 1, 2, 3, 4 }) }), "t.safetensors");

        [Fact]
        public void TheQuantizedParserAttachesOneCompleteRecord()
        {
            ModelLoadResult r = Load(QuantizedDense);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            var fc = (DenseLayer)r.Graph!.Nodes[0].Layer;
            Assert.Same(fc.Integers, fc.IntegerParameters);
            Assert.Equal(new[] { new Dyadic(1073741824, 33), new Dyadic(1342177280, 34) }, fc.Integers.Requant);
            Assert.Equal(-3, fc.Integers.Clamp.Lo);
            Assert.Equal(127, fc.Integers.Clamp.Hi);
        }

        [Fact]
        public void AFloatLayerHasNoIntegersAndReadingThemIsAProgrammingError()
        {
            var fc = new DenseLayer { Name = "fc", Weight = "w" };
            Assert.Null(fc.IntegersOrNull);
            Assert.Null(fc.IntegerParameters);
            Assert.True(fc.NeedsIntegers);
            InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => fc.Integers);
            Assert.Contains("\"fc\" (Dense) is a float-phase layer", e.Message, StringComparison.Ordinal);
            Assert.False(new ReluLayer().NeedsIntegers);
            Assert.Throws<ArgumentException>(() => new ReluLayer().WithIntegers(new MatMulIntegers(Dyadic.One)));
        }

        [Fact]
        public void WithIntegersCopiesTheFloatLayerAndLeavesItUntouched()
        {
            var fc = new DenseLayer { Name = "fc", Weight = "w", Bias = "b", Activation = Activation.Relu };
            fc.Inputs.Add("x");
            fc.Output = "y";
            var q = new WeightedIntegers(new[] { Dyadic.One }, new ClampBounds(0, 127));
            var quantized = (DenseLayer)fc.WithIntegers(q);
            Assert.NotSame(fc, quantized);
            Assert.Null(fc.IntegersOrNull);
            Assert.Same(q, quantized.Integers);
            Assert.Equal(("fc", "w", "b", Activation.Relu, "x", "y"), (quantized.Name, quantized.Weight, quantized.Bias, quantized.Activation, quantized.Inputs.Single(), quantized.Output));
            Assert.Throws<ArgumentException>(() => fc.WithIntegers(new AddIntegers(Dyadic.One, Dyadic.One)));
        }

        [Fact]
        public void RecordsAreImmutableCopies()
        {
            var requant = new[] { Dyadic.One, new Dyadic(3, 2) };
            var q = new WeightedIntegers(requant, new ClampBounds(-5, 5));
            requant[0] = new Dyadic(7, 1);
            Assert.Equal(Dyadic.One, q.Requant[0]);
            Assert.IsNotType<Dyadic[]>(q.Requant);
            var biases = new long[] { 4, -4 };
            var ln = new LayerNormIntegers(requant, biases, 7);
            biases[1] = 0;
            Assert.Equal(-4, ln.Biases[1]);
        }

        [Fact]
        public void RecordConstructorsRejectIncompleteOrInconsistentParameters()
        {
            Assert.Throws<ArgumentNullException>(() => new WeightedIntegers(null!, new ClampBounds(0, 1)));
            Assert.Throws<ArgumentException>(() => new ClipIntegers(5, 4));
            Assert.Throws<ArgumentException>(() => new LayerNormIntegers(new[] { Dyadic.One }, new long[] { 1, 2 }, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNormIntegers(new[] { Dyadic.One }, new long[] { 1 }, -1));
            Assert.Throws<ArgumentNullException>(() => new DenseLayer { Integers = null! });
        }

        [Fact]
        public void AMethodRecordAnswersOnlyForItsMethod()
        {
            var shiftmax = new SoftmaxIntegers(new ShiftmaxParams(-100, 15, 16));
            Assert.Equal(SoftmaxMethod.Shiftmax, shiftmax.Method);
            Assert.Equal(16, shiftmax.OutBits);
            Assert.Equal(-100, shiftmax.Shiftmax.X0);
            Assert.Throws<InvalidOperationException>(() => shiftmax.IBert);

            // The layer's method is the record's once quantized (PTQ may pick another method than the float layer asked for).
            var s = new SoftmaxLayer { Name = "sm", Method = SoftmaxMethod.IBert };
            Assert.Equal(SoftmaxMethod.IBert, s.Method);
            Assert.Equal(SoftmaxMethod.Shiftmax, ((SoftmaxLayer)s.WithIntegers(shiftmax)).Method);
        }

        [Fact]
        public void AQuantizedLayerWithoutIntegersIsALocatedDiagnostic()
        {
            ModelSpec spec = SpecParser.Parse(QuantizedDense, "m.qmodel.json", new List<ModelDiagnostic>())!;
            var fc = (DenseLayer)spec.Layers[0];
            spec.Layers[0] = fc.CloneFloat();
            ModelDiagnostic d = Assert.Single(BuildDiagnostics(spec));
            Assert.Equal(ModelErrors.LayerPhase, d.Id);
            Assert.Equal("$.layers[0]", d.Place);
            Assert.Equal("m.qmodel.json(7,15): error QG1023: layer \"fc\": a quantized Dense layer needs its integer parameters (multipliers, shifts, clamps...); this one has none [at $.layers[0]]", d.ToString());
        }

        [Fact]
        public void AFloatLayerWithIntegersIsALocatedDiagnostic()
        {
            ModelSpec spec = FloatSpec();
            spec.Layers[0] = spec.Layers[0].WithIntegers(new WeightedIntegers(new[] { Dyadic.One, Dyadic.One }, new ClampBounds(0, 1)));
            ModelDiagnostic d = Assert.Single(BuildDiagnostics(spec, floatWeights: true));
            Assert.Equal(ModelErrors.LayerPhase, d.Id);
            Assert.Contains("layer \"fc\": a float model's Dense layer carries integer parameters", d.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void QuantizedClipBoundsOutOfOrderAreReportedAtQmin()
        {
            string spec = QuantizedDense.Replace(
                "\"layers\": [",
                "\"layers\": [ { \"name\": \"c\", \"op\": \"Clip\", \"inputs\": [\"x\"], \"output\": \"xc\", \"min\": -1, \"max\": 1, \"qmin\": 9, \"qmax\": 8 },").Replace("\"inputs\": [\"x\"], \"output\": \"y\"", "\"inputs\": [\"xc\"], \"output\": \"y\"");
            var diagnostics = new List<ModelDiagnostic>();
            SpecParser.Parse(spec, "m.qmodel.json", diagnostics);
            ModelDiagnostic d = Assert.Single(diagnostics);
            Assert.Equal(ModelErrors.InvalidQuantization, d.Id);
            Assert.Equal("$.layers[0].qmin", d.Place);
            Assert.Contains("qmin 9 is greater than qmax 8", d.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void TheWriterWritesTheRecordAndTheSpecRoundTrips()
        {
            ModelLoadResult r = Load(QuantizedDense);
            Assert.True(r.Success, string.Join("\n", r.Diagnostics));
            string written = SpecWriter.ToJson(r.Graph!.Spec);
            Assert.Contains("\"multipliers\": [1073741824, 1342177280],\n      \"shifts\": [33, 34],\n      \"clamp\": [-3, 127]", written, StringComparison.Ordinal);
            Assert.Equal(written, SpecWriter.ToJson(SpecParser.Parse(written, "w", new List<ModelDiagnostic>())!));
            Assert.DoesNotContain("multipliers", SpecWriter.ToJson(FloatSpec()), StringComparison.Ordinal);
        }

        private static ModelSpec FloatSpec()
        {
            var spec = new ModelSpec { Name = "ph", Kind = ModelKind.Float, Weights = "t.safetensors", Output = "y" };
            spec.Input = new InputSpec { Name = "x", Shape = new[] { 1, 2 }, RangeMin = -1, RangeMax = 1 };
            spec.Initializers.Add(new InitializerSpec { Name = "w", Type = ElementType.Float32, Shape = new[] { 2, 2 } });
            var fc = new DenseLayer { Name = "fc", Weight = "w", Activation = Activation.Relu };
            fc.Inputs.Add("x");
            fc.Output = "y";
            spec.Layers.Add(fc);
            return spec;
        }

        private static List<ModelDiagnostic> BuildDiagnostics(ModelSpec spec, bool floatWeights = false)
        {
            var diagnostics = new List<ModelDiagnostic>();
            RawTensor w = floatWeights
                ? TensorCodec.EncodeFloats("w", new[] { 2, 2 }, new float[] { 0.1f, 0.2f, 0.3f, 0.4f })
                : new RawTensor("w", "I8", new long[] { 2, 2 }, new byte[] { 1, 2, 3, 4 });
            ModelGraph? g = GraphBuilder.Build(spec, new[] { w }, spec.Weights, diagnostics);
            Assert.Null(g);
            return diagnostics;
        }
    }
}
