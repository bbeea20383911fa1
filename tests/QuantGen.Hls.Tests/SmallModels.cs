using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Small quantized models written from C# (SpecWriter + safetensors) with random weights from a fixed seed: name
    /// corner cases and the data-movement operators. Every builder returns the spec path.
    /// </summary>
    public sealed class SmallModels
    {
        private const double InputScale = 0.05;
        private readonly Random rng;
        private readonly List<RawTensor> weights = new List<RawTensor>();

        public SmallModels(string name, int[] inputShape, long inputZp = 0, string input = "x", int seed = 20261205)
        {
            rng = new Random(seed);
            Spec = new ModelSpec { Name = name, Kind = ModelKind.Quantized, Weights = "weights.safetensors" };
            Spec.Input.Name = input;
            Spec.Input.Shape = inputShape;
            Spec.Input.Quant = new TensorQuant(ElementType.Int8, InputScale, inputZp);
            Spec.Input.RangeMin = (-128 - inputZp) * InputScale;
            Spec.Input.RangeMax = (127 - inputZp) * InputScale;
        }

        public ModelSpec Spec { get; }

        /// <summary>Dense <paramref name="input"/> [.., k] -> <paramref name="output"/> [.., n], bias, per-channel multipliers, optional ReLU.</summary>
        public SmallModels Dense(string name, string input, string output, int k, int n, long outZp = 0, bool relu = false, string? weight = null, double outScale = 0.1)
        {
            weight ??= name + "_w";
            var w = new byte[n * k];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = unchecked((byte)(sbyte)rng.Next(-127, 128));
            }

            var bias = new byte[4 * n];
            for (int o = 0; o < n; o++)
            {
                BitConverter.GetBytes(rng.Next(-3000, 3001)).CopyTo(bias, 4 * o);
            }

            double[] wScales = Enumerable.Range(0, n).Select(o => 0.002 + (0.0005 * o)).ToArray();
            Spec.Initializers.Add(new InitializerSpec { Name = weight, Type = ElementType.Int8, Shape = new[] { n, k }, Scales = wScales, ZeroPoint = 0 });
            weights.Add(new RawTensor(weight, "I8", new long[] { n, k }, w));
            Spec.Initializers.Add(new InitializerSpec { Name = weight + "_bias", Type = ElementType.Int32, Shape = new[] { n }, Scales = wScales.Select(s => s * InputScale).ToArray(), ZeroPoint = 0 });
            weights.Add(new RawTensor(weight + "_bias", "I32", new long[] { n }, bias));
            var q = new TensorQuant(ElementType.Int8, outScale, outZp);
            Spec.Activations.Add(new ActivationSpec(output, q, null, SourcePlace.None));
            ClampBounds clamp = relu ? ClampBounds.Relu(q.Type, outZp) : ClampBounds.None(q.Type);
            var layer = new DenseLayer
            {
                Name = name,
                Output = output,
                Weight = weight,
                Bias = weight + "_bias",
                Activation = relu ? Activation.Relu : Activation.None,
                Integers = new WeightedIntegers(Enumerable.Range(0, n).Select(_ => new Dyadic(rng.Next(1 << 30, int.MaxValue), rng.Next(38, 40))).ToArray(), clamp),
            };
            layer.Inputs.Add(input);
            Spec.Layers.Add(layer);
            return this;
        }

        /// <summary>Add of two activations, each branch halved (output scale = 2 x input scales).</summary>
        public SmallModels Add(string name, string a, string b, string output, long outZp = 0)
        {
            Spec.Activations.Add(new ActivationSpec(output, new TensorQuant(ElementType.Int8, 0.2, outZp), null, SourcePlace.None));
            var layer = new AddLayer { Name = name, Output = output, Integers = new AddIntegers(new Dyadic(1 << 30, 31), new Dyadic(1 << 30, 31)) };
            layer.Inputs.Add(a);
            layer.Inputs.Add(b);
            Spec.Layers.Add(layer);
            return this;
        }

        /// <summary>A constant int8 tensor (an initializer a layer reads as an input).</summary>
        public SmallModels Constant(string name, int[] shape, double scale, long zp)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var data = new byte[count];
            for (int i = 0; i < count; i++)
            {
                data[i] = unchecked((byte)(sbyte)rng.Next(-128, 128));
            }

            Spec.Initializers.Add(new InitializerSpec { Name = name, Type = ElementType.Int8, Shape = shape, Scales = new[] { scale }, ZeroPoint = zp });
            weights.Add(new RawTensor(name, "I8", shape.Select(d => (long)d).ToArray(), data));
            return this;
        }

        /// <summary>Adds <paramref name="layer"/> reading <paramref name="inputs"/>; its outputs get the given quantization.</summary>
        public SmallModels Layer(LayerSpec layer, IEnumerable<string> inputs, params (string Name, TensorQuant Quant)[] outputs)
        {
            layer.Inputs.AddRange(inputs);
            foreach ((string n, TensorQuant q) in outputs)
            {
                Spec.Activations.Add(new ActivationSpec(n, q, null, SourcePlace.None));
            }

            Spec.Layers.Add(layer);
            return this;
        }

        public string Save(string dir, string output)
        {
            Spec.Output = output;
            string path = Path.Combine(dir, "model.qmodel.json");
            SpecWriter.Save(Spec, weights, path);
            return path;
        }
    }
}
