using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using QuantGen.Data;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The digits CNN (imported from `digits_cnn.qdq.onnx`), batch 1: the generated code against ONNX Runtime on the float
    /// CNN (`digits_cnn.float.onnx`, batch norm unfolded; ORT folds it) and on the QDQ file the model was imported from.
    /// The ONNX files have a fixed batch of 1, so there are no batch rows. The setup checks that the generated output
    /// equals the reference interpreter's before anything is timed.
    /// </summary>
    public class CnnBenchmarks
    {
        private readonly DigitsCnn cnn = new DigitsCnn();
        private sbyte[] input = Array.Empty<sbyte>();
        private readonly sbyte[] output = new sbyte[DigitsCnn.OutputLength];
        private OrtRunner? ortFloat, ortQdq;

        [GlobalSetup]
        public void Setup()
        {
            string dir = Inputs.ModelsDirectory;
            var reference = new ReferenceInterpreter(ModelLoader.Load(Path.Combine(dir, "digits_cnn.qmodel.json")).GetGraphOrThrow());
            LabeledDataset data = LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv")));
            float[] pixels = data.Split("test")[0].Features;
            int[] q = reference.Quantize(pixels);
            input = q.Select(v => (sbyte)v).ToArray();
            cnn.Infer(input, output);
            int[] expected = reference.Run(q);
            if (!expected.SequenceEqual(output.Select(v => (int)v)))
            {
                throw new InvalidOperationException("the generated CNN differs from the reference interpreter");
            }

            long[] inShape = { 1, 1, 8, 8 }, outShape = { 1, DigitsCnn.OutputLength };
            ortFloat = new OrtRunner(Path.Combine(dir, "digits_cnn.float.onnx"), pixels, inShape, DigitsCnn.OutputLength, outShape);
            ortQdq = new OrtRunner(Path.Combine(dir, "digits_cnn.qdq.onnx"), pixels, inShape, DigitsCnn.OutputLength, outShape);
        }

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
        public void Generated() => cnn.Infer(input, output);
    }
}
