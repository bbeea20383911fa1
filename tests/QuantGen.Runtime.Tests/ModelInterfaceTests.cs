using System;
using System.Collections.Generic;
using System.Globalization;
using Xunit;

namespace QuantGen.Tests
{
    /// <summary>
    /// IQuantizedModel / IQuantizedClassifier as an application uses them: a service that depends on the interface (for DI)
    /// tested with a hand-written fake instead of a generated model; ModelInfo's tensors; Prediction's value semantics.
    /// </summary>
    public class ModelInterfaceTests
    {
        /// <summary>What an app would write: reads a digit, or says it is unsure below a confidence threshold.</summary>
        private sealed class DigitReader
        {
            private readonly IQuantizedClassifier model;

            public DigitReader(IQuantizedClassifier model) => this.model = model;

            public string Read(float[] pixels)
            {
                Prediction best = model.TopK(pixels, 1)[0];
                return best.Confidence >= 0.5f ? best.Label ?? best.Index.ToString(CultureInfo.InvariantCulture) : "unsure";
            }

            public int CountOf(float[] batch, int digit)
            {
                var labels = new int[batch.Length / model.InputLength];
                model.Predict(batch, labels);
                return Array.FindAll(labels, l => l == digit).Length;
            }
        }

        /// <summary>A fake classifier: answers are scripted, calls are recorded.</summary>
        private sealed class FakeClassifier : IQuantizedClassifier
        {
            public Queue<Prediction> Answers { get; } = new Queue<Prediction>();

            public List<int> Calls { get; } = new List<int>();

            public ModelInfo Info { get; } = new ModelInfo(
                "fake", "fake.qmodel.json", string.Empty,
                new[] { new ModelTensorInfo("pixels", new[] { 2, 2 }, "int8", 0.5, -128) },
                new[] { new ModelTensorInfo("logits", new[] { 1, 3 }, "int8", 0.25, 0) },
                Array.Empty<LayerInfo>(),
                new[] { "zero", "one", "two" });

            public int InputLength => 4;

            public int OutputLength => 3;

            public int ClassCount => 3;

            public bool OutputsAreProbabilities => false;

            public float[] Run(ReadOnlySpan<float> input) => new float[3];

            public void Run(ReadOnlySpan<float> input, Span<float> output) => output.Clear();

            public int Predict(ReadOnlySpan<float> input)
            {
                Calls.Add(input.Length);
                return (int)input[0];
            }

            public void Predict(ReadOnlySpan<float> inputs, Span<int> labels)
            {
                for (int i = 0; i < labels.Length; i++)
                {
                    labels[i] = Predict(inputs.Slice(i * InputLength, InputLength));
                }
            }

            public int[] Predict(ReadOnlySpan<float> inputs, int batchSize)
            {
                var labels = new int[batchSize];
                Predict(inputs, labels);
                return labels;
            }

            public Prediction[] TopK(ReadOnlySpan<float> input, int k) => new[] { Answers.Dequeue() };

            public int TopK(ReadOnlySpan<float> input, Span<Prediction> destination)
            {
                destination[0] = Answers.Dequeue();
                return 1;
            }
        }

        [Fact]
        public void AServiceDependingOnTheInterfaceIsTestedWithAFake()
        {
            var fake = new FakeClassifier();
            fake.Answers.Enqueue(new Prediction(2, "two", 0.9f));
            fake.Answers.Enqueue(new Prediction(1, null, 0.3f));
            fake.Answers.Enqueue(new Prediction(1, null, 0.7f));
            var reader = new DigitReader(fake);
            Assert.Equal("two", reader.Read(new float[4]));
            Assert.Equal("unsure", reader.Read(new float[4]));
            Assert.Equal("1", reader.Read(new float[4]));
            Assert.Equal(2, reader.CountOf(new float[] { 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0 }, 1));
            Assert.Equal(new[] { 4, 4, 4 }, fake.Calls);
        }

        [Fact]
        public void TheInterfaceExposesTheTensorsOfInfo()
        {
            IQuantizedModel model = new FakeClassifier();
            ModelTensorInfo input = Assert.Single(model.Inputs);
            Assert.Equal(("pixels", "int8", 4, 0.5, -128L), (input.Name, input.ElementType, input.Length, input.Scale, input.ZeroPoint));
            Assert.Equal(new[] { 2, 2 }, input.Shape);
            Assert.Equal("logits [1, 3] int8", Assert.Single(model.Outputs).ToString());
            Assert.Equal(new[] { 2, 2 }, model.Info.InputShape);
            Assert.Equal(0.25, model.Info.OutputScale);
        }

        [Fact]
        public void SingleTensorModelInfoNamesItsTensorsAndEmptyListsAreRejected()
        {
            var info = new ModelInfo("m", "m.qmodel.json", string.Empty, new[] { 8 }, "int8", 0.1, 3, new[] { 2 }, "int16", 0.2, 0, Array.Empty<LayerInfo>(), Array.Empty<string>());
            Assert.Equal(("input", 8, "int8", 3L), (info.Inputs[0].Name, info.Inputs[0].Length, info.Inputs[0].ElementType, info.Inputs[0].ZeroPoint));
            Assert.Equal(("output", 2, "int16", 0.2), (info.Outputs[0].Name, info.Outputs[0].Length, info.Outputs[0].ElementType, info.Outputs[0].Scale));
            Assert.Throws<ArgumentException>(() => new ModelInfo("m", "f", string.Empty, Array.Empty<ModelTensorInfo>(), info.Outputs, Array.Empty<LayerInfo>(), Array.Empty<string>()));
            Assert.Throws<ArgumentException>(() => new ModelInfo("m", "f", string.Empty, info.Inputs, Array.Empty<ModelTensorInfo>(), Array.Empty<LayerInfo>(), Array.Empty<string>()));
        }

        [Fact]
        public void PredictionDeconstructsComparesAndPrints()
        {
            var p = new Prediction(7, "seven", 0.875f);
            (int label, float confidence) = p;
            Assert.Equal((7, 0.875f), (label, confidence));
            Assert.Equal(new Prediction(7, "seven", 0.875f), p);
            Assert.True(p != new Prediction(7, null, 0.875f));
            Assert.Equal("seven (0.875)", p.ToString());
            Assert.Equal("3 (0.5)", new Prediction(3, null, 0.5f).ToString());
        }

        [Fact]
        public void TheConcurrentUseMessageSaysWhatToDo()
        {
            var e = Assert.Throws<InvalidOperationException>(() => Generation.ConcurrentUse.Throw("Digits"));
            Assert.Equal(
                "Digits: this instance is already running a call on another thread. A generated model instance owns scratch buffers and is not thread-safe: " +
                "create one instance per thread (the weights are static and shared), use InferParallel for a batch, or take instances from a pool.",
                e.Message);
        }
    }
}
