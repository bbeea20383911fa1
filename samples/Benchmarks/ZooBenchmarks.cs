using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The MLPerf Tiny CNNs of the model zoo, batch 1 and 32, single thread: the generated code (imported from the
    /// `*_ortqdq.onnx` files with `quantgen import`, samples/Benchmarks/zoo) against ONNX Runtime on the float export
    /// (`*_float17.onnx`, BatchNorm unfolded; ORT folds it) and on the QDQ file the model was imported from. Fixed
    /// pseudo-random inputs in [0, 1); the setup checks the generated output against the reference interpreter (the first
    /// two samples of a batch) before anything is timed. The ONNX files have a fixed batch dimension of 1, so ORT runs a
    /// batch of 32 as 32 calls of one session (on the first sample); the generated `Infer(inputs, outputs, 32)` runs the
    /// samples one after the other.
    /// </summary>
    public class ZooBenchmarks
    {
        private sbyte[] input = Array.Empty<sbyte>();
        private sbyte[] output = Array.Empty<sbyte>();
        private Action generated = () => { };
        private OrtRunner? ortFloat, ortQdq;

        [Params("resnet8", "ds_cnn", "mobilenet_v1")]
        public string Model { get; set; } = "resnet8";

        [Params(1, 32)]
        public int Batch { get; set; } = 1;

        [GlobalSetup]
        public void Setup()
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            string onnx = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "zoo", "models"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, Model + ".qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int[] shape = graph.Input.Shape;
            int inLength = shape.Aggregate(1, (a, b) => a * b);
            var rng = new Random(42);
            float[] x = Enumerable.Range(0, inLength * Batch).Select(_ => (float)rng.NextDouble()).ToArray();
            input = new sbyte[inLength * Batch];
            var q = new int[Batch][];
            for (int b = 0; b < Batch; b++)
            {
                q[b] = reference.Quantize(x.AsSpan(b * inLength, inLength).ToArray());
                for (int i = 0; i < inLength; i++)
                {
                    input[(b * inLength) + i] = (sbyte)q[b][i];
                }
            }

            (Action run, int outLength) = Model switch
            {
                "resnet8" => Bind(new ResNet8().Infer, ResNet8.OutputLength),
                "ds_cnn" => Bind(new DsCnn().Infer, DsCnn.OutputLength),
                _ => Bind(new MobileNetV1().Infer, MobileNetV1.OutputLength),
            };
            generated = run;
            generated();
            for (int b = 0; b < Math.Min(Batch, 2); b++)
            {
                if (!reference.Run(q[b]).SequenceEqual(output.Skip(b * outLength).Take(outLength).Select(v => (int)v)))
                {
                    throw new InvalidOperationException($"the generated {Model} differs from the reference interpreter (sample {b})");
                }
            }

            long[] inShape = shape.Select(v => (long)v).ToArray(), outShape = { 1, outLength };
            float[] first = x.AsSpan(0, inLength).ToArray();
            ortFloat = new OrtRunner(Path.Combine(onnx, Model + "_float17.onnx"), first, inShape, outLength, outShape);
            ortQdq = new OrtRunner(Path.Combine(onnx, Model + "_ortqdq.onnx"), first, inShape, outLength, outShape);
        }

        private (Action, int) Bind(InferFn infer, int outLength)
        {
            output = new sbyte[outLength * Batch];
            sbyte[] i = input, o = output;
            int batch = Batch;
            return (() => infer(i, o, batch), outLength);
        }

        public delegate void InferFn(ReadOnlySpan<sbyte> inputs, Span<sbyte> outputs, int batchSize);

        [GlobalCleanup]
        public void Cleanup()
        {
            ortFloat?.Dispose();
            ortQdq?.Dispose();
        }

        [Benchmark(Baseline = true)]
        public void OrtFloat()
        {
            for (int b = 0; b < Batch; b++)
            {
                ortFloat!.Run();
            }
        }

        [Benchmark]
        public void OrtQdq()
        {
            for (int b = 0; b < Batch; b++)
            {
                ortQdq!.Run();
            }
        }

        [Benchmark]
        public void Generated() => generated();
    }
}
