using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The synthetic convolution model of the cross-backend checks (tests/QuantGen.CpuCheck/models/conv_synthetic.*): what
    /// the digits CNN lacks. Two images per input (batch 2 inside the model), int8 input with zero point -3 over its whole
    /// range, and four Conv2d layers plus a MaxPool2d:
    /// conv_a group 2 (not depthwise), kernel 2x3, strides [2, 2], pads [1, 0, 0, 2], int16 output over the whole int16
    /// range; pool kernel [3, 2], strides [2, 1], pads [1, 1, 1, 0]; conv_b kernel 3x1, strides [1, 2], pads [2, 1, 1, 0] on
    /// int16 (|x - zx| up to 32775: the generator's int64 fallback), ReLU to int16; conv_c kernel 2x2, pads [1, 1, 1, 1] on
    /// int16 in [0, 32767] to an int4 output (16 positions); conv_d depthwise 3x3, pads [1, 2, 1, 2], with int16 weights
    /// on the int4 tensor to int8 (24 positions: a full vector of 16 plus a tail).
    /// Weights uniform over their whole type with both extremes present (fixed seed), random biases, per-channel
    /// multipliers chosen so that random inputs stay mostly inside the output type and the extremes saturate.
    /// Deterministic: the same bytes on every run (a test checks the committed files against it).
    /// </summary>
    public static class SyntheticConvModel
    {
        public const string Name = "conv_synthetic";

        private sealed class Conv
        {
            public Conv(string name, string input, string output, int inC, int outC, int group, int kh, int kw, int[] strides, int[] pads, string activation, ElementType weightType)
            {
                LayerName = name;
                Input = input;
                Output = output;
                InC = inC;
                OutC = outC;
                Group = group;
                Kh = kh;
                Kw = kw;
                Strides = strides;
                Pads = pads;
                Activation = activation;
                WeightType = weightType;
            }

            public string LayerName { get; }

            public string Input { get; }

            public string Output { get; }

            public int InC { get; }

            public int OutC { get; }

            public int Group { get; }

            public int Kh { get; }

            public int Kw { get; }

            public int[] Strides { get; }

            public int[] Pads { get; }

            public string Activation { get; }

            public ElementType WeightType { get; }
        }

        /// <summary>The spec (normalized by SpecWriter after validation) and the safetensors bytes.</summary>
        public static (string Spec, byte[] Weights) Build()
        {
            var rng = new Random(20261124);
            // name -> (type, scale, zero point, min, max of the stored integers)
            var acts = new Dictionary<string, (string Type, double Scale, int Zp, long Lo, long Hi)>
            {
                ["x"] = ("int8", 0.0625, -3, -128, 127),
                ["a"] = ("int16", 0.001953125, 7, -32768, 32767),
                ["b"] = ("int16", 0.0009765625, 0, -32768, 32767),
                ["c"] = ("int4", 0.25, -2, -8, 7),
                ["y"] = ("int8", 0.125, 0, -128, 127),
            };
            var convs = new[]
            {
                new Conv("conv_a", "x", "a", 4, 6, 2, 2, 3, new[] { 2, 2 }, new[] { 1, 0, 0, 2 }, "none", ElementType.Int8),
                new Conv("conv_b", "p", "b", 6, 4, 1, 3, 1, new[] { 1, 2 }, new[] { 2, 1, 1, 0 }, "relu", ElementType.Int8),
                new Conv("conv_c", "b", "c", 4, 4, 1, 2, 2, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, "none", ElementType.Int8),
                new Conv("conv_d", "c", "y", 4, 4, 4, 3, 3, new[] { 1, 1 }, new[] { 1, 2, 1, 2 }, "none", ElementType.Int16),
            };

            // Largest |x - zx| of each conv's input, to pick multipliers: x over int8; p and a over int16; b after ReLU; c int4.
            var inputSpan = new Dictionary<string, long> { ["x"] = 130, ["p"] = 32775, ["b"] = 32767, ["c"] = 10 };
            var tensors = new List<RawTensor>();
            var initializers = new List<string>();
            var layers = new List<string>();
            foreach (Conv cv in convs)
            {
                int cg = cv.InC / cv.Group, taps = cg * cv.Kh * cv.Kw;
                var w = new int[cv.OutC * taps];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = (int)(cv.WeightType.MinValue + (long)(rng.NextDouble() * (cv.WeightType.MaxValue - cv.WeightType.MinValue + 1)));
                }

                w[0] = (int)cv.WeightType.MinValue; // both extremes present
                w[1] = (int)cv.WeightType.MaxValue;
                var bias = Enumerable.Range(0, cv.OutC).Select(_ => rng.Next(-20000, 20001)).ToArray();
                string inName = cv.Input == "p" ? "a" : cv.Input;
                (string _, double sIn, int _, long _, long _) = acts[inName];
                (string _, double sOut, int zOut, long lo, long hi) = acts[cv.Output];
                var multipliers = new int[cv.OutC];
                var shifts = new int[cv.OutC];
                var wScales = new double[cv.OutC];
                for (int o = 0; o < cv.OutC; o++)
                {
                    long bound = Math.Abs((long)bias[o]) + (inputSpan[cv.Input] * Enumerable.Range(0, taps).Sum(j => Math.Abs((long)w[(o * taps) + j])));
                    // Random inputs reach about bound / sqrt(taps): map that to about half the output range.
                    double m = (hi - lo) / 2.0 * Math.Sqrt(taps) / bound * (0.5 + rng.NextDouble());
                    Dyadic d = Dyadic.FromReal(m);
                    multipliers[o] = d.Multiplier;
                    shifts[o] = d.Shift;
                    wScales[o] = d.ToReal() * sOut / sIn;
                }

                long clampLo = cv.Activation == "relu" ? Math.Max(lo, zOut) : lo;
                tensors.Add(QuantGen.Model.TensorCodec.EncodeInts(cv.LayerName + ".weight", cv.WeightType, new[] { cv.OutC, cg, cv.Kh, cv.Kw }, w));
                tensors.Add(QuantGen.Model.TensorCodec.EncodeInts(cv.LayerName + ".bias", ElementType.Int32, new[] { cv.OutC }, bias));
                initializers.Add($"\"{cv.LayerName}.weight\": {{ \"type\": \"{cv.WeightType}\", \"shape\": [{cv.OutC}, {cg}, {cv.Kh}, {cv.Kw}], \"scales\": [{Join(wScales)}], \"zeroPoint\": 0 }}");
                initializers.Add($"\"{cv.LayerName}.bias\": {{ \"type\": \"int32\", \"shape\": [{cv.OutC}], \"scales\": [{Join(wScales.Select(s => s * sIn))}], \"zeroPoint\": 0 }}");
                layers.Add($"{{ \"name\": \"{cv.LayerName}\", \"op\": \"Conv2d\", \"inputs\": [\"{cv.Input}\"], \"output\": \"{cv.Output}\", \"weight\": \"{cv.LayerName}.weight\", \"bias\": \"{cv.LayerName}.bias\", " +
                           $"\"activation\": \"{cv.Activation}\", \"strides\": [{cv.Strides[0]}, {cv.Strides[1]}], \"pads\": [{string.Join(", ", cv.Pads)}], \"group\": {cv.Group}, " +
                           $"\"multipliers\": [{string.Join(", ", multipliers)}], \"shifts\": [{string.Join(", ", shifts)}], \"clamp\": [{clampLo}, {hi}] }}");
                if (cv.LayerName == "conv_a")
                {
                    layers.Add("{ \"name\": \"pool\", \"op\": \"MaxPool2d\", \"inputs\": [\"a\"], \"output\": \"p\", \"kernel\": [3, 2], \"strides\": [2, 1], \"pads\": [1, 1, 1, 0] }");
                }
            }

            (string xt, double xs, int xz, long xlo, long xhi) = acts["x"];
            var json = new StringBuilder();
            json.Append("{ \"format\": \"quantgen\", \"version\": 1, \"name\": \"" + Name + "\", \"kind\": \"quantized\", \"weights\": \"" + Name + ".safetensors\",\n");
            json.Append($"  \"inputs\": [{{ \"name\": \"x\", \"shape\": [2, 4, 7, 9], \"range\": [{D(xs * (xlo - xz))}, {D(xs * (xhi - xz))}], \"type\": \"{xt}\", \"scale\": {D(xs)}, \"zeroPoint\": {xz} }}],\n");
            json.Append("  \"outputs\": [\"y\"],\n");
            json.Append("  \"metadata\": { \"producer\": \"tests/QuantGen.Generators.Tests/SyntheticConvModel.cs (seed 20261124)\" },\n");
            json.Append("  \"initializers\": { " + string.Join(",\n    ", initializers) + " },\n");
            json.Append("  \"activations\": { " + string.Join(", ", acts.Where(kv => kv.Key != "x").Select(kv => $"\"{kv.Key}\": {{ \"type\": \"{kv.Value.Type}\", \"scale\": {D(kv.Value.Scale)}, \"zeroPoint\": {kv.Value.Zp} }}")) + " },\n");
            json.Append("  \"layers\": [\n    " + string.Join(",\n    ", layers) + "\n  ]\n}\n");

            byte[] weights = SafeTensors.Write(tensors);
            ModelLoadResult loaded = ModelLoader.Load(json.ToString(), Name + ".qmodel.json", weights, Name + ".safetensors");
            ModelGraph graph = loaded.GetGraphOrThrow();
            var problems = new List<ModelDiagnostic>();
            if (RangeAnalysis.Analyze(graph, problems) == null || problems.Count > 0)
            {
                throw new InvalidOperationException("the synthetic model fails the range analysis: " + string.Join("; ", problems));
            }

            return (SpecWriter.ToJson(graph.Spec), weights);
        }

        private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(D));
    }
}
