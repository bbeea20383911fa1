using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// One model and one batch size, with every runner prepared on the same inputs: the generated code (int8 in, int8
    /// out, the compiled model's contract), the reference interpreter, and ONNX Runtime on the float and the QDQ
    /// ONNX models (float in, float out; one thread, sequential; IoBinding so that a call marshals nothing).
    /// </summary>
    public sealed class Workload : IDisposable
    {
        private readonly DigitsMlp? mlp;
        private readonly EncoderBlock? encoder;
        private readonly ReferenceInterpreter reference;
        private readonly int[][] referenceInputs;
        private readonly OrtRunner ortFloat, ortQdq;

        public Workload(string model, int batch)
        {
            Model = model;
            Batch = batch;
            string dir = Inputs.ModelsDirectory;
            ModelGraph graph = ModelLoader.Load(Path.Combine(dir, model + ".qmodel.json")).GetGraphOrThrow();
            reference = new ReferenceInterpreter(graph);
            InputLength = graph.Input.ElementCount;
            OutputLength = graph.Output.ElementCount;
            float[][] real = Enumerable.Range(0, batch).Select(b => model == "digits_mlp" ? DigitsInput(b) : Inputs.EncoderTokens(b)).ToArray();
            FloatInputs = real.SelectMany(v => v).ToArray();
            referenceInputs = real.Select(v => reference.Quantize(v)).ToArray();
            QuantInputs = referenceInputs.SelectMany(v => v.Select(i => (sbyte)i)).ToArray();
            QuantOutputs = new sbyte[batch * OutputLength];
            long[] inShape = new long[] { batch }.Concat(graph.Input.Shape.Select(d => (long)d)).ToArray();
            long[] outShape = new long[] { batch }.Concat(graph.Output.Shape.Select(d => (long)d)).ToArray();
            if (model == "digits_mlp")
            {
                mlp = new DigitsMlp();
                Macs = DigitsMlp.Info.Macs;
            }
            else
            {
                encoder = new EncoderBlock();
                Macs = EncoderBlock.Info.Macs;
            }

            ortFloat = new OrtRunner(Path.Combine(dir, model + ".float.onnx"), FloatInputs, inShape, OutputLength * batch, outShape);
            ortQdq = new OrtRunner(Path.Combine(dir, model + ".qdq.onnx"), FloatInputs, inShape, OutputLength * batch, outShape);
        }

        public string Model { get; }

        public int Batch { get; }

        public int InputLength { get; }

        public int OutputLength { get; }

        /// <summary>Multiply-accumulates of one inference (Dense and MatMul layers), from the generated Info.</summary>
        public long Macs { get; }

        public float[] FloatInputs { get; }

        public sbyte[] QuantInputs { get; }

        public sbyte[] QuantOutputs { get; }

        public float[] OrtFloatOutputs => ortFloat.Output;

        public float[] OrtQdqOutputs => ortQdq.Output;

        public void Generated()
        {
            if (mlp != null)
            {
                mlp.Infer(QuantInputs, QuantOutputs, Batch);
            }
            else
            {
                encoder!.Infer(QuantInputs, QuantOutputs, Batch);
            }
        }

        public void GeneratedParallel()
        {
            if (mlp != null)
            {
                mlp.InferParallel(QuantInputs, QuantOutputs, Batch);
            }
            else
            {
                encoder!.InferParallel(QuantInputs, QuantOutputs, Batch);
            }
        }

        public int[] Reference(int sample) => reference.Run(referenceInputs[sample]);

        public void OrtFloat() => ortFloat.Run();

        public void OrtQdq() => ortQdq.Run();

        public void Dispose()
        {
            ortFloat.Dispose();
            ortQdq.Dispose();
        }

        /// <summary>Test images of the digits data set (real 0..16 pixels), cycling.</summary>
        private static float[] DigitsInput(int index)
        {
            LabeledDataset data = LabeledDataset.Load(LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv")));
            var test = data.Split("test");
            return test[index % test.Count].Features;
        }
    }

    /// <summary>ONNX Runtime session: intra-op 1 thread, inter-op 1, sequential, all graph optimizations, IoBinding.</summary>
    public sealed class OrtRunner : IDisposable
    {
        private readonly InferenceSession session;
        private readonly OrtValue input, output;
        private readonly OrtIoBinding binding;
        private readonly RunOptions runOptions = new RunOptions();

        public OrtRunner(string path, float[] inputs, long[] inShape, int outLength, long[] outShape)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            session = new InferenceSession(path, options);
            Output = new float[outLength];
            input = OrtValue.CreateTensorValueFromMemory(inputs, inShape);
            output = OrtValue.CreateTensorValueFromMemory(Output, outShape);
            binding = session.CreateIoBinding();
            binding.BindInput(session.InputNames[0], input);
            binding.BindOutput(session.OutputNames[0], output);
        }

        public float[] Output { get; }

        public void Run() => session.RunWithBinding(runOptions, binding);

        public void Dispose()
        {
            binding.Dispose();
            input.Dispose();
            output.Dispose();
            runOptions.Dispose();
            session.Dispose();
        }
    }
}
