using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Data;

namespace QuantGen.Onnx.Tests
{
    internal static class Fixtures
    {
        public static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "Models", name);

        private static readonly Lazy<LabeledDataset> Digits = new Lazy<LabeledDataset>(() =>
            LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, "samples/data/digits/digits.csv")));

        public static IReadOnlyList<Sample> Train => Digits.Value.Split("train");

        public static IReadOnlyList<Sample> Test => Digits.Value.Split("test");

        public static string DigitsCsv => LabeledDataset.FindUpwards(AppContext.BaseDirectory, "samples/data/digits/digits.csv");

        /// <summary>Runs ONNX Runtime (default graph optimizations) on one float input of the given shape.</summary>
        public static float[] RunOrt(InferenceSession session, float[] input, int[] shape)
        {
            string name = session.InputMetadata.Keys.First();
            var tensor = new DenseTensor<float>(input, shape);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(new[] { NamedOnnxValue.CreateFromTensor(name, tensor) });
            return r.First().AsTensor<float>().ToArray();
        }

        public static int ArgMax(IReadOnlyList<double> v)
        {
            int best = 0;
            for (int i = 1; i < v.Count; i++)
            {
                if (v[i] > v[best])
                {
                    best = i;
                }
            }

            return best;
        }

        public static int ArgMax(IReadOnlyList<float> v) => ArgMax(v.Select(x => (double)x).ToArray());
    }
}
