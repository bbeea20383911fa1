using System;
using System.Collections.Generic;
using System.Linq;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Writes a float model from C#: layers in execution order, float initializers from a seeded generator. The result is
    /// validated by the same graph builder that reads model files, then quantized by the post-training quantizer, so every
    /// corpus model is one a user could have written.
    /// </summary>
    public sealed class FloatModelBuilder
    {
        private readonly ModelSpec spec = new ModelSpec { Kind = ModelKind.Float };
        private readonly List<RawTensor> weights = new List<RawTensor>();
        private readonly Random rng;
        private readonly Dictionary<string, int[]> shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);

        public FloatModelBuilder(string name, string input, int[] shape, double min, double max, int seed)
        {
            spec.Name = name;
            spec.Weights = name + ".safetensors";
            spec.Input = new InputSpec { Name = input, Shape = shape, RangeMin = min, RangeMax = max };
            shapes[input] = shape;
            rng = new Random(seed);
            Input = input;
        }

        public string Input { get; }

        /// <summary>Makes the model input an index input (token ids 0 to its range's max).</summary>
        public void IndexInput() => spec.Input.Role = InputRole.Index;

        public int[] ShapeOf(string tensor) => shapes[tensor];

        /// <summary>A float initializer, uniform in [-scale, scale].</summary>
        public string Initializer(string name, int[] shape, double scale, double offset = 0)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var values = new float[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = (float)(offset + ((rng.NextDouble() * 2) - 1) * scale);
            }

            spec.Initializers.Add(new InitializerSpec { Name = name, Type = ElementType.Float32, Shape = shape });
            weights.Add(TensorCodec.EncodeFloats(name, shape, values));
            shapes[name] = shape;
            return name;
        }

        /// <summary>Adds <paramref name="layer"/> with its inputs and outputs; <paramref name="outShapes"/> are for later lookups.</summary>
        public T Add<T>(T layer, string name, string[] inputs, string[] outputs, int[][] outShapes, int activationBits = 8, int weightBits = 8, bool perChannel = true)
            where T : LayerSpec
        {
            layer.Name = name;
            layer.Inputs.AddRange(inputs);
            layer.Outputs.Clear();
            layer.Outputs.AddRange(outputs);
            layer.Precision = new Precision { ActivationBits = activationBits, WeightBits = weightBits, PerChannel = perChannel };
            spec.Layers.Add(layer);
            for (int i = 0; i < outputs.Length; i++)
            {
                shapes[outputs[i]] = outShapes[i];
            }

            return layer;
        }

        public string Dense(string name, string x, int outputs, Activation act = Activation.None, int activationBits = 8, int weightBits = 8, bool perChannel = true, bool bias = true)
        {
            int[] xs = shapes[x];
            int k = xs[xs.Length - 1];
            string w = Initializer(name + ".weight", new[] { outputs, k }, 1.0 / Math.Sqrt(k));
            string? b = bias ? Initializer(name + ".bias", new[] { outputs }, 0.1) : null;
            int[] ys = (int[])xs.Clone();
            ys[ys.Length - 1] = outputs;
            Add(new DenseLayer { Weight = w, Bias = b, Activation = act }, name, new[] { x }, new[] { name + "_out" }, new[] { ys }, activationBits, weightBits, perChannel);
            return name + "_out";
        }

        public string Conv(string name, string x, int outC, int kh, int kw, int[] strides, int[] pads, int group, Activation act = Activation.None, int activationBits = 8, int weightBits = 8)
        {
            int[] xs = shapes[x];
            int inC = xs[1];
            string w = Initializer(name + ".weight", new[] { outC, inC / group, kh, kw }, 1.0 / Math.Sqrt(inC / group * kh * kw));
            string b = Initializer(name + ".bias", new[] { outC }, 0.1);
            int ho = ((xs[2] + pads[0] + pads[2] - kh) / strides[0]) + 1;
            int wo = ((xs[3] + pads[1] + pads[3] - kw) / strides[1]) + 1;
            Add(new Conv2dLayer { Weight = w, Bias = b, Activation = act, Strides = strides, Pads = pads, Group = group }, name, new[] { x }, new[] { name + "_out" }, new[] { new[] { xs[0], outC, ho, wo } }, activationBits, weightBits);
            return name + "_out";
        }

        /// <summary>A layer whose output has the input's shape (or the given one).</summary>
        public string Unary(LayerSpec layer, string name, string x, int[]? outShape = null, int activationBits = 8)
        {
            Add(layer, name, new[] { x }, new[] { name + "_out" }, new[] { outShape ?? shapes[x] }, activationBits);
            return name + "_out";
        }

        public string Binary(LayerSpec layer, string name, string a, string b, int[] outShape, int activationBits = 8)
        {
            Add(layer, name, new[] { a, b }, new[] { name + "_out" }, new[] { outShape }, activationBits);
            return name + "_out";
        }

        /// <summary>Validates the float model (the graph builder's diagnostics become an exception with every message).</summary>
        public ModelGraph Build(string output, params string[] moreOutputs)
        {
            spec.Output = output;
            foreach (string o in moreOutputs)
            {
                spec.Outputs.Add(new OutputSpec(o, SourcePlace.None));
            }

            var diagnostics = new List<ModelDiagnostic>();
            ModelGraph? g = GraphBuilder.Build(spec, weights, spec.Weights, diagnostics);
            if (g == null)
            {
                throw new InvalidOperationException($"corpus model {spec.Name} is invalid: " + string.Join("; ", diagnostics));
            }

            return g;
        }
    }
}
