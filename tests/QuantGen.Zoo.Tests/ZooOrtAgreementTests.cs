using System.Collections.Generic;
using System.Linq;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Every imported zoo file against ONNX Runtime on the same file, <see cref="ZooRun.OrtInputs"/> inputs each (issue 13:
    /// top-1 agreement >= 99 % for the CNNs and MLPs, >= 97 % for the transformers; integer outputs within 1 LSB where ORT
    /// computes the same integers). Float exports compare QuantGen's W8A8 model (post-training quantized on 32 fixed training
    /// samples) with ORT's float model: top-1 only, the output scale is QuantGen's own.
    /// </summary>
    public class ZooOrtAgreementTests
    {
        private readonly ITestOutputHelper output;

        public ZooOrtAgreementTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Files => ZooCatalog.Entries().Select(e => new object[] { e.File });

        [Theory]
        [MemberData(nameof(Files))]
        public void AgreesWithOnnxRuntime(string file)
        {
            OrtOutcome o = ZooRun.Ort(file);
            output.WriteLine($"{file}: {o}");
            Assert.True(o.Inputs >= ZooRun.OrtInputs, $"{o.Inputs} inputs");
            ZooEntry e = ZooCatalog.Entries().First(x => x.File == file);
            if (o.Classifier)
            {
                double needed = e.IsTransformer ? 0.97 : 0.99;
                Assert.True(o.Top1Same >= needed * o.Inputs, $"top-1 {o.Top1Same}/{o.Inputs}");
            }

            if (o.VersusFloat || o.SoftmaxOutput || e.IsTransformer)
            {
                // W8A8 against float; Shiftmax's int16 probabilities against ORT's uint8 softmax; ORT's float softmax,
                // GELU and LayerNorm against I-ViT's integer ones: not the same integers, top-1 is the measure.
                return;
            }

            if (e.Export == "qat")
            {
                // torch's QAT export keeps Conv/Gemm -> Div -> Add -> BatchNormalization between its Q/DQ pairs, which ORT
                // evaluates in float while QuantGen folds them into the integer layer: a few LSB apart (the survey's bound).
                Assert.True(o.P99Lsb <= 4, $"p99 {o.P99Lsb} LSB");
                return;
            }

            Assert.True(o.Within1Lsb >= 0.99, $"{o.Within1Lsb:P2} of the outputs within 1 LSB (p99 {o.P99Lsb}, max {o.MaxLsb})");
        }
    }
}
