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
    /// The MLPerf Tiny CNNs of the model zoo, batch 1, single thread: the generated code (imported from the `*_ortqdq.onnx`
    /// files with `quantgen import`, samples/Benchmarks/zoo) against ONNX Runtime on the float export (`*_float17.onnx`,
    /// BatchNorm unfolded; ORT folds it) and on the QDQ file the model was imported from. One fixed pseudo-random input in
    /// [0, 1); the setup checks the generated output against the reference interpreter before anything is timed.
    /// </summary>
    public class ZooBenchmarks
    {
        private sbyte[] input = Array.Empty<sbyte>();
        private sbyte[] output = Array.Empty<sbyte>();
        private Action generated = () => { };
        private OrtRunner? ortFloat, ortQdq;

        [Params("resnet8", "ds_cnn", "mobilenet_v1")]
        public string Model { get; set; } = "resnet8";

        [GlobalSetup]
        public void Setup()
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            string onnx = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "zoo", "models"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, Model + ".qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int[] shape = graph.Input.Shape;
            var rng = new Random(42);
            float[] x = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)rng.NextDouble()).ToArray();
            int[] q = reference.Quantize(x);
            input = q.Select(v => (sbyte)v).ToArray();
            (Action run, int outLength) = Model switch
            {
                "resnet8" => Bind(new ResNet8().Infer, ResNet8.OutputLength),
                "ds_cnn" => Bind(new DsCnn().Infer, DsCnn.OutputLength),
                _ => Bind(new MobileNetV1().Infer, MobileNetV1.OutputLength),
            };
            generated = run;
            generated();
            if (!reference.Run(q).SequenceEqual(output.Select(v => (int)v)))
            {
                throw new InvalidOperationException($"the generated {Model} differs from the reference interpreter");
            }

            long[] inShape = shape.Select(v => (long)v).ToArray(), outShape = { 1, outLength };
            ortFloat = new OrtRunner(Path.Combine(onnx, Model + "_float17.onnx"), x, inShape, outLength, outShape);
            ortQdq = new OrtRunner(Path.Combine(onnx, Model + "_ortqdq.onnx"), x, inShape, outLength, outShape);
        }

        private (Action, int) Bind(InferFn infer, int outLength)
        {
            output = new sbyte[outLength];
            sbyte[] i = input, o = output;
            return (() => infer(i, o), outLength);
        }

        public delegate void InferFn(ReadOnlySpan<sbyte> input, Span<sbyte> output);

        [GlobalCleanup]
        public void Cleanup()
        {
            ortFloat?.Dispose();
            ortQdq?.Dispose();
        }

        [Benchmark(Baseline = true)]
        public void OrtFloat() => ortFloat!.Run();

        [Benchmark]
        public void OrtQdq() => ortQdq!.Run();

        [Benchmark]
        public void Generated() => generated();
    }
}
