using System;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Model;

namespace QuantGen.Tests.Hls
{
    /// <summary>A synthetic one-layer quantized model (Dense k -> n, int8 weights from a fixed seed) written to disk.</summary>
    public static class LargeModel
    {
        public static string Write(string dir, int k, int n)
        {
            var rng = new Random(12345);
            byte[] weights = new byte[k * n];
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = unchecked((byte)(sbyte)rng.Next(-127, 128));
            }

            byte[] bias = new byte[4 * n];
            for (int o = 0; o < n; o++)
            {
                BitConverter.GetBytes(rng.Next(-5000, 5000)).CopyTo(bias, 4 * o);
            }

            File.WriteAllBytes(Path.Combine(dir, "big.safetensors"), SafeTensors.Write(new[]
            {
                new RawTensor("big.weight", "I8", new long[] { n, k }, weights),
                new RawTensor("big.bias", "I32", new long[] { n }, bias),
            }));
            string ints(int count, int value) => string.Join(", ", Enumerable.Repeat(value.ToString(CultureInfo.InvariantCulture), count));
            string scales = string.Join(", ", Enumerable.Repeat("0.001", n));
            string spec = $@"{{
  ""format"": ""quantgen"", ""version"": 1, ""name"": ""big"", ""kind"": ""quantized"", ""weights"": ""big.safetensors"",
  ""inputs"": [{{ ""name"": ""x"", ""shape"": [{k}], ""range"": [0.0, 1.0], ""type"": ""int8"", ""scale"": 0.00392156862745098, ""zeroPoint"": -128 }}],
  ""outputs"": [""y""],
  ""initializers"": {{
    ""big.weight"": {{ ""type"": ""int8"", ""shape"": [{n}, {k}], ""scales"": [{scales}], ""zeroPoint"": 0 }},
    ""big.bias"": {{ ""type"": ""int32"", ""shape"": [{n}], ""scales"": [{scales}], ""zeroPoint"": 0 }}
  }},
  ""activations"": {{ ""y"": {{ ""type"": ""int8"", ""scale"": 0.1, ""zeroPoint"": 0 }} }},
  ""layers"": [{{
    ""name"": ""big"", ""op"": ""Dense"", ""inputs"": [""x""], ""output"": ""y"", ""weight"": ""big.weight"", ""bias"": ""big.bias"",
    ""activation"": ""none"", ""multipliers"": [{ints(n, 1073741824)}], ""shifts"": [{ints(n, 48)}], ""clamp"": [-128, 127]
  }}]
}}
";
            string path = Path.Combine(dir, "big.qmodel.json");
            File.WriteAllText(path, spec);
            return path;
        }
    }
}
