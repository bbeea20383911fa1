using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Tests.Hls
{
    /// <summary>
    /// Synthetic quantized CNNs written with the core's SpecWriter and SafeTensors: random int8 weights, int32 biases and
    /// per-channel dyadic multipliers from a fixed seed. They reach the corners the digits CNN does not.
    /// </summary>
    public static class ConvModels
    {
        private const double InputScale = 0.05;

        /// <summary>
        /// x [2, 4, 9, 10] (a batch of 2, zero point 5)
        ///  -> conv_g2: Conv2d 4 -> 6, kernel 2x3, strides [2, 1], pads [1, 0, 0, 2] (asymmetric), group 2, relu -> [2, 6, 5, 10]
        ///  -> pool: MaxPool2d kernel 3x2, strides [2, 3], pads [1, 1, 1, 0] -> [2, 6, 3, 4]
        ///  -> conv_s2: Conv2d 6 -> 5, kernel 2x2, strides [2, 2], pads [0, 1, 1, 0], no bias, no activation -> [2, 5, 2, 2].
        /// </summary>
        public static string WriteCorners(string dir)
        {
            var rng = new Random(20261124);
            var spec = NewSpec("conv_corners", new[] { 2, 4, 9, 10 }, 5);
            var weights = new List<RawTensor>();
            var convG2 = Conv(spec, weights, rng, "conv_g2", "x", "g2_out", cOut: 6, cg: 2, kh: 2, kw: 3, group: 2, strides: new[] { 2, 1 }, pads: new[] { 1, 0, 0, 2 }, relu: true, outZp: -7);
            spec.Layers.Add(convG2);
            spec.Layers.Add(new MaxPool2dLayer { Name = "pool", Output = "pooled", Kernel = new[] { 3, 2 }, Strides = new[] { 2, 3 }, Pads = new[] { 1, 1, 1, 0 } });
            spec.Layers[spec.Layers.Count - 1].Inputs.Add("g2_out");
            spec.Activations.Add(new ActivationSpec("pooled", new TensorQuant(ElementType.Int8, 0.1, -7), null, SourcePlace.None));
            spec.Layers.Add(Conv(spec, weights, rng, "conv_s2", "pooled", "y", cOut: 5, cg: 6, kh: 2, kw: 2, group: 1, strides: new[] { 2, 2 }, pads: new[] { 0, 1, 1, 0 }, relu: false, outZp: 3, bias: false));
            spec.Output = "y";
            return Save(dir, spec, weights);
        }

        /// <summary>One Conv2d layer "big_conv" (3x3, pads 1) over x [1, c, h, w] with <paramref name="cOut"/> outputs;
        /// with <paramref name="second"/> a second one, "big_conv2", c -> c on its output (cOut must then be c).</summary>
        public static string WriteSingleConv(string dir, int c, int h, int w, int cOut, bool second = false)
        {
            var rng = new Random(7);
            var spec = NewSpec("single_conv", new[] { 1, c, h, w }, 0);
            var weights = new List<RawTensor>();
            spec.Layers.Add(Conv(spec, weights, rng, "big_conv", "x", second ? "h" : "y", cOut, c, 3, 3, 1, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, relu: true, outZp: 0));
            if (second)
            {
                spec.Layers.Add(Conv(spec, weights, rng, "big_conv2", "h", "y", c, c, 3, 3, 1, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, relu: true, outZp: 0));
            }

            spec.Output = "y";
            return Save(dir, spec, weights);
        }

        /// <summary>
        /// Two feature-map inputs and two outputs (io_stream: pixel beats with channels packed on every port):
        /// x [1, 3, 5, 6] (zero point 5) -> conv: Conv2d 3 -> 4, 3x3, pads 1, relu -> y [1, 4, 5, 6];
        /// r [1, 4, 5, 6] (zero point -3); sum = y + r (each requantized to the output's scale) -> [1, 4, 5, 6]. Outputs: sum, y.
        /// </summary>
        public static string WriteTwoMaps(string dir)
        {
            var rng = new Random(20261205);
            var spec = NewSpec("two_maps", new[] { 1, 3, 5, 6 }, 5);
            spec.Inputs.Add(new InputSpec { Name = "r", Shape = new[] { 1, 4, 5, 6 }, Quant = new TensorQuant(ElementType.Int8, 0.08, -3), RangeMin = (-128 + 3) * 0.08, RangeMax = (127 + 3) * 0.08 });
            var weights = new List<RawTensor>();
            spec.Layers.Add(Conv(spec, weights, rng, "conv", "x", "y", cOut: 4, cg: 3, kh: 3, kw: 3, group: 1, strides: new[] { 1, 1 }, pads: new[] { 1, 1, 1, 1 }, relu: true, outZp: 2));
            var add = new AddLayer { Name = "add", Output = "sum", Integers = new AddIntegers(Dyadic.FromReal(0.1 / 0.15), Dyadic.FromReal(0.08 / 0.15)) };
            add.Inputs.Add("y");
            add.Inputs.Add("r");
            spec.Layers.Add(add);
            spec.Activations.Add(new ActivationSpec("sum", new TensorQuant(ElementType.Int8, 0.15, -1), null, SourcePlace.None));
            spec.Output = "sum";
            spec.Outputs.Add(new OutputSpec("y", SourcePlace.None));
            return Save(dir, spec, weights);
        }

        /// <summary>One MaxPool2d layer "big_pool" (2x2, strides 2) over x [1, c, h, w].</summary>
        public static string WriteSinglePool(string dir, int c, int h, int w)
        {
            var spec = NewSpec("single_pool", new[] { 1, c, h, w }, 0);
            var pool = new MaxPool2dLayer { Name = "big_pool", Output = "y", Kernel = new[] { 2, 2 }, Strides = new[] { 2, 2 } };
            pool.Inputs.Add("x");
            spec.Layers.Add(pool);
            spec.Activations.Add(new ActivationSpec("y", spec.Input.Quant!, null, SourcePlace.None));
            spec.Output = "y";
            return Save(dir, spec, new List<RawTensor>());
        }

        private static ModelSpec NewSpec(string name, int[] shape, long zp)
        {
            var spec = new ModelSpec { Name = name, Kind = ModelKind.Quantized, Weights = name + ".safetensors" };
            spec.Input.Name = "x";
            spec.Input.Shape = shape;
            spec.Input.Quant = new TensorQuant(ElementType.Int8, InputScale, zp);
            spec.Input.RangeMin = (-128 - zp) * InputScale;
            spec.Input.RangeMax = (127 - zp) * InputScale;
            return spec;
        }

        private static Conv2dLayer Conv(ModelSpec spec, List<RawTensor> weights, Random rng, string name, string input, string output, int cOut, int cg, int kh, int kw, int group, int[] strides, int[] pads, bool relu, long outZp, bool bias = true)
        {
            int k = cg * kh * kw;
            var w = new byte[cOut * k];
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = unchecked((byte)(sbyte)rng.Next(-127, 128));
            }

            var biasBytes = new byte[4 * cOut];
            for (int o = 0; o < cOut; o++)
            {
                BitConverter.GetBytes(rng.Next(-3000, 3001)).CopyTo(biasBytes, 4 * o);
            }

            double[] wScales = Enumerable.Range(0, cOut).Select(o => 0.002 + (0.001 * o)).ToArray();
            spec.Initializers.Add(new InitializerSpec { Name = name + "_w", Type = ElementType.Int8, Shape = new[] { cOut, cg, kh, kw }, Scales = wScales, ZeroPoint = 0 });
            weights.Add(new RawTensor(name + "_w", "I8", new long[] { cOut, cg, kh, kw }, w));
            if (bias)
            {
                spec.Initializers.Add(new InitializerSpec { Name = name + "_b", Type = ElementType.Int32, Shape = new[] { cOut }, Scales = wScales.Select(s => s * InputScale).ToArray(), ZeroPoint = 0 });
                weights.Add(new RawTensor(name + "_b", "I32", new long[] { cOut }, biasBytes));
            }

            var outQ = new TensorQuant(ElementType.Int8, 0.1, outZp);
            spec.Activations.Add(new ActivationSpec(output, outQ, null, SourcePlace.None));

            // Multipliers in [2^30, 2^31) with shifts 37..38 (about 2^-8 to 2^-6): random inputs land inside int8, the
            // all-minimum / all-maximum inputs saturate.
            Dyadic[] requant = Enumerable.Range(0, cOut).Select(_ => new Dyadic(rng.Next(1 << 30, int.MaxValue), rng.Next(37, 39))).ToArray();
            ClampBounds clamp = relu ? ClampBounds.Relu(outQ.Type, outZp) : ClampBounds.None(outQ.Type);
            var layer = new Conv2dLayer
            {
                Name = name,
                Output = output,
                Weight = name + "_w",
                Bias = bias ? name + "_b" : null,
                Activation = relu ? Activation.Relu : Activation.None,
                Strides = strides,
                Pads = pads,
                Group = group,
                Integers = new WeightedIntegers(requant, clamp),
            };
            layer.Inputs.Add(input);
            return layer;
        }

        private static string Save(string dir, ModelSpec spec, List<RawTensor> weights)
        {
            string path = Path.Combine(dir, spec.Name + ".qmodel.json");
            SpecWriter.Save(spec, weights, path);
            return path;
        }
    }
}
