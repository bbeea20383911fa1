using System;
using System.Collections.Generic;
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
        private readonly ZooInput[] inputs;

        /// <summary>A single-input file: the one input (whatever ONNX names it) with this shape, fed as float.</summary>
        public ZooOrt(string path, int[] shape, bool optimize = false)
            : this(path, new[] { new ZooInput(string.Empty, shape) }, optimize)
        {
        }

        /// <summary>A zoo model's file: its inputs (name, shape, int64 or float) fed in the model's order.</summary>
        public ZooOrt(string path, ZooModel model, bool optimize = false)
            : this(path, model.Inputs, optimize)
        {
        }

        private ZooOrt(string path, IReadOnlyList<ZooInput> inputs, bool optimize)
        {
            options = new SessionOptions
            {
                GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
            };
            session = new InferenceSession(path, options);
            this.inputs = inputs.Count == 1 && inputs[0].Name.Length == 0
                ? new[] { new ZooInput(session.InputMetadata.Keys.First(), inputs[0].Shape, inputs[0].Int64) }
                : inputs.ToArray();
        }

        /// <summary>One sample (the inputs' values one after the other; int64 inputs hold whole numbers) -> the first output.</summary>
        public float[] Run(float[] x)
        {
            var feeds = new List<NamedOnnxValue>(inputs.Length);
            int offset = 0;
            foreach (ZooInput i in inputs)
            {
                ReadOnlySpan<float> part = x.AsSpan(offset, i.Size);
                feeds.Add(i.Int64
                    ? NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(part.ToArray().Select(v => checked((long)v)).ToArray(), i.Shape))
                    : NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(part.ToArray(), i.Shape)));
                offset += i.Size;
            }

            if (offset != x.Length)
            {
                throw new ArgumentException($"{x.Length} values for inputs of {offset} elements", nameof(x));
            }

            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(feeds);
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
