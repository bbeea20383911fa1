using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace QuantGen.Samples.Zoo
{
    /// <summary>
    /// ONNX Runtime on a zoo file, one thread, batch 1. Graph optimizations off: ORT's QDQ fusions reject torch 1.13's QAT
    /// export of residual models ("QLinearAdd: Scale and Zero-point must be a scalar"); the unoptimized graph is the ONNX
    /// semantics, which is what agreement is about.
    /// </summary>
    public sealed class ZooOrt : IDisposable
    {
        private readonly InferenceSession session;
        private readonly SessionOptions options;
        private readonly string input;
        private readonly int[] shape;

        public ZooOrt(string path, int[] shape, bool optimize = false)
        {
            options = new SessionOptions
            {
                GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
            };
            session = new InferenceSession(path, options);
            input = session.InputMetadata.Keys.First();
            this.shape = shape;
        }

        public float[] Run(float[] x)
        {
            var tensor = new DenseTensor<float>(x, shape);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(new[] { NamedOnnxValue.CreateFromTensor(input, tensor) });
            return r.First().AsTensor<float>().ToArray();
        }

        /// <summary>Seconds per inference over <paramref name="reps"/> runs after one warm-up.</summary>
        public double Time(float[] x, int reps)
        {
            Run(x);
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
            {
                Run(x);
            }

            return sw.Elapsed.TotalSeconds / reps;
        }

        public void Dispose()
        {
            session.Dispose();
            options.Dispose();
        }
    }
}
